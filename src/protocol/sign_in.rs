//! Sign-in by signed challenge: `pre-login` hands out KDF parameters and a single-use challenge, the
//! client proves it knows the password by signing the challenge with its login key. Nothing replayable
//! and nothing password-equivalent crosses the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::b64::Bytes;
use super::sign_up::SessionGrant;
use super::user::User;
use super::PROTOCOL_VERSION;
use crate::crypto::legacy::LegacyParams;
use crate::crypto::{IdentityPublicKeys, KdfParams, SeedBackup};
use crate::error::{Error, Result};
use crate::validate::{self, RememberMe};

/// Length of a challenge: 16 random bytes, 8-byte expiry, 32-byte server MAC. Opaque to clients.
pub const CHALLENGE_LEN: usize = 56;

/// What a challenge signature authorises. Bound into the signed message so a signature for one
/// purpose is useless for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengePurpose {
    /// Signing in.
    SignIn,
    /// Proving the current password to change it, bound to the new key material
    /// ([`PasswordChange::binding`]) so the proof cannot be reused with other keys.
    ChangePassword {
        /// SHA-256 over the new KDF parameters, login key and seed backup.
        binding: [u8; 32],
    },
    /// A pending account's first sign-in, signed with the legacy login key and bound to the keys it
    /// registers ([`AccountKeys::binding`]).
    FirstSignIn {
        /// SHA-256 over the registered keys.
        binding: [u8; 32],
    },
    /// A password reset, signed with the recovery login key and bound to the new password's key
    /// material ([`PasswordChange::binding`], as a change's).
    ResetPassword {
        /// SHA-256 over the new KDF parameters, login key and seed backup.
        binding: [u8; 32],
    },
}

impl ChallengePurpose {
    fn label(&self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::ChangePassword { .. } => "change-password",
            Self::FirstSignIn { .. } => "first-sign-in",
            Self::ResetPassword { .. } => "reset-password",
        }
    }

    fn binding(&self) -> &[u8] {
        match self {
            Self::SignIn => &[],
            Self::ChangePassword { binding } | Self::FirstSignIn { binding } | Self::ResetPassword { binding } => {
                binding
            }
        }
    }
}

/// The exact bytes the login key signs: every field length-prefixed (u32 big-endian), so no two
/// different inputs can produce the same message. The last field is empty for sign-in and the
/// purpose's binding otherwise (new key material for a change or reset, the registered keys for a
/// first sign-in).
pub fn challenge_message(
    purpose: ChallengePurpose,
    app_id: &str,
    username: &str,
    challenge: &[u8; CHALLENGE_LEN],
    audience: &str,
) -> Vec<u8> {
    let version = format!("sealbase/v{PROTOCOL_VERSION}/challenge");
    let fields: [&[u8]; 7] = [
        version.as_bytes(),
        purpose.label().as_bytes(),
        app_id.as_bytes(),
        username.as_bytes(),
        challenge,
        audience.as_bytes(),
        purpose.binding(),
    ];
    let mut message = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
    for field in fields {
        message.extend_from_slice(&(field.len() as u32).to_be_bytes());
        message.extend_from_slice(field);
    }
    message
}

/// `POST …/pre-login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreLoginRequest {
    /// The username to sign in as.
    pub username: String,
}

impl PreLoginRequest {
    /// Parses an untrusted body.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        Ok(Self { username: validate::json::username(fields.get("username"))? })
    }
}

/// Answer to pre-login: the same shape whether or not the user exists, except for pending accounts
/// (made by an app's backend), which answer their legacy hash's parameters instead of `kdf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreLoginResponse {
    /// The user's KDF parameters (deterministic fake ones for unknown users); absent for a pending
    /// account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfParams>,
    /// A pending account's legacy hash parameters: sign in with [`FirstSignInRequest`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<LegacyParams>,
    /// Single-use challenge, valid about two minutes.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<CHALLENGE_LEN>))]
    pub challenge: Bytes<CHALLENGE_LEN>,
    /// The server's audience string, bound into the signed message.
    pub audience: String,
}

/// `POST …/sign-in`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    /// NFKC, lower-cased username.
    pub username: String,
    /// The challenge from pre-login.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<CHALLENGE_LEN>))]
    pub challenge: Bytes<CHALLENGE_LEN>,
    /// Ed25519 signature of [`challenge_message`] with purpose `SignIn`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<64>))]
    pub signature: Bytes<64>,
    /// How the client keeps the session.
    pub remember_me: RememberMe,
    /// Session length in hours.
    pub session_length: f64,
}

impl SignInRequest {
    /// Parses and re-validates an untrusted body.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        Ok(Self {
            username: validate::json::username(fields.get("username"))?,
            remember_me: validate::json::remember_me(fields.get("rememberMe"))?,
            session_length: validate::json::session_length(fields.get("sessionLength"))?,
            challenge: super::fields::bytes(fields, "challenge", "challenge")?,
            signature: super::fields::bytes(fields, "signature", "signature")?,
        })
    }
}

/// Answer to a successful sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignInResponse {
    /// The user.
    pub user: User,
    /// The new session.
    pub session: SessionGrant,
    /// The encrypted seed, to be decrypted on the client.
    pub seed_backup: SeedBackup,
}

