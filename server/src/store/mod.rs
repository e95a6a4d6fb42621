//! The storage seam: one [`Store`] whose methods are whole use cases, each one transaction with its
//! atomic meaning in its signature. Routes and the domain never see SQL or a driver type; each backend
//! keeps its own concurrency idiom (SQLite: one writer; PostgreSQL: constraints, row and advisory locks).
//!
//! Backends: [`sqlite`] (embedded, the default) and [`postgres`] (several stateless replicas on one
//! database). [`open`] picks one from the database URL.

pub mod postgres;
mod records;
pub mod sqlite;
#[cfg(feature = "test-util")]
pub mod testing;

use std::sync::Arc;

pub use records::*;
pub use sealbase::admin::{ListUsers, UserChange, UserLookup};

/// A storage failure. Names no driver: the cause is kept for the log only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or failed (answered `503 ServiceUnavailable`).
    #[error("database unavailable: {}", causes(.0.as_ref()))]
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
    /// A stored value is not what this server writes (a fault of ours; also `503`).
    #[error("stored data malformed: {0}")]
    Malformed(String),
    /// Concurrent transactions kept conflicting after every retry (answered `429 TooManyRequests`).
    #[error("transaction kept conflicting with concurrent ones")]
    Contended,
}

impl StoreError {
    /// Wraps a driver error.
    pub(crate) fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(error))
    }
}

/// Whether a write transaction's work stands (both backends' transactions end in one).
pub(crate) enum Decision<T> {
    /// Commit, and answer this.
    Commit(T),
    /// Roll back (nothing written), and answer this.
    Rollback(T),
}

/// Sessions are deleted this long after they expired or were revoked.
pub const PURGE_SESSIONS_AFTER_MS: i64 = 7 * 24 * 3_600_000;
/// Spent nonces are kept this long past their challenge's expiry before they are deleted: a margin for
/// clocks of servers on one database that disagree (a nonce must outlive its challenge everywhere).
pub const NONCE_PURGE_GRACE_MS: i64 = 5 * 60_000;
/// Failure counts idle this long (and past their delay) are deleted: the count starts again from zero.
pub const PURGE_FAILURES_AFTER_MS: i64 = 24 * 3_600_000;

