//! authTokens: EdDSA JWTs signed with a server key kept in the database.

use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::clock::now_ms;

/// The claims of an authToken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
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
    /// Unique token id, so two tokens issued in the same second still differ.
    pub jti: String,
}

/// The key new tokens are signed with.
pub struct TokenSigner {
    kid: String,
    key: EncodingKey,
    issuer: String,
    lifetime_secs: i64,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner").field("kid", &self.kid).field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// Loads the newest unretired signing key, creating one on first start.
    pub async fn load_or_create(pool: &SqlitePool, issuer: String, lifetime_secs: i64) -> anyhow::Result<Self> {
        let existing: Option<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await?;
        let (kid, der) = match existing {
            Some(found) => found,
            None => create_key(pool).await?,
        };
        Ok(Self { kid, key: EncodingKey::from_ed_der(&der), issuer, lifetime_secs })
    }

    /// Signs a token for a session; `exp` is the earlier of the session's expiry and now + lifetime.
    pub fn issue(
        &self,
        app_id: &str,
        user_id: &str,
        session_id: &str,
        session_expires_ms: i64,
    ) -> anyhow::Result<String> {
        let iat = now_ms() / 1000;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: app_id.to_owned(),
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            iat,
            exp: (iat + self.lifetime_secs).min(session_expires_ms / 1000),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &self.key)?)
    }
}

async fn create_key(pool: &SqlitePool) -> anyhow::Result<(String, Vec<u8>)> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let der = key.to_pkcs8_der()?.as_bytes().to_vec();
    let kid = uuid::Uuid::new_v4().simple().to_string();
    sqlx::query("INSERT INTO signing_keys (kid, private_key, public_key, created_at) VALUES (?, ?, ?, ?)")
        .bind(&kid)
        .bind(&der)
        .bind(key.verifying_key().as_bytes().as_slice())
        .bind(now_ms())
        .execute(pool)
        .await?;
    Ok((kid, der))
}
