//! The legacy hash of a pending account's first sign-in (docs/protocol.md §3.13): computed by this crate
//! (feature `legacy-hashes`), or, in the npm package, by a second module that is downloaded only when a
//! first sign-in needs it, through a [`LegacyHasher`] the package registers.

use zeroize::Zeroizing;

use super::Client;
use crate::crypto::legacy::LegacyParams;
use crate::error::Result;

#[cfg(all(not(target_arch = "wasm32"), not(feature = "legacy-hashes")))]
compile_error!("the native client signs pending accounts in with its own legacy hashes: enable `legacy-hashes`");

/// A legacy hash being computed elsewhere.
#[cfg(target_arch = "wasm32")]
pub type LegacyHashFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Zeroizing<Vec<u8>>>> + 'a>>;

/// Computes legacy hashes for a client that was built without them (wasm32 only).
#[cfg(target_arch = "wasm32")]
pub trait LegacyHasher {
    /// `L` of `password` (its UTF-8 bytes as typed) under `params`, which the client has checked.
    fn hash<'a>(&'a self, params: &'a LegacyParams, password: &'a str) -> LegacyHashFuture<'a>;
}

impl Client {
    /// The legacy hash `L` of `password` under `params`, off the async executor where there is one.
    pub(crate) async fn legacy_hash(
        &self,
        params: LegacyParams,
        password: Zeroizing<String>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        #[cfg(target_arch = "wasm32")]
        {
            let hasher = super::lock(&self.legacy_hasher).clone();
            if let Some(hasher) = hasher {
                return hasher.hash(&params, &password).await;
            }
        }
        #[cfg(feature = "legacy-hashes")]
        {
            super::runtime::blocking(move || params.hash(password.as_bytes())).await?
        }
        #[cfg(not(feature = "legacy-hashes"))]
        {
            let _ = (params, password);
            // A package that left the hashes out and registered nothing to compute them: a build fault.
            Err(crate::Error::ServiceUnavailable)
        }
    }

    /// Has `hasher` compute legacy hashes (the npm package's lazily loaded module).
    #[cfg(target_arch = "wasm32")]
    pub fn set_legacy_hasher(&self, hasher: impl LegacyHasher + 'static) {
        *super::lock(&self.legacy_hasher) = Some(std::rc::Rc::new(hasher));
    }
}
