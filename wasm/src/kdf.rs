//! The password KDF in a Web Worker: `api.js` starts `worker.js`, which runs this same module and
//! answers `deriveKey`; the SDK asks it through the function registered here, so signUp and signIn
//! never run scrypt on the page's main thread (docs/protocol.md §6.6).

use std::cell::RefCell;

use sealbase::crypto::{KdfParams, PasswordKey};
use sealbase::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

use crate::convert::js_error;

thread_local! {
    static DERIVE_FUNCTION: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Registers `(normalizedPassword, paramsJson) => Promise<Uint8Array>`, the wrapper's bridge to its
/// worker; `undefined` forgets it (derivations then run here).
#[wasm_bindgen(js_name = setKdfRunner)]
pub fn set_kdf_runner(derive: Option<js_sys::Function>) {
    DERIVE_FUNCTION.with(|slot| *slot.borrow_mut() = derive);
}

/// The worker's side: the 32-byte password key of an NFKC-normalised password under `params` (JSON,
/// checked again here).
#[wasm_bindgen(js_name = deriveKey)]
pub fn derive_key(normalized_password: String, params: &str) -> Result<Vec<u8>, JsValue> {
    let password = Zeroizing::new(normalized_password);
    let params: KdfParams =
        sealbase::protocol::decode(params.as_bytes()).map_err(|_| js_error(&Error::KdfParamsNotValid))?;
    let key = PasswordKey::derive(password.as_bytes(), &params).map_err(|error| js_error(&error))?;
    Ok(key.expose().to_vec())
}

/// The SDK's [`sealbase::KdfRunner`] over the registered function.
pub struct JsKdfRunner;

impl sealbase::KdfRunner for JsKdfRunner {
    fn derive<'a>(&'a self, normalized_password: &'a str, params: &'a KdfParams) -> sealbase::KdfFuture<'a> {
        Box::pin(async move {
            let derive = DERIVE_FUNCTION.with(|slot| slot.borrow().clone()).ok_or(Error::ServiceUnavailable)?;
            let params = serde_json::to_string(params).map_err(|_| Error::ServiceUnavailable)?;
            let promise = derive
                .call2(&JsValue::NULL, &JsValue::from_str(normalized_password), &JsValue::from_str(&params))
                .map_err(|_| Error::ServiceUnavailable)?
                .dyn_into::<js_sys::Promise>()
                .map_err(|_| Error::ServiceUnavailable)?;
            let output = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| Error::ServiceUnavailable)?;
            let output = output.dyn_into::<js_sys::Uint8Array>().map_err(|_| Error::ServiceUnavailable)?;
            let mut key = Zeroizing::new([0u8; 32]);
            if output.length() != 32 {
                return Err(Error::ServiceUnavailable);
            }
            output.copy_to(key.as_mut());
            output.fill(0, 0, 32);
            Ok(PasswordKey::from_bytes(*key))
        })
    }
}
