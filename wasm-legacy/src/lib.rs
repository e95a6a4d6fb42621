//! The npm package's second module: a pending account's legacy hash (bcrypt, Argon2, PBKDF2; docs/
//! protocol.md §3.13), downloaded by the package the first time a first sign-in needs one. Kept apart
//! so the main module stays within its size budget for everyone else.
#![forbid(unsafe_code)]

use sealbase::crypto::legacy::LegacyParams;
use wasm_bindgen::prelude::*;

/// `legacyHash(paramsJson, password)` → the legacy hash `L` (a `Uint8Array`). The parameters are
/// checked against the client's bounds first; a refusal is an `Error` named `LegacyParamsNotValid`.
#[wasm_bindgen(js_name = legacyHash)]
pub fn legacy_hash(params: &str, password: &str) -> Result<Vec<u8>, JsValue> {
    let refused = |error: sealbase::Error| {
        let js = js_sys::Error::new(&error.to_string());
        js.set_name(error.name());
        JsValue::from(js)
    };
    let params: LegacyParams =
        serde_json::from_str(params).map_err(|_| refused(sealbase::Error::LegacyParamsNotValid))?;
    let hash = params.hash(password.as_bytes()).map_err(refused)?;
    Ok(hash.to_vec())
}
