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

/// Unicode default lower-casing (full mappings, final sigma in context): Rust's own tables natively;
/// JavaScript's `String.prototype.toLowerCase` (the same mapping, locale-independent) in wasm32, so
/// the bundle carries no case tables.
#[cfg(not(target_arch = "wasm32"))]
pub fn to_lowercase(text: &str) -> String {
    text.to_lowercase()
}

/// [`to_lowercase`] through JavaScript.
#[cfg(target_arch = "wasm32")]
pub fn to_lowercase(text: &str) -> String {
    String::from(js_sys::JsString::from(text).to_lower_case())
}

/// Whether `text` holds a control or format character or a line or paragraph separator (general
/// categories Cc, Cf, Zl, Zp): invisible or reordering characters a username must not carry.
#[cfg(not(target_arch = "wasm32"))]
pub fn has_control_or_format(text: &str) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    text.chars().any(|c| {
        matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
    })
}

/// [`has_control_or_format`] through JavaScript's Unicode property escapes, so the bundle carries no
/// Unicode tables.
#[cfg(target_arch = "wasm32")]
pub fn has_control_or_format(text: &str) -> bool {
    js_sys::RegExp::new(r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]", "u").test(text)
}

/// Wall-clock time in Unix seconds (`std::time::SystemTime` is unavailable on wasm32-unknown-unknown).
#[cfg(all(feature = "client", not(target_arch = "wasm32")))]
pub fn now_unix_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Wall-clock time in Unix seconds, from JavaScript's `Date.now()`.
#[cfg(all(feature = "client", target_arch = "wasm32"))]
pub fn now_unix_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}
