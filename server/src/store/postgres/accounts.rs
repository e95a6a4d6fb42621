//! Writes on an account on PostgreSQL: a proof spent with what it authorises, and updates made on a
//! session's authority (see `use_cases.rs` for the locking rules they follow).

use deadpool_postgres::Transaction;
use sealbase::protocol::AccountKeys;

use super::use_cases::user_from_row;
use super::users_api::link_identities;
use super::{proof_lock_key, retrying, violates, Failure, PostgresStore};
use crate::auth::throttle;
use crate::store::*;

/// The session, if unrevoked and unexpired (a deleted user took their sessions along), locked until the
/// commit so a sign-out waits for the write made on its authority rather than landing in between.
const SESSION_LIVE: &str = "SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 FOR SHARE";

/// Writes an update's changes and reads the user back, in the caller's transaction. The user row is
/// locked first, so the session read after it sees any revocation committed by a password change.
/// On a refusal the caller drops (rolls back) the transaction.
pub(super) async fn apply_update(
    tx: &Transaction<'_>,
    update: &UserUpdate,
) -> Result<Result<UserColumns, Refusal>, Failure> {
    let id = &update.user_id;
    let lock = tx.prepare_cached("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE").await?;
    let exists = tx.query_opt(&lock, &[id]).await?.is_some();
    let live = tx.prepare_cached(SESSION_LIVE).await?;
    if tx.query_opt(&live, &[&update.session_id, &update.now]).await?.is_none() {
        return Ok(Err(Refusal::SessionNotLive));
    }
    if !exists {
        return Ok(Err(Refusal::UserNotFound));
    }
    if let Some(username) = &update.username {
        let rename = tx.prepare_cached("UPDATE users SET username = $1 WHERE id = $2").await?;
        match tx.execute(&rename, &[username, id]).await {
            Err(error) if violates(&error, "users_username_unique") => return Ok(Err(Refusal::UsernameTaken)),
            other => other?,
        };
    }
    if let Some(email) = &update.email {
        // A changed email is not verified.
        let set = tx
            .prepare_cached(
                "UPDATE users SET email_verified = email_verified AND email IS NOT DISTINCT FROM $1, email = $1,
                     email_key = $1
                 WHERE id = $2",
            )
            .await?;
        match tx.execute(&set, &[email, id]).await {
            Err(error) if violates(&error, "users_email_unique") => return Ok(Err(Refusal::EmailTaken)),
            other => other?,
        };
    }
    if let Some(profile) = &update.profile {
        let set = tx.prepare_cached("UPDATE users SET profile = $1 WHERE id = $2").await?;
        tx.execute(&set, &[&profile_json(profile.as_ref()), id]).await?;
    }
    if let Some(claims) = &update.claims {
        let record = RecordColumns::of(claims.as_ref(), None);
        // A changed phone number is not verified.
        let set = tx
            .prepare_cached(
                "UPDATE users SET
                     phone_number_verified = phone_number_verified AND phone_number IS NOT DISTINCT FROM $3,
                     name = $1, picture = $2, phone_number = $3, claims = $4
                 WHERE id = $5",
            )
            .await?;
        tx.execute(&set, &[&record.name, &record.picture, &record.phone_number, &record.claims, id]).await?;
    }
    if let Some(metadata) = &update.metadata {
        let set = tx.prepare_cached("UPDATE users SET metadata = $1 WHERE id = $2").await?;
        tx.execute(&set, &[&metadata.as_ref().map(json), id]).await?;
    }
    if let Some(new) = &update.credentials {
        set_credentials(tx, id, new).await?;
        let revoke = tx
            .prepare_cached(
                "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL",
            )
            .await?;
        tx.execute(&revoke, &[&update.now, id, &update.session_id]).await?;
    }
    let read = tx.prepare_cached(select_user!("u.id = $1")).await?;
    match tx.query_opt(&read, &[id]).await? {
        Some(row) => Ok(Ok(user_from_row(&row)?)),
        None => Ok(Err(Refusal::UserNotFound)),
    }
}

