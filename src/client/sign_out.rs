//! `sign_out`: revoke the session on the server, forget it here, remember the username.

use super::Client;
use crate::error::{Error, Result};
use crate::protocol::routes;

impl Client {
    /// Signs out. The server revokes the session (its authTokens stop passing the online check); the
    /// stored session is cleared and the username kept for `init`'s `last_used_username`. If the server
    /// cannot be reached the user stays signed in, so the call can be retried.
    pub async fn sign_out(&self) -> Result<()> {
        let active = self.active()?;
        match self.send_raw(self.authorized(super::http::Method::Delete, routes::SESSION, &active.secret)?).await {
            // Already dead on the server: signing out locally is all that is left.
            Ok(_) | Err(Error::SessionNotValid | Error::UserBlocked) => {}
            Err(other) => return Err(other),
        }
        self.deactivate(true)
    }
}
