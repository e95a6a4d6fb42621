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

use sealbase::crypto::SeedBackup;
use sealbase::protocol::b64::Bytes;
use tokio_postgres::Row;
use zeroize::Zeroizing;

use super::accounts::{apply_update, Spent};
use super::users_api;
use super::{retrying, violates, Failure, PostgresStore, PURGE_LOCK};
use crate::store::*;

const SELECT_APP: &str = "SELECT id, password_min_length, allowed_origins, payments_mode, trial_days, \
                          token_lifetime_secs, password_complexity, require_verified_email FROM apps";

fn app_from_row(row: &Row) -> Result<Result<AppRecord, StoreError>, Failure> {
    Ok(AppRecord::from_columns(
        row.try_get(0)?,
        row.try_get::<_, i32>(1)?.into(),
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get::<_, i32>(5)?.into(),
        row.try_get::<_, i32>(6)?.into(),
        row.try_get(7)?,
    ))
}

fn app_secret_from_row(row: &Row) -> Result<Result<AppSecretRecord, StoreError>, Failure> {
    Ok(AppSecretRecord::from_columns(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
    ))
}

pub(super) fn user_from_row(row: &Row) -> Result<UserColumns, Failure> {
    let small = |index| Ok::<_, Failure>(row.try_get::<_, Option<i32>>(index)?.map(i64::from));
    Ok(UserColumns {
        id: row.try_get(0)?,
        app_id: row.try_get(1)?,
        username: row.try_get(2)?,
        email: row.try_get(3)?,
        profile: row.try_get(4)?,
        kdf_log_n: small(5)?,
        kdf_r: small(6)?,
        kdf_p: small(7)?,
        kdf_salt: row.try_get(8)?,
        login_public_key: row.try_get(9)?,
        seed_backup_nonce: row.try_get(10)?,
        seed_backup_ciphertext: row.try_get(11)?,
        identity_signing_public_key: row.try_get(12)?,
        identity_exchange_public_key: row.try_get(13)?,
        created_at: row.try_get(14)?,
        trial_expires_at: row.try_get(15)?,
        password_seen_by_server: row.try_get(16)?,
        email_verified: row.try_get(17)?,
        name: row.try_get(18)?,
        picture: row.try_get(19)?,
        phone_number: row.try_get(20)?,
        phone_number_verified: row.try_get(21)?,
        claims: row.try_get(22)?,
        metadata: row.try_get(23)?,
        pending_params: row.try_get(24)?,
        pending_public_key: row.try_get(25)?,
    })
}

/// The first row's user, if any, checked.
fn user(rows: Option<Row>) -> StoreResult<Option<UserRecord>> {
    rows.map(|row| user_from_row(&row).map_err(StoreError::from).and_then(UserRecord::try_from)).transpose()
}

const CURRENT_SIGNING_KEY: &str = "SELECT kid, private_key, sealed FROM signing_keys WHERE retired_at IS NULL";

