//! The plain values that cross the storage seam, and the outcomes of its use cases.

use sealbase::admin::record::Identity;
use sealbase::admin::AccountDetails;
use sealbase::crypto::legacy::PendingVerifier;
use sealbase::crypto::{IdentityPublicKeys, KdfAlgorithm, KdfParams, SeedBackup};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::{AccountKeys, Metadata, UserClaims};
use sealbase::validate::{Profile, RememberMe};
use sealbase::PaymentsMode;
use zeroize::Zeroizing;

use super::StoreError;
use crate::apps::NewApp;

/// SHA-256 of a secret (session secret, admin access token): what is stored instead of it.
pub type SecretHash = [u8; 32];

/// An app about to be stored.
#[derive(Debug, Clone)]
pub struct NewAppRecord {
    /// The public appId.
    pub id: String,
    /// Its settings.
    pub app: NewApp,
    /// SHA-256 of its admin access token.
    pub admin_token_hash: SecretHash,
    /// Creation time (Unix ms).
    pub created_at: i64,
}

/// An app's settings as requests use them.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRecord {
    /// The public appId.
    pub id: String,
    /// Minimum password length clients enforce.
    pub password_min_length: u32,
    /// How many of the five password practices a password must follow (1–5).
    pub password_complexity: u8,
    /// Origins allowed to call from a browser; empty allows any.
    pub allowed_origins: Vec<String>,
    /// Payments mode reported to clients.
    pub payments_mode: PaymentsMode,
    /// Trial length for new users, in days.
    pub trial_days: Option<u32>,
    /// Longest authToken lifetime, in seconds.
    pub token_lifetime_secs: u32,
    /// Sign-in needs a verified email.
    pub require_verified_email: bool,
}

impl AppRecord {
    /// From stored columns (`allowed_origins` as a JSON list, `payments_mode` as its spelling).
    #[allow(clippy::too_many_arguments, reason = "one argument per column of the apps table, in its order")]
    pub(crate) fn from_columns(
        id: String,
        password_min_length: i64,
        allowed_origins: &str,
        payments_mode: &str,
        trial_days: Option<i64>,
        token_lifetime_secs: i64,
        password_complexity: i64,
        require_verified_email: bool,
    ) -> Result<Self, StoreError> {
        let malformed = |what: &str| StoreError::Malformed(format!("{what} of app {id}"));
        Ok(Self {
            password_min_length: u32::try_from(password_min_length).map_err(|_| malformed("password_min_length"))?,
            allowed_origins: serde_json::from_str(allowed_origins).map_err(|_| malformed("allowed_origins"))?,
            payments_mode: payments_mode.parse().map_err(|_| malformed("payments_mode"))?,
            trial_days: trial_days.map(u32::try_from).transpose().map_err(|_| malformed("trial_days"))?,
            token_lifetime_secs: u32::try_from(token_lifetime_secs).map_err(|_| malformed("token_lifetime_secs"))?,
            password_complexity: u8::try_from(password_complexity).map_err(|_| malformed("password_complexity"))?,
            require_verified_email,
            id,
        })
    }
}

/// Settings of an app to change (`None` leaves one as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppChange {
    /// New minimum password length (1–1000).
    pub password_min_length: Option<u32>,
    /// New password complexity (1–5).
    pub password_complexity: Option<u8>,
    /// Whether sign-in needs a verified email.
    pub require_verified_email: Option<bool>,
}

/// How a user proves their password.
#[derive(Debug, Clone, PartialEq)]
pub enum Login {
    /// An ordinary account: the keys its client registered.
    Keys(AccountKeys),
    /// A pending account, made by its app's backend: the verifier its first sign-in proves the password
    /// against (docs/protocol.md §3.13).
    Pending(PendingVerifier),
}

