//! End-to-end encryption of an app's own data with the signed-in user's keys ([`crate::crypto::app_data`],
//! docs/protocol.md §8): only the user's devices can decrypt, the server sees only envelopes.

use serde::de::DeserializeOwned;
use serde::Serialize;
use zeroize::Zeroizing;

use super::Client;
use crate::crypto::app_data;
use crate::crypto::seed::UserKeys;
use crate::error::{Error, Result};
use crate::protocol::{routes, PublicKeysRequest, UserPublicKeys};

impl Client {
    /// The signed-in user's keys, derived from the seed held in memory.
    fn user_keys(&self) -> Result<UserKeys> {
        Ok(self.active()?.seed.user_keys())
    }

    /// Encrypts `plaintext` so that only the signed-in user (on any device) can read it, bound to this
    /// app and to `context` (e.g. `"notes/42"`): decrypting under another context fails.
    pub fn encrypt(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        app_data::encrypt(&self.user_keys()?.data_encryption_key, &self.app_id, context, plaintext)
    }

    /// Opens what [`Client::encrypt`] made for the same user, app and context; anything else is
    /// `EnvelopeNotValid`.
    pub fn decrypt(&self, context: &str, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        app_data::decrypt(&self.user_keys()?.data_encryption_key, &self.app_id, context, envelope)
    }

    /// [`Client::encrypt`] of a value's JSON.
    pub fn encrypt_json<T: Serialize>(&self, context: &str, value: &T) -> Result<Vec<u8>> {
        let json = Zeroizing::new(serde_json::to_vec(value).map_err(|_| Error::EnvelopeNotValid)?);
        self.encrypt(context, &json)
    }

    /// [`Client::decrypt`], then the JSON read back as `T` (a value of another shape: `EnvelopeNotValid`).
    pub fn decrypt_json<T: DeserializeOwned>(&self, context: &str, envelope: &[u8]) -> Result<T> {
        crate::protocol::decode(&self.decrypt(context, envelope)?).map_err(|_| Error::EnvelopeNotValid)
    }

    /// Signs `message` with the signed-in user's identity key (Ed25519), bound to this app and `context`.
    pub fn sign(&self, context: &str, message: &[u8]) -> Result<[u8; 64]> {
        app_data::sign(&self.user_keys()?.identity_signing_key, &self.app_id, context, message)
    }

    /// Checks a signature made by [`Client::sign`] in this app against a user's identity signing key
    /// (from [`Client::public_keys`]); `SignatureNotValid` otherwise. Needs no session.
    pub fn verify(&self, signing_key: &[u8; 32], context: &str, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        app_data::verify(signing_key, &self.app_id, context, message, signature)
    }

    /// Another user's public identity keys, as the server has them. The server could answer other keys:
    /// apps that need more than trust in it compare [`UserPublicKeys::identity`] out of band.
    pub async fn public_keys(&self, username: &str) -> Result<UserPublicKeys> {
        let active = self.active()?;
        let request = PublicKeysRequest { username: crate::validate::username(username)? };
        let builder = self.authorized(super::http::Method::Post, routes::PUBLIC_KEYS, &active.secret)?.json(&request);
        let body = self.send_authorized(builder).await?;
        crate::protocol::decode(&body).map_err(|_| Error::ServiceUnavailable)
    }

    /// Seals `plaintext` to another user of the app (their X25519 identity key, looked up by username):
    /// only they can open it, bound to this app and `context`. The sender cannot open it either.
    pub async fn seal_for(&self, username: &str, context: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        app_data::check_context(context)?;
        let recipient = self.public_keys(username).await?;
        app_data::seal(&recipient.identity.exchange.0, &self.app_id, context, plaintext)
    }

    /// Opens what another user sealed to the signed-in user with [`Client::seal_for`].
    pub fn open_sealed(&self, context: &str, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        app_data::open(&self.user_keys()?.identity_exchange_key, &self.app_id, context, envelope)
    }
}
