//! A user's profile claims (OpenID Connect's standard claims, in seed 001's shapes) and metadata: what
//! an app's backend sets through the server-side API and the user through `signUp` and `updateUser`.
//! Visible to the server, like userbase's `profile`; secrets belong in end-to-end-encrypted data. The
//! rules each value must follow are the server's (docs/protocol.md §3.14); these are the shapes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Metadata: at most 10 fields of string (≤ 1024 characters), number, boolean or null.
pub type Metadata = Map<String, Value>;

/// The JSON Schema of [`Metadata`] (OpenAPI): at most 10 fields of strings, numbers, booleans or null.
#[cfg(feature = "openapi")]
pub struct MetadataSchema;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for MetadataSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let value = ObjectBuilder::new().schema_type(SchemaType::from_iter([
            Type::String,
            Type::Number,
            Type::Boolean,
            Type::Null,
        ]));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .max_properties(Some(METADATA_MAX_FIELDS))
            .additional_properties(Some(value))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for MetadataSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Metadata")
    }
}

/// A gender: seed 001's short code, a string or an integer from −10 to 10.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Gender {
    /// A numeric code.
    Code(i8),
    /// A text code ("female", "male", or another).
    Text(String),
}

// By hand rather than serde's untagged derive, which buffers the value in serde's `Content` tree: that
// machinery was kilobytes of the browser bundle for this one enum.
impl<'de> Deserialize<'de> for Gender {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct GenderVisitor;

        impl serde::de::Visitor<'_> for GenderVisitor {
            type Value = Gender;

            fn expecting(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                formatter.write_str("a gender code: a string or a small integer")
            }

            fn visit_i64<E: serde::de::Error>(self, code: i64) -> Result<Gender, E> {
                i8::try_from(code).map(Gender::Code).map_err(|_| E::custom("gender code out of range"))
            }

            fn visit_u64<E: serde::de::Error>(self, code: u64) -> Result<Gender, E> {
                i8::try_from(code).map(Gender::Code).map_err(|_| E::custom("gender code out of range"))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Gender, E> {
                Ok(Gender::Text(text.to_owned()))
            }
        }

        deserializer.deserialize_any(GenderVisitor)
    }
}

/// One postal address (seed 001's `profile.addresses[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    /// The address's name ("Delivery Address", "Billing Address").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Whether it is the primary address (at most one is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_primary: Option<bool>,
    /// Recipient's first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Recipient's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Street address (may span lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// More of the street address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address_2: Option<String>,
    /// City or locality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State, province, prefecture or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Zip or postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Seed 001's `profile`: OpenID Connect standard claims (`profile_page` is OIDC's `profile`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileClaims {
    /// Postal addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// `YYYY-MM-DD`, `YYYY`, or `0000-MM-DD` (year omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// Surname(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Gender code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// Given name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// BCP 47 language tag (`en-US`; `en_US` is accepted as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Middle name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Casual name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// URL of the user's profile page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_page: Option<String>,
    /// URL of the user's web page or blog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// IANA time zone name (`Europe/Paris`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
}

/// The profile claims a user sets (`signUp`'s and `updateUser`'s `claims`), flat: seed 001's `name`,
/// `picture` and `phone_number` beside its `profile` object's claims. `profile` is userbase's flat
/// string map, so these go under their own name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserClaims {
    /// Full name in displayable form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Given name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Middle name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Casual name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// URL of the user's picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// URL of the user's web page or blog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// URL of the user's profile page (OpenID Connect's `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_page: Option<String>,
    /// Gender code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// `YYYY-MM-DD`, `YYYY`, or `0000-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// IANA time zone name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// E.164 phone number (its verification is the app's backend's to set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Postal addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
}

// The claims are read by hand rather than by derived deserializers: the derived ones for these 25
// optional fields took about 13 KB of the browser bundle, reading them from one JSON object a
// fraction of it. Same meaning: absent or null is `None`, unknown keys are ignored, any other type
// is an error.

/// An optional string field of `object`.
fn text_field<E: serde::de::Error>(object: &Map<String, Value>, name: &str) -> Result<Option<String>, E> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(E::custom(format_args!("'{name}' must be a string"))),
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = Map::<String, Value>::deserialize(deserializer)?;
        let is_primary = match object.get("is_primary") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(primary)) => Some(*primary),
            Some(_) => return Err(serde::de::Error::custom("'is_primary' must be a boolean")),
        };
        let text = |name| text_field::<D::Error>(&object, name);
        Ok(Self {
            id: text("id")?,
            is_primary,
            first_name: text("first_name")?,
            last_name: text("last_name")?,
            street_address: text("street_address")?,
            street_address_2: text("street_address_2")?,
            city: text("city")?,
            state: text("state")?,
            zip_code: text("zip_code")?,
            country: text("country")?,
        })
    }
}

