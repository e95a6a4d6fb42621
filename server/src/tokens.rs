//! authTokens: EdDSA JWTs signed with a server key kept in the database, published as a JWKS, rotated
//! without invalidating tokens already issued.

use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, SigningKey};
use jsonwebtoken::{Algorithm, Header};
use rusqlite::{Connection, OptionalExtension};
use sealbase::token::{AuthTokenClaims, Jwk, Jwks};
use zeroize::Zeroizing;

use crate::clock::now_ms;
use crate::db::Database;

/// The signing key in use, parsed once. (`jsonwebtoken::encode` takes the key as PKCS#8 and parses it
/// and re-derives its public key on every call, which was a tenth of a sign-in's server CPU time.)
struct ActiveKey {
    kid: String,
    key: SigningKey,
    /// The JWT header for this key (`{"typ":"JWT","alg":"EdDSA","kid":…}`), base64url-encoded.
    encoded_header: String,
}

impl ActiveKey {
    fn from_der(kid: String, der: &[u8]) -> anyhow::Result<Self> {
        let key = SigningKey::from_pkcs8_der(der).map_err(|e| anyhow::anyhow!("stored signing key {kid}: {e}"))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        let encoded_header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        Ok(Self { kid, key, encoded_header })
    }

    /// A compact JWS (RFC 7515) over `claims`: what `jsonwebtoken::encode` produces, with the parsed key.
    fn sign(&self, claims: &AuthTokenClaims) -> anyhow::Result<String> {
        let mut token = self.encoded_header.clone();
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
        let signature = self.key.sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut token);
        Ok(token)
    }
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

/// The newest unretired key: its kid and PKCS#8 DER.
fn newest_key(db: &Connection) -> rusqlite::Result<Option<(String, Zeroizing<Vec<u8>>)>> {
    db.prepare_cached(
        "SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1",
    )?
    .query_row([], |row| Ok((row.get(0)?, Zeroizing::new(row.get(1)?))))
    .optional()
}

impl TokenSigner {
    /// Loads the newest unretired signing key, creating one on first start.
    pub async fn load_or_create(db: &Database, issuer: String) -> anyhow::Result<Self> {
        // Under the write lock, so two servers starting together create one key between them.
        let (kid, der) = db
            .write(|tx| match newest_key(tx)? {
                Some(found) => Ok::<_, anyhow::Error>(found),
                None => create_key(tx),
            })
            .await?;
        Ok(Self { active: RwLock::new(Arc::new(ActiveKey::from_der(kid, &der)?)), issuer })
    }

    /// Picks up a key rotated by another process (`sealbase-server keys rotate`).
    pub fn reload(&self, db: &Database) -> anyhow::Result<()> {
        if let Some((kid, der)) = db.read(newest_key)? {
            let mut active = self.active.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            if active.kid != kid {
                tracing::info!(kid, "now signing with a rotated key");
                *active = Arc::new(ActiveKey::from_der(kid, &der)?);
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
        active.sign(&claims)
    }
}

fn create_key(db: &Connection) -> anyhow::Result<(String, Zeroizing<Vec<u8>>)> {
    let key = SigningKey::from_bytes(&Zeroizing::new(sealbase::crypto::random::array()));
    let der = Zeroizing::new(key.to_pkcs8_der()?.as_bytes().to_vec());
    let kid = uuid::Uuid::new_v4().simple().to_string();
    db.execute(
        "INSERT INTO signing_keys (kid, private_key, public_key, created_at) VALUES (?, ?, ?, ?)",
        (&kid, der.as_slice(), key.verifying_key().as_bytes().as_slice(), now_ms()),
    )?;
    Ok((kid, der))
}

/// How long after a rotation other servers on the same database may still sign with the old key
/// (they reload once a minute), with margin.
const RELOAD_GRACE_MS: i64 = 2 * 60 * 1000;

/// Creates a new signing key and retires the others, in one transaction. A retired key stays
/// published for the longest token lifetime of any app (plus the time other servers take to notice the
/// rotation), which covers every token it signed; then it leaves the JWKS.
pub async fn rotate(db: &Database) -> anyhow::Result<String> {
    let now = now_ms();
    db.write(|tx| {
        let longest_lifetime_ms: i64 =
            tx.query_row("SELECT COALESCE(MAX(token_lifetime_secs), 3600) * 1000 FROM apps", [], |row| row.get(0))?;
        tx.execute(
            "UPDATE signing_keys SET retired_at = ?, publish_until = ? WHERE retired_at IS NULL",
            (now, now + longest_lifetime_ms + RELOAD_GRACE_MS),
        )?;
        let (kid, _) = create_key(tx)?;
        Ok(kid)
    })
    .await
}

/// The keys that currently verify tokens: unretired ones and retired ones still within their window.
pub fn published(db: &Connection) -> rusqlite::Result<Jwks> {
    let mut statement = db.prepare_cached(
        "SELECT kid, public_key FROM signing_keys WHERE retired_at IS NULL OR publish_until > ? ORDER BY created_at DESC, kid",
    )?;
    let rows = statement.query_map([now_ms()], |row| Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?)))?;
    let mut keys = Vec::new();
    for row in rows {
        let (kid, public_key) = row?;
        if let Ok(key) = <[u8; 32]>::try_from(public_key.as_slice()) {
            keys.push(Jwk::ed25519(&kid, &key));
        }
    }
    Ok(Jwks { keys })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_byte_for_byte_what_jsonwebtoken_encodes() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let der = key.to_pkcs8_der().expect("encodes");
        let active = ActiveKey::from_der("kid-1".into(), der.as_bytes()).expect("parses");
        let claims = AuthTokenClaims {
            iss: "sealbase".into(),
            aud: "app".into(),
            sub: "user".into(),
            sid: "session".into(),
            iat: 1_700_000_000,
            exp: 1_700_003_600,
            nbf: None,
            jti: "jti".into(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("kid-1".into());
        let expected = jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()))
            .expect("signs");
        // Ed25519 signatures are deterministic, so equal inputs give equal tokens.
        assert_eq!(active.sign(&claims).expect("signs"), expected);
    }
}