/// A user as stored (seed 001's record aside: [`AdminUserRecord`]).
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// The public userId.
    pub id: String,
    /// The user's app.
    pub app_id: String,
    /// Stored form (NFKC, lower-cased).
    pub username: String,
    /// Lower-cased email.
    pub email: Option<String>,
    /// Profile.
    pub profile: Option<Profile>,
    /// Keys, or a pending account's verifier.
    pub login: Login,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// End of the trial (Unix ms).
    pub trial_expires_at: Option<i64>,
    /// The server once received the password in plaintext.
    pub password_seen_by_server: bool,
    /// The email was verified (seed 001's `email_verified`).
    pub email_verified: bool,
    /// Profile claims (seed 001's `name`, `picture`, `phone_number` and `profile`).
    pub claims: Option<UserClaims>,
    /// The phone number of the claims was verified.
    pub phone_number_verified: bool,
    /// App metadata.
    pub metadata: Option<Metadata>,
}

/// A user's claims and metadata as stored: `name`, `picture`, `phone_number`, `claims` (JSON) and
/// `metadata` (JSON) columns.
pub(crate) struct RecordColumns {
    pub name: Option<String>,
    pub picture: Option<String>,
    pub phone_number: Option<String>,
    pub claims: Option<String>,
    pub metadata: Option<String>,
}

impl RecordColumns {
    /// The columns of claims and metadata.
    pub(crate) fn of(claims: Option<&UserClaims>, metadata: Option<&Metadata>) -> Self {
        Self {
            name: claims.and_then(|c| c.name.clone()),
            picture: claims.and_then(|c| c.picture.clone()),
            phone_number: claims.and_then(|c| c.phone_number.clone()),
            claims: claims.and_then(UserClaims::profile).as_ref().map(json),
            metadata: metadata.map(json),
        }
    }
}

impl UserRecord {
    /// An ordinary account's keys; `None` for a pending account.
    pub fn keys(&self) -> Option<&AccountKeys> {
        match &self.login {
            Login::Keys(keys) => Some(keys),
            Login::Pending(_) => None,
        }
    }
}

/// A user with seed 001's record, as the server-side API reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminUserRecord {
    /// The user.
    pub user: UserRecord,
    /// The record.
    pub details: AccountDetails,
}

/// A user an app's backend creates: a pending account and its record.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The user (its login a [`Login::Pending`]).
    pub user: UserRecord,
    /// Seed 001's record.
    pub details: AccountDetails,
}

/// What [`super::Store::create_user`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateUserOutcome {
    /// User, verifier, record and identities stored.
    Created,
    /// The app already has a user of that name; nothing stored.
    UsernameTaken,
    /// The app already has a user with that email; nothing stored.
    EmailTaken,
    /// Another user of the app has the identity at this position of the list; nothing stored.
    IdentityTaken(usize),
    /// The app has as many users as its quota allows; nothing stored.
    QuotaExceeded,
}

/// A `users` row's columns (with its pending login's) as both backends read them, before they are
/// checked into a [`UserRecord`].
pub(crate) struct UserColumns {
    pub id: String,
    pub app_id: String,
    pub username: String,
    pub email: Option<String>,
    pub profile: Option<String>,
    pub kdf_log_n: Option<i64>,
    pub kdf_r: Option<i64>,
    pub kdf_p: Option<i64>,
    pub kdf_salt: Option<Vec<u8>>,
    pub login_public_key: Option<Vec<u8>>,
    pub seed_backup_nonce: Option<Vec<u8>>,
    pub seed_backup_ciphertext: Option<Vec<u8>>,
    pub identity_signing_public_key: Option<Vec<u8>>,
    pub identity_exchange_public_key: Option<Vec<u8>>,
    pub created_at: i64,
    pub trial_expires_at: Option<i64>,
    pub password_seen_by_server: bool,
    pub email_verified: bool,
    pub name: Option<String>,
    pub picture: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    pub claims: Option<String>,
    pub metadata: Option<String>,
    pub pending_params: Option<String>,
    pub pending_public_key: Option<Vec<u8>>,
}

