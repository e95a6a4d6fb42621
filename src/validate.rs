//! Input limits and checks shared by the client (before any hashing or request) and the server (which
//! re-checks everything it receives). Lengths count Unicode scalar values.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::platform::{has_control_or_format, nfkc, to_lowercase};

/// Longest username, in characters.
pub const USERNAME_MAX_LEN: usize = 100;
/// Longest password, in characters.
pub const PASSWORD_MAX_LEN: usize = 1000;
/// Password minimum when the app sets none.
pub const DEFAULT_PASSWORD_MIN_LEN: usize = 8;
/// No password shorter than this signs in (userbase-js's floor), so no app may allow one.
pub const PASSWORD_MIN_LEN_FLOOR: usize = 6;
/// Most keys in a profile.
pub const PROFILE_MAX_KEYS: usize = 100;
/// Longest profile key.
pub const PROFILE_KEY_MAX_LEN: usize = 20;
/// Longest profile value.
pub const PROFILE_VALUE_MAX_LEN: usize = 1000;
/// Longest email address (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;
/// Shortest session, in hours (5 minutes).
pub const SESSION_LENGTH_MIN_HOURS: f64 = 5.0 / 60.0;
/// Longest session, in hours (one year).
pub const SESSION_LENGTH_MAX_HOURS: f64 = 8760.0;
/// Session length when none is given, in hours.
pub const DEFAULT_SESSION_LENGTH_HOURS: f64 = 24.0;

/// A user's profile: flat string → non-empty string.
pub type Profile = BTreeMap<String, String>;

/// Where the client keeps a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RememberMe {
    /// Survives restarts (localStorage; a 0600 file natively).
    Local,
    /// For the life of the tab or `Client` (sessionStorage; memory natively).
    #[default]
    Session,
    /// Nothing kept.
    None,
}

impl RememberMe {
    /// The wire spelling (also how the server stores it).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Session => "session",
            Self::None => "none",
        }
    }
}

impl FromStr for RememberMe {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "local" => Ok(Self::Local),
            "session" => Ok(Self::Session),
            "none" => Ok(Self::None),
            _ => Err(Error::RememberMeValueNotValid),
        }
    }
}

fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// Checks an app ID and returns it unchanged.
pub fn app_id(raw: &str) -> Result<&str> {
    if raw.trim().is_empty() {
        return Err(Error::AppIdCannotBeBlank);
    }
    Ok(raw)
}

/// Rounds of lower-casing and NFKC a username may take to settle. Two suffice for every string
/// known; the bound keeps a pathological one from looping.
const USERNAME_CANONICAL_ROUNDS: usize = 4;

/// A username's stored, unique form, the same on client and server (docs/protocol.md §1.1): NFKC,
/// then lower-case and NFKC again until nothing changes. The second NFKC matters: lower-casing
/// "İ" gives "i" + U+0307, which can leave combining marks out of canonical order.
pub fn username(raw: &str) -> Result<String> {
    if raw.trim().is_empty() {
        return Err(Error::UsernameCannotBeBlank);
    }
    let mut canonical = nfkc(raw);
    let mut settled = false;
    for _ in 0..USERNAME_CANONICAL_ROUNDS {
        let next = nfkc(&to_lowercase(&canonical));
        settled = next == canonical;
        canonical = next;
        if settled {
            break;
        }
    }
    let not_valid = |reason: &str| Err(Error::UsernameNotValid { reason: reason.into() });
    if !settled {
        return not_valid("has no stable lower-case form");
    }
    if canonical.starts_with(char::is_whitespace) || canonical.ends_with(char::is_whitespace) {
        return not_valid("starts or ends with white space");
    }
    if has_control_or_format(&canonical) {
        return not_valid("contains a control or invisible formatting character");
    }
    if char_len(&canonical) > USERNAME_MAX_LEN {
        return Err(Error::UsernameTooLong { max_len: USERNAME_MAX_LEN });
    }
    Ok(canonical)
}

/// The checks that need no app settings: blank and too long.
pub fn password(raw: &str) -> Result<()> {
    if raw.is_empty() {
        return Err(Error::PasswordCannotBeBlank);
    }
    if char_len(raw) > PASSWORD_MAX_LEN {
        return Err(Error::PasswordTooLong { max_len: PASSWORD_MAX_LEN });
    }
    Ok(())
}

