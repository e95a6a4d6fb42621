//! A store decorator for staging races in tests, on any backend: a call of an armed operation stops
//! before it reaches the store until the test lets it go, so the test can commit a concurrent change at
//! exactly that point (feature `test-util`).
//!
//! ```ignore
//! let pause = store.pause_next(Operation::SpendProof);
//! let request = tokio::spawn(sign_in(...));
//! let paused = pause.reached().await;    // the sign-in has checked its proof and waits before spending it
//! /* commit a password change */
//! paused.release();
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use super::*;

/// The store operations a test can pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// [`Store::sign_up`].
    SignUp,
    /// [`Store::create_user`].
    CreateUser,
    /// [`Store::spend_proof`].
    SpendProof,
    /// [`Store::update_user`].
    UpdateUser,
    /// [`Store::delete_user`].
    DeleteUser,
    /// [`Store::extend_session`].
    ExtendSession,
}

/// Wraps a store; calls pass straight through unless their operation is armed.
#[derive(Debug)]
pub struct PausingStore {
    inner: Arc<dyn Store>,
    armed: Mutex<HashMap<Operation, Gate>>,
}

#[derive(Debug)]
struct Gate {
    reached: oneshot::Sender<Release>,
}

/// An armed pause: resolves when a call has reached it.
#[derive(Debug)]
pub struct Pause(oneshot::Receiver<Release>);

/// A call held at its pause; it goes on when this is released or dropped.
#[derive(Debug)]
pub struct Release(oneshot::Sender<()>);

impl Pause {
    /// Waits until a call of the armed operation is held.
    pub async fn reached(self) -> Release {
        self.0.await.expect("the pausing store was dropped")
    }
}

impl Release {
    /// Lets the held call go on.
    pub fn release(self) {
        let _ = self.0.send(());
    }
}

impl PausingStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner, armed: Mutex::new(HashMap::new()) }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }

    /// Holds the next call of `operation` before it reaches the store.
    pub fn pause_next(&self, operation: Operation) -> Pause {
        let (reached, pause) = oneshot::channel();
        self.armed.lock().unwrap_or_else(PoisonError::into_inner).insert(operation, Gate { reached });
        Pause(pause)
    }

    async fn gate(&self, operation: Operation) {
        let gate = self.armed.lock().unwrap_or_else(PoisonError::into_inner).remove(&operation);
        if let Some(gate) = gate {
            let (release, released) = oneshot::channel();
            if gate.reached.send(Release(release)).is_ok() {
                // Released, or the test dropped its handle: go on either way.
                let _ = released.await;
            }
        }
    }
}

#[async_trait::async_trait]
impl Store for PausingStore {
    async fn create_app(&self, app: &NewAppRecord) -> StoreResult<()> {
        self.inner.create_app(app).await
    }
    async fn app(&self, app_id: &str) -> StoreResult<Option<AppRecord>> {
        self.inner.app(app_id).await
    }
    async fn app_by_admin_token(&self, token_hash: &SecretHash) -> StoreResult<Option<AppRecord>> {
        self.inner.app_by_admin_token(token_hash).await
    }
    async fn update_app(&self, app_id: &str, change: &AppChange) -> StoreResult<Option<AppRecord>> {
        self.inner.update_app(app_id, change).await
    }
    async fn replace_admin_token(&self, app_id: &str, token_hash: &SecretHash) -> StoreResult<bool> {
        self.inner.replace_admin_token(app_id, token_hash).await
    }
    async fn create_app_secret(&self, secret: &NewAppSecret) -> StoreResult<bool> {
        self.inner.create_app_secret(secret).await
    }
    async fn app_secrets(&self, app_id: &str) -> StoreResult<Vec<AppSecretRecord>> {
        self.inner.app_secrets(app_id).await
    }
    async fn revoke_app_secret(&self, app_id: &str, name: &str, now: i64) -> StoreResult<bool> {
        self.inner.revoke_app_secret(app_id, name, now).await
    }
    async fn app_secret(&self, id: &str) -> StoreResult<Option<AppSecretRecord>> {
        self.inner.app_secret(id).await
    }
    async fn touch_app_secret(&self, id: &str, now: i64) -> StoreResult<()> {
        self.inner.touch_app_secret(id, now).await
    }
    async fn sign_up(&self, user: &UserRecord, session: &NewSession) -> StoreResult<SignUpOutcome> {
        self.gate(Operation::SignUp).await;
        self.inner.sign_up(user, session).await
    }
    async fn create_user(&self, account: &NewAccount) -> StoreResult<CreateUserOutcome> {
        self.gate(Operation::CreateUser).await;
        self.inner.create_user(account).await
    }
    async fn admin_user(&self, app_id: &str, user_id: &str) -> StoreResult<Option<AdminUserRecord>> {
        self.inner.admin_user(app_id, user_id).await
    }

    async fn find_user(&self, app_id: &str, lookup: &UserLookup) -> StoreResult<Option<AdminUserRecord>> {
        self.inner.find_user(app_id, lookup).await
    }

