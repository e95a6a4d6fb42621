//! The few things that differ between native and wasm32 builds of the core.

/// Unicode NFKC normalisation. Native builds use the `unicode-normalization` tables; wasm32 builds call
/// the platform's `String.prototype.normalize` so the bundle carries no Unicode tables.
#[cfg(not(target_arch = "wasm32"))]
pub fn nfkc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect()
}

/// Unicode NFKC normalisation through JavaScript's `String.prototype.normalize`.
#[cfg(target_arch = "wasm32")]
pub fn nfkc(text: &str) -> String {
    js_sys::JsString::from(text).normalize("NFKC").as_string().unwrap_or_else(|| text.to_owned())
}
