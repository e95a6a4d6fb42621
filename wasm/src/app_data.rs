//! End-to-end encryption of the app's data with the signed-in user's keys: `encrypt`/`decrypt` (bytes),
//! `encryptJson`/`decryptJson` (any JSON value, the envelope as base64url text), `sign`/`verify`,
//! `sealFor`/`openSealed` (to another user of the app). docs/protocol.md §8.

use sealbase::protocol::b64;
use sealbase::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::convert::{field, js_error, params_object, to_js, JsResult};

fn raw(params: &js_sys::Object, name: &str) -> JsValue {
    js_sys::Reflect::get(params, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// `context`: a string (the empty one when absent).
fn context(params: &js_sys::Object) -> Result<String, Error> {
    let value = raw(params, "context");
    if value.is_undefined() {
        return Ok(String::new());
    }
    let context = value.as_string().ok_or(Error::ContextMustBeString)?;
    sealbase::crypto::app_data::check_context(&context)?;
    Ok(context)
}

/// `data`: a `Uint8Array`, or a string taken as UTF-8.
fn data(params: &js_sys::Object) -> Result<Vec<u8>, Error> {
    let value = raw(params, "data");
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    value.dyn_ref::<js_sys::Uint8Array>().map(js_sys::Uint8Array::to_vec).ok_or(Error::DataMustBeBytesOrString)
}

/// `envelope`: a `Uint8Array` (anything else cannot be one).
fn envelope(params: &js_sys::Object) -> Result<Vec<u8>, Error> {
    raw(params, "envelope")
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
        .ok_or(Error::EnvelopeNotValid)
}

/// `username`: checked and canonicalised as at sign-in.
fn username(params: &js_sys::Object) -> Result<String, Error> {
    sealbase::validate::json::username(field(params, "username").as_ref())
}

fn bytes(data: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(data).into()
}

async fn run(operation: impl std::future::Future<Output = Result<JsValue, Error>>) -> JsResult {
    operation.await.map_err(|error| js_error(&error))
}

/// The exports without I/O are synchronous: no future to drive, and a smaller bundle (api.js makes
/// every call a Promise alike).
fn now(operation: impl FnOnce() -> Result<JsValue, Error>) -> JsResult {
    operation().map_err(|error| js_error(&error))
}

/// `encrypt({ context, data })` → `Uint8Array`: only the signed-in user's devices can decrypt it.
#[wasm_bindgen]
pub fn encrypt(params: JsValue) -> JsResult {
    now(|| {
        let params = params_object(&params)?;
        let (context, data) = (context(&params)?, data(&params)?);
        Ok(bytes(&crate::sdk()?.client.encrypt(&context, &data)?))
    })
}

/// `decrypt({ context, envelope })` → `Uint8Array`.
#[wasm_bindgen]
pub fn decrypt(params: JsValue) -> JsResult {
    now(|| {
        let params = params_object(&params)?;
        let (context, envelope) = (context(&params)?, envelope(&params)?);
        Ok(bytes(&crate::sdk()?.client.decrypt(&context, &envelope)?))
    })
}

/// `encryptJson({ context, value })` → the envelope as unpadded base64url text.
#[wasm_bindgen(js_name = encryptJson)]
pub fn encrypt_json(params: JsValue) -> JsResult {
    now(|| {
        let params = params_object(&params)?;
        let context = context(&params)?;
        let value = field(&params, "value").unwrap_or(serde_json::Value::Null);
        Ok(JsValue::from_str(&b64::encode(&crate::sdk()?.client.encrypt_json(&context, &value)?)))
    })
}

/// `decryptJson({ context, envelope })` (base64url text) → the value.
#[wasm_bindgen(js_name = decryptJson)]
pub fn decrypt_json(params: JsValue) -> JsResult {
    now(|| {
        let params = params_object(&params)?;
        let context = context(&params)?;
        let text = raw(&params, "envelope").as_string().ok_or(Error::EnvelopeNotValid)?;
        let max_len = sealbase::crypto::app_data::PLAINTEXT_MAX_LEN + 64;
        let envelope = b64::VarBytes::decode(&text, max_len).ok_or(Error::EnvelopeNotValid)?.0;
        let value: serde_json::Value = crate::sdk()?.client.decrypt_json(&context, &envelope)?;
        to_js(&value)
    })
}

/// `sign({ context, data })` → the Ed25519 signature as unpadded base64url text.
#[wasm_bindgen]
pub fn sign(params: JsValue) -> JsResult {
    now(|| {
        let params = params_object(&params)?;
        let (context, data) = (context(&params)?, data(&params)?);
        Ok(JsValue::from_str(&b64::encode(&crate::sdk()?.client.sign(&context, &data)?)))
    })
}

/// `verify({ username, context, data, signature })` → `true`, or rejects `SignatureNotValid`. The
/// user's signing key is looked up on the server (a signed-in session is needed).
#[wasm_bindgen]
pub async fn verify(params: JsValue) -> JsResult {
    run(async {
        let params = params_object(&params)?;
        let username = username(&params)?;
        let (context, data) = (context(&params)?, data(&params)?);
        let signature = raw(&params, "signature").as_string().ok_or(Error::SignatureNotValid)?;
        let signature = b64::Bytes::<64>::decode(&signature).ok_or(Error::SignatureNotValid)?.0;
        let client = crate::sdk()?.client.clone();
        let keys = client.public_keys(&username).await?;
        client.verify(&keys.identity.signing.0, &context, &data, &signature)?;
        Ok(JsValue::TRUE)
    })
    .await
}

/// `sealFor({ username, context, data })` → `Uint8Array` only that user can open.
#[wasm_bindgen(js_name = sealFor)]
pub async fn seal_for(params: JsValue) -> JsResult {
    run(async {
        let params = params_object(&params)?;
        let username = username(&params)?;
        let (context, data) = (context(&params)?, data(&params)?);
        let client = crate::sdk()?.client.clone();
        Ok(bytes(&client.seal_for(&username, &context, &data).await?))
    })
    .await
}

/// `openSealed({ context, envelope })` → `Uint8Array`.
#[wasm_bindgen(js_name = openSealed)]
pub fn open_sealed(params: JsValue) -> JsResult {
    now(|| {
        let params = params_object(&params)?;
        let (context, envelope) = (context(&params)?, envelope(&params)?);
        Ok(bytes(&crate::sdk()?.client.open_sealed(&context, &envelope)?))
    })
}
