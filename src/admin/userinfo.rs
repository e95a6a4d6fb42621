//! The OpenID Connect UserInfo answer (OpenID Connect Core 1.0 §5.3) for a user's record: the standard
//! claims of §5.1 the user has, and no others. Served at `GET /v1/apps/{appId}/userinfo` to the holder
//! of the user's authToken.

use serde_json::{Map, Value};

use super::record::{Address, Gender};
use super::AdminUser;

/// The claims of `user`, as OpenID Connect names them: seed 001's `profile_page` is `profile`, the
/// primary address (else the first) is `address`, and the username is `preferred_username`.
pub fn userinfo(user: &AdminUser) -> Map<String, Value> {
    let details = &user.details;
    let claims = details.profile.clone().unwrap_or_default();
    let mut out = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            out.insert(name.into(), value);
        }
    };
    let text = |value: &Option<String>| value.clone().map(Value::from);
    put("sub", Some(user.id.clone().into()));
    put("preferred_username", Some(user.username.clone().into()));
    put("name", text(&details.name));
    put("given_name", text(&claims.given_name));
    put("family_name", text(&claims.family_name));
    put("middle_name", text(&claims.middle_name));
    put("nickname", text(&claims.nickname));
    put("profile", text(&claims.profile_page));
    put("picture", text(&details.picture));
    put("website", text(&claims.website));
    put("email", text(&user.email));
    put("email_verified", user.email.as_ref().map(|_| details.email_verified.into()));
    put(
        "gender",
        claims.gender.as_ref().map(|gender| match gender {
            Gender::Text(text) => text.clone().into(),
            Gender::Code(code) => code.to_string().into(),
        }),
    );
    put("birthdate", text(&claims.birthdate));
    put("zoneinfo", text(&claims.zoneinfo));
    put("locale", text(&claims.locale));
    put("phone_number", text(&details.phone_number));
    put("phone_number_verified", details.phone_number.as_ref().map(|_| details.phone_number_verified.into()));
    let primary = claims.addresses.iter().find(|a| a.is_primary == Some(true)).or(claims.addresses.first());
    put("address", primary.map(address));
    out
}

/// OpenID Connect's address claim (§5.1.1) of one of seed 001's addresses.
fn address(address: &Address) -> Value {
    let street: Vec<&str> =
        [&address.street_address, &address.street_address_2].into_iter().flatten().map(String::as_str).collect();
    let town = [&address.zip_code, &address.city].into_iter().flatten().map(String::as_str).collect::<Vec<_>>();
    let town = town.join(" ");
    let mut lines: Vec<&str> = street.clone();
    lines.extend([town.as_str()].into_iter().filter(|line| !line.is_empty()));
    lines.extend([&address.state, &address.country].into_iter().flatten().map(String::as_str));
    let mut out = Map::new();
    out.insert("formatted".into(), lines.join("\n").into());
    if !street.is_empty() {
        out.insert("street_address".into(), street.join("\n").into());
    }
    for (name, value) in [
        ("locality", &address.city),
        ("region", &address.state),
        ("postal_code", &address.zip_code),
        ("country", &address.country),
    ] {
        if let Some(value) = value {
            out.insert(name.into(), value.clone().into());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::admin::NewUserRequest;

    #[test]
    fn claims_are_named_as_openid_connect_names_them_and_absent_ones_are_left_out() {
        let request = NewUserRequest::from_json(&json!({
            "username": "ada", "email": "ada@example.com", "password": "correct horse battery staple",
            "name": "Ada Lovelace", "phone_number": "+44 20 7946 0958",
            "profile": {
                "given_name": "Ada", "profile_page": "https://example.com/ada", "gender": 2, "locale": "en-GB",
                "addresses": [
                    {"city": "Elsewhere"},
                    {"is_primary": true, "street_address": "12 St James's Square", "city": "London",
                     "zip_code": "SW1Y 4JH", "country": "GB"}
                ]
            }
        }))
        .expect("a valid body");
        let user = AdminUser {
            id: "u1".into(),
            username: request.username,
            email: request.email,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            pending_keys: false,
            password_seen_by_server: false,
            details: request.details,
        };
        assert_eq!(
            Value::Object(userinfo(&user)),
            json!({
                "sub": "u1", "preferred_username": "ada", "name": "Ada Lovelace", "given_name": "Ada",
                "profile": "https://example.com/ada", "email": "ada@example.com", "email_verified": false,
                "gender": "2", "locale": "en-GB", "phone_number": "+442079460958", "phone_number_verified": false,
                "address": {
                    "formatted": "12 St James's Square\nSW1Y 4JH London\nGB",
                    "street_address": "12 St James's Square", "locality": "London", "postal_code": "SW1Y 4JH",
                    "country": "GB"
                }
            })
        );
    }
}
