//! [`Store`] on PostgreSQL. Every re-check that SQLite's single writer made safe is made safe here by
//! the database itself, across every server on it:
//! - uniqueness (usernames, spent nonces, one signing key in use) by unique indexes;
//! - the quota by a conditional `UPDATE` of the app's row, which concurrent sign-ups queue on;
//! - proofs of one (app, username) serialised by a transaction-level advisory lock, so the throttle read
//!   after it sees every earlier attempt;
//! - a proof's account re-checked under a row lock (`FOR SHARE` to open a session, `FOR NO KEY UPDATE`
//!   to change it), so a password change, rename or deletion cannot commit between check and effect;
//! - writes on a session's authority lock the user row first, then read the session with a fresh
//!   snapshot (READ COMMITTED), so a revocation committed meanwhile is seen.
//!
//! Lock order, to keep deadlocks out: the app row before the user row (sign-up, deletion), the
//! advisory lock before the user row (proofs). A deadlock or serialization failure is retried.

use deadpool_postgres::Transaction;
use tokio_postgres::Row;
use zeroize::Zeroizing;

use super::{proof_lock_key, retrying, violates, Failure, PostgresStore, PURGE_LOCK};
use crate::auth::throttle;
use crate::store::*;

const SELECT_APP: &str = "SELECT id, password_min_length, allowed_origins, payments_mode, trial_days, \
                          token_lifetime_secs FROM apps";

fn app_from_row(row: &Row) -> Result<Result<AppRecord, StoreError>, Failure> {
    Ok(AppRecord::from_columns(
        row.try_get(0)?,
        row.try_get::<_, i32>(1)?.into(),
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get::<_, i32>(5)?.into(),
    ))
}

fn user_from_row(row: &Row) -> Result<UserColumns, Failure> {
    Ok(UserColumns {
        id: row.try_get(0)?,
        app_id: row.try_get(1)?,
        username: row.try_get(2)?,
        email: row.try_get(3)?,
        profile: row.try_get(4)?,
        kdf_log_n: row.try_get::<_, i32>(5)?.into(),
        kdf_r: row.try_get::<_, i32>(6)?.into(),
        kdf_p: row.try_get::<_, i32>(7)?.into(),
        kdf_salt: row.try_get(8)?,
        login_public_key: row.try_get(9)?,
        seed_backup_nonce: row.try_get(10)?,
        seed_backup_ciphertext: row.try_get(11)?,
        created_at: row.try_get(12)?,
        trial_expires_at: row.try_get(13)?,
    })
}

/// The first row's user, if any, checked.
fn user(rows: Option<Row>) -> StoreResult<Option<UserRecord>> {
    rows.map(|row| user_from_row(&row).map_err(StoreError::from).and_then(UserRecord::try_from)).transpose()
}

const CURRENT_SIGNING_KEY: &str = "SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL";

fn signing_key(row: Option<Row>) -> StoreResult<Option<SigningKeyRecord>> {
    let key = row.map(|row| {
        Ok::<_, Failure>(SigningKeyRecord { kid: row.try_get(0)?, private_key_der: Zeroizing::new(row.try_get(1)?) })
    });
    Ok(key.transpose()?)
}

/// The session, if unrevoked and unexpired (a deleted user took their sessions along), locked until the
/// commit so a sign-out waits for the write made on its authority rather than landing in between.
const SESSION_LIVE: &str = "SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 FOR SHARE";

/// Writes an update's changes and reads the user back, in the caller's transaction. The user row is
/// locked first, so the session read after it sees any revocation committed by a password change.
/// On a refusal the caller drops (rolls back) the transaction.
async fn apply_update(tx: &Transaction<'_>, update: &UserUpdate) -> Result<Result<UserColumns, Refusal>, Failure> {
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
        let set = tx.prepare_cached("UPDATE users SET email = $1 WHERE id = $2").await?;
        tx.execute(&set, &[email, id]).await?;
    }
    if let Some(profile) = &update.profile {
        let set = tx.prepare_cached("UPDATE users SET profile = $1 WHERE id = $2").await?;
        tx.execute(&set, &[&profile_json(profile.as_ref()), id]).await?;
    }
    if let Some(new) = &update.credentials {
        let set = tx
            .prepare_cached(
                "UPDATE users SET kdf_log_n = $1, kdf_r = $2, kdf_p = $3, kdf_salt = $4, login_public_key = $5,
                     seed_backup_nonce = $6, seed_backup_ciphertext = $7 WHERE id = $8",
            )
            .await?;
        let (log_n, r, p) = (i32::from(new.kdf.log_n), new.kdf.r as i32, new.kdf.p as i32);
        let salt = new.kdf.salt.0.as_slice();
        let key = new.login_public_key.as_slice();
        let (nonce, ciphertext) = (new.seed_backup.nonce.0.as_slice(), new.seed_backup.ciphertext.0.as_slice());
        tx.execute(&set, &[&log_n, &r, &p, &salt, &key, &nonce, &ciphertext, id]).await?;
        let revoke = tx
            .prepare_cached(
                "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL",
            )
            .await?;
        tx.execute(&revoke, &[&update.now, id, &update.session_id]).await?;
    }
    let read = tx.prepare_cached(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1")).await?;
    match tx.query_opt(&read, &[id]).await? {
        Some(row) => Ok(Ok(user_from_row(&row)?)),
        None => Ok(Err(Refusal::UserNotFound)),
    }
}

