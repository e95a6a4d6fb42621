//! Fixed-size secret byte strings that zeroize on drop and never print.

/// Declares a secret byte-array newtype: zeroized on drop, redacted in `Debug`, compared in constant time.
macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Wraps bytes the caller already holds (test vectors, decrypted values).
            pub fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// Fresh bytes from the operating system's CSPRNG.
            pub fn random() -> Self {
                Self($crate::crypto::random::array())
            }

            /// The secret bytes. Keep the borrow short; copies are not zeroized for you.
            pub fn expose(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
            }
        }
        impl Eq for $name {}

        // Unpadded base64url, for the wire and for session stores.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&zeroize::Zeroizing::new($crate::protocol::b64::encode(&self.0)))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let bytes = zeroize::Zeroizing::new(<$crate::protocol::b64::Bytes<$len>>::deserialize(deserializer)?.0);
                Ok(Self(*bytes))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::protocol::b64::schema::<$len>()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

pub(crate) use secret_bytes;