/// An error and its sources, each once ("error connecting to server: Connection refused (os error 111)").
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// What a store method returns.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the server keeps. Each method is one transaction: it happens whole or not at all.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Stores a new app.
    async fn create_app(&self, app: &NewAppRecord) -> StoreResult<()>;
    /// The app with this id.
    async fn app(&self, app_id: &str) -> StoreResult<Option<AppRecord>>;
    /// The app whose admin access token hashes to this.
    async fn app_by_admin_token(&self, token_hash: &SecretHash) -> StoreResult<Option<AppRecord>>;
    /// Changes an app's settings; the app as it now is, or `None` if there is no such app.
    async fn update_app(&self, app_id: &str, change: &AppChange) -> StoreResult<Option<AppRecord>>;
    /// Replaces an app's admin token hash; false if there is no such app.
    async fn replace_admin_token(&self, app_id: &str, token_hash: &SecretHash) -> StoreResult<bool>;

    /// Stores a new app secret; false if the app already has a live secret of that name.
    async fn create_app_secret(&self, secret: &NewAppSecret) -> StoreResult<bool>;
    /// The app's live secrets, oldest first.
    async fn app_secrets(&self, app_id: &str) -> StoreResult<Vec<AppSecretRecord>>;
    /// Revokes the app's live secret of that name: it authenticates nothing from now on. False if there
    /// is none.
    async fn revoke_app_secret(&self, app_id: &str, name: &str, now: i64) -> StoreResult<bool>;
    /// The app secret with this public id, live or revoked.
    async fn app_secret(&self, id: &str) -> StoreResult<Option<AppSecretRecord>>;
    /// Records a successful use of a live app secret.
    async fn touch_app_secret(&self, id: &str, now: i64) -> StoreResult<()>;

    /// Creates a user (with [`Login::Keys`]) and their first session. The username's and the email's
    /// uniqueness and the app's user quota are enforced by the database, across every server on it.
    async fn sign_up(&self, user: &UserRecord, session: &NewSession) -> StoreResult<SignUpOutcome>;
    /// Creates a pending account (with [`Login::Pending`]) and its record for an app's backend, with
    /// the same uniqueness and quota rules as a sign-up, and an identity's (provider, id) unique in the
    /// app.
    async fn create_user(&self, account: &NewAccount) -> StoreResult<CreateUserOutcome>;
    /// The user with seed 001's record.
    async fn admin_user(&self, app_id: &str, user_id: &str) -> StoreResult<Option<AdminUserRecord>>;
    /// The user of the app with this username, email or identity, with seed 001's record.
    async fn find_user(&self, app_id: &str, lookup: &UserLookup) -> StoreResult<Option<AdminUserRecord>>;
    /// A page of the app's users in id order, after the query's cursor (keyset pagination: a user that
    /// exists throughout a walk over every page is on exactly one page).
    async fn list_users(&self, app_id: &str, query: &ListUsers) -> StoreResult<Vec<AdminUserRecord>>;
    /// Changes a user's record for the app's backend: read, changed by [`UserChange::apply`] and written
    /// under the user's row lock. Blocking revokes every live session of the user in the same
    /// transaction; uniqueness (username, email, identities) is the database's.
    async fn update_account(
        &self,
        app_id: &str,
        user_id: &str,
        change: &UserChange,
        now: i64,
    ) -> StoreResult<Result<AdminUserRecord, AccountRefusal>>;
    /// Deletes a user of the app (with everything of theirs) for the app's backend; false if none.
    async fn delete_account(&self, app_id: &str, user_id: &str) -> StoreResult<bool>;
    /// The user with this id.
    async fn user_by_id(&self, user_id: &str) -> StoreResult<Option<UserRecord>>;
    /// The user with this (stored-form) username in the app.
    async fn user_by_username(&self, app_id: &str, username: &str) -> StoreResult<Option<UserRecord>>;
    /// Spends a password proof together with what it authorises, all or nothing:
    /// - the challenge's nonce is spent once across every server (`ChallengeNotValid` on a replay or
    ///   past its expiry, judged on a clock read once the proof's turn has come; nothing written);
    /// - the throttle of (app, username) is read; in its delay → `Throttled`, nothing written;
    /// - the verified account must still have the username and login key the signature was checked
    ///   against; if not, or if nothing verified, one failure is counted and committed → `Failed`;
    /// - otherwise an elapsed failure count is cleared and `effect` applied → `Accepted`; an effect
    ///   that is refused rolls everything back → `Refused`.
    ///
    /// "The key the signature was checked against" is the login key for a session or an update, and a
    /// pending account's verifier for [`ProofEffect::CompleteKeys`]: once a first sign-in has stored
    /// keys, a second proof of the old verifier fails.
    ///
    /// Proofs for one (app, username) are serialised, so parallel guesses cannot all pass one throttle
    /// check before a failure is counted.
    async fn spend_proof(&self, attempt: &ProofAttempt<'_>, effect: ProofEffect<'_>) -> StoreResult<ProofOutcome>;
    /// Applies an update made on a session's authority, which must still be live when it commits.
    async fn update_user(&self, update: &UserUpdate) -> StoreResult<Result<UserRecord, Refusal>>;
    /// The recovery key registered for this (stored-form) username in the app, if any.
    async fn recovery(&self, app_id: &str, username: &str) -> StoreResult<Option<StoredRecovery>>;
    /// Registers the user's recovery key in place of `replaces`, the user's current recovery login key
    /// (`None`: they have none), compared under the row lock (`RecoveryKeyChanged` otherwise), on a
    /// session that must still be live when it commits (`SessionNotLive` otherwise); nothing written
    /// on a refusal.
    async fn set_recovery(
        &self,
        user_id: &str,
        session_id: &str,
        recovery: &StoredRecovery,
        replaces: Option<&[u8; 32]>,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>>;
    /// Deletes a user (with their sessions) on a session's authority, which must still be live.
    async fn delete_user(
        &self,
        app_id: &str,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>>;

    /// Stores a verification of the user's email, replacing any earlier one; false (nothing stored) if
    /// the user is gone or their email is no longer the verification's.
    async fn start_email_verification(&self, verification: &NewEmailVerification) -> StoreResult<bool>;
    /// Spends a live verification matching the proof and marks the email verified, in one transaction;
    /// a verification works once (a conditional update), on every server. A wrong code is counted;
    /// after [`crate::auth::email_verification::MAX_WRONG_CODES`] the verification is dead.
    async fn confirm_email(&self, proof: &EmailProof<'_>, now: i64) -> StoreResult<EmailConfirmation>;
    /// When the user's current verification was made, if they have one.
    async fn email_verification_sent_at(&self, user_id: &str) -> StoreResult<Option<i64>>;

    /// The live session whose secret hashes to this, or any session of a blocked user whose secret
    /// hashes to this (marked [`SessionRecord::user_blocked`]).
    async fn session_by_secret_hash(&self, secret_hash: &SecretHash, now: i64) -> StoreResult<Option<SessionRecord>>;
    /// Sets a session's expiry and length if it is still live at `now`; false if it is not.
    async fn extend_session(&self, session_id: &str, expires_at: i64, length_hours: f64, now: i64)
        -> StoreResult<bool>;
    /// Revokes a session (sign-out): its secret fails at once, on every server.
    async fn revoke_session(&self, session_id: &str, now: i64) -> StoreResult<()>;
    /// For the admin API's online check: does the user exist in the app, is it blocked, is the session
    /// live.
    async fn online_check(&self, app_id: &str, user_id: &str, session_id: &str, now: i64) -> StoreResult<OnlineCheck>;

    /// The signing key in use; if there is none yet, `candidate` becomes it (servers starting together
    /// agree on one).
    async fn signing_key_or_insert(&self, candidate: &NewSigningKey) -> StoreResult<SigningKeyRecord>;
    /// The signing key in use (the one unretired key).
    async fn current_signing_key(&self) -> StoreResult<Option<SigningKeyRecord>>;
    /// Retires the key in use (published for the longest token lifetime of any app plus `grace_ms`)
    /// and makes `new_key` the one in use.
    async fn rotate_signing_key(&self, new_key: &NewSigningKey, grace_ms: i64) -> StoreResult<()>;
    /// Keys that verify tokens at `now`: the one in use and retired ones within their window.
    async fn published_keys(&self, now: i64) -> StoreResult<Vec<PublishedKey>>;
    /// The named server secret; if there is none yet, `sealed_candidate` becomes it.
    async fn server_secret_or_insert(&self, name: &str, sealed_candidate: &[u8], now: i64)
        -> StoreResult<StoredSecret>;
    /// Every signing key's private key and every server secret, as stored.
    async fn secrets_at_rest(&self) -> StoreResult<Vec<SecretAtRest>>;
    /// Replaces secrets at rest with sealed values, all or none: false (nothing changed) if one no
    /// longer holds what it held when read.
    async fn replace_secrets_at_rest(&self, replacements: &[SecretReplacement]) -> StoreResult<bool>;

    /// Deletes what has outlived its use (spent challenges past expiry, sessions a week after they ended,
    /// idle failure counts). Runs on one server at a time; false if another was already at it.
    async fn purge(&self, now: i64) -> StoreResult<bool>;
    /// Backend upkeep off the request path, called about once a second by a serving server (SQLite:
    /// copying the WAL into the database file).
    async fn maintain(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// Opens the store a database URL names, creating and migrating it as needed: `postgres://…` (or
/// `postgresql://…`) for PostgreSQL, `sqlite://path` (or a plain path) for SQLite.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PostgresStore::open(url).await?))
    } else {
        Ok(Arc::new(sqlite::SqliteStore::open(url)?))
    }
}