/// A current-password proof plus the new password's key material (`updateUser` password change).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordChange {
    /// A pre-login challenge for the user's current username.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<CHALLENGE_LEN>))]
    pub challenge: Bytes<CHALLENGE_LEN>,
    /// Signature with the *current* login key, purpose `ChangePassword`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<64>))]
    pub signature: Bytes<64>,
    /// New KDF parameters (fresh salt).
    pub kdf: KdfParams,
    /// New login public key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<32>))]
    pub login_public_key: Bytes<32>,
    /// The same seed, wrapped under the new password.
    pub seed_backup: SeedBackup,
}

impl PasswordChange {
    /// SHA-256 over the new key material (length-prefixed fields), which the current-password proof
    /// signs: someone who sees the proof cannot pair it with keys of their own.
    pub fn binding(kdf: &KdfParams, login_public_key: &Bytes<32>, seed_backup: &SeedBackup) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        let fields: [&[u8]; 7] = [
            b"sealbase/v1/password-change",
            &[kdf.log_n],
            &kdf.r.to_be_bytes(),
            &kdf.p.to_be_bytes(),
            &kdf.salt.0,
            &login_public_key.0,
            &[seed_backup.nonce.0.as_slice(), seed_backup.ciphertext.0.as_slice()].concat(),
        ];
        for field in fields {
            hash.update((field.len() as u32).to_be_bytes());
            hash.update(field);
        }
        hash.finalize().into()
    }

    /// The purpose this change's proof signs.
    pub fn purpose(&self) -> ChallengePurpose {
        ChallengePurpose::ChangePassword {
            binding: Self::binding(&self.kdf, &self.login_public_key, &self.seed_backup),
        }
    }

    pub(crate) fn from_json(value: &Value) -> Result<Self> {
        let fields = value.as_object().ok_or_else(|| Error::KeyMaterialNotValid { key: "passwordChange".into() })?;
        Ok(Self {
            challenge: super::fields::bytes(fields, "challenge", "passwordChange.challenge")?,
            signature: super::fields::bytes(fields, "signature", "passwordChange.signature")?,
            kdf: super::fields::kdf_params(fields.get("kdf"), "passwordChange.kdf")?,
            login_public_key: super::fields::bytes(fields, "loginPublicKey", "passwordChange.loginPublicKey")?,
            seed_backup: super::fields::seed_backup(fields.get("seedBackup"), "passwordChange.seedBackup")?,
        })
    }
}

/// The keys an account registers, all made on the device: at sign-up, and at a pending account's first
/// sign-in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccountKeys {
    /// The user's scrypt parameters and (fresh) salt.
    pub kdf: KdfParams,
    /// Ed25519 public key derived from the password.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<32>))]
    pub login_public_key: Bytes<32>,
    /// The seed, encrypted under the password-derived seed-backup key.
    pub seed_backup: SeedBackup,
    /// Public identity keys derived from the seed.
    pub identity: IdentityPublicKeys,
}

impl AccountKeys {
    /// SHA-256 over every registered key (length-prefixed fields), which a first sign-in's proof signs:
    /// nobody who sees the proof can pair it with keys of their own.
    pub fn binding(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        let fields: [&[u8]; 9] = [
            b"sealbase/v1/first-sign-in",
            &[self.kdf.log_n],
            &self.kdf.r.to_be_bytes(),
            &self.kdf.p.to_be_bytes(),
            &self.kdf.salt.0,
            &self.login_public_key.0,
            &[self.seed_backup.nonce.0.as_slice(), self.seed_backup.ciphertext.0.as_slice()].concat(),
            &self.identity.signing.0,
            &self.identity.exchange.0,
        ];
        for field in fields {
            hash.update((field.len() as u32).to_be_bytes());
            hash.update(field);
        }
        hash.finalize().into()
    }

    pub(crate) fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self> {
        Ok(Self {
            kdf: super::fields::kdf_params(fields.get("kdf"), "kdf")?,
            login_public_key: super::fields::bytes(fields, "loginPublicKey", "loginPublicKey")?,
            seed_backup: super::fields::seed_backup(fields.get("seedBackup"), "seedBackup")?,
            identity: super::fields::identity(fields.get("identity"), "identity")?,
        })
    }
}

/// `POST …/first-sign-in`: a pending account's first sign-in from a client, which proves the password
/// with the legacy login key and registers keys made on the device, in one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FirstSignInRequest {
    /// NFKC, lower-cased username.
    pub username: String,
    /// The challenge from pre-login.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<CHALLENGE_LEN>))]
    pub challenge: Bytes<CHALLENGE_LEN>,
    /// Ed25519 signature of [`challenge_message`] with purpose `FirstSignIn`, by the legacy login key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<64>))]
    pub signature: Bytes<64>,
    /// How the client keeps the session.
    pub remember_me: RememberMe,
    /// Session length in hours.
    pub session_length: f64,
    /// The keys the account registers.
    #[serde(flatten)]
    pub keys: AccountKeys,
}

impl FirstSignInRequest {
    /// Parses and re-validates an untrusted body.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        Ok(Self {
            username: validate::json::username(fields.get("username"))?,
            remember_me: validate::json::remember_me(fields.get("rememberMe"))?,
            session_length: validate::json::session_length(fields.get("sessionLength"))?,
            challenge: super::fields::bytes(fields, "challenge", "challenge")?,
            signature: super::fields::bytes(fields, "signature", "signature")?,
            keys: AccountKeys::from_fields(fields)?,
        })
    }

    /// The purpose this request's proof signs.
    pub fn purpose(&self) -> ChallengePurpose {
        ChallengePurpose::FirstSignIn { binding: self.keys.binding() }
    }
}
