//! App secrets: what an app's backend proves itself with on the server-side APIs. Handed out once, as
//! `sbs.<id>.<secret>` (a public id the store looks the secret up by, and 32 random bytes, both
//! base64url); the store keeps the id and a SHA-256 of the secret part, which a presented secret's is
//! compared with in constant time.

use sealbase::protocol::b64::{self, Bytes};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::hash_secret;
use crate::store::{AppSecretRecord, NewAppSecret, Store, StoreResult};

/// What every app secret starts with, so one is recognised in a config file or a leaked log.
const PREFIX: &str = "sbs.";

/// Longest name of an app secret, in characters.
pub const NAME_MAX_LEN: usize = 100;

/// A fresh app secret: what the store keeps, and the secret as the operator gets it, once.
pub struct IssuedAppSecret {
    /// What the store keeps.
    pub record: NewAppSecret,
    /// `sbs.<id>.<secret>`.
    pub secret: Zeroizing<String>,
}

/// Makes a secret named `name` for `app_id`; `None` if the name is empty, too long or has control
/// characters.
pub fn issue(app_id: &str, name: &str, now: i64) -> Option<IssuedAppSecret> {
    let name_ok =
        !name.trim().is_empty() && name.chars().count() <= NAME_MAX_LEN && !name.chars().any(char::is_control);
    if !name_ok {
        return None;
    }
    let id = b64::encode(&sealbase::crypto::random::array::<16>());
    let secret = Zeroizing::new(sealbase::crypto::random::array::<32>());
    let record = NewAppSecret {
        id: id.clone(),
        app_id: app_id.to_owned(),
        name: name.to_owned(),
        secret_hash: hash_secret(secret.as_slice()),
        created_at: now,
    };
    let encoded = Zeroizing::new(b64::encode(secret.as_slice()));
    Some(IssuedAppSecret { record, secret: Zeroizing::new(format!("{PREFIX}{id}.{}", encoded.as_str())) })
}

/// The id and secret bytes of something presented as an app secret, if it has the form.
fn parse(presented: &str) -> Option<(&str, Zeroizing<[u8; 32]>)> {
    let (id, secret) = presented.strip_prefix(PREFIX)?.split_once('.')?;
    Bytes::<16>::decode(id)?;
    let secret = Zeroizing::new(Bytes::<32>::decode(secret)?.0);
    Some((id, secret))
}

/// The live secret of `app_id` that `presented` is, recording its use; `None` for anything else (a
/// malformed, unknown, revoked or another app's secret, which are not told apart).
pub async fn authenticate(
    store: &dyn Store,
    app_id: &str,
    presented: &str,
    now: i64,
) -> StoreResult<Option<AppSecretRecord>> {
    let Some((id, secret)) = parse(presented) else { return Ok(None) };
    let Some(stored) = store.app_secret(id).await? else { return Ok(None) };
    let matches: bool = hash_secret(secret.as_slice()).ct_eq(&stored.secret_hash).into();
    if !matches || stored.revoked_at.is_some() || stored.app_id != app_id {
        return Ok(None);
    }
    store.touch_app_secret(&stored.id, now).await?;
    Ok(Some(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_one_form_and_names_are_checked() {
        let issued = issue("app", "backend", 1).expect("issued");
        let (id, secret) = parse(&issued.secret).expect("parses");
        assert_eq!(id, issued.record.id);
        assert_eq!(hash_secret(secret.as_slice()), issued.record.secret_hash);
        assert_eq!(issued.secret.len(), PREFIX.len() + 22 + 1 + 43);
        for malformed in ["", "sbs.", "sbs.x.y", &issued.secret[1..], &issued.secret.replace("sbs.", "sbx.")] {
            assert!(parse(malformed).is_none(), "{malformed:?}");
        }
        for bad_name in ["", "  ", "a\nb", &"n".repeat(NAME_MAX_LEN + 1)] {
            assert!(issue("app", bad_name, 1).is_none(), "{bad_name:?}");
        }
        assert!(issue("app", &"n".repeat(NAME_MAX_LEN), 1).is_some());
    }
}
