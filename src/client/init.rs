//! `init`: resume a stored session, or report who used the app last.

use serde::{Deserialize, Serialize};

use super::{ActiveSession, Client};
use crate::error::{Error, Result};
use crate::protocol::{routes, ResumeRequest, ResumeResponse, User};
use crate::validate;

/// Parameters of [`Client::init`].
#[derive(Debug, Clone, Default)]
pub struct Init {
    /// New session length in hours; when absent a resumed session is extended by its own length.
    pub session_length: Option<f64>,
}

/// What `init` found: `{ user }`, `{ lastUsedUsername }` or `{}` (userbase-js's shapes).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitResult {
    /// The resumed user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// The last user who signed in, when no session could be resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_username: Option<String>,
}

impl Client {
    /// Resumes the session kept by an earlier run (this process's session store first, then the local
    /// one). The server extends it and returns the user with a fresh authToken. An expired, revoked or
    /// unknown session is cleared and reported as `last_used_username`.
    pub async fn init(&self, params: Init) -> Result<InitResult> {
        let session_length = params.session_length.map(validate::session_length).transpose()?;
        // A sign-up or sign-in under way finishes first (then its user is the answer), and one started
        // now waits for the resume, so the two cannot both make a session active.
        let _signing_in = self.signing_in.lock().await;
        if let Some(user) = self.current_user() {
            return Ok(InitResult { user: Some(user), last_used_username: None });
        }
        let mut last_used_username = None;
        for (mode, store) in self.stores() {
            let Some(state) = store.load(&self.app_id)? else { continue };
            let Some(stored) = state.session else {
                last_used_username = last_used_username.or(state.last_used_username);
                continue;
            };
            let request = self
                .authorized(super::http::Method::Post, routes::SESSION, &stored.secret)?
                .json(&ResumeRequest { session_length });
            match self.send::<ResumeResponse>(request).await {
                Ok(resumed) => {
                    let user = resumed.user.clone();
                    self.activate(ActiveSession {
                        user: resumed.user,
                        session_id: stored.session_id,
                        secret: stored.secret,
                        expiration_date: resumed.expiration_date,
                        session_length: resumed.session_length,
                        seed: stored.seed,
                        remember_me: mode,
                    })?;
                    return Ok(InitResult { user: Some(user), last_used_username: None });
                }
                Err(error @ (Error::SessionNotValid | Error::UserNotFound | Error::UserBlocked)) => {
                    let username = stored.username;
                    store.save(
                        &self.app_id,
                        &super::store::StoredState { last_used_username: Some(username.clone()), session: None },
                    )?;
                    // A blocked user's sessions are dead too, but the app is told why.
                    if error == Error::UserBlocked {
                        return Err(error);
                    }
                    return Ok(InitResult { user: None, last_used_username: Some(username) });
                }
                Err(other) => return Err(other),
            }
        }
        Ok(InitResult { user: None, last_used_username })
    }
}