/// A password given to sign in or as the current one: blank, too long, or under
/// [`PASSWORD_MIN_LEN_FLOOR`] fails before any hashing or request, as in userbase-js.
pub fn existing_password(raw: &str) -> Result<()> {
    password(raw)?;
    password_min_len(raw, PASSWORD_MIN_LEN_FLOOR)
}

/// The app-specific minimum.
pub fn password_min_len(raw: &str, min_len: usize) -> Result<()> {
    if char_len(raw) < min_len {
        return Err(Error::PasswordTooShort { min_len });
    }
    Ok(())
}

/// The special characters the fifth password practice asks for.
pub const PASSWORD_SPECIAL_CHARACTERS: &str = "!@#$%^&*";
/// The most password practices a password can follow, and the highest complexity an app can require.
pub const PASSWORD_COMPLEXITY_MAX: u8 = 5;

/// How many of the five password practices `raw` follows (0–5), counted on the password as given:
/// at least 8 characters (Unicode scalar values); an upper-case letter; a lower-case letter (both in
/// Unicode's sense); a number (a Unicode numeric character); one of `!@#$%^&*`.
pub fn password_complexity(raw: &str) -> u8 {
    let practices = [
        char_len(raw) >= 8,
        raw.chars().any(char::is_uppercase),
        raw.chars().any(char::is_lowercase),
        raw.chars().any(char::is_numeric),
        raw.chars().any(|c| PASSWORD_SPECIAL_CHARACTERS.contains(c)),
    ];
    practices.into_iter().map(u8::from).sum()
}

/// The app's password policy: its minimum length (`PasswordTooShort`), then its complexity level, the
/// number of password practices required (`PasswordTooWeak`).
pub fn password_policy(raw: &str, min_len: usize, complexity: u8) -> Result<()> {
    // Never below the floor, whatever a server says: no client could sign in with a shorter password.
    password_min_len(raw, min_len.max(PASSWORD_MIN_LEN_FLOOR))?;
    let met = password_complexity(raw);
    if met < complexity {
        return Err(Error::PasswordTooWeak { required: complexity, met });
    }
    Ok(())
}

/// The exact bytes scrypt sees: the NFKC form as UTF-8, so the same password typed on any platform
/// derives the same keys.
pub fn normalize_password(raw: &str) -> Zeroizing<String> {
    Zeroizing::new(nfkc(raw))
}

/// Checks an email address and returns it lower-cased.
pub fn email(raw: &str) -> Result<String> {
    let email = to_lowercase(raw.trim());
    let valid = email.len() <= EMAIL_MAX_LEN
        && match email.split_once('@') {
            Some((local, domain)) => valid_local_part(local) && valid_domain(domain),
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(Error::EmailNotValid)
    }
}

fn valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~.-";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || SPECIALS.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Checks a profile's size and each entry.
pub fn profile(profile: &Profile) -> Result<()> {
    if profile.is_empty() {
        return Err(Error::ProfileCannotBeEmpty);
    }
    if profile.len() > PROFILE_MAX_KEYS {
        return Err(Error::ProfileHasTooManyKeys { max_keys: PROFILE_MAX_KEYS });
    }
    profile.iter().try_for_each(|(key, value)| profile_entry(key, value))
}

fn profile_entry(key: &str, value: &str) -> Result<()> {
    if char_len(key) > PROFILE_KEY_MAX_LEN {
        return Err(Error::ProfileKeyTooLong { key: key.to_owned(), max_len: PROFILE_KEY_MAX_LEN });
    }
    if value.is_empty() {
        return Err(Error::ProfileValueCannotBeBlank { key: key.to_owned() });
    }
    if char_len(value) > PROFILE_VALUE_MAX_LEN {
        return Err(Error::ProfileValueTooLong {
            key: key.to_owned(),
            value: value.to_owned(),
            max_len: PROFILE_VALUE_MAX_LEN,
        });
    }
    Ok(())
}

/// Checks a session length in hours.
pub fn session_length(hours: f64) -> Result<f64> {
    if !hours.is_finite() {
        return Err(Error::SessionLengthMustBeNumber);
    }
    // Compared in whole milliseconds so that exactly 5 minutes given as 5/60 h is accepted.
    let millis = (hours * 3_600_000.0).round();
    if millis < SESSION_LENGTH_MIN_HOURS * 3_600_000.0 {
        return Err(Error::SessionLengthTooShort);
    }
    if millis > SESSION_LENGTH_MAX_HOURS * 3_600_000.0 {
        return Err(Error::SessionLengthTooLong);
    }
    Ok(hours)
}

