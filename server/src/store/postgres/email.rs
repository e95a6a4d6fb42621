//! Email verification on PostgreSQL: the verification row is locked while it is checked and spent, so
//! one verification works once across every server.

use subtle::ConstantTimeEq;

use super::{Failure, PostgresStore};
use crate::auth::email_verification::MAX_WRONG_CODES;
use crate::store::*;

impl PostgresStore {
    /// One attempt at [`Store::start_email_verification`].
    pub(super) async fn start_email_verification_once(&self, v: &NewEmailVerification) -> Result<bool, Failure> {
        let client = self.pool.get().await?;
        // One statement: stored only while the user's email is the verification's.
        let upsert = client
            .prepare_cached(
                "INSERT INTO email_verifications (user_id, email, token_hash, code_hash, created_at, expires_at)
                 SELECT id, email, $3, $4, $5, $6 FROM users WHERE id = $1 AND email = $2
                 ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, token_hash = excluded.token_hash,
                     code_hash = excluded.code_hash, wrong_codes = 0, created_at = excluded.created_at,
                     expires_at = excluded.expires_at, used_at = NULL",
            )
            .await?;
        let (token, code) = (v.token_hash.as_slice(), v.code_hash.as_slice());
        let stored =
            client.execute(&upsert, &[&v.user_id, &v.email, &token, &code, &v.created_at, &v.expires_at]).await?;
        Ok(stored == 1)
    }

    /// One attempt at [`Store::confirm_email`].
    pub(super) async fn confirm_email_once(
        &self,
        proof: &EmailProof<'_>,
        now: i64,
    ) -> Result<EmailConfirmation, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let wrong_max = MAX_WRONG_CODES as i32;
        let row = match proof {
            EmailProof::Token { app_id, token_hash } => {
                let select = tx
                    .prepare_cached(
                        "SELECT v.user_id, v.email, v.code_hash FROM email_verifications v JOIN users u ON u.id = v.user_id
                         WHERE v.token_hash = $1 AND u.app_id = $4
                             AND v.used_at IS NULL AND v.expires_at > $2 AND v.wrong_codes < $3
                         FOR UPDATE OF v",
                    )
                    .await?;
                tx.query_opt(&select, &[&token_hash.as_slice(), &now, &wrong_max, app_id]).await?
            }
            EmailProof::Code { user_id, .. } => {
                let select = tx
                    .prepare_cached(
                        "SELECT user_id, email, code_hash FROM email_verifications
                         WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2 AND wrong_codes < $3
                         FOR UPDATE",
                    )
                    .await?;
                tx.query_opt(&select, &[user_id, &now, &wrong_max]).await?
            }
        };
        let Some(row) = row else { return Ok(EmailConfirmation::NotValid) };
        let (user_id, email, stored_code): (String, String, Vec<u8>) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if let EmailProof::Code { code_hash, .. } = proof {
            if !bool::from(code_hash.as_slice().ct_eq(&stored_code)) {
                let count = tx
                    .prepare_cached("UPDATE email_verifications SET wrong_codes = wrong_codes + 1 WHERE user_id = $1")
                    .await?;
                tx.execute(&count, &[&user_id]).await?;
                tx.commit().await?;
                return Ok(EmailConfirmation::WrongCode);
            }
        }
        let verify = tx
            .prepare_cached("UPDATE users SET email_verified = true, verify_email = false WHERE id = $1 AND email = $2")
            .await?;
        if tx.execute(&verify, &[&user_id, &email]).await? == 0 {
            return Ok(EmailConfirmation::NotValid);
        }
        let spend = tx.prepare_cached("UPDATE email_verifications SET used_at = $1 WHERE user_id = $2").await?;
        tx.execute(&spend, &[&now, &user_id]).await?;
        tx.commit().await?;
        Ok(EmailConfirmation::Verified { user_id })
    }
}
