//! Seed 001's user record (`../shared/seeds/001_…`): the OpenID Connect profile, metadata and external
//! identities, with every rule the seed states and the limits sealbase adds where it states none
//! (docs/protocol.md §3.14). These fields are visible to the server (like Userbase's profile); secrets
//! belong in end-to-end-encrypted data.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::fields::Object;
use super::AdminError;

type Result<T> = std::result::Result<T, AdminError>;

/// Longest `name` and `nickname`, in characters.
pub const NAME_MAX_LEN: usize = 300;
/// Longest `given_name`, `family_name`, `middle_name`.
pub const NAME_PART_MAX_LEN: usize = 150;
/// Longest URI (`picture`, `profile_page`, `website`).
pub const URI_MAX_LEN: usize = 2048;
/// Most addresses.
pub const ADDRESSES_MAX: usize = 10;
/// Longest address field, street lines excepted.
pub const ADDRESS_FIELD_MAX_LEN: usize = 255;
/// Longest street line (`street_address`, `street_address_2`; line breaks allowed).
pub const STREET_MAX_LEN: usize = 1024;
/// Most metadata fields (the seed's rule).
pub const METADATA_MAX_FIELDS: usize = 10;
/// Longest metadata key and string value (the seed's rule).
pub const METADATA_MAX_LEN: usize = 1024;
/// Most identities.
pub const IDENTITIES_MAX: usize = 20;
/// Longest identity `connection`.
pub const CONNECTION_MAX_LEN: usize = 100;
/// Longest identity `id`.
pub const IDENTITY_ID_MAX_LEN: usize = 255;
/// Largest identity `details`, as compact JSON, in bytes.
pub const IDENTITY_DETAILS_MAX_BYTES: usize = 8192;
/// Longest gender code given as a string.
pub const GENDER_MAX_LEN: usize = 10;
/// Longest `locale` (a BCP 47 tag).
pub const LOCALE_MAX_LEN: usize = 35;
/// Longest `zoneinfo`.
pub const ZONEINFO_MAX_LEN: usize = 64;

/// The identity providers of seed 001.
pub const PROVIDERS: &[&str] = &[
    "twilio",
    "vonage",
    "netgsm",
    "3gbilisim",
    "dataport",
    "messagebird",
    "custom",
    "hotp",
    "totp",
    "native",
    "expo",
    "one-signal",
    "aws_ses",
    "postmark",
    "sendgrid",
    "sparkpost",
    "smtp",
    "custom-oauth2",
    "amazon",
    "apple",
    "e-devlet",
    "dribbble",
    "dropbox",
    "facebook",
    "github",
    "google",
    "linkedin",
    "microsoft",
    "slack",
    "spotify",
    "twitter",
    "saml",
    "ldap",
];
/// The identity types of seed 001.
pub const IDENTITY_TYPES: &[&str] = &["sms", "otp", "push", "email", "social", "enterprise"];

/// A gender: seed 001's short code, a string or an integer from −10 to 10.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Gender {
    /// A numeric code.
    Code(i8),
    /// A text code ("female", "male", or another).
    Text(String),
}

/// One postal address (seed 001's `profile.addresses[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// An identity at an external provider (seed 001's `identities[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Connection name.
    pub connection: String,
    /// One of [`PROVIDERS`].
    pub provider: String,
    /// One of [`IDENTITY_TYPES`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The user's id at the provider; unique per app and provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The provider's raw user object.
    pub details: Map<String, Value>,
}

/// Metadata: at most 10 fields of string (≤ 1024 characters), number, boolean or null.
pub type Metadata = Map<String, Value>;

fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_owned)
}

/// An http(s) URL of at most [`URI_MAX_LEN`] characters (other schemes, `javascript:` among them,
/// are refused: apps put these in pages).
pub(crate) fn uri(object: &Object<'_>, name: &str) -> Result<Option<String>> {
    let Some(text) = object.text(name, URI_MAX_LEN)? else { return Ok(None) };
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(Some(text.to_owned())),
        _ => Err(AdminError::not_valid(object.path_of(name), "must be an absolute http or https URL")),
    }
}

