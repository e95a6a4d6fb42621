//! [`Store`] on SQLite: each use case one closure on the single writer (or a reader), so every re-check
//! inside a write transaction sees a state no other writer can change before the commit.

use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use sealbase::crypto::SeedBackup;
use sealbase::protocol::b64::Bytes;
use zeroize::Zeroizing;

use super::accounts::{self, apply_update, session_live};
use super::users_api;
use super::{is_unique_violation, unless_duplicate, Decision, SqliteStore};
use crate::store::*;

/// `SELECT` of the columns [`AppRecord::from_columns`] takes, in its order, with a `WHERE` clause.
macro_rules! select_app {
    ($where:literal) => {
        concat!(
            "SELECT id, password_min_length, allowed_origins, payments_mode, trial_days, token_lifetime_secs, ",
            "password_complexity, require_verified_email ",
            "FROM apps WHERE ",
            $where
        )
    };
}

fn app_from_row(row: &Row<'_>) -> rusqlite::Result<Result<AppRecord, StoreError>> {
    Ok(AppRecord::from_columns(
        row.get(0)?,
        row.get(1)?,
        &row.get::<_, String>(2)?,
        &row.get::<_, String>(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn app_secret_from_row(row: &Row<'_>) -> rusqlite::Result<Result<AppSecretRecord, StoreError>> {
    Ok(AppSecretRecord::from_columns(
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        &row.get::<_, Vec<u8>>(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserColumns> {
    Ok(UserColumns {
        id: row.get(0)?,
        app_id: row.get(1)?,
        username: row.get(2)?,
        email: row.get(3)?,
        profile: row.get(4)?,
        kdf_log_n: row.get(5)?,
        kdf_r: row.get(6)?,
        kdf_p: row.get(7)?,
        kdf_salt: row.get(8)?,
        login_public_key: row.get(9)?,
        seed_backup_nonce: row.get(10)?,
        seed_backup_ciphertext: row.get(11)?,
        identity_signing_public_key: row.get(12)?,
        identity_exchange_public_key: row.get(13)?,
        created_at: row.get(14)?,
        trial_expires_at: row.get(15)?,
        password_seen_by_server: row.get(16)?,
        email_verified: row.get(17)?,
        name: row.get(18)?,
        picture: row.get(19)?,
        phone_number: row.get(20)?,
        phone_number_verified: row.get(21)?,
        claims: row.get(22)?,
        metadata: row.get(23)?,
        pending_params: row.get(24)?,
        pending_public_key: row.get(25)?,
    })
}

pub(super) fn user_by_id(db: &Connection, user_id: &str) -> rusqlite::Result<Option<UserColumns>> {
    db.prepare_cached(select_user!("u.id = ?"))?.query_row([user_id], user_from_row).optional()
}

/// Which uniqueness rule of `users` a failed insert or update broke, if one did.
pub(super) fn users_duplicate(error: &rusqlite::Error) -> Option<Duplicate> {
    if !is_unique_violation(error) {
        return None;
    }
    Some(if error.to_string().contains("email_key") { Duplicate::Email } else { Duplicate::Username })
}

/// A broken uniqueness rule of `users`.
pub(super) enum Duplicate {
    Username,
    Email,
}

pub(super) fn insert_session(tx: &Transaction<'_>, session: &NewSession) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO sessions (id, user_id, secret_hash, remember_me, session_length_hours, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute((
        &session.id,
        &session.user_id,
        session.secret_hash.as_slice(),
        session.remember_me.as_str(),
        session.length_hours,
        session.created_at,
        session.expires_at,
    ))?;
    Ok(())
}

/// The signing key in use.
fn current_signing_key(db: &Connection) -> rusqlite::Result<Option<SigningKeyRecord>> {
    db.prepare_cached("SELECT kid, private_key, sealed FROM signing_keys WHERE retired_at IS NULL")?
        .query_row([], |row| {
            Ok(SigningKeyRecord { kid: row.get(0)?, private_key: Zeroizing::new(row.get(1)?), sealed: row.get(2)? })
        })
        .optional()
}

fn insert_signing_key(tx: &Transaction<'_>, key: &NewSigningKey) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO signing_keys (kid, private_key, sealed, public_key, created_at) VALUES (?, ?, 1, ?, ?)",
        (&key.kid, key.sealed_private_key.as_slice(), key.public_key.as_slice(), key.created_at),
    )?;
    Ok(())
}

/// Counts a new user of the app against its quota; false (nothing changed) when the quota is used up.
fn count_user(tx: &Transaction<'_>, app_id: &str) -> rusqlite::Result<bool> {
    let counted = tx
        .prepare_cached(
            "UPDATE apps SET user_count = user_count + 1 WHERE id = ? AND (user_quota IS NULL OR user_count < user_quota)",
        )?
        .execute([app_id])?;
    Ok(counted == 1)
}

fn checked(user: Option<UserColumns>) -> StoreResult<Option<UserRecord>> {
    user.map(UserRecord::try_from).transpose()
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn create_app(&self, app: &NewAppRecord) -> StoreResult<()> {
        let settings = &app.app;
        let allowed_origins = serde_json::to_string(&settings.allowed_origins)
            .unwrap_or_else(|_| unreachable!("a list of strings serialises"));
        self.connections
            .write(|tx| {
                tx.prepare_cached(
                    "INSERT INTO apps (id, name, admin_token_hash, password_min_length, password_complexity,
                                       allowed_origins, user_quota, payments_mode, trial_days, token_lifetime_secs,
                                       created_at, require_verified_email)
                     VALUES (:id, :name, :admin_token_hash, :password_min_length, :password_complexity,
                             :allowed_origins, :user_quota, :payments_mode, :trial_days, :token_lifetime_secs,
                             :created_at, :require_verified_email)",
                )?
                .execute(named_params! {
                    ":id": app.id,
                    ":name": settings.name,
                    ":admin_token_hash": app.admin_token_hash.as_slice(),
                    ":password_min_length": settings.password_min_length,
                    ":password_complexity": settings.password_complexity,
                    ":allowed_origins": allowed_origins,
                    ":user_quota": settings.user_quota,
                    ":payments_mode": settings.payments_mode.as_str(),
                    ":trial_days": settings.trial_days,
                    ":token_lifetime_secs": settings.token_lifetime_secs,
                    ":created_at": app.created_at,
                    ":require_verified_email": settings.require_verified_email,
                })?;
                Ok(Decision::Commit(()))
            })
            .await
    }

    async fn app(&self, app_id: &str) -> StoreResult<Option<AppRecord>> {
        self.connections
            .read(|c| c.prepare_cached(select_app!("id = ?"))?.query_row([app_id], app_from_row).optional())?
            .transpose()
    }

    async fn app_by_admin_token(&self, token_hash: &SecretHash) -> StoreResult<Option<AppRecord>> {
        self.connections
            .read(|c| {
                c.prepare_cached(select_app!("admin_token_hash = ?"))?
                    .query_row([token_hash.as_slice()], app_from_row)
                    .optional()
            })?
            .transpose()
    }

    async fn update_app(&self, app_id: &str, change: &AppChange) -> StoreResult<Option<AppRecord>> {
        self.connections
            .write(|tx| {
                tx.execute(
                    "UPDATE apps SET password_min_length = COALESCE(?, password_min_length),
                                     password_complexity = COALESCE(?, password_complexity),
                                     require_verified_email = COALESCE(?, require_verified_email)
                     WHERE id = ?",
                    (change.password_min_length, change.password_complexity, change.require_verified_email, app_id),
                )?;
                Ok(Decision::Commit(tx.query_row(select_app!("id = ?"), [app_id], app_from_row).optional()?))
            })
            .await?
            .transpose()
    }

    async fn replace_admin_token(&self, app_id: &str, token_hash: &SecretHash) -> StoreResult<bool> {
        self.connections
            .write(|tx| {
                let updated =
                    tx.execute("UPDATE apps SET admin_token_hash = ? WHERE id = ?", (token_hash.as_slice(), app_id))?;
                Ok(Decision::Commit(updated == 1))
            })
            .await
    }

    async fn create_app_secret(&self, secret: &NewAppSecret) -> StoreResult<bool> {
        self.connections
            .write(|tx| {
                let inserted = tx.execute(
                    "INSERT INTO app_secrets (id, app_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                    (&secret.id, &secret.app_id, &secret.name, secret.secret_hash.as_slice(), secret.created_at),
                );
                Ok(Decision::Commit(unless_duplicate(inserted)?))
            })
            .await
    }

    async fn app_secrets(&self, app_id: &str) -> StoreResult<Vec<AppSecretRecord>> {
        let rows = self.connections.read(|c| {
            c.prepare_cached(concat!(
                "SELECT ",
                app_secret_columns!(),
                " FROM app_secrets WHERE app_id = ? AND revoked_at IS NULL ORDER BY created_at, name"
            ))?
            .query_map([app_id], app_secret_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().collect()
    }

    async fn revoke_app_secret(&self, app_id: &str, name: &str, now: i64) -> StoreResult<bool> {
        self.connections
            .write(|tx| {
                let revoked = tx.execute(
                    "UPDATE app_secrets SET revoked_at = ? WHERE app_id = ? AND name = ? AND revoked_at IS NULL",
                    (now, app_id, name),
                )?;
                Ok(Decision::Commit(revoked == 1))
            })
            .await
    }

    async fn app_secret(&self, id: &str) -> StoreResult<Option<AppSecretRecord>> {
        self.connections
            .read(|c| {
                c.prepare_cached(concat!("SELECT ", app_secret_columns!(), " FROM app_secrets WHERE id = ?"))?
                    .query_row([id], app_secret_from_row)
                    .optional()
            })?
            .transpose()
    }

    async fn touch_app_secret(&self, id: &str, now: i64) -> StoreResult<()> {
        self.connections
            .write(|tx| {
                tx.prepare_cached("UPDATE app_secrets SET last_used_at = ? WHERE id = ? AND revoked_at IS NULL")?
                    .execute((now, id))?;
                Ok(Decision::Commit(()))
            })
            .await
    }

    async fn sign_up(&self, user: &UserRecord, session: &NewSession) -> StoreResult<SignUpOutcome> {
        let Some(keys) = user.keys() else { return Err(StoreError::Malformed("a sign-up without keys".into())) };
        let profile = profile_json(user.profile.as_ref());
        let record = RecordColumns::of(user.claims.as_ref(), user.metadata.as_ref());
        self.connections
            .write(|tx| {
                // Counting first takes the quota check and the insert under one write lock: sign-ups
                // cannot race past the quota.
                if !count_user(tx, &user.app_id)? {
                    return Ok(Decision::Rollback(SignUpOutcome::QuotaExceeded));
                }
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO users (id, app_id, username, email, email_key, profile, kdf_algorithm, kdf_log_n,
                             kdf_r, kdf_p, kdf_salt, login_public_key, seed_backup_nonce, seed_backup_ciphertext,
                             identity_signing_public_key, identity_exchange_public_key, created_at, trial_expires_at,
                             name, picture, phone_number, claims, metadata)
                         VALUES (:id, :app_id, :username, :email, :email, :profile, 'scrypt', :log_n, :r, :p, :salt,
                             :login_key, :nonce, :ciphertext, :signing_key, :exchange_key, :created_at,
                             :trial_expires_at, :name, :picture, :phone_number, :claims, :metadata)",
                    )?
                    .execute(named_params! {
                        ":id": user.id,
                        ":app_id": user.app_id,
                        ":username": user.username,
                        ":email": user.email,
                        ":profile": profile,
                        ":log_n": keys.kdf.log_n,
                        ":r": keys.kdf.r,
                        ":p": keys.kdf.p,
                        ":salt": keys.kdf.salt.0.as_slice(),
                        ":login_key": keys.login_public_key.0.as_slice(),
                        ":nonce": keys.seed_backup.nonce.0.as_slice(),
                        ":ciphertext": keys.seed_backup.ciphertext.0.as_slice(),
                        ":signing_key": keys.identity.signing.0.as_slice(),
                        ":exchange_key": keys.identity.exchange.0.as_slice(),
                        ":created_at": user.created_at,
                        ":trial_expires_at": user.trial_expires_at,
                        ":name": record.name,
                        ":picture": record.picture,
                        ":phone_number": record.phone_number,
                        ":claims": record.claims,
                        ":metadata": record.metadata,
                    });
                match inserted.as_ref().err().and_then(users_duplicate) {
                    Some(Duplicate::Username) => return Ok(Decision::Rollback(SignUpOutcome::UsernameTaken)),
                    Some(Duplicate::Email) => return Ok(Decision::Rollback(SignUpOutcome::EmailTaken)),
                    None => inserted?,
                };
                insert_session(tx, session)?;
                Ok(Decision::Commit(SignUpOutcome::Created))
            })
            .await
    }

    async fn create_user(&self, account: &NewAccount) -> StoreResult<CreateUserOutcome> {
        let (user, details) = (&account.user, &account.details);
        let Login::Pending(verifier) = &user.login else {
            return Err(StoreError::Malformed("an app backend's user with keys".into()));
        };
        let params = json(&verifier.params);
        let claims = details.profile.as_ref().map(json);
        let metadata = details.metadata.as_ref().map(json);
        self.connections
            .write(|tx| {
                if !count_user(tx, &user.app_id)? {
                    return Ok(Decision::Rollback(CreateUserOutcome::QuotaExceeded));
                }
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO users (id, app_id, username, email, email_key, profile, created_at,
                             trial_expires_at, password_seen_by_server, name, picture, phone_number,
                             phone_number_verified, email_verified, verify_email, blocked, login_attempts, claims,
                             metadata)
                         VALUES (:id, :app_id, :username, :email, :email, :profile, :created_at, :trial_expires_at,
                             :password_seen_by_server, :name, :picture, :phone_number, :phone_number_verified,
                             :email_verified, :verify_email, :blocked, :login_attempts, :claims, :metadata)",
                    )?
                    .execute(named_params! {
                        ":id": user.id,
                        ":app_id": user.app_id,
                        ":username": user.username,
                        ":email": user.email,
                        ":profile": profile_json(user.profile.as_ref()),
                        ":created_at": user.created_at,
                        ":trial_expires_at": user.trial_expires_at,
                        ":password_seen_by_server": user.password_seen_by_server,
                        ":name": details.name,
                        ":picture": details.picture,
                        ":phone_number": details.phone_number,
                        ":phone_number_verified": details.phone_number_verified,
                        ":email_verified": details.email_verified,
                        ":verify_email": details.verify_email,
                        ":blocked": details.blocked,
                        ":login_attempts": details.login_attempts,
                        ":claims": claims,
                        ":metadata": metadata,
                    });
                match inserted.as_ref().err().and_then(users_duplicate) {
                    Some(Duplicate::Username) => return Ok(Decision::Rollback(CreateUserOutcome::UsernameTaken)),
                    Some(Duplicate::Email) => return Ok(Decision::Rollback(CreateUserOutcome::EmailTaken)),
                    None => inserted?,
                };
                tx.prepare_cached(
                    "INSERT INTO pending_logins (user_id, params, public_key, created_at) VALUES (?, ?, ?, ?)",
                )?
                .execute((&user.id, &params, verifier.public_key.0.as_slice(), user.created_at))?;
                if let Some(position) = users_api::insert_identities(tx, &user.id, &user.app_id, &details.identities)? {
                    return Ok(Decision::Rollback(CreateUserOutcome::IdentityTaken(position)));
                }
                Ok(Decision::Commit(CreateUserOutcome::Created))
            })
            .await
    }

    async fn admin_user(&self, app_id: &str, user_id: &str) -> StoreResult<Option<AdminUserRecord>> {
        let read = self.connections.read(|c| users_api::read_account(c, app_id, user_id))?;
        read.map(AccountColumns::into_record).transpose()
    }

    async fn find_user(&self, app_id: &str, lookup: &UserLookup) -> StoreResult<Option<AdminUserRecord>> {
        let read = self.connections.read(|c| {
            let tx = c.unchecked_transaction()?;
            let Some(user_id) = users_api::find_user_id(&tx, app_id, lookup)? else { return Ok(None) };
            users_api::read_account(&tx, app_id, &user_id)
        })?;
        read.map(AccountColumns::into_record).transpose()
    }

    async fn list_users(&self, app_id: &str, query: &ListUsers) -> StoreResult<Vec<AdminUserRecord>> {
        let read = self.connections.read(|c| users_api::list(c, app_id, query))?;
        read.into_iter().map(AccountColumns::into_record).collect()
    }

    async fn update_account(
        &self,
        app_id: &str,
        user_id: &str,
        change: &UserChange,
        now: i64,
    ) -> StoreResult<Result<AdminUserRecord, AccountRefusal>> {
        match self.connections.write(|tx| users_api::update(tx, app_id, user_id, change, now)).await? {
            users_api::Updated::Done(columns) => Ok(Ok((*columns).into_record()?)),
            users_api::Updated::Refused(refusal) => Ok(Err(refusal)),
            users_api::Updated::Malformed(error) => Err(error),
        }
    }

    async fn delete_account(&self, app_id: &str, user_id: &str) -> StoreResult<bool> {
        self.connections.write(|tx| users_api::delete(tx, app_id, user_id)).await
    }

    async fn user_by_id(&self, user_id: &str) -> StoreResult<Option<UserRecord>> {
        checked(self.connections.read(|c| user_by_id(c, user_id))?)
    }

    async fn user_by_username(&self, app_id: &str, username: &str) -> StoreResult<Option<UserRecord>> {
        checked(self.connections.read(|c| {
            c.prepare_cached(select_user!("u.app_id = ? AND u.username = ?"))?
                .query_row([app_id, username], user_from_row)
                .optional()
        })?)
    }

    async fn spend_proof(&self, attempt: &ProofAttempt<'_>, effect: ProofEffect<'_>) -> StoreResult<ProofOutcome> {
        self.connections.write(|tx| accounts::spend(tx, attempt, effect)).await?.into_outcome()
    }

    async fn update_user(&self, update: &UserUpdate) -> StoreResult<Result<UserRecord, Refusal>> {
        match self
            .connections
            .write(|tx| {
                Ok(match apply_update(tx, update)? {
                    Ok(user) => Decision::Commit(Ok(user)),
                    Err(refusal) => Decision::Rollback(Err(refusal)),
                })
            })
            .await?
        {
            Ok(columns) => Ok(Ok(columns.try_into()?)),
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    async fn recovery(&self, app_id: &str, username: &str) -> StoreResult<Option<StoredRecovery>> {
        self.connections.read(|c| {
            c.prepare_cached(
                "SELECT recovery_salt, recovery_login_public_key, recovery_backup_nonce, recovery_backup_ciphertext,
                     recovery_created_at
                 FROM users WHERE app_id = ? AND username = ? AND recovery_salt IS NOT NULL",
            )?
            .query_row([app_id, username], |row| {
                Ok(StoredRecovery {
                    salt: row.get(0)?,
                    login_public_key: row.get(1)?,
                    seed_backup: SeedBackup { nonce: Bytes(row.get(2)?), ciphertext: Bytes(row.get(3)?) },
                    created_at: row.get(4)?,
                })
            })
            .optional()
        })
    }

    async fn set_recovery(
        &self,
        user_id: &str,
        session_id: &str,
        recovery: &StoredRecovery,
        replaces: Option<&[u8; 32]>,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>> {
        self.connections
            .write(|tx| {
                if !session_live(tx, session_id, now)? {
                    return Ok(Decision::Rollback(Err(Refusal::SessionNotLive)));
                }
                let current: Option<Option<Vec<u8>>> = tx
                    .prepare_cached("SELECT recovery_login_public_key FROM users WHERE id = ?")?
                    .query_row([user_id], |row| row.get(0))
                    .optional()?;
                let Some(current) = current else {
                    return Ok(Decision::Rollback(Err(Refusal::UserNotFound)));
                };
                if current.as_deref() != replaces.map(|key| key.as_slice()) {
                    return Ok(Decision::Rollback(Err(Refusal::RecoveryKeyChanged)));
                }
                let set = tx
                    .prepare_cached(
                        "UPDATE users SET recovery_salt = ?, recovery_login_public_key = ?, recovery_backup_nonce = ?,
                             recovery_backup_ciphertext = ?, recovery_created_at = ?
                         WHERE id = ?",
                    )?
                    .execute((
                        recovery.salt.as_slice(),
                        recovery.login_public_key.as_slice(),
                        recovery.seed_backup.nonce.0.as_slice(),
                        recovery.seed_backup.ciphertext.0.as_slice(),
                        recovery.created_at,
                        user_id,
                    ))?;
                Ok(if set == 1 { Decision::Commit(Ok(())) } else { Decision::Rollback(Err(Refusal::UserNotFound)) })
            })
            .await
    }

    async fn delete_user(
        &self,
        app_id: &str,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>> {
        self.connections
            .write(|tx| {
                if !session_live(tx, session_id, now)? {
                    return Ok(Decision::Rollback(Err(Refusal::SessionNotLive)));
                }
                let deleted =
                    tx.prepare_cached("DELETE FROM users WHERE id = ? AND app_id = ?")?.execute([user_id, app_id])?;
                if deleted == 0 {
                    return Ok(Decision::Rollback(Err(Refusal::UserNotFound)));
                }
                tx.prepare_cached("UPDATE apps SET user_count = user_count - 1 WHERE id = ?")?.execute([app_id])?;
                Ok(Decision::Commit(Ok(())))
            })
            .await
    }

    async fn start_email_verification(&self, verification: &NewEmailVerification) -> StoreResult<bool> {
        self.connections.write(|tx| super::email::start(tx, verification)).await
    }

    async fn confirm_email(&self, proof: &EmailProof<'_>, now: i64) -> StoreResult<EmailConfirmation> {
        self.connections.write(|tx| super::email::confirm(tx, proof, now)).await
    }

    async fn email_verification_sent_at(&self, user_id: &str) -> StoreResult<Option<i64>> {
        self.connections.read(|c| {
            c.prepare_cached("SELECT created_at FROM email_verifications WHERE user_id = ?")?
                .query_row([user_id], |row| row.get(0))
                .optional()
        })
    }

    async fn session_by_secret_hash(&self, secret_hash: &SecretHash, now: i64) -> StoreResult<Option<SessionRecord>> {
        self.connections.read(|c| {
            c.prepare_cached(
                "SELECT s.id, s.user_id, u.app_id, s.expires_at, s.session_length_hours, u.blocked, u.email,
                        u.email_verified
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.secret_hash = ? AND ((s.revoked_at IS NULL AND s.expires_at > ?) OR u.blocked)",
            )?
            .query_row((secret_hash.as_slice(), now), |row| {
                Ok(SessionRecord {
                    session_id: row.get(0)?,
                    user_id: row.get(1)?,
                    app_id: row.get(2)?,
                    expires_at: row.get(3)?,
                    length_hours: row.get(4)?,
                    user_blocked: row.get(5)?,
                    email: row.get(6)?,
                    email_verified: row.get(7)?,
                })
            })
            .optional()
        })
    }

    async fn extend_session(
        &self,
        session_id: &str,
        expires_at: i64,
        length_hours: f64,
        now: i64,
    ) -> StoreResult<bool> {
        self.connections
            .write(|tx| {
                let extended = tx
                    .prepare_cached(
                        "UPDATE sessions SET expires_at = ?, session_length_hours = ?
                         WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
                    )?
                    .execute((expires_at, length_hours, session_id, now))?;
                Ok(Decision::Commit(extended == 1))
            })
            .await
    }

    async fn revoke_session(&self, session_id: &str, now: i64) -> StoreResult<()> {
        self.connections
            .write(|tx| {
                tx.prepare_cached("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")?
                    .execute((now, session_id))?;
                Ok(Decision::Commit(()))
            })
            .await
    }

    async fn online_check(&self, app_id: &str, user_id: &str, session_id: &str, now: i64) -> StoreResult<OnlineCheck> {
        self.connections.read(|c| {
            c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND app_id = ?2),
                        EXISTS (SELECT 1 FROM sessions
                                WHERE id = ?3 AND user_id = ?1 AND revoked_at IS NULL AND expires_at > ?4),
                        EXISTS (SELECT 1 FROM users WHERE id = ?1 AND app_id = ?2 AND blocked)",
            )?
            .query_row((user_id, app_id, session_id, now), |row| {
                Ok(OnlineCheck { user_exists: row.get(0)?, session_live: row.get(1)?, user_blocked: row.get(2)? })
            })
        })
    }

    async fn signing_key_or_insert(&self, candidate: &NewSigningKey) -> StoreResult<SigningKeyRecord> {
        self.connections
            .write(|tx| {
                if let Some(current) = current_signing_key(tx)? {
                    return Ok(Decision::Rollback(current));
                }
                insert_signing_key(tx, candidate)?;
                let inserted = SigningKeyRecord {
                    kid: candidate.kid.clone(),
                    private_key: Zeroizing::new(candidate.sealed_private_key.clone()),
                    sealed: true,
                };
                Ok(Decision::Commit(inserted))
            })
            .await
    }

    async fn current_signing_key(&self) -> StoreResult<Option<SigningKeyRecord>> {
        self.connections.read(current_signing_key)
    }

    async fn rotate_signing_key(&self, new_key: &NewSigningKey, grace_ms: i64) -> StoreResult<()> {
        let now = new_key.created_at;
        self.connections
            .write(|tx| {
                let longest_lifetime_ms: i64 =
                    tx.query_row("SELECT COALESCE(MAX(token_lifetime_secs), 3600) * 1000 FROM apps", [], |row| {
                        row.get(0)
                    })?;
                tx.execute(
                    "UPDATE signing_keys SET retired_at = ?, publish_until = ? WHERE retired_at IS NULL",
                    (now, now + longest_lifetime_ms + grace_ms),
                )?;
                insert_signing_key(tx, new_key)?;
                Ok(Decision::Commit(()))
            })
            .await
    }

    async fn published_keys(&self, now: i64) -> StoreResult<Vec<PublishedKey>> {
        let rows: Vec<(String, Vec<u8>)> = self.connections.read(|c| {
            c.prepare_cached(
                "SELECT kid, public_key FROM signing_keys WHERE retired_at IS NULL OR publish_until > ?
                 ORDER BY created_at DESC, kid",
            )?
            .query_map([now], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect()
        })?;
        published(rows)
    }

    async fn server_secret_or_insert(
        &self,
        name: &str,
        sealed_candidate: &[u8],
        now: i64,
    ) -> StoreResult<StoredSecret> {
        self.connections
            .write(|tx| {
                tx.execute(
                    "INSERT INTO server_secrets (name, secret, sealed, created_at) VALUES (?, ?, 1, ?)
                     ON CONFLICT (name) DO NOTHING",
                    (name, sealed_candidate, now),
                )?;
                let stored =
                    tx.query_row("SELECT secret, sealed FROM server_secrets WHERE name = ?", [name], |row| {
                        Ok(StoredSecret { value: Zeroizing::new(row.get(0)?), sealed: row.get(1)? })
                    })?;
                Ok(Decision::Commit(stored))
            })
            .await
    }

    async fn secrets_at_rest(&self) -> StoreResult<Vec<SecretAtRest>> {
        self.connections.read(|c| {
            let row = |kind: SecretKind| {
                move |row: &Row<'_>| {
                    Ok(SecretAtRest {
                        kind,
                        name: row.get(0)?,
                        value: Zeroizing::new(row.get(1)?),
                        sealed: row.get(2)?,
                    })
                }
            };
            let mut secrets: Vec<SecretAtRest> = c
                .prepare("SELECT kid, private_key, sealed FROM signing_keys ORDER BY created_at, kid")?
                .query_map([], row(SecretKind::SigningKey))?
                .collect::<rusqlite::Result<_>>()?;
            let server_secrets = c
                .prepare("SELECT name, secret, sealed FROM server_secrets ORDER BY name")?
                .query_map([], row(SecretKind::ServerSecret))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            secrets.extend(server_secrets);
            Ok(secrets)
        })
    }

    async fn replace_secrets_at_rest(&self, replacements: &[SecretReplacement]) -> StoreResult<bool> {
        // What is replaced must not stay in the file: the freed space is zeroed (secure_delete), and
        // the WAL, which still holds the pages as they were, is copied back and emptied.
        let replaced = self
            .connections
            .write(|tx| {
                tx.pragma_update(None, "secure_delete", true)?;
                for replacement in replacements {
                    let sql = match replacement.kind {
                        SecretKind::SigningKey => {
                            "UPDATE signing_keys SET private_key = ?, sealed = 1 WHERE kid = ? AND private_key = ?"
                        }
                        SecretKind::ServerSecret => {
                            "UPDATE server_secrets SET secret = ?, sealed = 1 WHERE name = ? AND secret = ?"
                        }
                    };
                    let params = (replacement.new.as_slice(), &replacement.name, replacement.old.as_slice());
                    if tx.execute(sql, params)? != 1 {
                        tx.pragma_update(None, "secure_delete", false)?;
                        return Ok(Decision::Rollback(false));
                    }
                }
                tx.pragma_update(None, "secure_delete", false)?;
                Ok(Decision::Commit(true))
            })
            .await?;
        if replaced {
            let connections = self.connections.clone();
            tokio::task::spawn_blocking(move || connections.truncate_wal())
                .await
                .map_err(StoreError::unavailable)??;
        }
        Ok(replaced)
    }

    async fn purge(&self, now: i64) -> StoreResult<bool> {
        // Off the runtime's workers: a purge may delete many rows while holding the write lock.
        let connections = self.connections.clone();
        let purged = tokio::task::spawn_blocking(move || {
            connections.write_blocking(|tx| {
                tx.execute("DELETE FROM used_challenges WHERE expires_at < ?", [now - NONCE_PURGE_GRACE_MS])?;
                let week_ago = now - PURGE_SESSIONS_AFTER_MS;
                tx.execute("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?", [week_ago, week_ago])?;
                tx.execute(
                    "DELETE FROM sign_in_failures WHERE updated_at < ? AND locked_until < ?",
                    [now - PURGE_FAILURES_AFTER_MS, now],
                )?;
                Ok(Decision::Commit(true))
            })
        });
        purged.await.map_err(StoreError::unavailable)?
    }

    async fn maintain(&self) -> StoreResult<()> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.checkpoint()).await.map_err(StoreError::unavailable)?.map(|_| ())
    }
}