/// `SELECT` of the columns a [`UserColumns`] is read from, in its order, with a `WHERE` clause over
/// `users u` (a macro, for `concat!`).
macro_rules! select_user {
    ($where:literal) => {
        concat!(
            "SELECT u.id, u.app_id, u.username, u.email, u.profile, u.kdf_log_n, u.kdf_r, u.kdf_p, u.kdf_salt, \
             u.login_public_key, u.seed_backup_nonce, u.seed_backup_ciphertext, u.identity_signing_public_key, \
             u.identity_exchange_public_key, u.created_at, u.trial_expires_at, u.password_seen_by_server, \
             u.email_verified, u.name, u.picture, u.phone_number, u.phone_number_verified, u.claims, u.metadata, \
             p.params, p.public_key \
             FROM users u LEFT JOIN pending_logins p ON p.user_id = u.id WHERE ",
            $where
        )
    };
}
pub(crate) use select_user;

fn array<const N: usize>(bytes: Option<Vec<u8>>, what: &str, id: &str) -> Result<Bytes<N>, StoreError> {
    bytes
        .and_then(|bytes| <[u8; N]>::try_from(bytes.as_slice()).ok())
        .map(Bytes)
        .ok_or_else(|| StoreError::Malformed(format!("{what} of user {id}")))
}

impl TryFrom<UserColumns> for UserRecord {
    type Error = StoreError;

    fn try_from(c: UserColumns) -> Result<Self, StoreError> {
        let malformed = |what: &str| StoreError::Malformed(format!("{what} of user {}", c.id));
        let login = match (c.kdf_log_n, c.pending_params) {
            (Some(log_n), _) => Login::Keys(AccountKeys {
                kdf: KdfParams {
                    algorithm: KdfAlgorithm::Scrypt,
                    log_n: u8::try_from(log_n).map_err(|_| malformed("kdf_log_n"))?,
                    r: c.kdf_r.and_then(|r| u32::try_from(r).ok()).ok_or_else(|| malformed("kdf_r"))?,
                    p: c.kdf_p.and_then(|p| u32::try_from(p).ok()).ok_or_else(|| malformed("kdf_p"))?,
                    salt: array(c.kdf_salt, "kdf_salt", &c.id)?,
                },
                login_public_key: array(c.login_public_key, "login_public_key", &c.id)?,
                seed_backup: SeedBackup {
                    nonce: array(c.seed_backup_nonce, "seed_backup_nonce", &c.id)?,
                    ciphertext: array(c.seed_backup_ciphertext, "seed_backup_ciphertext", &c.id)?,
                },
                identity: IdentityPublicKeys {
                    signing: array(c.identity_signing_public_key, "identity_signing_public_key", &c.id)?,
                    exchange: array(c.identity_exchange_public_key, "identity_exchange_public_key", &c.id)?,
                },
            }),
            (None, Some(params)) => Login::Pending(PendingVerifier {
                params: serde_json::from_str(&params).map_err(|_| malformed("pending login params"))?,
                public_key: array(c.pending_public_key, "pending login public_key", &c.id)?,
            }),
            (None, None) => return Err(malformed("keys (neither keys nor a pending login)")),
        };
        let profile =
            c.profile.as_deref().map(serde_json::from_str::<Profile>).transpose().map_err(|_| malformed("profile"))?;
        let claims = c.claims.as_deref().map(serde_json::from_str).transpose().map_err(|_| malformed("claims"))?;
        let metadata =
            c.metadata.as_deref().map(serde_json::from_str).transpose().map_err(|_| malformed("metadata"))?;
        Ok(Self {
            login,
            profile,
            id: c.id,
            app_id: c.app_id,
            username: c.username,
            email: c.email,
            created_at: c.created_at,
            trial_expires_at: c.trial_expires_at,
            password_seen_by_server: c.password_seen_by_server,
            email_verified: c.email_verified,
            claims: UserClaims::from_record(c.name, c.picture, c.phone_number, claims),
            phone_number_verified: c.phone_number_verified,
            metadata,
        })
    }
}

