//! Writes on an account on SQLite: a proof spent with what it authorises, and updates made on a
//! session's authority, each inside one write transaction of the single writer.

use rusqlite::{OptionalExtension, Transaction};
use sealbase::protocol::AccountKeys;

use super::use_cases::{insert_session, user_by_id};
use super::{unless_duplicate, Decision};
use crate::auth::throttle;
use crate::store::*;

/// [`Store::spend_proof`] in the caller's write transaction.
pub(super) fn spend(
    tx: &Transaction<'_>,
    attempt: &ProofAttempt<'_>,
    effect: ProofEffect<'_>,
) -> rusqlite::Result<Decision<Spent>> {
    let ProofAttempt { app_id, username, nonce, challenge_expires_at, now, verified, email_must_be_verified } =
        *attempt;
    // Checked again under the write lock, on the clock of now: a request that waited for it
    // past the expiry could otherwise spend a nonce that cleanup has already deleted as
    // expired, i.e. replay it.
    if challenge_expires_at <= crate::clock::now_ms() {
        return Ok(Decision::Rollback(Spent::Outcome(ProofOutcome::ChallengeNotValid)));
    }
    let spent = tx
        .prepare_cached("INSERT INTO used_challenges (nonce, expires_at) VALUES (?, ?)")?
        .execute((nonce.as_slice(), challenge_expires_at));
    if !unless_duplicate(spent)? {
        return Ok(Decision::Rollback(Spent::Outcome(ProofOutcome::ChallengeNotValid)));
    }
    let locked_until: Option<i64> = tx
        .prepare_cached("SELECT locked_until FROM sign_in_failures WHERE app_id = ? AND username = ?")?
        .query_row([app_id, username], |row| row.get(0))
        .optional()?;
    if let Some(locked_until) = locked_until.filter(|until| *until > now) {
        return Ok(Decision::Rollback(Spent::Outcome(ProofOutcome::Throttled { locked_until })));
    }
    // The account was read before the write lock: a password change (or rename, or deletion, or a
    // first sign-in) committed meanwhile makes this a proof for a key the account no longer has. `None`
    // then, else whether the user is blocked and whether their email is verified.
    let standing: Option<(bool, bool)> = match (verified.map(|user| (user, &user.login)), &effect) {
        (Some((user, Login::Keys(keys))), ProofEffect::OpenSession(_) | ProofEffect::UpdateUser(_)) => tx
            .prepare_cached(
                "SELECT blocked, email_verified FROM users WHERE id = ? AND username = ? AND login_public_key = ?",
            )?
            .query_row((&user.id, &user.username, keys.login_public_key.0.as_slice()), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?,
        (Some((user, Login::Keys(_))), ProofEffect::ResetPassword { recovery_login_public_key, .. }) => tx
            .prepare_cached(
                "SELECT blocked, email_verified FROM users
                 WHERE id = ? AND username = ? AND recovery_login_public_key = ?",
            )?
            .query_row((&user.id, &user.username, recovery_login_public_key.as_slice()), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?,
        (Some((user, Login::Pending(verifier))), ProofEffect::CompleteKeys { .. }) => tx
            .prepare_cached(
                "SELECT u.blocked, u.email_verified FROM users u JOIN pending_logins p ON p.user_id = u.id
                 WHERE u.id = ? AND u.username = ? AND p.public_key = ?",
            )?
            .query_row((&user.id, &user.username, verifier.public_key.0.as_slice()), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?,
        _ => None,
    };
    let Some((user, (blocked, email_verified))) = verified.zip(standing) else {
        // The user's own count (seed 001's login_attempts) beside the throttle's, which also counts
        // usernames no one has.
        tx.prepare_cached(
            "UPDATE users SET login_attempts = MIN(login_attempts + 1, 20000) WHERE app_id = ? AND username = ?",
        )?
        .execute([app_id, username])?;
        let failures: i64 = tx
            .prepare_cached(
                "INSERT INTO sign_in_failures (app_id, username, failures, locked_until, updated_at)
                     VALUES (?, ?, 1, 0, ?)
                     ON CONFLICT (app_id, username)
                     DO UPDATE SET failures = failures + 1, updated_at = excluded.updated_at
                     RETURNING failures",
            )?
            .query_row((app_id, username, now), |row| row.get(0))?;
        let delay = throttle::delay_ms(failures);
        if delay > 0 {
            tx.prepare_cached("UPDATE sign_in_failures SET locked_until = ? WHERE app_id = ? AND username = ?")?
                .execute((now + delay, app_id, username))?;
        }
        return Ok(Decision::Commit(Spent::Outcome(ProofOutcome::Failed)));
    };
    if blocked {
        // A right proof for a blocked user opens nothing and counts nothing.
        return Ok(Decision::Rollback(Spent::Outcome(ProofOutcome::Refused(Refusal::UserBlocked))));
    }
    let opens_session = !matches!(effect, ProofEffect::UpdateUser(_));
    if email_must_be_verified && !email_verified && opens_session {
        // Told only after the throttle and the proof, so it says nothing a wrong password could learn.
        return Ok(Decision::Rollback(Spent::Outcome(ProofOutcome::Refused(Refusal::EmailNotVerified))));
    }
    if locked_until.is_some() {
        tx.prepare_cached("DELETE FROM sign_in_failures WHERE app_id = ? AND username = ?")?
            .execute([app_id, username])?;
    }
    tx.prepare_cached("UPDATE users SET login_attempts = 0 WHERE id = ? AND login_attempts <> 0")?
        .execute([&user.id])?;
    Ok(match effect {
        ProofEffect::OpenSession(session) => {
            insert_session(tx, session)?;
            Decision::Commit(Spent::Accepted(user.clone()))
        }
        ProofEffect::UpdateUser(update) => match apply_update(tx, update)? {
            Ok(updated) => Decision::Commit(Spent::Updated(updated)),
            Err(refusal) => Decision::Rollback(Spent::Outcome(ProofOutcome::Refused(refusal))),
        },
        ProofEffect::ResetPassword { credentials, session, .. } => {
            set_credentials(tx, &user.id, credentials)?;
            tx.prepare_cached("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")?
                .execute((now, &user.id))?;
            insert_session(tx, session)?;
            match user_by_id(tx, &user.id)? {
                Some(reset) => Decision::Commit(Spent::Updated(reset)),
                None => Decision::Rollback(Spent::Outcome(ProofOutcome::Refused(Refusal::UserNotFound))),
            }
        }
        ProofEffect::CompleteKeys { keys, session } => {
            complete_keys(tx, &user.id, keys)?;
            insert_session(tx, session)?;
            match user_by_id(tx, &user.id)? {
                Some(completed) => Decision::Commit(Spent::Updated(completed)),
                None => Decision::Rollback(Spent::Outcome(ProofOutcome::Refused(Refusal::UserNotFound))),
            }
        }
    })
}

/// Stores a pending account's keys and deletes its verifier: from now on it is an ordinary account.
fn complete_keys(tx: &Transaction<'_>, user_id: &str, keys: &AccountKeys) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE users SET kdf_algorithm = 'scrypt', kdf_log_n = ?, kdf_r = ?, kdf_p = ?, kdf_salt = ?,
             login_public_key = ?, seed_backup_nonce = ?, seed_backup_ciphertext = ?,
             identity_signing_public_key = ?, identity_exchange_public_key = ?
         WHERE id = ?",
    )?
    .execute((
        keys.kdf.log_n,
        keys.kdf.r,
        keys.kdf.p,
        keys.kdf.salt.0.as_slice(),
        keys.login_public_key.0.as_slice(),
        keys.seed_backup.nonce.0.as_slice(),
        keys.seed_backup.ciphertext.0.as_slice(),
        keys.identity.signing.0.as_slice(),
        keys.identity.exchange.0.as_slice(),
        user_id,
    ))?;
    tx.prepare_cached("DELETE FROM pending_logins WHERE user_id = ?")?.execute([user_id])?;
    Ok(())
}

/// Whether the session is unrevoked and unexpired (a deleted user took their sessions along).
pub(super) fn session_live(tx: &Transaction<'_>, session_id: &str, now: i64) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?)")?
        .query_row((session_id, now), |row| row.get(0))
}

/// Writes an update's changes and reads the user back, in the caller's transaction; a refusal leaves
/// the caller to roll back.
pub(super) fn apply_update(
    tx: &Transaction<'_>,
    update: &UserUpdate,
) -> rusqlite::Result<Result<UserColumns, Refusal>> {
    if !session_live(tx, &update.session_id, update.now)? {
        return Ok(Err(Refusal::SessionNotLive));
    }
    let id = &update.user_id;
    if let Some(username) = &update.username {
        let renamed = tx.prepare_cached("UPDATE users SET username = ? WHERE id = ?")?.execute([username, id]);
        if !unless_duplicate(renamed)? {
            return Ok(Err(Refusal::UsernameTaken));
        }
    }
    if let Some(email) = &update.email {
        // A changed email is not verified.
        let changed = tx
            .prepare_cached(
                "UPDATE users SET email_verified = email_verified AND email IS ?1, email = ?1, email_key = ?1
                 WHERE id = ?2",
            )?
            .execute((email, id));
        if !unless_duplicate(changed)? {
            return Ok(Err(Refusal::EmailTaken));
        }
    }
    if let Some(profile) = &update.profile {
        tx.prepare_cached("UPDATE users SET profile = ? WHERE id = ?")?
            .execute((profile_json(profile.as_ref()), id))?;
    }
    if let Some(claims) = &update.claims {
        let record = RecordColumns::of(claims.as_ref(), None);
        // A changed phone number is not verified.
        tx.prepare_cached(
            "UPDATE users SET phone_number_verified = phone_number_verified AND phone_number IS ?3,
                 name = ?1, picture = ?2, phone_number = ?3, claims = ?4
             WHERE id = ?5",
        )?
        .execute((&record.name, &record.picture, &record.phone_number, &record.claims, id))?;
    }
    if let Some(metadata) = &update.metadata {
        tx.prepare_cached("UPDATE users SET metadata = ? WHERE id = ?")?.execute((metadata.as_ref().map(json), id))?;
    }
    if let Some(new) = &update.credentials {
        set_credentials(tx, id, new)?;
        tx.prepare_cached("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id != ? AND revoked_at IS NULL")?
            .execute((update.now, id, &update.session_id))?;
    }
    Ok(user_by_id(tx, id)?.ok_or(Refusal::UserNotFound))
}

/// Replaces the password's key material (a change or a reset); the server has not seen this password.
fn set_credentials(tx: &Transaction<'_>, user_id: &str, new: &Credentials) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE users SET kdf_log_n = ?, kdf_r = ?, kdf_p = ?, kdf_salt = ?, login_public_key = ?,
             seed_backup_nonce = ?, seed_backup_ciphertext = ?, password_seen_by_server = 0 WHERE id = ?",
    )?
    .execute((
        new.kdf.log_n,
        new.kdf.r,
        new.kdf.p,
        new.kdf.salt.0.as_slice(),
        new.login_public_key.as_slice(),
        new.seed_backup.nonce.0.as_slice(),
        new.seed_backup.ciphertext.0.as_slice(),
        user_id,
    ))?;
    Ok(())
}

/// What a spent proof came to, its user's columns not yet checked.
#[allow(clippy::large_enum_variant, reason = "made once per proof and consumed at once")]
pub(super) enum Spent {
    Outcome(ProofOutcome),
    Accepted(UserRecord),
    Updated(UserColumns),
}

impl Spent {
    pub(super) fn into_outcome(self) -> StoreResult<ProofOutcome> {
        Ok(match self {
            Self::Outcome(outcome) => outcome,
            Self::Accepted(user) => ProofOutcome::Accepted(user),
            Self::Updated(columns) => ProofOutcome::Accepted(columns.try_into()?),
        })
    }
}
