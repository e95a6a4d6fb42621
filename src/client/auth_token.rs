//! `auth_token`: a currently valid authToken, refreshed through the session when it runs low.

use std::sync::atomic::Ordering;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::{lock, Client};
use crate::error::Result;
use crate::protocol::{routes, AuthTokenResponse};

/// A token this close to expiry is replaced.
pub const REFRESH_MARGIN_SECS: i64 = 300;

impl Client {
    /// An authToken valid for at least five more minutes (or as long as the app's token lifetime
    /// allows), for calling the app's own server. Concurrent callers share one refresh.
    pub async fn auth_token(&self) -> Result<String> {
        let active = self.active()?;
        if fresh(&active.user.auth_token) {
            return Ok(active.user.auth_token);
        }
        let seen = self.token_refreshes.load(Ordering::SeqCst);
        let _refreshing = self.token_refresh.lock().await;
        let active = self.active()?;
        // Someone refreshed while we waited: theirs is as new as ours would be.
        if self.token_refreshes.load(Ordering::SeqCst) != seen || fresh(&active.user.auth_token) {
            return Ok(active.user.auth_token);
        }
        let body = self
            .send_authorized(self.authorized(super::http::Method::Post, routes::AUTH_TOKEN, &active.secret)?)
            .await?;
        let response: AuthTokenResponse =
            crate::protocol::decode(&body).map_err(|_| crate::Error::ServiceUnavailable)?;
        if let Some(current) = lock(&self.active).as_mut().filter(|current| current.session_id == active.session_id) {
            current.user.auth_token = response.auth_token.clone();
        }
        self.token_refreshes.fetch_add(1, Ordering::SeqCst);
        Ok(response.auth_token)
    }
}

fn fresh(token: &str) -> bool {
    expiry(token).is_some_and(|exp| exp - crate::platform::now_unix_secs() >= REFRESH_MARGIN_SECS)
}

/// The `exp` claim, read without verification: the client trusts its own server's token and only
/// needs to know when to ask for a new one.
fn expiry(token: &str) -> Option<i64> {
    let claims = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    serde_json::from_slice::<serde_json::Value>(&claims).ok()?.get("exp")?.as_i64()
}