/// A profile as stored: a JSON object, or NULL.
pub(crate) fn profile_json(profile: Option<&Profile>) -> Option<String> {
    profile.map(|profile| serde_json::to_string(profile).unwrap_or_else(|_| unreachable!("a string map serialises")))
}

/// A value the server made, as stored JSON.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| unreachable!("records serialise"))
}

/// The columns of seed 001's record as both backends read them (`SELECT_DETAILS`'s order).
pub(crate) struct DetailsColumns {
    pub name: Option<String>,
    pub picture: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    pub email_verified: bool,
    pub verify_email: bool,
    pub blocked: bool,
    pub login_attempts: i64,
    pub claims: Option<String>,
    pub metadata: Option<String>,
}

/// Seed 001's record of the user `u.id = ?` (one parameter).
pub(crate) const SELECT_DETAILS: &str = "SELECT name, picture, phone_number, phone_number_verified, email_verified, \
     verify_email, blocked, login_attempts, claims, metadata FROM users WHERE id = ";

/// A user's identities, in their order (one parameter, the user id).
pub(crate) const SELECT_IDENTITIES: &str =
    "SELECT connection, provider, type, external_id, details FROM identities WHERE user_id = ";

/// An `identities` row's columns.
pub(crate) type IdentityColumns = (String, String, String, Option<String>, String);

impl DetailsColumns {
    /// The record, with the user's identities.
    pub(crate) fn into_details(
        self,
        user_id: &str,
        identities: Vec<IdentityColumns>,
    ) -> Result<AccountDetails, StoreError> {
        let malformed = |what: &str| StoreError::Malformed(format!("{what} of user {user_id}"));
        let identities = identities
            .into_iter()
            .map(|(connection, provider, kind, id, details)| {
                Ok(Identity {
                    connection,
                    provider,
                    kind,
                    id,
                    details: serde_json::from_str(&details).map_err(|_| malformed("identity details"))?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(AccountDetails {
            name: self.name,
            picture: self.picture,
            phone_number: self.phone_number,
            phone_number_verified: self.phone_number_verified,
            email_verified: self.email_verified,
            verify_email: self.verify_email,
            blocked: self.blocked,
            login_attempts: u32::try_from(self.login_attempts).map_err(|_| malformed("login_attempts"))?,
            metadata: self
                .metadata
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| malformed("metadata"))?,
            identities,
            profile: self.claims.as_deref().map(serde_json::from_str).transpose().map_err(|_| malformed("claims"))?,
        })
    }
}

/// A user's row, record and identities as both backends read them, not yet checked.
pub(crate) struct AccountColumns {
    pub user: UserColumns,
    pub details: DetailsColumns,
    pub identities: Vec<IdentityColumns>,
}

impl AccountColumns {
    /// The checked record.
    pub(crate) fn into_record(self) -> Result<AdminUserRecord, StoreError> {
        let details = self.details.into_details(&self.user.id, self.identities)?;
        Ok(AdminUserRecord { user: self.user.try_into()?, details })
    }
}

impl AdminUserRecord {
    /// What the server-side API may change.
    pub fn editable(&self) -> sealbase::admin::EditableUser {
        sealbase::admin::EditableUser {
            username: self.user.username.clone(),
            email: self.user.email.clone(),
            details: self.details.clone(),
        }
    }
}

/// What [`super::Store::sign_up`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpOutcome {
    /// User and session stored.
    Created,
    /// The app already has a user of that name; nothing stored.
    UsernameTaken,
    /// The app already has a user with that email; nothing stored.
    EmailTaken,
    /// The app has as many users as its quota allows; nothing stored.
    QuotaExceeded,
}

/// A session about to be stored (its secret's hash, never the secret).
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The public sessionId.
    pub id: String,
    /// Its user.
    pub user_id: String,
    /// SHA-256 of the session secret.
    pub secret_hash: SecretHash,
    /// How the client keeps it.
    pub remember_me: RememberMe,
    /// Its length in hours.
    pub length_hours: f64,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Expiry (Unix ms).
    pub expires_at: i64,
}

/// A live session, as an authenticated request finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The public sessionId.
    pub session_id: String,
    /// The signed-in user.
    pub user_id: String,
    /// The user's app.
    pub app_id: String,
    /// Expiry (Unix ms).
    pub expires_at: i64,
    /// Length in hours.
    pub length_hours: f64,
    /// The user is blocked: the session (revoked by the block) is reported only so the answer can
    /// say why it is dead.
    pub user_blocked: bool,
    /// The user's email, for the authTokens the session is issued.
    pub email: Option<String>,
    /// Whether that email is verified.
    pub email_verified: bool,
}