    async fn list_users(&self, app_id: &str, query: &ListUsers) -> StoreResult<Vec<AdminUserRecord>> {
        self.inner.list_users(app_id, query).await
    }

    async fn update_account(
        &self,
        app_id: &str,
        user_id: &str,
        change: &UserChange,
        now: i64,
    ) -> StoreResult<Result<AdminUserRecord, AccountRefusal>> {
        self.inner.update_account(app_id, user_id, change, now).await
    }

    async fn delete_account(&self, app_id: &str, user_id: &str) -> StoreResult<bool> {
        self.inner.delete_account(app_id, user_id).await
    }

    async fn start_email_verification(&self, verification: &NewEmailVerification) -> StoreResult<bool> {
        self.inner.start_email_verification(verification).await
    }

    async fn confirm_email(&self, proof: &EmailProof<'_>, now: i64) -> StoreResult<EmailConfirmation> {
        self.inner.confirm_email(proof, now).await
    }

    async fn email_verification_sent_at(&self, user_id: &str) -> StoreResult<Option<i64>> {
        self.inner.email_verification_sent_at(user_id).await
    }
    async fn user_by_id(&self, user_id: &str) -> StoreResult<Option<UserRecord>> {
        self.inner.user_by_id(user_id).await
    }
    async fn user_by_username(&self, app_id: &str, username: &str) -> StoreResult<Option<UserRecord>> {
        self.inner.user_by_username(app_id, username).await
    }
    async fn spend_proof(&self, attempt: &ProofAttempt<'_>, effect: ProofEffect<'_>) -> StoreResult<ProofOutcome> {
        self.gate(Operation::SpendProof).await;
        self.inner.spend_proof(attempt, effect).await
    }
    async fn update_user(&self, update: &UserUpdate) -> StoreResult<Result<UserRecord, Refusal>> {
        self.gate(Operation::UpdateUser).await;
        self.inner.update_user(update).await
    }
    async fn recovery(&self, app_id: &str, username: &str) -> StoreResult<Option<StoredRecovery>> {
        self.inner.recovery(app_id, username).await
    }
    async fn set_recovery(
        &self,
        user_id: &str,
        session_id: &str,
        recovery: &StoredRecovery,
        replaces: Option<&[u8; 32]>,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>> {
        self.inner.set_recovery(user_id, session_id, recovery, replaces, now).await
    }
    async fn delete_user(
        &self,
        app_id: &str,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> StoreResult<Result<(), Refusal>> {
        self.gate(Operation::DeleteUser).await;
        self.inner.delete_user(app_id, user_id, session_id, now).await
    }
    async fn session_by_secret_hash(&self, secret_hash: &SecretHash, now: i64) -> StoreResult<Option<SessionRecord>> {
        self.inner.session_by_secret_hash(secret_hash, now).await
    }
    async fn extend_session(
        &self,
        session_id: &str,
        expires_at: i64,
        length_hours: f64,
        now: i64,
    ) -> StoreResult<bool> {
        self.gate(Operation::ExtendSession).await;
        self.inner.extend_session(session_id, expires_at, length_hours, now).await
    }
    async fn revoke_session(&self, session_id: &str, now: i64) -> StoreResult<()> {
        self.inner.revoke_session(session_id, now).await
    }
    async fn online_check(&self, app_id: &str, user_id: &str, session_id: &str, now: i64) -> StoreResult<OnlineCheck> {
        self.inner.online_check(app_id, user_id, session_id, now).await
    }
    async fn signing_key_or_insert(&self, candidate: &NewSigningKey) -> StoreResult<SigningKeyRecord> {
        self.inner.signing_key_or_insert(candidate).await
    }
    async fn current_signing_key(&self) -> StoreResult<Option<SigningKeyRecord>> {
        self.inner.current_signing_key().await
    }
    async fn rotate_signing_key(&self, new_key: &NewSigningKey, grace_ms: i64) -> StoreResult<()> {
        self.inner.rotate_signing_key(new_key, grace_ms).await
    }
    async fn published_keys(&self, now: i64) -> StoreResult<Vec<PublishedKey>> {
        self.inner.published_keys(now).await
    }
    async fn server_secret_or_insert(
        &self,
        name: &str,
        sealed_candidate: &[u8],
        now: i64,
    ) -> StoreResult<StoredSecret> {
        self.inner.server_secret_or_insert(name, sealed_candidate, now).await
    }
    async fn secrets_at_rest(&self) -> StoreResult<Vec<SecretAtRest>> {
        self.inner.secrets_at_rest().await
    }
    async fn replace_secrets_at_rest(&self, replacements: &[SecretReplacement]) -> StoreResult<bool> {
        self.inner.replace_secrets_at_rest(replacements).await
    }
    async fn purge(&self, now: i64) -> StoreResult<bool> {
        self.inner.purge(now).await
    }
    async fn maintain(&self) -> StoreResult<()> {
        self.inner.maintain().await
    }
}