impl<'de> Deserialize<'de> for UserClaims {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let object = Map::<String, Value>::deserialize(deserializer)?;
        let gender = match object.get("gender") {
            None | Some(Value::Null) => None,
            Some(code) => Some(Gender::deserialize(code).map_err(D::Error::custom)?),
        };
        let addresses = match object.get("addresses") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| Address::deserialize(item).map_err(D::Error::custom))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(D::Error::custom("'addresses' must be an array")),
        };
        let text = |name| text_field::<D::Error>(&object, name);
        Ok(Self {
            name: text("name")?,
            given_name: text("given_name")?,
            family_name: text("family_name")?,
            middle_name: text("middle_name")?,
            nickname: text("nickname")?,
            picture: text("picture")?,
            website: text("website")?,
            profile_page: text("profile_page")?,
            gender,
            birthdate: text("birthdate")?,
            zoneinfo: text("zoneinfo")?,
            locale: text("locale")?,
            phone_number: text("phone_number")?,
            addresses,
        })
    }
}

/// Most metadata fields (seed 001's rule).
pub const METADATA_MAX_FIELDS: usize = 10;
/// Longest metadata key and string value (seed 001's rule).
pub const METADATA_MAX_LEN: usize = 1024;

/// What is wrong with metadata, if anything: the key at fault (`None` for the whole object) and why.
/// One definition for both SDKs and both APIs of the server.
pub fn metadata_defect(metadata: &Metadata) -> Option<(Option<&str>, String)> {
    if metadata.len() > METADATA_MAX_FIELDS {
        return Some((None, format!("must have at most {METADATA_MAX_FIELDS} fields")));
    }
    for (key, value) in metadata {
        if key.is_empty() || key.chars().count() > METADATA_MAX_LEN {
            return Some((None, format!("keys must be 1 to {METADATA_MAX_LEN} characters")));
        }
        match value {
            Value::String(text) if text.chars().count() > METADATA_MAX_LEN => {
                return Some((Some(key), format!("is too long. Must be at most {METADATA_MAX_LEN} characters")));
            }
            Value::Array(_) | Value::Object(_) => {
                return Some((Some(key), "must be a string, number, boolean or null".into()));
            }
            _ => {}
        }
    }
    None
}

/// Checks metadata a user sets, before anything is hashed or sent.
pub fn check_metadata(metadata: &Metadata) -> crate::Result<()> {
    match metadata_defect(metadata) {
        None => Ok(()),
        Some((key, reason)) => {
            Err(crate::Error::MetadataNotValid { key: key.unwrap_or("metadata").to_owned(), reason })
        }
    }
}

/// `claims` or `metadata` of an untrusted body: absent, `null` (`Some(None)`: remove), or a value of
/// the right shape. The rules of each value are checked by the server ([`crate::admin::record`]).
pub(crate) fn optional<T: serde::de::DeserializeOwned>(
    value: Option<&Value>,
    not_valid: impl Fn() -> crate::Error,
) -> crate::Result<Option<Option<T>>> {
    match value {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(value) => T::deserialize(value).map(|v| Some(Some(v))).map_err(|_| not_valid()),
    }
}

/// A `claims` parameter: absent, `null`, or an object of profile claims (its values' rules are the
/// server's).
pub fn claims_param(value: Option<&Value>) -> crate::Result<Option<Option<UserClaims>>> {
    optional(value, claims_shape)
}

/// A `metadata` parameter: absent, `null`, or metadata following seed 001's rules.
pub fn metadata_param(value: Option<&Value>) -> crate::Result<Option<Option<Metadata>>> {
    let metadata = optional(value, metadata_shape)?;
    if let Some(Some(metadata)) = &metadata {
        check_metadata(metadata)?;
    }
    Ok(metadata)
}

/// [`crate::Error::ClaimsNotValid`] for a `claims` value of the wrong shape.
pub(crate) fn claims_shape() -> crate::Error {
    crate::Error::ClaimsNotValid { key: "claims".into(), reason: "must be an object of profile claims".into() }
}

/// [`crate::Error::MetadataNotValid`] for a `metadata` value of the wrong shape.
pub(crate) fn metadata_shape() -> crate::Error {
    crate::Error::MetadataNotValid { key: "metadata".into(), reason: "must be an object".into() }
}

impl UserClaims {
    /// The claims of seed 001's record: its `name`, `picture`, `phone_number` and `profile`.
    pub fn from_record(
        name: Option<String>,
        picture: Option<String>,
        phone_number: Option<String>,
        profile: Option<ProfileClaims>,
    ) -> Option<Self> {
        let p = profile.unwrap_or_default();
        let claims = Self {
            name,
            given_name: p.given_name,
            family_name: p.family_name,
            middle_name: p.middle_name,
            nickname: p.nickname,
            picture,
            website: p.website,
            profile_page: p.profile_page,
            gender: p.gender,
            birthdate: p.birthdate,
            zoneinfo: p.zoneinfo,
            locale: p.locale,
            phone_number,
            addresses: p.addresses,
        };
        (claims != Self::default()).then_some(claims)
    }

    /// Seed 001's `profile` object of these claims (`None` when it has none).
    pub fn profile(&self) -> Option<ProfileClaims> {
        let profile = ProfileClaims {
            addresses: self.addresses.clone(),
            birthdate: self.birthdate.clone(),
            family_name: self.family_name.clone(),
            gender: self.gender.clone(),
            given_name: self.given_name.clone(),
            locale: self.locale.clone(),
            middle_name: self.middle_name.clone(),
            nickname: self.nickname.clone(),
            profile_page: self.profile_page.clone(),
            website: self.website.clone(),
            zoneinfo: self.zoneinfo.clone(),
        };
        (profile != ProfileClaims::default()).then_some(profile)
    }
}