/// A checked password proof about to be spent.
#[derive(Debug, Clone)]
pub struct ProofAttempt<'a> {
    /// The app.
    pub app_id: &'a str,
    /// The username the challenge was issued for (stored form).
    pub username: &'a str,
    /// The challenge's nonce (authentic and unexpired when checked).
    pub nonce: [u8; 16],
    /// The challenge's expiry (Unix ms), checked again when it is spent.
    pub challenge_expires_at: i64,
    /// The time of the attempt (Unix ms).
    pub now: i64,
    /// The account the signature verified against, as read before; `None` if the user is unknown or
    /// the signature bad.
    pub verified: Option<&'a UserRecord>,
    /// The app requires a verified email to sign in: a right proof of a user whose email is not opens
    /// nothing ([`Refusal::EmailNotVerified`]), decided after the throttle like a blocked user's.
    pub email_must_be_verified: bool,
}

/// What a proof authorises.
#[derive(Debug, Clone, Copy)]
pub enum ProofEffect<'a> {
    /// Sign-in: open this session.
    OpenSession(&'a NewSession),
    /// A password change (with whatever else the update carries).
    UpdateUser(&'a UserUpdate),
    /// A password reset by recovery key: the new password's credentials replace the old, every session
    /// of the user is revoked, and this one opens.
    ResetPassword {
        /// The new password's key material.
        credentials: &'a Credentials,
        /// The recovery login key the proof verified against (unchanged since, or the proof fails).
        recovery_login_public_key: &'a [u8; 32],
        /// The session to open.
        session: &'a NewSession,
    },
    /// A pending account's first sign-in: store its keys in place of its verifier, and open this
    /// session.
    CompleteKeys {
        /// The keys the client made.
        keys: &'a AccountKeys,
        /// The session to open.
        session: &'a NewSession,
    },
}

/// What [`super::Store::spend_proof`] did.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per request, moved once: boxing would only add an allocation
pub enum ProofOutcome {
    /// Proof spent and effect applied; the user as it now is.
    Accepted(UserRecord),
    /// A failure was counted: unknown user, bad signature, or a login changed since it was checked.
    Failed,
    /// The challenge was spent already or has expired; nothing written.
    ChallengeNotValid,
    /// The username is in a throttle delay until then (Unix ms); nothing written.
    Throttled {
        /// End of the delay.
        locked_until: i64,
    },
    /// The effect was refused; nothing written.
    Refused(Refusal),
}

/// Why a write on a session's authority was refused (nothing written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The session was signed out, revoked or expired meanwhile (or its user deleted).
    SessionNotLive,
    /// The new username belongs to another user of the app.
    UsernameTaken,
    /// The new email belongs to another user of the app.
    EmailTaken,
    /// The user row is gone under a live session (defensive).
    UserNotFound,
    /// The user is blocked: a right proof opens nothing (nothing written).
    UserBlocked,
    /// The app requires a verified email and the user's is not: a right proof opens nothing (nothing
    /// written).
    EmailNotVerified,
    /// A recovery-key registration names a key it replaces that is not the user's current one: sent
    /// again after a newer registration, or raced by one (nothing written).
    RecoveryKeyChanged,
}