fn signing_key(row: Option<Row>) -> StoreResult<Option<SigningKeyRecord>> {
    let key = row.map(|row| {
        Ok::<_, Failure>(SigningKeyRecord {
            kid: row.try_get(0)?,
            private_key: Zeroizing::new(row.try_get(1)?),
            sealed: row.try_get(2)?,
        })
    });
    Ok(key.transpose()?)
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn create_app(&self, app: &NewAppRecord) -> StoreResult<()> {
        let settings = &app.app;
        let allowed_origins = serde_json::to_string(&settings.allowed_origins)
            .unwrap_or_else(|_| unreachable!("a list of strings serialises"));
        let client = self.pool.get().await.map_err(Failure::from)?;
        let insert = "INSERT INTO apps (id, name, admin_token_hash, password_min_length, allowed_origins, user_quota,
                          payments_mode, trial_days, token_lifetime_secs, created_at, password_complexity,
                          require_verified_email)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 12] = [
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
            &i32::from(settings.password_complexity),
            &settings.require_verified_email,
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

    async fn update_app(&self, app_id: &str, change: &AppChange) -> StoreResult<Option<AppRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let update = "UPDATE apps SET password_min_length = COALESCE($1, password_min_length),
                                      password_complexity = COALESCE($2, password_complexity),
                                      require_verified_email = COALESCE($3, require_verified_email)
                      WHERE id = $4
                      RETURNING id, password_min_length, allowed_origins, payments_mode, trial_days,
                                token_lifetime_secs, password_complexity, require_verified_email";
        let min_length = change.password_min_length.map(|length| i32::try_from(length).unwrap_or(i32::MAX));
        let complexity = change.password_complexity.map(i32::from);
        let row = client
            .query_opt(update, &[&min_length, &complexity, &change.require_verified_email, &app_id])
            .await
            .map_err(Failure::from)?;
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

    async fn create_app_secret(&self, secret: &NewAppSecret) -> StoreResult<bool> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let insert = "INSERT INTO app_secrets (id, app_id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
            [&secret.id, &secret.app_id, &secret.name, &secret.secret_hash.as_slice(), &secret.created_at];
        match client.execute(insert, &params).await {
            Ok(_) => Ok(true),
            Err(error) if violates(&error, "app_secrets_live_name") => Ok(false),
            Err(error) => Err(Failure::from(error).into()),
        }
    }

    async fn app_secrets(&self, app_id: &str) -> StoreResult<Vec<AppSecretRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = concat!(
            "SELECT ",
            app_secret_columns!(),
            " FROM app_secrets WHERE app_id = $1 AND revoked_at IS NULL ORDER BY created_at, name"
        );
        let rows = client.query(select, &[&app_id]).await.map_err(Failure::from)?;
        rows.iter().map(|row| app_secret_from_row(row)?).collect()
    }

    async fn revoke_app_secret(&self, app_id: &str, name: &str, now: i64) -> StoreResult<bool> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let revoked = client
            .execute(
                "UPDATE app_secrets SET revoked_at = $1 WHERE app_id = $2 AND name = $3 AND revoked_at IS NULL",
                &[&now, &app_id, &name],
            )
            .await
            .map_err(Failure::from)?;
        Ok(revoked == 1)
    }

    async fn app_secret(&self, id: &str) -> StoreResult<Option<AppSecretRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client
            .prepare_cached(concat!("SELECT ", app_secret_columns!(), " FROM app_secrets WHERE id = $1"))
            .await
            .map_err(Failure::from)?;
        let row = client.query_opt(&select, &[&id]).await.map_err(Failure::from)?;
        row.map(|row| app_secret_from_row(&row)?).transpose()
    }

    async fn touch_app_secret(&self, id: &str, now: i64) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let touch = client
            .prepare_cached("UPDATE app_secrets SET last_used_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .await
            .map_err(Failure::from)?;
        client.execute(&touch, &[&now, &id]).await.map_err(Failure::from)?;
        Ok(())
    }

    async fn sign_up(&self, user: &UserRecord, session: &NewSession) -> StoreResult<SignUpOutcome> {
        self.sign_up_one_statement(user, session).await
    }

    async fn create_user(&self, account: &NewAccount) -> StoreResult<CreateUserOutcome> {
        retrying(|| self.create_user_once(account)).await
    }

    async fn admin_user(&self, app_id: &str, user_id: &str) -> StoreResult<Option<AdminUserRecord>> {
        // One snapshot for the three reads, so the record is the user's at one moment.
        let read = self.in_snapshot(async |tx| users_api::read_account(tx, app_id, user_id, false).await).await?;
        read.map(AccountColumns::into_record).transpose()
    }

    async fn find_user(&self, app_id: &str, lookup: &UserLookup) -> StoreResult<Option<AdminUserRecord>> {
        retrying(|| self.find_account(app_id, lookup)).await?.map(AccountColumns::into_record).transpose()
    }

    async fn list_users(&self, app_id: &str, query: &ListUsers) -> StoreResult<Vec<AdminUserRecord>> {
        retrying(|| self.list_accounts(app_id, query)).await?.into_iter().map(AccountColumns::into_record).collect()
    }

    async fn update_account(
        &self,
        app_id: &str,
        user_id: &str,
        change: &UserChange,
        now: i64,
    ) -> StoreResult<Result<AdminUserRecord, AccountRefusal>> {
        match retrying(|| self.update_account_once(app_id, user_id, change, now)).await? {
            users_api::Updated::Done(columns) => Ok(Ok((*columns).into_record()?)),
            users_api::Updated::Refused(refusal) => Ok(Err(refusal)),
        }
    }

    async fn delete_account(&self, app_id: &str, user_id: &str) -> StoreResult<bool> {
        retrying(|| self.delete_account_once(app_id, user_id)).await
    }

    async fn user_by_id(&self, user_id: &str) -> StoreResult<Option<UserRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client.prepare_cached(select_user!("u.id = $1")).await.map_err(Failure::from)?;
        user(client.query_opt(&select, &[&user_id]).await.map_err(Failure::from)?)
    }

    async fn user_by_username(&self, app_id: &str, username: &str) -> StoreResult<Option<UserRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select =
            client.prepare_cached(select_user!("u.app_id = $1 AND u.username = $2")).await.map_err(Failure::from)?;
        user(client.query_opt(&select, &[&app_id, &username]).await.map_err(Failure::from)?)
    }

    async fn spend_proof(&self, attempt: &ProofAttempt<'_>, effect: ProofEffect<'_>) -> StoreResult<ProofOutcome> {
        match effect {
            ProofEffect::OpenSession(session) => retrying(|| self.spend_sign_in(attempt, session)).await,
            effect => match retrying(|| self.spend_in_transaction(attempt, effect)).await? {
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

    async fn recovery(&self, app_id: &str, username: &str) -> StoreResult<Option<StoredRecovery>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client
            .prepare_cached(
                "SELECT recovery_salt, recovery_login_public_key, recovery_backup_nonce, recovery_backup_ciphertext,
                     recovery_created_at
                 FROM users WHERE app_id = $1 AND username = $2 AND recovery_salt IS NOT NULL",
            )
            .await
            .map_err(Failure::from)?;
        let Some(row) = client.query_opt(&select, &[&app_id, &username]).await.map_err(Failure::from)? else {
            return Ok(None);
        };
        let fixed = |index: usize| -> StoreResult<Vec<u8>> { Ok(row.try_get(index).map_err(Failure::from)?) };
        let malformed = |_| StoreError::Malformed(format!("recovery key of {username} has a wrong length"));
        Ok(Some(StoredRecovery {
            salt: fixed(0)?.try_into().map_err(malformed)?,
            login_public_key: fixed(1)?.try_into().map_err(malformed)?,
            seed_backup: SeedBackup {
                nonce: Bytes(fixed(2)?.try_into().map_err(malformed)?),
                ciphertext: Bytes(fixed(3)?.try_into().map_err(malformed)?),
            },
            created_at: row.try_get(4).map_err(Failure::from)?,
        }))
    }

    async fn set_recovery(
        &self,
        user_id: &str,
        session_id: &str,
        recovery: &StoredRecovery,
        replaces: Option<&[u8; 32]>,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>> {
        retrying(|| self.set_recovery_once(user_id, session_id, recovery, replaces, now)).await
    }

    async fn delete_user(
        &self,
        app_id: &str,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>> {
        retrying(|| self.delete_user_once(app_id, user_id, session_id, now)).await
    }

    async fn start_email_verification(&self, verification: &NewEmailVerification) -> StoreResult<bool> {
        retrying(|| self.start_email_verification_once(verification)).await
    }

    async fn confirm_email(&self, proof: &EmailProof<'_>, now: i64) -> StoreResult<EmailConfirmation> {
        retrying(|| self.confirm_email_once(proof, now)).await
    }

    async fn email_verification_sent_at(&self, user_id: &str) -> StoreResult<Option<i64>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client
            .prepare_cached("SELECT created_at FROM email_verifications WHERE user_id = $1")
            .await
            .map_err(Failure::from)?;
        let row = client.query_opt(&select, &[&user_id]).await.map_err(Failure::from)?;
        Ok(row.map(|row| row.try_get(0)).transpose().map_err(Failure::from)?)
    }

    async fn session_by_secret_hash(&self, secret_hash: &SecretHash, now: i64) -> StoreResult<Option<SessionRecord>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let select = client
            .prepare_cached(
                "SELECT s.id, s.user_id, u.app_id, s.expires_at, s.session_length_hours, u.blocked, u.email,
                        u.email_verified
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.secret_hash = $1 AND ((s.revoked_at IS NULL AND s.expires_at > $2) OR u.blocked)",
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
                user_blocked: row.try_get(5)?,
                email: row.try_get(6)?,
                email_verified: row.try_get(7)?,
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
                                WHERE id = $3 AND user_id = $1 AND revoked_at IS NULL AND expires_at > $4),
                        EXISTS (SELECT 1 FROM users WHERE id = $1 AND app_id = $2 AND blocked)",
            )
            .await
            .map_err(Failure::from)?;
        let row = client.query_one(&check, &[&user_id, &app_id, &session_id, &now]).await.map_err(Failure::from)?;
        Ok(OnlineCheck {
            user_exists: row.try_get(0).map_err(Failure::from)?,
            session_live: row.try_get(1).map_err(Failure::from)?,
            user_blocked: row.try_get(2).map_err(Failure::from)?,
        })
    }

    async fn signing_key_or_insert(&self, candidate: &NewSigningKey) -> StoreResult<SigningKeyRecord> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        // The unique index on the key in use makes a concurrent starter's insert do nothing; either
        // way the read after it finds the one key.
        client
            .execute(
                "INSERT INTO signing_keys (kid, private_key, sealed, public_key, created_at)
                 SELECT $1, $2, true, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)
                 ON CONFLICT DO NOTHING",
                &[
                    &candidate.kid,
                    &candidate.sealed_private_key.as_slice(),
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
                "INSERT INTO signing_keys (kid, private_key, sealed, public_key, created_at) VALUES ($1, $2, true, $3, $4)",
                &[&new_key.kid, &new_key.sealed_private_key.as_slice(), &new_key.public_key.as_slice(), &now],
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
        sealed_candidate: &[u8],
        now: i64,
    ) -> StoreResult<StoredSecret> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        client
            .execute(
                "INSERT INTO server_secrets (name, secret, sealed, created_at) VALUES ($1, $2, true, $3)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &sealed_candidate, &now],
            )
            .await
            .map_err(Failure::from)?;
        let row = client
            .query_one("SELECT secret, sealed FROM server_secrets WHERE name = $1", &[&name])
            .await
            .map_err(Failure::from)?;
        Ok(StoredSecret {
            value: Zeroizing::new(row.try_get(0).map_err(Failure::from)?),
            sealed: row.try_get(1).map_err(Failure::from)?,
        })
    }

    async fn secrets_at_rest(&self) -> StoreResult<Vec<SecretAtRest>> {
        let client = self.pool.get().await.map_err(Failure::from)?;
        let mut secrets = Vec::new();
        for (kind, select) in [
            (SecretKind::SigningKey, "SELECT kid, private_key, sealed FROM signing_keys ORDER BY created_at, kid"),
            (SecretKind::ServerSecret, "SELECT name, secret, sealed FROM server_secrets ORDER BY name"),
        ] {
            for row in client.query(select, &[]).await.map_err(Failure::from)? {
                secrets.push(SecretAtRest {
                    kind,
                    name: row.try_get(0).map_err(Failure::from)?,
                    value: Zeroizing::new(row.try_get(1).map_err(Failure::from)?),
                    sealed: row.try_get(2).map_err(Failure::from)?,
                });
            }
        }
        Ok(secrets)
    }

    async fn replace_secrets_at_rest(&self, replacements: &[SecretReplacement]) -> StoreResult<bool> {
        let replaced = retrying(|| async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            for replacement in replacements {
                let sql = match replacement.kind {
                    SecretKind::SigningKey => {
                        "UPDATE signing_keys SET private_key = $1, sealed = true WHERE kid = $2 AND private_key = $3"
                    }
                    SecretKind::ServerSecret => {
                        "UPDATE server_secrets SET secret = $1, sealed = true WHERE name = $2 AND secret = $3"
                    }
                };
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
                    [&replacement.new.as_slice(), &replacement.name, &replacement.old.as_slice()];
                if tx.execute(sql, &params).await? != 1 {
                    return Ok(false);
                }
            }
            tx.commit().await?;
            Ok(true)
        })
        .await?;
        if replaced {
            // The replaced row versions would stay in the tables' files until overwritten: rewrite them.
            // (The write-ahead log, and any backup taken before, still hold them: docs/protocol.md §5.3.)
            let client = self.pool.get().await.map_err(Failure::from)?;
            client.batch_execute("VACUUM FULL signing_keys, server_secrets").await.map_err(Failure::from)?;
        }
        Ok(replaced)
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