/// The same checks over untyped JSON values (request bodies, JavaScript parameters), adding the
/// missing / wrong-type errors that typed Rust cannot produce.
pub mod json {
    use super::*;

    /// Required username.
    pub fn username(value: Option<&Value>) -> Result<String> {
        match value {
            None | Some(Value::Null) => Err(Error::UsernameMissing),
            Some(Value::String(text)) => super::username(text),
            Some(_) => Err(Error::UsernameMustBeString),
        }
    }

    /// Required password (JavaScript side only: passwords never reach the server).
    pub fn password(value: Option<&Value>) -> Result<&str> {
        match value {
            None | Some(Value::Null) => Err(Error::PasswordMissing),
            Some(Value::String(text)) => super::password(text).map(|()| text.as_str()),
            Some(_) => Err(Error::PasswordMustBeString),
        }
    }

    /// Optional rememberMe, `session` when absent.
    pub fn remember_me(value: Option<&Value>) -> Result<RememberMe> {
        match value {
            None | Some(Value::Null) => Ok(RememberMe::default()),
            Some(Value::String(text)) => text.parse(),
            Some(_) => Err(Error::RememberMeValueNotValid),
        }
    }

    /// Optional sessionLength in hours, 24 when absent.
    pub fn session_length(value: Option<&Value>) -> Result<f64> {
        match value {
            None | Some(Value::Null) => Ok(DEFAULT_SESSION_LENGTH_HOURS),
            Some(Value::Number(number)) => {
                super::session_length(number.as_f64().ok_or(Error::SessionLengthMustBeNumber)?)
            }
            Some(_) => Err(Error::SessionLengthMustBeNumber),
        }
    }

