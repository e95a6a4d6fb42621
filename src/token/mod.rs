//! authTokens: the claims the server signs, the JWKS it publishes, and offline verification.
//! Sans-I/O (feature `jwt`); the caching, fetching [`Verifier`] is behind feature `verify`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use crate::protocol::b64::Bytes;

mod online_check;
#[cfg(all(feature = "verify", not(target_arch = "wasm32")))]
mod verifier;
pub use online_check::CheckError;
#[cfg(all(feature = "verify", not(target_arch = "wasm32")))]
pub use verifier::{OnlineStatus, Verifier};

/// Longest token accepted for verification; anything larger is refused before any parsing.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// The claims of an authToken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthTokenClaims {
    /// The issuing server.
    pub iss: String,
    /// The appId.
    pub aud: String,
    /// The userId.
    pub sub: String,
    /// The session's public id.
    pub sid: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expiry (Unix seconds), never after the session's.
    pub exp: i64,
    /// Not before (Unix seconds), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Unique token id.
    pub jti: String,
    /// The user's email, when they have one (OpenID Connect's `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether that email is verified; present with `email` (OpenID Connect's `email_verified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

/// Whom a token speaks for: what [`AuthTokenClaims`] carries about the user.
#[derive(Debug, Clone, Copy)]
pub struct TokenSubject<'a> {
    /// The userId (`sub`).
    pub user_id: &'a str,
    /// The user's email, if any.
    pub email: Option<&'a str>,
    /// Whether it is verified.
    pub email_verified: bool,
}

/// One published verification key (RFC 8037 OKP / Ed25519).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jwk {
    /// Always `OKP`.
    pub kty: String,
    /// Always `Ed25519`.
    pub crv: String,
    /// The public key, unpadded base64url.
    pub x: String,
    /// Key id, matched against the token header's `kid`.
    pub kid: String,
    /// Always `EdDSA`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

impl Jwk {
    /// The JWK of an Ed25519 public key.
    pub fn ed25519(kid: &str, public_key: &[u8; 32]) -> Self {
        Self {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: Bytes(*public_key).encode(),
            kid: kid.into(),
            alg: "EdDSA".into(),
            use_: "sig".into(),
        }
    }

    /// The 32-byte Ed25519 key, if this is a well-formed Ed25519 JWK.
    fn ed25519_key(&self) -> Option<Bytes<32>> {
        (self.kty == "OKP" && self.crv == "Ed25519").then(|| Bytes::decode(&self.x)).flatten()
    }
}

/// A JWK set, as served at `/v1/apps/{appId}/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jwks {
    /// The keys that currently verify tokens.
    pub keys: Vec<Jwk>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a JWT: empty, wrong number of segments, bad base64 or JSON, too large.
    #[error("auth token malformed")]
    Malformed,
    /// Signed with an algorithm other than EdDSA (`none`, HS256, …).
    #[error("auth token algorithm {alg:?} not allowed; only EdDSA is accepted")]
    AlgorithmNotAllowed {
        /// The algorithm the token claimed.
        alg: String,
    },
    /// Signed by a key the server does not publish (never existed, or rotated out).
    #[error("auth token signed by an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("auth token signature invalid")]
    SignatureInvalid,
    /// Issued for another app.
    #[error("auth token issued for another app")]
    AudienceMismatch,
    /// Issued by another server.
    #[error("auth token issued by another issuer")]
    IssuerMismatch,
    /// Past its `exp`.
    #[error("auth token expired")]
    Expired,
    /// Before its `nbf`.
    #[error("auth token not yet valid")]
    NotYetValid,
    /// The server said the session behind the token is gone (signed out, password changed, expired).
    #[error("auth token's session is no longer valid")]
    Revoked,
    /// The user was deleted.
    #[error("user not found")]
    UserNotFound,
    /// The app's backend blocked the user.
    #[error("user is blocked")]
    UserBlocked,
    /// The admin access token was refused.
    #[error("admin access token invalid")]
    AccessTokenInvalid,
    /// The server could not be reached or answered something unexpected.
    #[error("sealbase server unavailable")]
    Unavailable,
}

impl VerifyError {
    /// A stable name for the refusal (the variant's), for logs and API responses.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Malformed => "Malformed",
            Self::AlgorithmNotAllowed { .. } => "AlgorithmNotAllowed",
            Self::UnknownKey => "UnknownKey",
            Self::SignatureInvalid => "SignatureInvalid",
            Self::AudienceMismatch => "AudienceMismatch",
            Self::IssuerMismatch => "IssuerMismatch",
            Self::Expired => "Expired",
            Self::NotYetValid => "NotYetValid",
            Self::Revoked => "Revoked",
            Self::UserNotFound => "UserNotFound",
            Self::UserBlocked => "UserBlocked",
            Self::AccessTokenInvalid => "AccessTokenInvalid",
            Self::Unavailable => "Unavailable",
        }
    }
}

/// A token that verified: who it speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The user.
    pub user_id: String,
    /// The session the token was issued for.
    pub session_id: String,
    /// `exp`, Unix seconds.
    pub expires_at: i64,
    /// The user's email when the token was issued, if they had one.
    pub email: Option<String>,
    /// Whether that email was verified then.
    pub email_verified: Option<bool>,
    /// All claims.
    pub claims: AuthTokenClaims,
}

#[derive(Deserialize)]
struct HeaderAlg {
    alg: String,
}

/// Verifies `token` offline against `keys`: EdDSA only, signature, `aud` = `app_id`, `iss` = `issuer`,
/// `exp` and `nbf` with [`LEEWAY_SECS`].
pub fn verify(token: &str, keys: &Jwks, app_id: &str, issuer: &str) -> Result<VerifiedToken, VerifyError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN || token.split('.').count() != 3 {
        return Err(VerifyError::Malformed);
    }
    // Read `alg` first so that `none` (which jsonwebtoken cannot even represent) gets its own answer.
    let header_segment = token.split('.').next().unwrap_or_default();
    let header_json = URL_SAFE_NO_PAD.decode(header_segment).map_err(|_| VerifyError::Malformed)?;
    let HeaderAlg { alg } = serde_json::from_slice(&header_json).map_err(|_| VerifyError::Malformed)?;
    if alg != "EdDSA" {
        return Err(VerifyError::AlgorithmNotAllowed { alg });
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
    let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
    let key = keys.keys.iter().find(|jwk| jwk.kid == kid).and_then(Jwk::ed25519_key).ok_or(VerifyError::UnknownKey)?;

    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[app_id]);
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    let data = jsonwebtoken::decode::<AuthTokenClaims>(token, &DecodingKey::from_ed_der(&key.0), &validation).map_err(
        |error| match error.kind() {
            ErrorKind::InvalidSignature => VerifyError::SignatureInvalid,
            ErrorKind::ExpiredSignature => VerifyError::Expired,
            ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
            ErrorKind::InvalidAudience => VerifyError::AudienceMismatch,
            ErrorKind::InvalidIssuer => VerifyError::IssuerMismatch,
            ErrorKind::InvalidAlgorithm => VerifyError::AlgorithmNotAllowed { alg: format!("{:?}", header.alg) },
            _ => VerifyError::Malformed,
        },
    )?;
    let claims = data.claims;
    Ok(VerifiedToken {
        user_id: claims.sub.clone(),
        session_id: claims.sid.clone(),
        expires_at: claims.exp,
        email: claims.email.clone(),
        email_verified: claims.email_verified,
        claims,
    })
}
