//! Seed 001's user record (`../shared/seeds/001_…`): the OpenID Connect profile, metadata and external
//! identities, with every rule the seed states and the limits sealbase adds where it states none
//! (docs/protocol.md §3.14). These fields are visible to the server (like Userbase's profile); secrets
//! belong in end-to-end-encrypted data.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::fields::Object;
use super::AdminError;
pub use crate::protocol::claims::{Address, Gender, Metadata, ProfileClaims, UserClaims};

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
pub use crate::protocol::claims::{METADATA_MAX_FIELDS, METADATA_MAX_LEN};
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

/// An identity at an external provider (seed 001's `identities[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: Map<String, Value>,
}

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

/// Reads the claims a user sets (`claims` of `signUp` and `updateUser`): seed 001's `name`, `picture`
/// and `phone_number` and its `profile` object's claims, by the same rules, flat.
pub fn user_claims(value: &Value) -> std::result::Result<UserClaims, crate::Error> {
    const TOP: [&str; 3] = ["name", "phone_number", "picture"];
    let read = || {
        let map = value.as_object().ok_or_else(|| AdminError::not_valid("claims", "must be an object"))?;
        let (top, rest): (Map<String, Value>, Map<String, Value>) =
            map.clone().into_iter().partition(|(key, _)| TOP.contains(&key.as_str()));
        let top = Value::Object(top);
        let object = Object::new(&top, "claims", &TOP)?;
        let name = owned(object.text("name", NAME_MAX_LEN)?);
        let picture = uri(&object, "picture")?;
        let phone_number = phone_number(&object, "phone_number")?;
        let profile = profile(&Value::Object(rest), "claims")?;
        Ok(UserClaims::from_record(name, picture, phone_number, Some(profile)).unwrap_or_default())
    };
    read().map_err(|error| sdk_error(error, "claims", |key, reason| crate::Error::ClaimsNotValid { key, reason }))
}

/// Reads the metadata a user sets (`metadata` of `signUp` and `updateUser`), by seed 001's rules.
pub fn user_metadata(value: &Value) -> std::result::Result<Metadata, crate::Error> {
    metadata(value, "metadata")
        .map_err(|error| sdk_error(error, "metadata", |key, reason| crate::Error::MetadataNotValid { key, reason }))
}

/// An admin error about a field under `root` as the SDK's error of that field (its key without the
/// root, or the root itself for the whole object).
fn sdk_error(error: AdminError, root: &str, make: impl Fn(String, String) -> crate::Error) -> crate::Error {
    let (field, reason) = match error {
        AdminError::FieldNotValid { field, reason } => (field, reason),
        AdminError::FieldTooLong { field, max_length } => {
            (field, format!("is too long. Must be at most {max_length} characters"))
        }
        AdminError::UnknownField { field } => (field, "is not a known field".into()),
        AdminError::FieldMissing { field } => (field, "is required".into()),
        other => (root.to_owned(), other.to_string().trim_end_matches('.').to_lowercase()),
    };
    let key = field.strip_prefix(root).and_then(|rest| rest.strip_prefix('.')).map_or(field.clone(), str::to_owned);
    make(key, reason)
}

/// Reads seed 001's `metadata` at `path` ([`crate::protocol::claims::metadata_defect`]'s rules).
pub(crate) fn metadata(value: &Value, path: &str) -> Result<Metadata> {
    let map = value.as_object().ok_or_else(|| AdminError::not_valid(path, "must be an object"))?;
    match crate::protocol::claims::metadata_defect(map) {
        None => Ok(map.clone()),
        Some((None, reason)) => Err(AdminError::not_valid(path, reason)),
        Some((Some(key), _)) if matches!(map.get(key), Some(Value::String(_))) => {
            Err(AdminError::FieldTooLong { field: format!("{path}.{key}"), max_length: METADATA_MAX_LEN })
        }
        Some((Some(key), reason)) => Err(AdminError::not_valid(format!("{path}.{key}"), reason)),
    }
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
