//! Recovery keys on the wire (docs/protocol.md §3.19): registering one, and resetting a password with it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::b64::Bytes;
use super::sign_in::{ChallengePurpose, PasswordChange, CHALLENGE_LEN};
use crate::crypto::recovery::RECOVERY_SALT_LEN;
use crate::crypto::{KdfParams, SeedBackup};
use crate::error::{Error, Result};
use crate::validate::{self, RememberMe};

/// `PUT …/user/recovery-key` with the session: the recovery login key and the recovery backup, signed
/// with the user's identity key, so only a holder of the seed can set one (a stolen session secret
/// alone cannot). It names the registration it replaces, so an old body sent again cannot bring back a
/// key the user has since replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecoveryRegistration {
    /// Random salt of this registration's HKDF.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<RECOVERY_SALT_LEN>))]
    pub salt: Bytes<RECOVERY_SALT_LEN>,
    /// Public half of the recovery login key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<32>))]
    pub login_public_key: Bytes<32>,
    /// The seed wrapped under the recovery backup key.
    pub seed_backup: SeedBackup,
    /// The recovery login key this registration replaces, as [`RecoveryKeyStatus`] reported it; `None`
    /// (JSON `null`) when the user has none.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::nullable_schema::<32>))]
    pub replaces: Option<Bytes<32>>,
    /// Ed25519 signature of [`RecoveryRegistration::message`] by the identity signing key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<64>))]
    pub signature: Bytes<64>,
}

impl RecoveryRegistration {
    /// The bytes the identity key signs: every field length-prefixed (u32 big-endian); the replaced
    /// key's field is empty when there is none.
    pub fn message(
        app_id: &str,
        user_id: &str,
        audience: &str,
        salt: &Bytes<RECOVERY_SALT_LEN>,
        login_public_key: &Bytes<32>,
        seed_backup: &SeedBackup,
        replaces: Option<&Bytes<32>>,
    ) -> Vec<u8> {
        let fields: [&[u8]; 8] = [
            b"sealbase/v1/recovery-registration",
            app_id.as_bytes(),
            user_id.as_bytes(),
            audience.as_bytes(),
            &salt.0,
            &login_public_key.0,
            &[seed_backup.nonce.0.as_slice(), seed_backup.ciphertext.0.as_slice()].concat(),
            replaces.map_or(&[][..], |key| &key.0[..]),
        ];
        let mut message = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
        for field in fields {
            message.extend_from_slice(&(field.len() as u32).to_be_bytes());
            message.extend_from_slice(field);
        }
        message
    }

    /// Parses an untrusted body.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        Ok(Self {
            salt: super::fields::bytes(fields, "salt", "salt")?,
            login_public_key: super::fields::ed25519_public_key(fields, "loginPublicKey", "loginPublicKey")?,
            seed_backup: super::fields::seed_backup(fields.get("seedBackup"), "seedBackup")?,
            replaces: super::fields::nullable_bytes(fields, "replaces", "replaces")?,
            signature: super::fields::bytes(fields, "signature", "signature")?,
        })
    }
}

/// Answer to `GET …/user/recovery-key` with the session: the user's current registration, which a new
/// one names in [`RecoveryRegistration::replaces`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecoveryKeyStatus {
    /// The current recovery login key, `null` when the user has no recovery key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::nullable_schema::<32>))]
    pub login_public_key: Option<Bytes<32>>,
    /// When it was registered (RFC 3339, UTC, milliseconds), `null` when there is none.
    pub created_at: Option<String>,
}

/// Answer to `POST …/pre-reset {username}`: what a recovery key needs, the same shape whether or not
/// the user exists or has a recovery key (deterministic stand-ins otherwise). The backup is safe to
/// hand out: it opens only under a 128-bit key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreResetResponse {
    /// The registration's salt.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<RECOVERY_SALT_LEN>))]
    pub salt: Bytes<RECOVERY_SALT_LEN>,
    /// The recovery backup of the seed.
    pub seed_backup: SeedBackup,
    /// Single-use challenge, valid about two minutes.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<CHALLENGE_LEN>))]
    pub challenge: Bytes<CHALLENGE_LEN>,
    /// The server's audience string, bound into the signed message.
    pub audience: String,
}

/// `POST …/reset-password`: a proof by the recovery login key, bound to the new password's key
/// material, which replaces the password's; the user is signed in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordRequest {
    /// NFKC, lower-cased username.
    pub username: String,
    /// The challenge from pre-reset.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<CHALLENGE_LEN>))]
    pub challenge: Bytes<CHALLENGE_LEN>,
    /// Signature of the challenge message with purpose `reset-password`, by the recovery login key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<64>))]
    pub signature: Bytes<64>,
    /// New KDF parameters (fresh salt).
    pub kdf: KdfParams,
    /// New login public key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<32>))]
    pub login_public_key: Bytes<32>,
    /// The same seed, wrapped under the new password.
    pub seed_backup: SeedBackup,
    /// How the client keeps the session.
    pub remember_me: RememberMe,
    /// Session length in hours.
    pub session_length: f64,
}

impl ResetPasswordRequest {
    /// Parses and re-validates an untrusted body.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        Ok(Self {
            username: validate::json::username(fields.get("username"))?,
            remember_me: validate::json::remember_me(fields.get("rememberMe"))?,
            session_length: validate::json::session_length(fields.get("sessionLength"))?,
            challenge: super::fields::bytes(fields, "challenge", "challenge")?,
            signature: super::fields::bytes(fields, "signature", "signature")?,
            kdf: super::fields::kdf_params(fields.get("kdf"), "kdf")?,
            login_public_key: super::fields::bytes(fields, "loginPublicKey", "loginPublicKey")?,
            seed_backup: super::fields::seed_backup(fields.get("seedBackup"), "seedBackup")?,
        })
    }

    /// The purpose this request's proof signs.
    pub fn purpose(&self) -> ChallengePurpose {
        ChallengePurpose::ResetPassword {
            binding: PasswordChange::binding(&self.kdf, &self.login_public_key, &self.seed_backup),
        }
    }
}