/// An E.164 number: `+`, then 2 to 15 digits, the first not 0. Spaces, dots, dashes and parentheses
/// between them are dropped; the number is stored in its plain E.164 form.
pub(crate) fn phone_number(object: &Object<'_>, name: &str) -> Result<Option<String>> {
    let Some(text) = object.text(name, 40)? else { return Ok(None) };
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
    let digits = compact.strip_prefix('+').unwrap_or_default();
    let valid =
        (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    if valid {
        Ok(Some(compact))
    } else {
        Err(AdminError::not_valid(object.path_of(name), "must be an E.164 phone number (+ and 2 to 15 digits)"))
    }
}

fn birthdate(object: &Object<'_>) -> Result<Option<String>> {
    let Some(text) = object.text("birthdate", 10)? else { return Ok(None) };
    let number = |part: &str| part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse::<u32>().ok()).flatten();
    let valid = match (text.len(), text.get(..4).and_then(number)) {
        (4, Some(year)) => year >= 1,
        (10, Some(year)) => {
            let month = text.get(5..7).and_then(number);
            let day = text.get(8..10).and_then(number);
            let separators = text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
            match (month, day) {
                (Some(month), Some(day)) if separators && (1..=12).contains(&month) => {
                    // Year 0000 (omitted) allows 29 February.
                    let leap = year == 0 || (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
                    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
                    (1..=days[month as usize - 1]).contains(&day)
                }
                _ => false,
            }
        }
        _ => false,
    };
    if valid {
        Ok(Some(text.to_owned()))
    } else {
        Err(AdminError::not_valid(object.path_of("birthdate"), "must be a date as YYYY-MM-DD, YYYY or 0000-MM-DD"))
    }
}

fn gender(object: &Object<'_>) -> Result<Option<Gender>> {
    match object.get("gender") {
        None => Ok(None),
        Some(Value::String(_)) => Ok(object.text("gender", GENDER_MAX_LEN)?.map(|text| Gender::Text(text.to_owned()))),
        Some(_) => Ok(object.integer("gender", -10..=10)?.map(|code| Gender::Code(code as i8))),
    }
}

fn locale(object: &Object<'_>) -> Result<Option<String>> {
    let Some(text) = object.text("locale", LOCALE_MAX_LEN)? else { return Ok(None) };
    match language_tags::LanguageTag::parse(&text.replace('_', "-")) {
        Ok(_) => Ok(Some(text.to_owned())),
        Err(_) => Err(AdminError::not_valid(object.path_of("locale"), "must be a BCP 47 language tag such as en-US")),
    }
}

fn zoneinfo(object: &Object<'_>) -> Result<Option<String>> {
    let Some(text) = object.text("zoneinfo", ZONEINFO_MAX_LEN)? else { return Ok(None) };
    match text.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(Some(text.to_owned())),
        Err(_) => Err(AdminError::not_valid(
            object.path_of("zoneinfo"),
            "must be a time zone of the IANA database such as Europe/Paris",
        )),
    }
}

fn address(value: &Value, path: &str) -> Result<Address> {
    let object = Object::new(
        value,
        path,
        &[
            "city",
            "country",
            "first_name",
            "id",
            "is_primary",
            "last_name",
            "state",
            "street_address",
            "street_address_2",
            "zip_code",
        ],
    )?;
    let field = |name| Ok::<_, AdminError>(owned(object.text(name, ADDRESS_FIELD_MAX_LEN)?));
    Ok(Address {
        city: field("city")?,
        country: field("country")?,
        first_name: field("first_name")?,
        id: field("id")?,
        is_primary: object.boolean("is_primary")?,
        last_name: field("last_name")?,
        state: field("state")?,
        street_address: owned(object.multiline_text("street_address", STREET_MAX_LEN)?),
        street_address_2: owned(object.multiline_text("street_address_2", STREET_MAX_LEN)?),
        zip_code: field("zip_code")?,
    })
}

