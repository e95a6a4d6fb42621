//! `delete_user`: remove the account on the server and every trace of it here.

use super::Client;
use crate::error::Result;
use crate::protocol::routes;

impl Client {
    /// Deletes the signed-in user: the server removes their key material and sessions and frees the
    /// username; local storage keeps nothing of them.
    pub async fn delete_user(&self) -> Result<()> {
        let active = self.active()?;
        self.send_authorized(self.authorized(super::http::Method::Delete, routes::USER, &active.secret)?).await?;
        self.deactivate(false)
    }
}
