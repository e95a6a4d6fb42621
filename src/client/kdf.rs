//! The password KDF of every client flow: scrypt on a blocking thread natively; in the npm package, in
//! a Web Worker through the [`KdfRunner`] the package registers, so a page's main thread never runs the
//! ~100 ms derivation (docs/protocol.md §6.6).

use zeroize::Zeroizing;

use super::Client;
use crate::crypto::{KdfParams, PasswordKey};
use crate::error::Result;
use crate::validate::normalize_password;

/// A derivation running elsewhere.
#[cfg(target_arch = "wasm32")]
pub type KdfFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<PasswordKey>> + 'a>>;

/// Runs the password KDF off the calling thread (wasm32 only).
#[cfg(target_arch = "wasm32")]
pub trait KdfRunner {
    /// scrypt of `normalized_password` (NFKC) under `params`, which the client has checked.
    fn derive<'a>(&'a self, normalized_password: &'a str, params: &'a KdfParams) -> KdfFuture<'a>;
}

impl Client {
    /// The password key of `password` under `params` (checked first, so a server cannot ask for an
    /// absurd cost). A registered runner that fails (a worker that could not start, or died) leaves the
    /// derivation to this thread rather than failing the call.
    pub(crate) async fn password_key(&self, password: &str, params: KdfParams) -> Result<PasswordKey> {
        params.check()?;
        let normalized: Zeroizing<String> = normalize_password(password);
        #[cfg(target_arch = "wasm32")]
        {
            let runner = super::lock(&self.kdf_runner).clone();
            if let Some(runner) = runner {
                if let Ok(key) = runner.derive(&normalized, &params).await {
                    return Ok(key);
                }
            }
        }
        super::runtime::blocking(move || PasswordKey::derive(normalized.as_bytes(), &params)).await?
    }

    /// Has `runner` compute password keys (the npm package's Web Worker).
    #[cfg(target_arch = "wasm32")]
    pub fn set_kdf_runner(&self, runner: impl KdfRunner + 'static) {
        *super::lock(&self.kdf_runner) = Some(std::rc::Rc::new(runner));
    }
}
