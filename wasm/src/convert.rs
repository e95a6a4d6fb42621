//! JavaScript ⇄ Rust conversions: parameters in, users and errors out.

use sealbase::Error;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// What every export returns.
pub type JsResult = Result<JsValue, JsValue>;

/// The parameters must be a plain object (not `undefined`, a primitive, an array or a function).
pub fn params_object(params: &JsValue) -> Result<js_sys::Object, Error> {
    if !params.is_object() || js_sys::Array::is_array(params) || params.is_function() {
        return Err(Error::ParamsMustBeObject);
    }
    params.clone().dyn_into::<js_sys::Object>().map_err(|_| Error::ParamsMustBeObject)
}

/// One parameter as JSON: `None` when absent (`undefined`). Values JSON cannot hold (functions,
/// symbols, `NaN`) become an empty array, which every validator refuses as the wrong type.
/// Whether `params` has `name` (not `undefined`), without converting the value (so a password is not
/// copied just to be looked at).
pub fn has(params: &js_sys::Object, name: &str) -> bool {
    js_sys::Reflect::get(params, &JsValue::from_str(name)).is_ok_and(|value| !value.is_undefined())
}

pub fn field(params: &js_sys::Object, name: &str) -> Option<Value> {
    let value = js_sys::Reflect::get(params, &JsValue::from_str(name)).ok()?;
    if value.is_undefined() {
        return None;
    }
    let non_finite = value.as_f64().is_some_and(|number| !number.is_finite());
    if non_finite || value.is_function() || value.is_symbol() || value.is_bigint() {
        return Some(Value::Array(Vec::new()));
    }
    // Through JSON text rather than a serde bridge to JavaScript values: the bundle then carries one
    // (de)serializer per type, serde_json's, instead of two. Nested values JSON cannot hold follow
    // `JSON.stringify` (`undefined` and functions dropped, `NaN` as `null`, `BigInt` refused).
    let text = js_sys::JSON::stringify(&value).ok().and_then(|text| text.as_string());
    Some(text.and_then(|text| serde_json::from_slice(text.as_bytes()).ok()).unwrap_or(Value::Array(Vec::new())))
}

/// Plain JavaScript objects (maps as objects, no `undefined` for absent options).
pub fn to_js(value: &impl Serialize) -> Result<JsValue, Error> {
    let text = serde_json::to_string(value).map_err(|_| Error::ServiceUnavailable)?;
    js_sys::JSON::parse(&text).map_err(|_| Error::ServiceUnavailable)
}

/// A real `Error` with `name`, `message`, `status` and the error's extra fields (`maxLen`, `key`, …).
pub fn js_error(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name(error.name());
    let _ = js_sys::Reflect::set(&js, &"status".into(), &JsValue::from(error.status()));
    if let Value::Object(body) = error.to_body() {
        for (key, value) in body.into_iter().filter(|(key, _)| key != "error" && key != "message") {
            let value = to_js(&value).unwrap_or(JsValue::UNDEFINED);
            let _ = js_sys::Reflect::set(&js, &JsValue::from_str(&key), &value);
        }
    }
    js.into()
}