/// What a spent proof came to, its user's columns not yet checked.
enum Spent {
    Outcome(ProofOutcome),
    Updated(UserColumns),
}

impl PostgresStore {
    /// A sign-in's proof: `sealbase_spend_sign_in` (migrations/postgres/0002), one round trip.
    async fn spend_sign_in(&self, attempt: &ProofAttempt<'_>, session: &NewSession) -> Result<ProofOutcome, Failure> {
        let client = self.pool.get().await?;
        let spend = client
            .prepare_cached(
                "SELECT result, result_locked_until
                 FROM sealbase_spend_sign_in($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .await?;
        let verified = attempt.verified;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 15] = [
            &attempt.app_id,
            &attempt.username,
            &proof_lock_key(attempt.app_id, attempt.username),
            &attempt.nonce.as_slice(),
            &attempt.challenge_expires_at,
            &attempt.now,
            &verified.map(|user| user.id.as_str()),
            &verified.map(|user| user.login_public_key.as_slice()),
            &session.id,
            &session.secret_hash.as_slice(),
            &session.remember_me.as_str(),
            &session.length_hours,
            &session.created_at,
            &session.expires_at,
            &*THROTTLE_DELAYS,
        ];
        let row = client.query_one(&spend, &params).await?;
        Ok(match (row.try_get::<_, &str>(0)?, verified) {
            ("accepted", Some(user)) => ProofOutcome::Accepted(user.clone()),
            ("failed", _) => ProofOutcome::Failed,
            ("challenge-not-valid", _) => ProofOutcome::ChallengeNotValid,
            ("throttled", _) => ProofOutcome::Throttled { locked_until: row.try_get(1)? },
            (other, _) => return Err(Failure::Unexpected(format!("sealbase_spend_sign_in answered {other:?}"))),
        })
    }

    /// A password change's proof, with the update it authorises, in one transaction.
    async fn spend_for_update(&self, attempt: &ProofAttempt<'_>, update: &UserUpdate) -> Result<Spent, Failure> {
        let ProofAttempt { app_id, username, nonce, challenge_expires_at, now, verified } = *attempt;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let lock = tx.prepare_cached("SELECT pg_advisory_xact_lock($1)").await?;
        let spend = tx
            .prepare_cached("INSERT INTO used_challenges (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .await?;
        let throttle = tx
            .prepare_cached("SELECT failures, locked_until FROM sign_in_failures WHERE app_id = $1 AND username = $2")
            .await?;
        let recheck = tx
            .prepare_cached(
                "SELECT 1 FROM users WHERE id = $1 AND username = $2 AND login_public_key = $3 FOR NO KEY UPDATE",
            )
            .await?;
        // One round trip: the lock first, so what the statements after it read is what every earlier
        // proof of this username committed.
        let unchanged = async {
            match verified {
                Some(user) => {
                    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
                        [&user.id, &user.username, &user.login_public_key.as_slice()];
                    Ok(tx.query_opt(&recheck, &params).await?.is_some())
                }
                None => Ok::<_, tokio_postgres::Error>(false),
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
        if verified.is_none() || !unchanged {
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
            tx.commit().await?;
            return Ok(Spent::Outcome(ProofOutcome::Failed));
        }
        if failures.is_some() {
            let clear = tx.prepare_cached("DELETE FROM sign_in_failures WHERE app_id = $1 AND username = $2").await?;
            tx.execute(&clear, &[&app_id, &username]).await?;
        }
        let updated = match apply_update(&tx, update).await? {
            Ok(updated) => updated,
            Err(refusal) => return Ok(Spent::Outcome(ProofOutcome::Refused(refusal))),
        };
        tx.commit().await?;
        Ok(Spent::Updated(updated))
    }
}

/// The throttle's delays as `sealbase_spend_sign_in` takes them: entry n (1-based) after n failures,
/// far enough that the last is the cap.
static THROTTLE_DELAYS: std::sync::LazyLock<Vec<i64>> = std::sync::LazyLock::new(|| {
    let saturated = (1..).find(|&n| throttle::delay_ms(n) == throttle::MAX_DELAY_MS).unwrap_or(1);
    (1..=saturated).map(throttle::delay_ms).collect()
});

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn create_app(&self, app: &NewAppRecord) -> StoreResult<()> {
        let settings = &app.app;
        let allowed_origins = serde_json::to_string(&settings.allowed_origins)
            .unwrap_or_else(|_| unreachable!("a list of strings serialises"));
        let client = self.pool.get().await.map_err(Failure::from)?;
        let insert = "INSERT INTO apps (id, name, admin_token_hash, password_min_length, allowed_origins, user_quota,
                          payments_mode, trial_days, token_lifetime_secs, created_at)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 10] = [
            &app.id,
            &settings.name,
            &app.admin_token_hash.as_slice(),
            &i32::try_from(settings.password_min_length).unwrap_or(i32::MAX),
            &allowed_origins,
            &settings.user_quota.map(i64::from),
            &settings.payments_mode.as_str(),
            &settings.trial_days.map(i64::from),
            &i32::try_from(settings.token_lifetime_secs).unwrap_or(i32::MAX),
            &app.created_at,
        ];
        client.execute(insert, &params).await.map_err(Failure::from)?;
        Ok(())
    }

    async fn app(&self, app_id: &str) -> StoreResult<Option<AppRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client.prepare_cached(&format!("{SELECT_APP} WHERE id = $1")).await.map_err(Failure::from)?;
        let row = client.query_opt(&select, &[&app_id]).await.map_err(Failure::from)?;
        row.map(|row| app_from_row(&row)).transpose()?.transpose()
    }

