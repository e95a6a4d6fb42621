//! authTokens: EdDSA JWTs signed with a server key kept in the database, published as a JWKS, rotated
//! without invalidating tokens already issued.

use std::sync::{Arc, RwLock};

use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sealbase::token::{AuthTokenClaims, Jwk, Jwks};
use sqlx::SqlitePool;
use zeroize::Zeroizing;

use crate::clock::now_ms;

struct ActiveKey {
    kid: String,
    key: EncodingKey,
}

/// Signs new tokens with the newest unretired key.
pub struct TokenSigner {
    active: RwLock<Arc<ActiveKey>>,
    issuer: String,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

async fn newest_key(pool: &SqlitePool) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    Ok(sqlx::query_as(
        "SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1",
    )
    .fetch_optional(pool)
    .await?)
}

impl TokenSigner {
    /// Loads the newest unretired signing key, creating one on first start.
    pub async fn load_or_create(pool: &SqlitePool, issuer: String) -> anyhow::Result<Self> {
        let (kid, der) = match newest_key(pool).await? {
            Some(found) => found,
            None => create_key(pool).await?,
        };
        Ok(Self { active: RwLock::new(Arc::new(ActiveKey { kid, key: EncodingKey::from_ed_der(&der) })), issuer })
    }

    /// Picks up a key rotated by another process (`sealbase-server keys rotate`).
    pub async fn reload(&self, pool: &SqlitePool) -> anyhow::Result<()> {
        if let Some((kid, der)) = newest_key(pool).await? {
            let mut active = self.active.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            if active.kid != kid {
                tracing::info!(kid, "now signing with a rotated key");
                *active = Arc::new(ActiveKey { kid, key: EncodingKey::from_ed_der(&der) });
            }
        }
        Ok(())
    }

    /// The `iss` of issued tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs a token for a session; `exp` is the earlier of the session's expiry and now + lifetime.
    pub fn issue(
        &self,
        app_id: &str,
        lifetime_secs: i64,
        user_id: &str,
        session_id: &str,
        session_expires_ms: i64,
    ) -> anyhow::Result<String> {
        let iat = now_ms() / 1000;
        let claims = AuthTokenClaims {
            iss: self.issuer.clone(),
            aud: app_id.to_owned(),
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            iat,
            exp: (iat + lifetime_secs).min(session_expires_ms / 1000),
            nbf: None,
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let active = self.active.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(active.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &active.key)?)
    }
}

async fn create_key(db: impl sqlx::SqliteExecutor<'_>) -> anyhow::Result<(String, Vec<u8>)> {
    let key = SigningKey::from_bytes(&Zeroizing::new(sealbase::crypto::random::array()));
    let der = key.to_pkcs8_der()?.as_bytes().to_vec();
    let kid = uuid::Uuid::new_v4().simple().to_string();
    sqlx::query("INSERT INTO signing_keys (kid, private_key, public_key, created_at) VALUES (?, ?, ?, ?)")
        .bind(&kid)
        .bind(&der)
        .bind(key.verifying_key().as_bytes().as_slice())
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok((kid, der))
}

/// How long after a rotation other servers on the same database may still sign with the old key
/// (they reload once a minute), with margin.
const RELOAD_GRACE_MS: i64 = 2 * 60 * 1000;

/// Creates a new signing key and retires the others, in one transaction. A retired key stays
/// published for the longest token lifetime of any app (plus the time other servers take to notice the
/// rotation), which covers every token it signed; then it leaves the JWKS.
pub async fn rotate(pool: &SqlitePool) -> anyhow::Result<String> {
    let now = now_ms();
    let mut tx = pool.begin().await?;
    let longest_lifetime_ms: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(token_lifetime_secs), 3600) * 1000 FROM apps")
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query("UPDATE signing_keys SET retired_at = ?, publish_until = ? WHERE retired_at IS NULL")
        .bind(now)
        .bind(now + longest_lifetime_ms + RELOAD_GRACE_MS)
        .execute(&mut *tx)
        .await?;
    let (kid, _) = create_key(&mut *tx).await?;
    tx.commit().await?;
    Ok(kid)
}

/// The keys that currently verify tokens: unretired ones and retired ones still within their window.
pub async fn published(pool: &SqlitePool) -> anyhow::Result<Jwks> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT kid, public_key FROM signing_keys WHERE retired_at IS NULL OR publish_until > ? ORDER BY created_at DESC, kid",
    )
    .bind(now_ms())
    .fetch_all(pool)
    .await?;
    let keys = rows
        .into_iter()
        .filter_map(|(kid, public_key)| {
            <[u8; 32]>::try_from(public_key.as_slice()).ok().map(|key| Jwk::ed25519(&kid, &key))
        })
        .collect();
    Ok(Jwks { keys })
}
