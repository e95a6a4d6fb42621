//! Email verification on SQLite, each use case one write transaction of the single writer.

use rusqlite::{OptionalExtension, Transaction};
use subtle::ConstantTimeEq;

use super::Decision;
use crate::auth::email_verification::MAX_WRONG_CODES;
use crate::store::*;

/// [`Store::start_email_verification`].
pub(super) fn start(tx: &Transaction<'_>, v: &NewEmailVerification) -> rusqlite::Result<Decision<bool>> {
    let current: Option<Option<String>> = tx
        .prepare_cached("SELECT email FROM users WHERE id = ?")?
        .query_row([&v.user_id], |row| row.get(0))
        .optional()?;
    if current.flatten().as_deref() != Some(v.email.as_str()) {
        return Ok(Decision::Rollback(false));
    }
    tx.prepare_cached(
        "INSERT INTO email_verifications (user_id, email, token_hash, code_hash, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, token_hash = excluded.token_hash,
             code_hash = excluded.code_hash, wrong_codes = 0, created_at = excluded.created_at,
             expires_at = excluded.expires_at, used_at = NULL",
    )?
    .execute((
        &v.user_id,
        &v.email,
        v.token_hash.as_slice(),
        v.code_hash.as_slice(),
        v.created_at,
        v.expires_at,
    ))?;
    Ok(Decision::Commit(true))
}

/// [`Store::confirm_email`].
pub(super) fn confirm(
    tx: &Transaction<'_>,
    proof: &EmailProof<'_>,
    now: i64,
) -> rusqlite::Result<Decision<EmailConfirmation>> {
    const LIVE: &str = "v.used_at IS NULL AND v.expires_at > ? AND v.wrong_codes < ?";
    let found: Option<(String, String, Vec<u8>)> = match proof {
        EmailProof::Token { app_id, token_hash } => tx
            .prepare_cached(&format!(
                "SELECT v.user_id, v.email, v.code_hash FROM email_verifications v JOIN users u ON u.id = v.user_id
                 WHERE v.token_hash = ? AND u.app_id = ? AND {LIVE}"
            ))?
            .query_row((token_hash.as_slice(), app_id, now, MAX_WRONG_CODES), |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?,
        EmailProof::Code { user_id, .. } => tx
            .prepare_cached(&format!(
                "SELECT v.user_id, v.email, v.code_hash FROM email_verifications v WHERE v.user_id = ? AND {LIVE}"
            ))?
            .query_row((user_id, now, MAX_WRONG_CODES), |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?,
    };
    let Some((user_id, email, stored_code)) = found else {
        return Ok(Decision::Rollback(EmailConfirmation::NotValid));
    };
    if let EmailProof::Code { code_hash, .. } = proof {
        if !bool::from(code_hash.as_slice().ct_eq(&stored_code)) {
            tx.prepare_cached("UPDATE email_verifications SET wrong_codes = wrong_codes + 1 WHERE user_id = ?")?
                .execute([&user_id])?;
            return Ok(Decision::Commit(EmailConfirmation::WrongCode));
        }
    }
    let verified = tx
        .prepare_cached("UPDATE users SET email_verified = 1, verify_email = 0 WHERE id = ? AND email = ?")?
        .execute([&user_id, &email])?;
    if verified == 0 {
        // The email changed since the mail went out: this verification proves nothing now.
        return Ok(Decision::Rollback(EmailConfirmation::NotValid));
    }
    tx.prepare_cached("UPDATE email_verifications SET used_at = ? WHERE user_id = ? AND used_at IS NULL")?
        .execute((now, &user_id))?;
    Ok(Decision::Commit(EmailConfirmation::Verified { user_id }))
}
