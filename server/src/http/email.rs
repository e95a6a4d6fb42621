//! Email verification (docs/protocol.md §3.16): the page a verification mail links to, the link's
//! confirmation, a signed-in user's code, and the one place that issues and mails a verification.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use sealbase::admin::AdminError;
use sealbase::protocol::UpdateUserResponse;
use sealbase::Error;
use sha2::{Digest, Sha256};

use super::{json_body, origin, AppIdPath, Authenticated, ClientAddress};
use crate::auth::email_verification::{self, RESEND_AFTER_MS};
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::mail::Verification;
use crate::store::{EmailConfirmation, EmailProof};
use crate::AppState;

/// Longest token read from a confirmation body.
const TOKEN_MAX_LEN: usize = 128;

/// Issues a verification of `email` for the user and mails it. `Ok(false)` when there is nothing to do
/// (no mail transport, or the user's email is no longer `email`).
pub(crate) async fn send_verification(
    state: &AppState,
    app_id: &str,
    user_id: &str,
    email: &str,
) -> anyhow::Result<bool> {
    let Some(mailer) = &state.mail else { return Ok(false) };
    let issued = email_verification::issue(user_id, email, now_ms());
    if !state.store.start_email_verification(&issued.record).await? {
        return Ok(false);
    }
    let verification = Verification { app_id, to: email, token: &issued.token, code: &issued.code };
    mailer.send_verification(&verification).await?;
    tracing::info!(user_id, "verification mail sent");
    Ok(true)
}

/// Sends a verification unless one went out within [`RESEND_AFTER_MS`] (a sign-in refused for an
/// unverified email asks for one; failures are logged, the refusal stands).
pub(crate) async fn resend_verification(state: &AppState, app_id: &str, user_id: &str, email: Option<&str>) {
    let Some(email) = email else { return };
    let recent = match state.store.email_verification_sent_at(user_id).await {
        Ok(sent) => sent.is_some_and(|sent| now_ms() - sent < RESEND_AFTER_MS),
        Err(error) => {
            tracing::error!(%error, "could not read the last verification");
            return;
        }
    };
    if !recent {
        if let Err(error) = send_verification(state, app_id, user_id, email).await {
            tracing::error!(%error, user_id, "verification mail not sent");
        }
    }
}

/// The refusal of a verification request on a server without a mail transport.
pub(crate) fn no_mail_transport() -> AdminError {
    AdminError::not_valid("verify_email", "needs a mail transport on the server (--smtp-url or --mail-outbox)")
}

const PAGE_SCRIPT: &str = r#"
const message = document.getElementById('message');
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
history.replaceState(null, '', location.pathname);
fetch(location.pathname, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })
  .then((response) => response.json().then((body) => [response.ok, body]))
  .then(([ok, body]) => { message.textContent = ok ? 'Your email address is confirmed. You can close this page.' : body.message; })
  .catch(() => { message.textContent = 'Service unavailable. Try again later.'; });
"#;

/// The page's Content-Security-Policy: nothing but its own script, by hash.
static PAGE_POLICY: LazyLock<String> = LazyLock::new(|| {
    use base64::Engine;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(PAGE_SCRIPT.as_bytes()));
    format!("default-src 'none'; script-src 'sha256-{hash}'; connect-src 'self'; base-uri 'none'; form-action 'none'")
});

/// `GET …/verify-email`: the page the link opens. The token stays in the fragment, which browsers never
/// send; the page posts it and says how it went.
#[utoipa::path(
    get,
    path = "/v1/apps/{app_id}/verify-email",
    tag = "email",
    params(crate::http::openapi::AppPath),
    responses(
        (status = 200, description = "The page a verification link opens; it posts the token in its fragment.", content_type = "text/html", body = String),
    ),
)]
pub(super) async fn page() -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>Confirm your email</title><p id=\"message\">Confirming your email address…</p><script>{PAGE_SCRIPT}</script></html>"
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&PAGE_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST …/verify-email {token}`: the link's confirmation. `200 {"emailVerified": true}`.
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/verify-email",
    tag = "email",
    params(crate::http::openapi::AppPath),
    request_body = crate::http::openapi::VerifyEmailToken,
    responses(
        (status = 200, description = "The email is verified.", body = crate::http::openapi::EmailVerified),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn confirm_link(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    state.address_budget.spend(address)?;
    let body = json_body(body)?;
    let token = body
        .get("token")
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty() && token.len() <= TOKEN_MAX_LEN)
        .ok_or(Error::EmailVerificationNotValid)?;
    let app = state.app(&app_id).await?;
    let hash = email_verification::token_hash(token);
    // A token works only at its own app's link: another app's path answers as an unknown token.
    let proof = EmailProof::Token { app_id: &app.id, token_hash: &hash };
    match state.store.confirm_email(&proof, now_ms()).await? {
        EmailConfirmation::Verified { user_id } => {
            tracing::info!(%user_id, "email verified by link");
            Ok(Json(serde_json::json!({ "emailVerified": true })))
        }
        EmailConfirmation::NotValid | EmailConfirmation::WrongCode => Err(Error::EmailVerificationNotValid.into()),
    }
}

/// `POST …/user/verify-email {code}` with the session: the user with the email verified (and a fresh
/// authToken that says so).
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/user/verify-email",
    tag = "email",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    request_body = crate::http::openapi::VerifyEmailCode,
    responses(
        (status = 200, description = "The user, email verified.", body = sealbase::protocol::UpdateUserResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn confirm_code(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<UpdateUserResponse>> {
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    let body = json_body(body)?;
    let code = body
        .get("code")
        .and_then(serde_json::Value::as_str)
        .filter(|code| code.trim().len() == email_verification::CODE_DIGITS)
        .ok_or(Error::EmailVerificationNotValid)?;
    let hash = email_verification::code_hash(&session.user_id, code);
    let proof = EmailProof::Code { user_id: &session.user_id, code_hash: &hash };
    match state.store.confirm_email(&proof, now_ms()).await? {
        EmailConfirmation::Verified { .. } => {}
        EmailConfirmation::NotValid | EmailConfirmation::WrongCode => {
            return Err(Error::EmailVerificationNotValid.into())
        }
    }
    let user = state.store.user_by_id(&session.user_id).await?.ok_or(Error::UserNotFound)?;
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs.into(), user.token_subject(), &session.session_id, session.expires_at)
        .map_err(ApiError::Internal)?;
    Ok(Json(UpdateUserResponse { user: user.to_user(&app, auth_token) }))
}