/// Replaces the password's key material (a change or a reset); the server has not seen this password.
async fn set_credentials(tx: &Transaction<'_>, user_id: &str, new: &Credentials) -> Result<(), Failure> {
    let set = tx
        .prepare_cached(
            "UPDATE users SET kdf_log_n = $1, kdf_r = $2, kdf_p = $3, kdf_salt = $4, login_public_key = $5,
                 seed_backup_nonce = $6, seed_backup_ciphertext = $7, password_seen_by_server = false
             WHERE id = $8",
        )
        .await?;
    let (log_n, r, p) = (i32::from(new.kdf.log_n), new.kdf.r as i32, new.kdf.p as i32);
    let salt = new.kdf.salt.0.as_slice();
    let key = new.login_public_key.as_slice();
    let (nonce, ciphertext) = (new.seed_backup.nonce.0.as_slice(), new.seed_backup.ciphertext.0.as_slice());
    tx.execute(&set, &[&log_n, &r, &p, &salt, &key, &nonce, &ciphertext, &user_id]).await?;
    Ok(())
}

/// A password reset: the new credentials, every session of the user revoked, the new one opened; the
/// user read back.
async fn reset_password(
    tx: &Transaction<'_>,
    user_id: &str,
    credentials: &Credentials,
    session: &NewSession,
    now: i64,
) -> Result<UserColumns, Failure> {
    set_credentials(tx, user_id, credentials).await?;
    let revoke =
        tx.prepare_cached("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL").await?;
    tx.execute(&revoke, &[&now, &user_id]).await?;
    open_session(tx, user_id, session).await?;
    let read = tx.prepare_cached(select_user!("u.id = $1")).await?;
    user_from_row(&tx.query_one(&read, &[&user_id]).await?)
}

/// Stores a pending account's keys in place of its verifier, opens the session, and reads the user back.
async fn complete_keys(
    tx: &Transaction<'_>,
    user_id: &str,
    keys: &AccountKeys,
    session: &NewSession,
) -> Result<UserColumns, Failure> {
    let store = tx
        .prepare_cached(
            "UPDATE users SET kdf_algorithm = 'scrypt', kdf_log_n = $1, kdf_r = $2, kdf_p = $3, kdf_salt = $4,
                 login_public_key = $5, seed_backup_nonce = $6, seed_backup_ciphertext = $7,
                 identity_signing_public_key = $8, identity_exchange_public_key = $9
             WHERE id = $10",
        )
        .await?;
    let (log_n, r, p) = (i32::from(keys.kdf.log_n), keys.kdf.r as i32, keys.kdf.p as i32);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 10] = [
        &log_n,
        &r,
        &p,
        &keys.kdf.salt.0.as_slice(),
        &keys.login_public_key.0.as_slice(),
        &keys.seed_backup.nonce.0.as_slice(),
        &keys.seed_backup.ciphertext.0.as_slice(),
        &keys.identity.signing.0.as_slice(),
        &keys.identity.exchange.0.as_slice(),
        &user_id,
    ];
    tx.execute(&store, &params).await?;
    let forget = tx.prepare_cached("DELETE FROM pending_logins WHERE user_id = $1").await?;
    tx.execute(&forget, &[&user_id]).await?;
    open_session(tx, user_id, session).await?;
    let read = tx.prepare_cached(select_user!("u.id = $1")).await?;
    user_from_row(&tx.query_one(&read, &[&user_id]).await?)
}

/// Stores a session opened by a proof's transaction.
async fn open_session(tx: &Transaction<'_>, user_id: &str, session: &NewSession) -> Result<(), Failure> {
    let open = tx
        .prepare_cached(
            "INSERT INTO sessions (id, user_id, secret_hash, remember_me, session_length_hours, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
        &session.id,
        &user_id,
        &session.secret_hash.as_slice(),
        &session.remember_me.as_str(),
        &session.length_hours,
        &session.created_at,
        &session.expires_at,
    ];
    tx.execute(&open, &params).await?;
    Ok(())
}

/// What a spent proof came to, its user's columns not yet checked.
#[allow(clippy::large_enum_variant, reason = "made once per proof and consumed at once")]
pub(super) enum Spent {
    Outcome(ProofOutcome),
    Updated(UserColumns),
}

