//! `POST /v1/apps/{app_id}/users`: create an account.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::b64::Bytes;
use super::user::User;
use crate::crypto::secret::secret_bytes;
use crate::crypto::{IdentityPublicKeys, KdfAlgorithm, KdfParams, SeedBackup};
use crate::error::{Error, Result};
use crate::validate::{self, Profile, RememberMe};

/// Everything the client reveals at sign-up: no password, no password-equivalent, no plaintext seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpRequest {
    /// NFKC, lower-cased username.
    pub username: String,
    /// Lower-cased email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// How the client will keep the session (recorded with it).
    pub remember_me: RememberMe,
    /// Session length in hours.
    pub session_length: f64,
    /// The user's scrypt parameters and salt.
    pub kdf: KdfParams,
    /// Ed25519 public key derived from the password; sign-in proves possession of its private half.
    pub login_public_key: Bytes<32>,
    /// The seed, encrypted under the password-derived seed-backup key.
    pub seed_backup: SeedBackup,
    /// Public identity keys derived from the seed.
    pub identity: IdentityPublicKeys,
}

impl SignUpRequest {
    /// Parses and re-validates an untrusted request body, field by field in the reference order, so
    /// each defect gets its own error name.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        Ok(Self {
            username: validate::json::username(fields.get("username"))?,
            remember_me: validate::json::remember_me(fields.get("rememberMe"))?,
            session_length: validate::json::session_length(fields.get("sessionLength"))?,
            profile: validate::json::profile(fields.get("profile"))?,
            email: validate::json::email(fields.get("email"))?,
            kdf: kdf_params(fields.get("kdf"))?,
            login_public_key: bytes(fields, "loginPublicKey", "loginPublicKey")?,
            seed_backup: {
                let backup = object(fields.get("seedBackup"), "seedBackup")?;
                SeedBackup {
                    nonce: bytes(backup, "nonce", "seedBackup.nonce")?,
                    ciphertext: bytes(backup, "ciphertext", "seedBackup.ciphertext")?,
                }
            },
            identity: {
                let identity = object(fields.get("identity"), "identity")?;
                IdentityPublicKeys {
                    signing: bytes(identity, "signing", "identity.signing")?,
                    exchange: bytes(identity, "exchange", "identity.exchange")?,
                }
            },
        })
    }
}

fn object<'a>(value: Option<&'a Value>, path: &str) -> Result<&'a Map<String, Value>> {
    value
        .and_then(Value::as_object)
        .ok_or_else(|| Error::KeyMaterialNotValid {
            key: path.to_owned(),
        })
}

fn bytes<const N: usize>(fields: &Map<String, Value>, name: &str, path: &str) -> Result<Bytes<N>> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .and_then(Bytes::decode)
        .ok_or_else(|| Error::KeyMaterialNotValid {
            key: path.to_owned(),
        })
}

fn kdf_params(value: Option<&Value>) -> Result<KdfParams> {
    let kdf = value
        .and_then(Value::as_object)
        .ok_or(Error::KdfParamsNotValid)?;
    let small = |name: &str| {
        kdf.get(name)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(Error::KdfParamsNotValid)
    };
    if kdf.get("algorithm").and_then(Value::as_str) != Some("scrypt") {
        return Err(Error::KdfParamsNotValid);
    }
    let params = KdfParams {
        algorithm: KdfAlgorithm::Scrypt,
        log_n: u8::try_from(small("logN")?).map_err(|_| Error::KdfParamsNotValid)?,
        r: small("r")?,
        p: small("p")?,
        salt: bytes(kdf, "salt", "kdf.salt")?,
    };
    params.check()?;
    Ok(params)
}

secret_bytes!(
    /// The 256-bit session secret. The server keeps only its SHA-256; the client sends it in the
    /// `Authorization` header, never in a URL.
    SessionSecret, 32
);

impl Serialize for SessionSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::b64::encode(self.expose()))
    }
}

impl<'de> Deserialize<'de> for SessionSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Bytes::<32>::deserialize(deserializer).map(|bytes| SessionSecret::from_bytes(bytes.0))
    }
}

/// A session issued to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionGrant {
    /// Public session ID (the `sid` claim of authTokens).
    pub session_id: String,
    /// The secret, returned once.
    pub secret: SessionSecret,
    /// ISO-8601 expiry.
    pub expiration_date: String,
    /// The session's length in hours.
    pub session_length: f64,
}

/// Answer to a successful sign-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpResponse {
    /// The new user.
    pub user: User,
    /// The new session.
    pub session: SessionGrant,
}