/// An email verification about to be stored (the user's one live verification from then on).
#[derive(Debug, Clone)]
pub struct NewEmailVerification {
    /// The user.
    pub user_id: String,
    /// The address it is mailed to; the verification is void once the user's email is another.
    pub email: String,
    /// SHA-256 of the link's token.
    pub token_hash: SecretHash,
    /// SHA-256 of the user id and the code.
    pub code_hash: SecretHash,
    /// When it was made (Unix ms).
    pub created_at: i64,
    /// When it expires (Unix ms).
    pub expires_at: i64,
}

/// What proves an email: the link's token, or a signed-in user's code.
#[derive(Debug, Clone, Copy)]
pub enum EmailProof<'a> {
    /// The hash of a link's token, for a user of this app (the app in the link's path).
    Token {
        /// The app the link names.
        app_id: &'a str,
        /// The token's hash ([`crate::auth::email_verification::token_hash`]).
        token_hash: &'a SecretHash,
    },
    /// The hash of a code, for this user.
    Code {
        /// The signed-in user.
        user_id: &'a str,
        /// The code's hash ([`crate::auth::email_verification::code_hash`]).
        code_hash: &'a SecretHash,
    },
}

/// What [`super::Store::confirm_email`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailConfirmation {
    /// The email is verified; the verification is spent.
    Verified {
        /// The user.
        user_id: String,
    },
    /// No live verification matches (unknown, expired, spent, too many wrong codes, or the user's email
    /// changed since); nothing written.
    NotValid,
    /// The code is wrong: one more wrong code counted.
    WrongCode,
}

/// Why a change by the server-side API was refused (nothing written).
#[derive(Debug, Clone, PartialEq)]
pub enum AccountRefusal {
    /// No user of the app has that id.
    UserNotFound,
    /// The new username belongs to another user of the app.
    UsernameTaken,
    /// The new email belongs to another user of the app.
    EmailTaken,
    /// Another user of the app has the identity at this position of the new list.
    IdentityTaken(usize),
    /// The user after the change would break a rule of the record.
    NotValid(sealbase::admin::AdminError),
}

/// New password-derived material (a password change).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// KDF parameters and fresh salt.
    pub kdf: KdfParams,
    /// New login public key.
    pub login_public_key: [u8; 32],
    /// The same seed under the new password.
    pub seed_backup: SeedBackup,
}

/// A user's recovery key as registered (docs/protocol.md §3.19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecovery {
    /// The HKDF salt.
    pub salt: [u8; 16],
    /// The recovery login public key.
    pub login_public_key: [u8; 32],
    /// The seed under the recovery backup key.
    pub seed_backup: SeedBackup,
    /// When it was registered (Unix ms).
    pub created_at: i64,
}

/// An update of a user on a session's authority. `None` leaves a field alone.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    /// The user.
    pub user_id: String,
    /// The session it is made on; must be live when the update commits.
    pub session_id: String,
    /// New username.
    pub username: Option<String>,
    /// New email (`Some(None)` removes it).
    pub email: Option<Option<String>>,
    /// New profile (`Some(None)` removes it).
    pub profile: Option<Option<Profile>>,
    /// New profile claims (`Some(None)` removes them).
    pub claims: Option<Option<UserClaims>>,
    /// New metadata (`Some(None)` removes it).
    pub metadata: Option<Option<Metadata>>,
    /// New password material; revokes every other session of the user.
    pub credentials: Option<Credentials>,
    /// The time of the update (Unix ms).
    pub now: i64,
}

/// The admin API's view of a token's user and session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlineCheck {
    /// The user exists in the app.
    pub user_exists: bool,
    /// The session is unrevoked and unexpired.
    pub session_live: bool,
    /// The user is blocked.
    pub user_blocked: bool,
}

/// An authToken signing key about to be stored.
pub struct NewSigningKey {
    /// The JWT `kid`.
    pub kid: String,
    /// Ed25519 private key, PKCS#8 DER, sealed under the key-encryption key.
    pub sealed_private_key: Vec<u8>,
    /// Its public key.
    pub public_key: [u8; 32],
    /// Creation time (Unix ms).
    pub created_at: i64,
}