impl PostgresStore {
    /// Sign-up as one statement (see [`Store::sign_up`]).
    pub(super) async fn sign_up_one_statement(
        &self,
        user: &UserRecord,
        session: &NewSession,
    ) -> StoreResult<SignUpOutcome> {
        let Some(keys) = user.keys() else { return Err(StoreError::Malformed("a sign-up without keys".into())) };
        // One statement, so one round trip and atomic on its own: the quota's count goes first (the app
        // row is locked before any user row, as in a deletion), then the user, then the session.
        let profile = profile_json(user.profile.as_ref());
        let client = self.pool.get().await.map_err(Failure::from)?;
        let insert = client
            .prepare_cached(
                "WITH counted AS (
                     UPDATE apps SET user_count = user_count + 1
                     WHERE id = $2 AND (user_quota IS NULL OR user_count < user_quota)
                     RETURNING id
                 ), created AS (
                     INSERT INTO users (id, app_id, username, email, email_key, profile, kdf_algorithm, kdf_log_n,
                         kdf_r, kdf_p, kdf_salt, login_public_key, seed_backup_nonce, seed_backup_ciphertext,
                         identity_signing_public_key, identity_exchange_public_key, created_at, trial_expires_at,
                         name, picture, phone_number, claims, metadata)
                     SELECT $1::text, id, $3::text, $4::text, $4::text, $5::text, 'scrypt', $6::integer, $7::integer,
                         $8::integer, $9::bytea, $10::bytea, $11::bytea, $12::bytea, $13::bytea, $14::bytea,
                         $15::bigint, $16::bigint, $23::text, $24::text, $25::text, $26::text, $27::text
                     FROM counted
                     RETURNING id
                 )
                 INSERT INTO sessions (id, user_id, secret_hash, remember_me, session_length_hours, created_at,
                     expires_at)
                 SELECT $17::text, id, $18::bytea, $19::text, $20::double precision, $21::bigint, $22::bigint
                 FROM created",
            )
            .await
            .map_err(Failure::from)?;
        let record = RecordColumns::of(user.claims.as_ref(), user.metadata.as_ref());
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 27] = [
            &user.id,
            &user.app_id,
            &user.username,
            &user.email,
            &profile,
            &i32::from(keys.kdf.log_n),
            &(keys.kdf.r as i32),
            &(keys.kdf.p as i32),
            &keys.kdf.salt.0.as_slice(),
            &keys.login_public_key.0.as_slice(),
            &keys.seed_backup.nonce.0.as_slice(),
            &keys.seed_backup.ciphertext.0.as_slice(),
            &keys.identity.signing.0.as_slice(),
            &keys.identity.exchange.0.as_slice(),
            &user.created_at,
            &user.trial_expires_at,
            &session.id,
            &session.secret_hash.as_slice(),
            &session.remember_me.as_str(),
            &session.length_hours,
            &session.created_at,
            &session.expires_at,
            &record.name,
            &record.picture,
            &record.phone_number,
            &record.claims,
            &record.metadata,
        ];
        retrying(|| async {
            match client.execute(&insert, &params).await {
                Ok(1) => Ok(SignUpOutcome::Created),
                Ok(_) => Ok(SignUpOutcome::QuotaExceeded),
                Err(error) if violates(&error, "users_username_unique") => Ok(SignUpOutcome::UsernameTaken),
                Err(error) if violates(&error, "users_email_unique") => Ok(SignUpOutcome::EmailTaken),
                Err(error) => Err(error.into()),
            }
        })
        .await
    }

    /// One attempt at [`Store::delete_user`].
    pub(super) async fn delete_user_once(
        &self,
        app_id: &str,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<Result<(), Refusal>, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // The app row first, as sign-up takes it: then the user row.
        let uncount = tx.prepare_cached("UPDATE apps SET user_count = user_count - 1 WHERE id = $1").await?;
        tx.execute(&uncount, &[&app_id]).await?;
        let lock = tx.prepare_cached("SELECT 1 FROM users WHERE id = $1 AND app_id = $2 FOR UPDATE").await?;
        let exists = tx.query_opt(&lock, &[&user_id, &app_id]).await?.is_some();
        let live = tx.prepare_cached(SESSION_LIVE).await?;
        if tx.query_opt(&live, &[&session_id, &now]).await?.is_none() {
            return Ok(Err(Refusal::SessionNotLive));
        }
        if !exists {
            return Ok(Err(Refusal::UserNotFound));
        }
        let delete = tx.prepare_cached("DELETE FROM users WHERE id = $1").await?;
        tx.execute(&delete, &[&user_id]).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// One attempt at [`Store::set_recovery`]: the user row locked first, then the session, as every
    /// write on a session's authority.
    pub(super) async fn set_recovery_once(
        &self,
        user_id: &str,
        session_id: &str,
        recovery: &StoredRecovery,
        replaces: Option<&[u8; 32]>,
        now: i64,
    ) -> Result<Result<(), Refusal>, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let lock =
            tx.prepare_cached("SELECT recovery_login_public_key FROM users WHERE id = $1 FOR NO KEY UPDATE").await?;
        let current = tx.query_opt(&lock, &[&user_id]).await?;
        let live = tx.prepare_cached(SESSION_LIVE).await?;
        if tx.query_opt(&live, &[&session_id, &now]).await?.is_none() {
            return Ok(Err(Refusal::SessionNotLive));
        }
        let Some(current) = current else {
            return Ok(Err(Refusal::UserNotFound));
        };
        let current: Option<Vec<u8>> = current.try_get(0)?;
        if current.as_deref() != replaces.map(|key| key.as_slice()) {
            return Ok(Err(Refusal::RecoveryKeyChanged));
        }
        let set = tx
            .prepare_cached(
                "UPDATE users SET recovery_salt = $1, recovery_login_public_key = $2, recovery_backup_nonce = $3,
                     recovery_backup_ciphertext = $4, recovery_created_at = $5
                 WHERE id = $6",
            )
            .await?;
        let (salt, key) = (recovery.salt.as_slice(), recovery.login_public_key.as_slice());
        let (nonce, ciphertext) =
            (recovery.seed_backup.nonce.0.as_slice(), recovery.seed_backup.ciphertext.0.as_slice());
        tx.execute(&set, &[&salt, &key, &nonce, &ciphertext, &recovery.created_at, &user_id]).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// A sign-in's proof: `sealbase_spend_sign_in` (its latest form: the 16-argument overload of
    /// migrations/postgres/0009), one round trip.
    pub(super) async fn spend_sign_in(
        &self,
        attempt: &ProofAttempt<'_>,
        session: &NewSession,
    ) -> Result<ProofOutcome, Failure> {
        let client = self.pool.get().await?;
        let spend = client
            .prepare_cached(
                "SELECT result, result_locked_until
                 FROM sealbase_spend_sign_in($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .await?;
        let verified = attempt.verified;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 16] = [
            &attempt.app_id,
            &attempt.username,
            &proof_lock_key(attempt.app_id, attempt.username),
            &attempt.nonce.as_slice(),
            &attempt.challenge_expires_at,
            &attempt.now,
            &verified.map(|user| user.id.as_str()),
            &verified.and_then(UserRecord::keys).map(|keys| keys.login_public_key.0.as_slice()),
            &session.id,
            &session.secret_hash.as_slice(),
            &session.remember_me.as_str(),
            &session.length_hours,
            &session.created_at,
            &session.expires_at,
            &*THROTTLE_DELAYS,
            &attempt.email_must_be_verified,
        ];
        let row = client.query_one(&spend, &params).await?;
        Ok(match (row.try_get::<_, &str>(0)?, verified) {
            ("accepted", Some(user)) => ProofOutcome::Accepted(user.clone()),
            ("failed", _) => ProofOutcome::Failed,
            ("challenge-not-valid", _) => ProofOutcome::ChallengeNotValid,
            ("throttled", _) => ProofOutcome::Throttled { locked_until: row.try_get(1)? },
            ("blocked", _) => ProofOutcome::Refused(Refusal::UserBlocked),
            ("email-not-verified", _) => ProofOutcome::Refused(Refusal::EmailNotVerified),
            (other, _) => return Err(Failure::Unexpected(format!("sealbase_spend_sign_in answered {other:?}"))),
        })
    }

    /// A password change's proof with the update it authorises, or a first sign-in's with the keys it
    /// stores and the session it opens, in one transaction.
    pub(super) async fn spend_in_transaction(
        &self,
        attempt: &ProofAttempt<'_>,
        effect: ProofEffect<'_>,
    ) -> Result<Spent, Failure> {
        let ProofAttempt { app_id, username, nonce, challenge_expires_at, now, verified, email_must_be_verified } =
            *attempt;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let lock = tx.prepare_cached("SELECT pg_advisory_xact_lock($1)").await?;
        let spend = tx
            .prepare_cached("INSERT INTO used_challenges (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .await?;
        let throttle = tx
            .prepare_cached("SELECT failures, locked_until FROM sign_in_failures WHERE app_id = $1 AND username = $2")
            .await?;
        // The key the proof was checked against: the login key for an update, the verifier for a first
        // sign-in (which a committed first sign-in has deleted).
        let (recheck, proof_key) = match (effect, verified.map(|user| &user.login)) {
            (ProofEffect::CompleteKeys { .. }, Some(Login::Pending(verifier))) => (
                "SELECT u.blocked, u.email_verified FROM users u JOIN pending_logins p ON p.user_id = u.id
                 WHERE u.id = $1 AND u.username = $2 AND p.public_key = $3 FOR NO KEY UPDATE OF u",
                Some(verifier.public_key.0.as_slice()),
            ),
            (ProofEffect::ResetPassword { recovery_login_public_key, .. }, Some(Login::Keys(_))) => (
                "SELECT blocked, email_verified FROM users
                 WHERE id = $1 AND username = $2 AND recovery_login_public_key = $3 FOR NO KEY UPDATE",
                Some(recovery_login_public_key.as_slice()),
            ),
            (ProofEffect::UpdateUser(_) | ProofEffect::OpenSession(_), Some(Login::Keys(keys))) => (
                "SELECT blocked, email_verified FROM users WHERE id = $1 AND username = $2 AND login_public_key = $3
                 FOR NO KEY UPDATE",
                Some(keys.login_public_key.0.as_slice()),
            ),
            _ => ("SELECT false, false WHERE false", None),
        };
        let recheck = tx.prepare_cached(recheck).await?;
        // One round trip: the lock first, so what the statements after it read is what every earlier
        // proof of this username committed. `None` if the account changed, else whether it is blocked and
        // whether its email is verified.
        let unchanged = async {
            match (verified, proof_key) {
                (Some(user), Some(key)) => {
                    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&user.id, &user.username, &key];
                    let row = tx.query_opt(&recheck, &params).await?;
                    row.map(|row| Ok((row.try_get::<_, bool>(0)?, row.try_get::<_, bool>(1)?))).transpose()
                }
                _ => Ok::<_, tokio_postgres::Error>(None),
            }
        };
        let lock_key = proof_lock_key(app_id, username);
        let nonce = nonce.as_slice();
        let lock_params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&lock_key];
        let spend_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&nonce, &challenge_expires_at];
        let throttle_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&app_id, &username];
        let (_, spent, failures, unchanged) = tokio::try_join!(
            biased;
            tx.execute(&lock, &lock_params),
            tx.execute(&spend, &spend_params),
            tx.query_opt(&throttle, &throttle_params),
            unchanged,
        )?;
        // The expiry again, on the clock of now that the lock is held: a request that waited past it
        // could otherwise spend a nonce that cleanup has already deleted as expired, i.e. replay it.
        if spent == 0 || challenge_expires_at <= crate::clock::now_ms() {
            return Ok(Spent::Outcome(ProofOutcome::ChallengeNotValid));
        }
        let failures = failures.map(|row| Ok::<_, Failure>((row.try_get::<_, i64>(0)?, row.try_get::<_, i64>(1)?)));
        let failures = failures.transpose()?;
        if let Some((_, locked_until)) = failures.filter(|(_, until)| *until > now) {
            return Ok(Spent::Outcome(ProofOutcome::Throttled { locked_until }));
        }
        let Some((user, (blocked, email_verified))) = verified.zip(unchanged) else {
            // Under the advisory lock, so the count read above is still the count.
            let (count, previous_until) = failures.map_or((1, 0), |(count, until)| (count + 1, until));
            let delay = throttle::delay_ms(count);
            let locked_until = if delay > 0 { now + delay } else { previous_until };
            let record = tx
                .prepare_cached(
                    "INSERT INTO sign_in_failures (app_id, username, failures, locked_until, updated_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (app_id, username) DO UPDATE SET failures = excluded.failures,
                         locked_until = excluded.locked_until, updated_at = excluded.updated_at",
                )
                .await?;
            tx.execute(&record, &[&app_id, &username, &count, &locked_until, &now]).await?;
            // The user's own count (seed 001's login_attempts) beside the throttle's.
            let count_user = tx
                .prepare_cached(
                    "UPDATE users SET login_attempts = LEAST(login_attempts + 1, 20000)
                     WHERE app_id = $1 AND username = $2",
                )
                .await?;
            tx.execute(&count_user, &[&app_id, &username]).await?;
            tx.commit().await?;
            return Ok(Spent::Outcome(ProofOutcome::Failed));
        };
        if blocked {
            // A right proof for a blocked user opens nothing and counts nothing (rolled back).
            return Ok(Spent::Outcome(ProofOutcome::Refused(Refusal::UserBlocked)));
        }
        if email_must_be_verified && !email_verified && !matches!(effect, ProofEffect::UpdateUser(_)) {
            // Told only after the throttle and the proof (rolled back), as at sign-in.
            return Ok(Spent::Outcome(ProofOutcome::Refused(Refusal::EmailNotVerified)));
        }
        if failures.is_some() {
            let clear = tx.prepare_cached("DELETE FROM sign_in_failures WHERE app_id = $1 AND username = $2").await?;
            tx.execute(&clear, &[&app_id, &username]).await?;
        }
        let reset =
            tx.prepare_cached("UPDATE users SET login_attempts = 0 WHERE id = $1 AND login_attempts <> 0").await?;
        tx.execute(&reset, &[&user.id]).await?;
        let updated = match effect {
            ProofEffect::UpdateUser(update) => match apply_update(&tx, update).await? {
                Ok(updated) => updated,
                Err(refusal) => return Ok(Spent::Outcome(ProofOutcome::Refused(refusal))),
            },
            ProofEffect::CompleteKeys { keys, session } => complete_keys(&tx, &user.id, keys, session).await?,
            ProofEffect::ResetPassword { credentials, session, .. } => {
                reset_password(&tx, &user.id, credentials, session, now).await?
            }
            ProofEffect::OpenSession(_) => {
                return Err(Failure::Unexpected("a sign-in's proof outside sealbase_spend_sign_in".into()));
            }
        };
        tx.commit().await?;
        Ok(Spent::Updated(updated))
    }

    /// One attempt at [`Store::create_user`].
    pub(super) async fn create_user_once(&self, account: &NewAccount) -> Result<CreateUserOutcome, Failure> {
        let (user, details) = (&account.user, &account.details);
        let Login::Pending(verifier) = &user.login else {
            return Err(Failure::Unexpected("an app backend's user with keys".into()));
        };
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // The app row first, as a sign-up takes it.
        let count = tx
            .prepare_cached(
                "UPDATE apps SET user_count = user_count + 1
                 WHERE id = $1 AND (user_quota IS NULL OR user_count < user_quota)",
            )
            .await?;
        if tx.execute(&count, &[&user.app_id]).await? == 0 {
            return Ok(CreateUserOutcome::QuotaExceeded);
        }
        let insert = tx
            .prepare_cached(
                "INSERT INTO users (id, app_id, username, email, email_key, profile, created_at, trial_expires_at,
                     password_seen_by_server, name, picture, phone_number, phone_number_verified, email_verified,
                     verify_email, blocked, login_attempts, claims, metadata)
                 VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            )
            .await?;
        let profile = profile_json(user.profile.as_ref());
        let claims = details.profile.as_ref().map(json);
        let metadata = details.metadata.as_ref().map(json);
        let login_attempts = i32::try_from(details.login_attempts).unwrap_or(i32::MAX);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 18] = [
            &user.id,
            &user.app_id,
            &user.username,
            &user.email,
            &profile,
            &user.created_at,
            &user.trial_expires_at,
            &user.password_seen_by_server,
            &details.name,
            &details.picture,
            &details.phone_number,
            &details.phone_number_verified,
            &details.email_verified,
            &details.verify_email,
            &details.blocked,
            &login_attempts,
            &claims,
            &metadata,
        ];
        match tx.execute(&insert, &params).await {
            Err(error) if violates(&error, "users_username_unique") => return Ok(CreateUserOutcome::UsernameTaken),
            Err(error) if violates(&error, "users_email_unique") => return Ok(CreateUserOutcome::EmailTaken),
            other => other?,
        };
        let pending = tx
            .prepare_cached(
                "INSERT INTO pending_logins (user_id, params, public_key, created_at) VALUES ($1, $2, $3, $4)",
            )
            .await?;
        let verifier_params = json(&verifier.params);
        tx.execute(&pending, &[&user.id, &verifier_params, &verifier.public_key.0.as_slice(), &user.created_at])
            .await?;
        if let Some(position) = link_identities(&tx, &user.id, &user.app_id, &details.identities).await? {
            return Ok(CreateUserOutcome::IdentityTaken(position));
        }
        tx.commit().await?;
        Ok(CreateUserOutcome::Created)
    }
}

/// The throttle's delays as `sealbase_spend_sign_in` takes them: entry n (1-based) after n failures,
/// far enough that the last is the cap.
static THROTTLE_DELAYS: std::sync::LazyLock<Vec<i64>> = std::sync::LazyLock::new(|| {
    let saturated = (1..).find(|&n| throttle::delay_ms(n) == throttle::MAX_DELAY_MS).unwrap_or(1);
    (1..=saturated).map(throttle::delay_ms).collect()
});
