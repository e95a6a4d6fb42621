//! The OpenAPI 3.1 document of the whole HTTP API, served at `/openapi.json`. Request and answer
//! schemas come from the wire types (`sealbase::protocol`, `sealbase::admin`, derived with utoipa);
//! each operation is described on its handler (`#[utoipa::path]`); error bodies list the names of the
//! error tables they come from, so neither can drift from the code.

mod bodies;

use std::borrow::Cow;
use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

pub(crate) use bodies::{
    AppPath, AppUserPath, CreateUserBody, EmailVerified, LookupBody, NewUserBody, OnlineCheck, UserChangeBody,
    UserInfo, VerifyEmailCode, VerifyEmailToken,
};

/// An error body: `{ "error": <one of names>, "message": …, …details }`.
fn error_schema(names: impl IntoIterator<Item = &'static str>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some(description))
        .property("error", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)))
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .required("error")
        .required("message")
        .into()
}

/// The errors of the client API (`sealbase::Error`, docs/protocol.md §7), with their details.
pub(crate) struct ErrorBody;

impl PartialSchema for ErrorBody {
    fn schema() -> RefOr<Schema> {
        error_schema(sealbase::Error::NAMES.iter().copied(), "A sealbase error (docs/protocol.md §7).")
    }
}

impl ToSchema for ErrorBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Error")
    }
}

/// The errors of the server-side API (`sealbase::admin::AdminError`, docs/protocol.md §3.14.5).
pub(crate) struct AdminErrorBody;

impl PartialSchema for AdminErrorBody {
    fn schema() -> RefOr<Schema> {
        error_schema(sealbase::admin::AdminError::NAMES.iter().copied(), "A server-side API error (§3.14.5).")
    }
}

impl ToSchema for AdminErrorBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AdminError")
    }
}

/// The online check's refusals (`sealbase::token::CheckError`, docs/protocol.md §3.12).
pub(crate) struct CheckErrorBody;

impl PartialSchema for CheckErrorBody {
    fn schema() -> RefOr<Schema> {
        let names = sealbase::token::CheckError::ALL.iter().map(|error| error.name());
        error_schema(names, "An online check refusal (§3.12).")
    }
}

impl ToSchema for CheckErrorBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CheckError")
    }
}

/// RFC 6750 §3.1's refusals of the UserInfo endpoint: `{ "error", "error_description" }`.
pub(crate) struct BearerErrorBody;

impl PartialSchema for BearerErrorBody {
    fn schema() -> RefOr<Schema> {
        let names = ["invalid_request", "invalid_token", "temporarily_unavailable"];
        ObjectBuilder::new()
            .property("error", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)))
            .property("error_description", ObjectBuilder::new().schema_type(Type::String))
            .required("error")
            .required("error_description")
            .into()
    }
}

impl ToSchema for BearerErrorBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("BearerError")
    }
}

/// The four bearer credentials: a session secret, an app secret, an app's admin access token, an
/// authToken.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str, format: Option<&str>| {
            let mut scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(description));
            if let Some(format) = format {
                scheme = scheme.bearer_format(format);
            }
            SecurityScheme::Http(scheme.build())
        };
        components.add_security_scheme("session", bearer("A session secret, base64url (§3.5).", None));
        components.add_security_scheme("appSecret", bearer("One of the app's secrets (§3.14.1).", None));
        components.add_security_scheme("adminAccessToken", bearer("The app's admin access token (§3.12).", None));
        components.add_security_scheme("authToken", bearer("One of the user's authTokens (§4).", Some("JWT")));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sealbase",
        description = "End-to-end-encrypted user accounts. docs/protocol.md is the normative text; this \
                       document describes the same HTTP API for tools.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        super::health,
        openapi_json,
        super::settings::client_settings,
        super::sign_up::sign_up,
        super::sign_in::pre_login,
        super::sign_in::sign_in,
        super::sign_in::first_sign_in,
        super::recovery::status,
        super::recovery::register,
        super::recovery::pre_reset,
        super::recovery::reset_password,
        super::session::resume,
        super::session::sign_out,
        super::user::update_user,
        super::user::delete_user,
        super::session::auth_token,
        super::jwks::jwks,
        super::email::page,
        super::email::confirm_link,
        super::email::confirm_code,
        super::userinfo::userinfo,
        super::public_keys::public_keys,
        super::admin::check_auth_token,
        super::backend::create_user,
        super::backend::create_account,
        super::users_api::list_users,
        super::users_api::lookup_user,
        super::users_api::get_user,
        super::users_api::update_user,
        super::users_api::delete_user,
    ),
    components(schemas(ErrorBody, AdminErrorBody, CheckErrorBody, BearerErrorBody)),
    modifiers(&Credentials),
)]
pub(crate) struct ApiDoc;

/// The document, serialised once.
pub(crate) fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serialises"))
}

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This document.", content_type = "application/json", body = Object)),
)]
pub(super) async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

#[cfg(test)]
mod tests {
    use sealbase::protocol::routes;

    #[test]
    fn describes_every_route_in_openapi_3_1() {
        let document: serde_json::Value = serde_json::from_str(super::document()).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let paths = document["paths"].as_object().unwrap();
        let expected = [
            (routes::HEALTH, &["get"][..]),
            (routes::OPENAPI, &["get"]),
            (routes::CLIENT_SETTINGS, &["get"]),
            (routes::SIGN_UP, &["post"]),
            (routes::PRE_LOGIN, &["post"]),
            (routes::SIGN_IN, &["post"]),
            (routes::FIRST_SIGN_IN, &["post"]),
            (routes::SESSION, &["post", "delete"]),
            (routes::USER, &["patch", "delete"]),
            (routes::AUTH_TOKEN, &["post"]),
            (routes::JWKS, &["get"]),
            (routes::VERIFY_EMAIL, &["get", "post"]),
            (routes::USER_VERIFY_EMAIL, &["post"]),
            (routes::USERINFO, &["get", "post"]),
            (routes::PUBLIC_KEYS, &["post"]),
            (routes::RECOVERY_KEY, &["get", "put"]),
            (routes::PRE_RESET, &["post"]),
            (routes::RESET_PASSWORD, &["post"]),
            ("/v1/admin/auth-tokens/{auth_token}", &["get"]),
            (sealbase::admin::routes::CREATE_USER, &["post"]),
            (sealbase::admin::routes::USERS, &["post", "get"]),
            (sealbase::admin::routes::USER_LOOKUP, &["post"]),
            (sealbase::admin::routes::USER, &["get", "patch", "delete"]),
        ];
        for (path, methods) in expected {
            for method in methods {
                assert!(paths.get(path).and_then(|item| item.get(method)).is_some(), "{method} {path} is described");
            }
        }
        let described: usize = paths.values().map(|item| item.as_object().unwrap().len()).sum();
        assert_eq!(described, expected.iter().map(|(_, methods)| methods.len()).sum::<usize>(), "nothing else");
        let errors = &document["components"]["schemas"]["Error"]["properties"]["error"]["enum"];
        assert_eq!(errors.as_array().unwrap().len(), sealbase::Error::NAMES.len());
    }
}