    /// Optional profile; `null` means none.
    pub fn profile(value: Option<&Value>) -> Result<Option<Profile>> {
        let map = match value {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(map)) => map,
            Some(_) => return Err(Error::ProfileMustBeObject),
        };
        let mut profile = Profile::new();
        for (key, value) in map {
            match value {
                Value::String(text) => {
                    profile.insert(key.clone(), text.clone());
                }
                other => return Err(Error::ProfileValueMustBeString { key: key.clone(), value: other.clone() }),
            }
        }
        super::profile(&profile)?;
        Ok(Some(profile))
    }

    /// Optional email; `null` means none.
    pub fn email(value: Option<&Value>) -> Result<Option<String>> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => super::email(text).map(Some),
            Some(_) => Err(Error::EmailNotValid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_complexity_counts_the_five_practices() {
        let cases: [(&str, u8); 12] = [
            ("", 0),
            ("       ", 0),
            ("abc", 1),
            ("ABC", 1),
            ("123", 1),
            ("!!!", 1),
            ("~~~~~~~~", 1),
            ("abcdefgh", 2),
            ("Abc1", 3),
            ("Abcdefg1", 4),
            ("Abcdef1&", 5),
            ("Ünïcödé٣", 4),
        ];
        for (password, practices) in cases {
            assert_eq!(password_complexity(password), practices, "{password:?}");
        }
        assert_eq!(password_complexity("?+-_()[]"), 1, "only !@#$%^&* are the special characters");
        assert_eq!(password_complexity("ａｂｃｄｅｆｇｈ"), 2, "counted as given, before NFKC");
    }

    #[test]
    fn the_policy_checks_the_length_then_the_practices() {
        assert_eq!(password_policy("Ab1!", 10, 5), Err(Error::PasswordTooShort { min_len: 10 }));
        assert_eq!(password_policy("abcdefghij", 10, 3), Err(Error::PasswordTooWeak { required: 3, met: 2 }));
        assert_eq!(password_policy("abcdefghi1", 10, 3), Ok(()));
        assert_eq!(password_policy("      ", 6, 1), Err(Error::PasswordTooWeak { required: 1, met: 0 }));
    }

    #[test]
    fn the_policy_never_goes_below_the_floor_whatever_a_server_says() {
        assert_eq!(password_policy("a", 1, 1), Err(Error::PasswordTooShort { min_len: PASSWORD_MIN_LEN_FLOOR }));
        assert_eq!(password_policy("abcde", 0, 0), Err(Error::PasswordTooShort { min_len: 6 }));
        assert_eq!(password_policy("abcdef", 1, 1), Ok(()));
    }

    #[test]
    fn usernames_are_nfkc_lower_cased_and_bounded() {
        assert_eq!(username("Ｊｏｈｎ.DOE").unwrap(), "john.doe");
        assert_eq!(username("  "), Err(Error::UsernameCannotBeBlank));
        assert!(username(&"a".repeat(100)).is_ok());
        assert_eq!(username(&"a".repeat(101)), Err(Error::UsernameTooLong { max_len: 100 }));
        // "ﬀ" (one character) becomes "ff" (two) under NFKC: the limit applies to the stored form.
        assert_eq!(username(&format!("{}ﬀ", "a".repeat(99))), Err(Error::UsernameTooLong { max_len: 100 }));
    }

    #[test]
    fn passwords_are_bounded_in_characters() {
        assert_eq!(password(""), Err(Error::PasswordCannotBeBlank));
        assert!(password(&"é".repeat(1000)).is_ok());
        assert_eq!(password(&"é".repeat(1001)), Err(Error::PasswordTooLong { max_len: 1000 }));
        assert_eq!(password_min_len("1234567", 8), Err(Error::PasswordTooShort { min_len: 8 }));
        assert!(password_min_len("12345678", 8).is_ok());
        assert_eq!(normalize_password("Ａ①").as_str(), "A1");
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Jane.Doe+x@Example.COM ").unwrap(), "jane.doe+x@example.com");
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@-x.com",
            "a@x..com",
            ".a@x.com",
            "a b@x.com",
            "a@@x.com",
        ] {
            assert_eq!(email(bad), Err(Error::EmailNotValid), "{bad:?}");
        }
        assert_eq!(email(&format!("{}@x.com", "a".repeat(65))), Err(Error::EmailNotValid));
        assert_eq!(email(&format!("a@{}.com", "b".repeat(64))), Err(Error::EmailNotValid));
        assert_eq!(email(&format!("a@{}.com", vec!["b".repeat(63); 4].join("."))), Err(Error::EmailNotValid));
    }

    #[test]
    fn profiles() {
        let one = |k: &str, v: &str| Profile::from([(k.to_owned(), v.to_owned())]);
        assert!(profile(&one("plan", "pro")).is_ok());
        assert_eq!(profile(&Profile::new()), Err(Error::ProfileCannotBeEmpty));
        let many: Profile = (0..101).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert_eq!(profile(&many), Err(Error::ProfileHasTooManyKeys { max_keys: 100 }));
        assert_eq!(
            profile(&one(&"k".repeat(21), "v")),
            Err(Error::ProfileKeyTooLong { key: "k".repeat(21), max_len: 20 })
        );
        assert_eq!(profile(&one("k", "")), Err(Error::ProfileValueCannotBeBlank { key: "k".into() }));
        assert_eq!(
            profile(&one("k", &"v".repeat(1001))),
            Err(Error::ProfileValueTooLong { key: "k".into(), value: "v".repeat(1001), max_len: 1000 })
        );
        let json = serde_json::json!({ "age": 3 });
        assert_eq!(
            json::profile(Some(&json)),
            Err(Error::ProfileValueMustBeString { key: "age".into(), value: 3.into() })
        );
        assert_eq!(json::profile(Some(&serde_json::json!(["x"]))), Err(Error::ProfileMustBeObject));
    }

    #[test]
    fn session_lengths() {
        assert_eq!(session_length(5.0 / 60.0), Ok(5.0 / 60.0));
        assert_eq!(session_length(4.9 / 60.0), Err(Error::SessionLengthTooShort));
        assert_eq!(session_length(8760.0), Ok(8760.0));
        assert_eq!(session_length(8760.01), Err(Error::SessionLengthTooLong));
        assert_eq!(session_length(f64::NAN), Err(Error::SessionLengthMustBeNumber));
        assert_eq!(json::session_length(Some(&"24".into())), Err(Error::SessionLengthMustBeNumber));
        assert_eq!(json::session_length(None), Ok(24.0));
    }

    #[test]
    fn remember_me_values() {
        assert_eq!("local".parse(), Ok(RememberMe::Local));
        assert_eq!("forever".parse::<RememberMe>(), Err(Error::RememberMeValueNotValid));
        assert_eq!(json::remember_me(Some(&true.into())), Err(Error::RememberMeValueNotValid));
        assert_eq!(json::remember_me(None), Ok(RememberMe::Session));
    }
}