/// Reads seed 001's `profile` at `path`.
pub(crate) fn profile(value: &Value, path: &str) -> Result<ProfileClaims> {
    let object = Object::new(
        value,
        path,
        &[
            "addresses",
            "birthdate",
            "family_name",
            "gender",
            "given_name",
            "locale",
            "middle_name",
            "nickname",
            "profile_page",
            "website",
            "zoneinfo",
        ],
    )?;
    let mut addresses = Vec::new();
    for (index, item) in object.array("addresses", ADDRESSES_MAX)?.iter().enumerate() {
        let item_path = format!("{}[{index}]", object.path_of("addresses"));
        let address = address(item, &item_path)?;
        if address.is_primary == Some(true) && addresses.iter().any(|a: &Address| a.is_primary == Some(true)) {
            return Err(AdminError::not_valid(format!("{item_path}.is_primary"), "can be true for one address only"));
        }
        if address.id.is_some() && addresses.iter().any(|a: &Address| a.id == address.id) {
            return Err(AdminError::not_valid(format!("{item_path}.id"), "must differ from every other address's id"));
        }
        addresses.push(address);
    }
    Ok(ProfileClaims {
        addresses,
        birthdate: birthdate(&object)?,
        family_name: owned(object.text("family_name", NAME_PART_MAX_LEN)?),
        gender: gender(&object)?,
        given_name: owned(object.text("given_name", NAME_PART_MAX_LEN)?),
        locale: locale(&object)?,
        middle_name: owned(object.text("middle_name", NAME_PART_MAX_LEN)?),
        nickname: owned(object.text("nickname", NAME_MAX_LEN)?),
        profile_page: uri(&object, "profile_page")?,
        website: uri(&object, "website")?,
        zoneinfo: zoneinfo(&object)?,
    })
}

/// Reads seed 001's `metadata` at `path`.
pub(crate) fn metadata(value: &Value, path: &str) -> Result<Metadata> {
    let map = value.as_object().ok_or_else(|| AdminError::not_valid(path, "must be an object"))?;
    if map.len() > METADATA_MAX_FIELDS {
        return Err(AdminError::not_valid(path, format!("must have at most {METADATA_MAX_FIELDS} fields")));
    }
    for (key, value) in map {
        if key.is_empty() || key.chars().count() > METADATA_MAX_LEN {
            return Err(AdminError::not_valid(path, format!("keys must be 1 to {METADATA_MAX_LEN} characters")));
        }
        let field = format!("{path}.{key}");
        match value {
            Value::String(text) if text.chars().count() > METADATA_MAX_LEN => {
                return Err(AdminError::FieldTooLong { field, max_length: METADATA_MAX_LEN });
            }
            Value::Array(_) | Value::Object(_) => {
                return Err(AdminError::not_valid(field, "must be a string, number, boolean or null"));
            }
            _ => {}
        }
    }
    Ok(map.clone())
}

/// Reads seed 001's `identities` of `object`.
pub(crate) fn identities(object: &Object<'_>) -> Result<Vec<Identity>> {
    let mut identities: Vec<Identity> = Vec::new();
    for (index, item) in object.array("identities", IDENTITIES_MAX)?.iter().enumerate() {
        let path = format!("{}[{index}]", object.path_of("identities"));
        let item = Object::new(item, &path, &["connection", "details", "id", "provider", "type"])?;
        let connection = item.required_text("connection", CONNECTION_MAX_LEN)?.to_owned();
        let one_of = |name: &str, allowed: &[&str]| -> Result<String> {
            let text = item.required_text(name, 40)?;
            if allowed.contains(&text) {
                Ok(text.to_owned())
            } else {
                Err(AdminError::not_valid(item.path_of(name), format!("must be one of {}", allowed.join(", "))))
            }
        };
        let provider = one_of("provider", PROVIDERS)?;
        let kind = one_of("type", IDENTITY_TYPES)?;
        let id = owned(item.text("id", IDENTITY_ID_MAX_LEN)?);
        let details = item
            .required("details")?
            .as_object()
            .ok_or_else(|| AdminError::not_valid(item.path_of("details"), "must be an object"))?;
        if serde_json::to_vec(details).map_or(true, |bytes| bytes.len() > IDENTITY_DETAILS_MAX_BYTES) {
            return Err(AdminError::not_valid(
                item.path_of("details"),
                format!("must be at most {IDENTITY_DETAILS_MAX_BYTES} bytes of JSON"),
            ));
        }
        if id.is_some() && identities.iter().any(|other| other.provider == provider && other.id == id) {
            return Err(AdminError::not_valid(path, "repeats another identity's provider and id"));
        }
        identities.push(Identity { connection, provider, kind, id, details: details.clone() });
    }
    Ok(identities)
}
