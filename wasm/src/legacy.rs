//! Legacy hashes for a pending account's first sign-in: this module leaves bcrypt, Argon2 and PBKDF2 out
//! (they would put the package over its size budget) and asks the JavaScript wrapper, which downloads
//! the small second module (`wasm-legacy/`) the first time one is needed.

use std::cell::RefCell;

use sealbase::crypto::legacy::LegacyParams;
use sealbase::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

thread_local! {
    static HASH_FUNCTION: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Registers `(paramsJson, password) => Promise<Uint8Array>`, the wrapper's bridge to the second module.
#[wasm_bindgen(js_name = setLegacyHasher)]
pub fn set_legacy_hasher(hash: js_sys::Function) {
    HASH_FUNCTION.with(|slot| *slot.borrow_mut() = Some(hash));
}

/// The SDK's [`sealbase::LegacyHasher`] over the registered function.
pub struct JsLegacyHasher;

impl sealbase::LegacyHasher for JsLegacyHasher {
    fn hash<'a>(&'a self, params: &'a LegacyParams, password: &'a str) -> sealbase::LegacyHashFuture<'a> {
        Box::pin(async move {
            let hash = HASH_FUNCTION.with(|slot| slot.borrow().clone()).ok_or(Error::ServiceUnavailable)?;
            let params = serde_json::to_string(params).map_err(|_| Error::ServiceUnavailable)?;
            let promise = hash
                .call2(&JsValue::NULL, &JsValue::from_str(&params), &JsValue::from_str(password))
                .map_err(|_| Error::ServiceUnavailable)?
                .dyn_into::<js_sys::Promise>()
                .map_err(|_| Error::ServiceUnavailable)?;
            let output = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| Error::ServiceUnavailable)?;
            let output = output.dyn_into::<js_sys::Uint8Array>().map_err(|_| Error::ServiceUnavailable)?;
            let bytes = Zeroizing::new(output.to_vec());
            output.fill(0, 0, output.length());
            Ok(bytes)
        })
    }
}
