//! authTokens: EdDSA JWTs signed with a server key kept in the database, published as a JWKS, rotated
//! without invalidating tokens already issued.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, SigningKey};
use jsonwebtoken::{Algorithm, Header};
use sealbase::token::{AuthTokenClaims, Jwk, Jwks, TokenSubject};
use zeroize::Zeroizing;

use super::sealing::{open_at_rest, KeyEncryptionKey};
use crate::clock::now_ms;
use crate::store::{NewSigningKey, SecretKind, SigningKeyRecord, Store, StoreResult};

/// How often a server checks for a key rotated by another process: a rotation reaches every server on
/// the database within this time.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// How long after a rotation other servers may still sign with the old key, with a wide margin over
/// [`RELOAD_INTERVAL`] (a stalled server, clock differences between machines).
const RELOAD_GRACE_MS: i64 = 2 * 60 * 1000;

/// The signing key in use, parsed once. (`jsonwebtoken::encode` takes the key as PKCS#8 and parses it
/// and re-derives its public key on every call, which was a tenth of a sign-in's server CPU time.)
struct ActiveKey {
    kid: String,
    key: SigningKey,
    /// The JWT header for this key (`{"typ":"JWT","alg":"EdDSA","kid":…}`), base64url-encoded.
    encoded_header: String,
}

impl ActiveKey {
    fn from_record(record: &SigningKeyRecord, kek: &KeyEncryptionKey) -> anyhow::Result<Self> {
        let der = open_at_rest(kek, SecretKind::SigningKey, &record.kid, &record.private_key, record.sealed)?;
        Self::from_der(record.kid.clone(), &der)
    }

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

/// Signs new tokens with the one key in use (unretired).
pub struct TokenSigner {
    active: RwLock<Arc<ActiveKey>>,
    issuer: String,
    /// Opens the keys other servers rotate in.
    kek: Arc<KeyEncryptionKey>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// Loads the signing key in use, creating one on first start (servers starting together agree on
    /// one).
    pub async fn load_or_create(store: &dyn Store, issuer: String, kek: Arc<KeyEncryptionKey>) -> anyhow::Result<Self> {
        let key = store.signing_key_or_insert(&new_key(&kek)?).await?;
        Ok(Self { active: RwLock::new(Arc::new(ActiveKey::from_record(&key, &kek)?)), issuer, kek })
    }

    /// Picks up a key rotated by another process (`sealbase-server keys rotate`).
    pub async fn reload(&self, store: &dyn Store) -> anyhow::Result<()> {
        if let Some(key) = store.current_signing_key().await? {
            if self.active.read().unwrap_or_else(std::sync::PoisonError::into_inner).kid != key.kid {
                let rotated = Arc::new(ActiveKey::from_record(&key, &self.kek)?);
                tracing::info!(kid = key.kid, "now signing with a rotated key");
                *self.active.write().unwrap_or_else(std::sync::PoisonError::into_inner) = rotated;
            }
        }
        Ok(())
    }

    /// The `kid` of the key this server signs with.
    pub fn kid(&self) -> String {
        self.active.read().unwrap_or_else(std::sync::PoisonError::into_inner).kid.clone()
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
        subject: TokenSubject<'_>,
        session_id: &str,
        session_expires_ms: i64,
    ) -> anyhow::Result<String> {
        let iat = now_ms() / 1000;
        let claims = AuthTokenClaims {
            iss: self.issuer.clone(),
            aud: app_id.to_owned(),
            sub: subject.user_id.to_owned(),
            email: subject.email.map(str::to_owned),
            email_verified: subject.email.map(|_| subject.email_verified),
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

/// A fresh Ed25519 key, sealed under `kek`, not yet stored.
fn new_key(kek: &KeyEncryptionKey) -> anyhow::Result<NewSigningKey> {
    let key = SigningKey::from_bytes(&Zeroizing::new(sealbase::crypto::random::array()));
    let kid = uuid::Uuid::new_v4().simple().to_string();
    let der = Zeroizing::new(key.to_pkcs8_der()?.as_bytes().to_vec());
    Ok(NewSigningKey {
        sealed_private_key: kek.seal(SecretKind::SigningKey, &kid, &der),
        kid,
        public_key: key.verifying_key().to_bytes(),
        created_at: now_ms(),
    })
}

/// Creates a new signing key and retires the one in use, in one transaction; returns the new `kid`.
/// The retired key stays published for the longest token lifetime of any app (plus the time other
/// servers take to notice the rotation), which covers every token it signed; then it leaves the JWKS.
pub async fn rotate(store: &dyn Store, kek: &KeyEncryptionKey) -> anyhow::Result<String> {
    let key = new_key(kek)?;
    store.rotate_signing_key(&key, RELOAD_GRACE_MS).await?;
    Ok(key.kid)
}

/// The keys that currently verify tokens: the one in use and retired ones still within their window.
pub async fn published(store: &dyn Store) -> StoreResult<Jwks> {
    let keys = store.published_keys(now_ms()).await?;
    Ok(Jwks { keys: keys.iter().map(|key| Jwk::ed25519(&key.kid, &key.public_key)).collect() })
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
            email: Some("ada@example.com".into()),
            email_verified: Some(false),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("kid-1".into());
        let expected = jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()))
            .expect("signs");
        // Ed25519 signatures are deterministic, so equal inputs give equal tokens.
        assert_eq!(active.sign(&claims).expect("signs"), expected);
    }
}