    async fn app_by_admin_token(&self, token_hash: &SecretHash) -> StoreResult<Option<AppRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select =
            client.prepare_cached(&format!("{SELECT_APP} WHERE admin_token_hash = $1")).await.map_err(Failure::from)?;
        let row = client.query_opt(&select, &[&token_hash.as_slice()]).await.map_err(Failure::from)?;
        row.map(|row| app_from_row(&row)).transpose()?.transpose()
    }

    async fn replace_admin_token(&self, app_id: &str, token_hash: &SecretHash) -> StoreResult<bool> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let updated = client
            .execute("UPDATE apps SET admin_token_hash = $1 WHERE id = $2", &[&token_hash.as_slice(), &app_id])
            .await
            .map_err(Failure::from)?;
        Ok(updated == 1)
    }

    async fn sign_up(&self, new: &NewUser, session: &NewSession) -> StoreResult<SignUpOutcome> {
        let (user, identity) = (&new.record, &new.identity);
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
                     INSERT INTO users (id, app_id, username, email, profile, kdf_algorithm, kdf_log_n, kdf_r,
                         kdf_p, kdf_salt, login_public_key, seed_backup_nonce, seed_backup_ciphertext,
                         identity_signing_public_key, identity_exchange_public_key, created_at, trial_expires_at)
                     SELECT $1::text, id, $3::text, $4::text, $5::text, 'scrypt', $6::integer, $7::integer,
                         $8::integer, $9::bytea, $10::bytea, $11::bytea, $12::bytea, $13::bytea, $14::bytea,
                         $15::bigint, $16::bigint
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
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 22] = [
            &user.id,
            &user.app_id,
            &user.username,
            &user.email,
            &profile,
            &i32::from(user.kdf.log_n),
            &(user.kdf.r as i32),
            &(user.kdf.p as i32),
            &user.kdf.salt.0.as_slice(),
            &user.login_public_key.as_slice(),
            &user.seed_backup.nonce.0.as_slice(),
            &user.seed_backup.ciphertext.0.as_slice(),
            &identity.signing.0.as_slice(),
            &identity.exchange.0.as_slice(),
            &user.created_at,
            &user.trial_expires_at,
            &session.id,
            &session.secret_hash.as_slice(),
            &session.remember_me.as_str(),
            &session.length_hours,
            &session.created_at,
            &session.expires_at,
        ];
        retrying(|| async {
            match client.execute(&insert, &params).await {
                Ok(1) => Ok(SignUpOutcome::Created),
                Ok(_) => Ok(SignUpOutcome::QuotaExceeded),
                Err(error) if violates(&error, "users_username_unique") => Ok(SignUpOutcome::UsernameTaken),
                Err(error) => Err(error.into()),
            }
        })
        .await
    }

    async fn user_by_id(&self, user_id: &str) -> StoreResult<Option<UserRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client
            .prepare_cached(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
            .await
            .map_err(Failure::from)?;
        user(client.query_opt(&select, &[&user_id]).await.map_err(Failure::from)?)
    }

    async fn user_by_username(&self, app_id: &str, username: &str) -> StoreResult<Option<UserRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client
            .prepare_cached(concat!("SELECT ", user_columns!(), " FROM users WHERE app_id = $1 AND username = $2"))
            .await
            .map_err(Failure::from)?;
        user(client.query_opt(&select, &[&app_id, &username]).await.map_err(Failure::from)?)
    }

    async fn spend_proof(&self, attempt: &ProofAttempt<'_>, effect: ProofEffect<'_>) -> StoreResult<ProofOutcome> {
        match effect {
            ProofEffect::OpenSession(session) => retrying(|| self.spend_sign_in(attempt, session)).await,
            ProofEffect::UpdateUser(update) => match retrying(|| self.spend_for_update(attempt, update)).await? {
                Spent::Outcome(outcome) => Ok(outcome),
                Spent::Updated(columns) => Ok(ProofOutcome::Accepted(columns.try_into()?)),
            },
        }
    }

    async fn update_user(&self, update: &UserUpdate) -> StoreResult<Result<UserRecord, Refusal>> {
        let updated = retrying(|| async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let updated = apply_update(&tx, update).await?;
            if updated.is_ok() {
                tx.commit().await?;
            }
            Ok(updated)
        })
        .await?;
        match updated {
            Ok(columns) => Ok(Ok(columns.try_into()?)),
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    async fn delete_user(
        &self,
        app_id: &str,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>> {
        retrying(|| async {
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
        })
        .await
    }

    async fn session_by_secret_hash(&self, secret_hash: &SecretHash, now: i64) -> StoreResult<Option<SessionRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client
            .prepare_cached(
                "SELECT s.id, s.user_id, u.app_id, s.expires_at, s.session_length_hours
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.secret_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
            )
            .await
            .map_err(Failure::from)?;
        let row = client.query_opt(&select, &[&secret_hash.as_slice(), &now]).await.map_err(Failure::from)?;
        let session = row.map(|row| {
            Ok::<_, Failure>(SessionRecord {
                session_id: row.try_get(0)?,
                user_id: row.try_get(1)?,
                app_id: row.try_get(2)?,
                expires_at: row.try_get(3)?,
                length_hours: row.try_get(4)?,
            })
        });
        Ok(session.transpose()?)
    }

    async fn extend_session(
        &self,
        session_id: &str,
        expires_at: i64,
        length_hours: f64,
        now: i64,
    ) -> StoreResult<bool> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let extend = client
            .prepare_cached(
                "UPDATE sessions SET expires_at = $1, session_length_hours = $2
                 WHERE id = $3 AND revoked_at IS NULL AND expires_at > $4",
            )
            .await
            .map_err(Failure::from)?;
        let extended =
            client.execute(&extend, &[&expires_at, &length_hours, &session_id, &now]).await.map_err(Failure::from)?;
        Ok(extended == 1)
    }

    async fn revoke_session(&self, session_id: &str, now: i64) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let revoke = client
            .prepare_cached("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .await
            .map_err(Failure::from)?;
        client.execute(&revoke, &[&now, &session_id]).await.map_err(Failure::from)?;
        Ok(())
    }

    async fn online_check(&self, app_id: &str, user_id: &str, session_id: &str, now: i64) -> StoreResult<OnlineCheck> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let check = client
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND app_id = $2),
                        EXISTS (SELECT 1 FROM sessions
                                WHERE id = $3 AND user_id = $1 AND revoked_at IS NULL AND expires_at > $4)",
            )
            .await
            .map_err(Failure::from)?;
        let row = client.query_one(&check, &[&user_id, &app_id, &session_id, &now]).await.map_err(Failure::from)?;
        Ok(OnlineCheck {
            user_exists: row.try_get(0).map_err(Failure::from)?,
            session_live: row.try_get(1).map_err(Failure::from)?,
        })
    }

    async fn signing_key_or_insert(&self, candidate: &NewSigningKey) -> StoreResult<SigningKeyRecord> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        // The unique index on the key in use makes a concurrent starter's insert do nothing; either
        // way the read after it finds the one key.
        client
            .execute(
                "INSERT INTO signing_keys (kid, private_key, public_key, created_at)
                 SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)
                 ON CONFLICT DO NOTHING",
                &[
                    &candidate.kid,
                    &candidate.private_key_der.as_slice(),
                    &candidate.public_key.as_slice(),
                    &candidate.created_at,
                ],
            )
            .await
            .map_err(Failure::from)?;
        let row = client.query_opt(CURRENT_SIGNING_KEY, &[]).await.map_err(Failure::from)?;
        signing_key(row)?.ok_or_else(|| StoreError::Malformed("no signing key in use".into()))
    }

    async fn current_signing_key(&self) -> StoreResult<Option<SigningKeyRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client.prepare_cached(CURRENT_SIGNING_KEY).await.map_err(Failure::from)?;
        signing_key(client.query_opt(&select, &[]).await.map_err(Failure::from)?)
    }

    async fn rotate_signing_key(&self, new_key: &NewSigningKey, grace_ms: i64) -> StoreResult<()> {
        let now = new_key.created_at;
        retrying(|| async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            // Rotations one at a time: the second retires the first's new key instead of colliding with it.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&super::ROTATION_LOCK]).await?;
            let longest: i64 = tx
                .query_one("SELECT COALESCE(MAX(token_lifetime_secs), 3600)::bigint * 1000 FROM apps", &[])
                .await?
                .try_get(0)?;
            tx.execute(
                "UPDATE signing_keys SET retired_at = $1, publish_until = $2 WHERE retired_at IS NULL",
                &[&now, &(now + longest + grace_ms)],
            )
            .await?;
            tx.execute(
                "INSERT INTO signing_keys (kid, private_key, public_key, created_at) VALUES ($1, $2, $3, $4)",
                &[&new_key.kid, &new_key.private_key_der.as_slice(), &new_key.public_key.as_slice(), &now],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn published_keys(&self, now: i64) -> StoreResult<Vec<PublishedKey>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client
            .prepare_cached(
                "SELECT kid, public_key FROM signing_keys WHERE retired_at IS NULL OR publish_until > $1
                 ORDER BY created_at DESC, kid",
            )
            .await
            .map_err(Failure::from)?;
        let rows = client.query(&select, &[&now]).await.map_err(Failure::from)?;
        let rows = rows
            .iter()
            .map(|row| Ok::<_, Failure>((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, _>>()?;
        published(rows)
    }

    async fn server_secret_or_insert(
        &self,
        name: &str,
        candidate: &[u8; 32],
        now: i64,
    ) -> StoreResult<Zeroizing<[u8; 32]>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        client
            .execute(
                "INSERT INTO server_secrets (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                &[&name, &candidate.as_slice(), &now],
            )
            .await
            .map_err(Failure::from)?;
        let row = client
            .query_one("SELECT secret FROM server_secrets WHERE name = $1", &[&name])
            .await
            .map_err(Failure::from)?;
        let stored: Zeroizing<Vec<u8>> = Zeroizing::new(row.try_get(0).map_err(Failure::from)?);
        secret_bytes(name, &stored)
    }

    async fn purge(&self, now: i64) -> StoreResult<bool> {
        retrying(|| async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            // One server at a time; the others skip this round.
            let locked: bool =
                tx.query_one("SELECT pg_try_advisory_xact_lock($1)", &[&PURGE_LOCK]).await?.try_get(0)?;
            if !locked {
                return Ok(false);
            }
            let week_ago = now - PURGE_SESSIONS_AFTER_MS;
            tx.execute("DELETE FROM used_challenges WHERE expires_at < $1", &[&(now - NONCE_PURGE_GRACE_MS)]).await?;
            tx.execute("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1", &[&week_ago]).await?;
            tx.execute(
                "DELETE FROM sign_in_failures WHERE updated_at < $1 AND locked_until < $2",
                &[&(now - PURGE_FAILURES_AFTER_MS), &now],
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}
