//! `verify_email`: the signed-in user confirms their email with the code from the verification mail.

use super::Client;
use crate::error::{Error, Result};
use crate::protocol::{routes, UpdateUserResponse, User};

impl Client {
    /// Verifies the signed-in user's email with the code of the verification mail (8 digits; spaces
    /// around it are ignored). Answers the user, now with `email_verified`, and fires the update handler.
    /// A wrong, expired or used code, or an email changed since, is `EmailVerificationNotValid`; five
    /// wrong codes end the verification.
    pub async fn verify_email(&self, code: &str) -> Result<User> {
        let active = self.active()?;
        let request = self
            .authorized(super::http::Method::Post, routes::USER_VERIFY_EMAIL, &active.secret)?
            .json(&serde_json::json!({ "code": code.trim() }));
        let body = self.send_authorized(request).await?;
        let response: UpdateUserResponse = crate::protocol::decode(&body).map_err(|_| Error::ServiceUnavailable)?;
        self.user_updated(active, response.user.clone());
        Ok(response.user)
    }
}
