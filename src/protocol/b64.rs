//! Fixed-size byte strings carried as unpadded base64url on the wire.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Exactly `N` bytes, serialised as unpadded base64url. Decoding rejects any other size.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bytes<const N: usize>(pub [u8; N]);

impl<const N: usize> Bytes<N> {
    /// Decodes unpadded base64url of exactly `N` bytes; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        // A valid encoding of N bytes has a known length: reject larger input before decoding it.
        if text.len() != encoded_len(N) {
            return None;
        }
        // Wiped after the copy: some of these values are secrets (session secrets).
        let decoded = zeroize::Zeroizing::new(URL_SAFE_NO_PAD.decode(text).ok()?);
        <[u8; N]>::try_from(decoded.as_slice()).ok().map(Self)
    }

    /// Unpadded base64url.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

/// Length of the unpadded base64 encoding of `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

impl<const N: usize> core::fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.encode())
    }
}

impl<const N: usize> Serialize for Bytes<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de, const N: usize> Deserialize<'de> for Bytes<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::decode(&text)
            .ok_or_else(|| serde::de::Error::custom(format_args!("expected {N} bytes of unpadded base64url")))
    }
}

/// Unpadded base64url of arbitrary bytes.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Bytes of a length the value itself says (salts of imported password hashes), serialised as unpadded
/// base64url. Bounds are checked by whoever uses the value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VarBytes(pub Vec<u8>);

impl VarBytes {
    /// Decodes unpadded base64url of at most `max_len` bytes.
    pub fn decode(text: &str, max_len: usize) -> Option<Self> {
        if text.len() > encoded_len(max_len) {
            return None;
        }
        URL_SAFE_NO_PAD.decode(text).ok().map(Self)
    }
}

impl core::fmt::Debug for VarBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&encode(&self.0))
    }
}

impl Serialize for VarBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for VarBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Far above any salt: bounds the work a hostile value can cause before its own check.
        const MAX_LEN: usize = 1024;
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::decode(&text, MAX_LEN).ok_or_else(|| serde::de::Error::custom("expected unpadded base64url"))
    }
}

/// JSON Schema of unpadded base64url text (OpenAPI): exactly `len` characters when `len` is given.
#[cfg(feature = "openapi")]
fn base64url_schema(len: Option<usize>) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    base64url_schema_of(utoipa::openapi::schema::Type::String.into(), len)
}

#[cfg(feature = "openapi")]
fn base64url_schema_of(
    types: utoipa::openapi::schema::SchemaType,
    len: Option<usize>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::ObjectBuilder;
    ObjectBuilder::new()
        .schema_type(types)
        .pattern(Some("^[A-Za-z0-9_-]*$"))
        .min_length(len)
        .max_length(len)
        .description(Some(match len {
            Some(len) => format!("Unpadded base64url of {} bytes.", len * 3 / 4),
            None => "Unpadded base64url.".to_owned(),
        }))
        .into()
}

/// The JSON Schema of [`Bytes<N>`] (OpenAPI), for `#[schema(schema_with = …)]` on its fields: utoipa's
/// derive takes generic arguments for types, so a const-generic type cannot implement `ToSchema`.
#[cfg(feature = "openapi")]
pub fn schema<const N: usize>() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    base64url_schema(Some(encoded_len(N)))
}

/// The JSON Schema of `Option<Bytes<N>>` (OpenAPI): as [`schema`], or `null`.
#[cfg(feature = "openapi")]
pub fn nullable_schema<const N: usize>() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{SchemaType, Type};
    base64url_schema_of(SchemaType::from_iter([Type::String, Type::Null]), Some(encoded_len(N)))
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for VarBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        base64url_schema(None)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for VarBytes {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Base64url")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_only_exact_sizes_and_alphabet() {
        let bytes = Bytes([0xfb_u8; 16]);
        let text = bytes.encode();
        assert_eq!(text, "-_v7-_v7-_v7-_v7-_v7-w");
        assert_eq!(Bytes::<16>::decode(&text), Some(bytes));
        assert_eq!(Bytes::<15>::decode(&text), None);
        assert_eq!(Bytes::<16>::decode(&format!("{text}==")), None, "padding is not accepted");
        assert_eq!(Bytes::<16>::decode(&text.replace('-', "+")), None, "standard alphabet is not accepted");
        assert_eq!(Bytes::<16>::decode(""), None);
    }
}
