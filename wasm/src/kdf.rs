//! The password KDF in a Web Worker: `api.js` starts `worker.js`, which runs this same module and
//! answers `deriveKey`; the SDK asks it through the function registered here, so signUp and signIn
//! never run scrypt on the page's main thread (docs/protocol.md §6.6).

use std::cell::RefCell;

use sealbase::crypto::{KdfParams, PasswordKey};
use sealbase::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zeroize::{Zeroize, Zeroizing};

use crate::convert::js_error;

thread_local! {
    static DERIVE_FUNCTION: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Registers `(normalizedPasswordUtf8: Uint8Array, paramsJson) => Promise<Uint8Array>`, the wrapper's
/// bridge to its worker, which owns (and wipes) the bytes it is given; `undefined` forgets it
/// (derivations then run here).
#[wasm_bindgen(js_name = setKdfRunner)]
pub fn set_kdf_runner(derive: Option<js_sys::Function>) {
    DERIVE_FUNCTION.with(|slot| *slot.borrow_mut() = derive);
}

/// The worker's side: the 32-byte password key of an NFKC-normalised password's UTF-8 under `params`
/// (JSON, checked again here). The password bytes are zeroed in place: a `&mut [u8]` is copied into
/// this module's memory and back out, so both the module's copy and the caller's array end up wiped.
/// The key goes straight into a new JavaScript array, leaving no copy in the module's heap.
#[wasm_bindgen(js_name = deriveKey)]
pub fn derive_key(normalized_password: &mut [u8], params: &str) -> Result<js_sys::Uint8Array, JsValue> {
    let derived = sealbase::protocol::decode::<KdfParams>(params.as_bytes())
        .map_err(|_| Error::KdfParamsNotValid)
        .and_then(|params| PasswordKey::derive(normalized_password, &params));
    normalized_password.zeroize();
    let key = derived.map_err(|error| js_error(&error))?;
    Ok(js_sys::Uint8Array::from(&key.expose()[..]))
}

/// The SDK's [`sealbase::KdfRunner`] over the registered function.
pub struct JsKdfRunner;

impl sealbase::KdfRunner for JsKdfRunner {
    fn derive<'a>(&'a self, normalized_password: &'a str, params: &'a KdfParams) -> sealbase::KdfFuture<'a> {
        Box::pin(async move {
            let derive = DERIVE_FUNCTION.with(|slot| slot.borrow().clone()).ok_or(Error::ServiceUnavailable)?;
            let params = serde_json::to_string(params).map_err(|_| Error::ServiceUnavailable)?;
            // Bytes, not a string: the worker can wipe them (the array is transferred, not copied).
            let password = js_sys::Uint8Array::from(normalized_password.as_bytes());
            let promise = derive
                .call2(&JsValue::NULL, &password, &JsValue::from_str(&params))
                .map_err(|_| Error::ServiceUnavailable)?
                .dyn_into::<js_sys::Promise>()
                .map_err(|_| Error::ServiceUnavailable)?;
            let output = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| Error::ServiceUnavailable)?;
            let output = output.dyn_into::<js_sys::Uint8Array>().map_err(|_| Error::ServiceUnavailable)?;
            let mut key = Zeroizing::new([0u8; 32]);
            if output.length() != 32 {
                output.fill(0, 0, output.length());
                return Err(Error::ServiceUnavailable);
            }
            output.copy_to(key.as_mut());
            output.fill(0, 0, 32);
            Ok(PasswordKey::from_bytes(*key))
        })
    }
}