impl std::fmt::Debug for NewSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The signing key in use.
pub struct SigningKeyRecord {
    /// The JWT `kid`.
    pub kid: String,
    /// Ed25519 private key, PKCS#8 DER: sealed, or (written before sealing existed) plain.
    pub private_key: Zeroizing<Vec<u8>>,
    /// Whether `private_key` is sealed.
    pub sealed: bool,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// A server secret as stored.
pub struct StoredSecret {
    /// The value: sealed, or (written before sealing existed) plain.
    pub value: Zeroizing<Vec<u8>>,
    /// Whether `value` is sealed.
    pub sealed: bool,
}

/// The kinds of the server's own secrets kept at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// An authToken signing key's private key, named by its `kid`.
    SigningKey,
    /// A server secret, named by its `name`.
    ServerSecret,
}

/// One of the server's own secrets as stored.
pub struct SecretAtRest {
    /// Which kind.
    pub kind: SecretKind,
    /// Its `kid` or name.
    pub name: String,
    /// The stored bytes.
    pub value: Zeroizing<Vec<u8>>,
    /// Whether they are sealed.
    pub sealed: bool,
}

/// A secret at rest to replace with a sealed value, if it still holds `old`.
pub struct SecretReplacement {
    /// Which kind.
    pub kind: SecretKind,
    /// Its `kid` or name.
    pub name: String,
    /// What it must still hold.
    pub old: Zeroizing<Vec<u8>>,
    /// The sealed value to hold instead.
    pub new: Vec<u8>,
}

/// A key in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    /// The JWT `kid`.
    pub kid: String,
    /// Ed25519 public key.
    pub public_key: [u8; 32],
}

/// Stored `(kid, public key)` rows as published keys.
pub(crate) fn published(rows: Vec<(String, Vec<u8>)>) -> Result<Vec<PublishedKey>, StoreError> {
    rows.into_iter()
        .map(|(kid, public_key)| match <[u8; 32]>::try_from(public_key.as_slice()) {
            Ok(public_key) => Ok(PublishedKey { kid, public_key }),
            Err(_) => Err(StoreError::Malformed(format!("public key of signing key {kid}"))),
        })
        .collect()
}

/// The columns [`AppSecretRecord::from_columns`] takes, in its order (a macro, for `concat!`).
macro_rules! app_secret_columns {
    () => {
        "id, app_id, name, secret_hash, created_at, last_used_at, revoked_at"
    };
}
pub(crate) use app_secret_columns;

/// An app secret about to be stored.
#[derive(Debug, Clone)]
pub struct NewAppSecret {
    /// The public id the secret is looked up by (part of the secret as handed out).
    pub id: String,
    /// Its app.
    pub app_id: String,
    /// The operator's name for it, unique among the app's live secrets.
    pub name: String,
    /// SHA-256 of the secret part.
    pub secret_hash: SecretHash,
    /// Creation time (Unix ms).
    pub created_at: i64,
}

/// An app secret as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSecretRecord {
    /// The public id.
    pub id: String,
    /// Its app.
    pub app_id: String,
    /// The operator's name for it.
    pub name: String,
    /// SHA-256 of the secret part.
    pub secret_hash: SecretHash,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last successful use (Unix ms).
    pub last_used_at: Option<i64>,
    /// When it was revoked (Unix ms); a revoked secret authenticates nothing.
    pub revoked_at: Option<i64>,
}

impl AppSecretRecord {
    /// From stored columns.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_columns(
        id: String,
        app_id: String,
        name: String,
        secret_hash: &[u8],
        created_at: i64,
        last_used_at: Option<i64>,
        revoked_at: Option<i64>,
    ) -> Result<Self, StoreError> {
        let secret_hash =
            secret_hash.try_into().map_err(|_| StoreError::Malformed(format!("secret_hash of app secret {id}")))?;
        Ok(Self { id, app_id, name, secret_hash, created_at, last_used_at, revoked_at })
    }
}
