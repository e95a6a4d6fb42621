//! `POST /v1/apps/{appId}/public-keys`: another user's public identity keys, for sealing a message to
//! them and checking their signatures (docs/protocol.md §3.17).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crypto::seed::IdentityPublicKeys;
use crate::error::{Error, Result};
use crate::validate;

/// The request: whose keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicKeysRequest {
    /// The user's username (any form that canonicalises to it).
    pub username: String,
}

impl PublicKeysRequest {
    /// Reads and checks a request body: `username` as at sign-in.
    pub fn from_json(body: &Value) -> Result<Self> {
        let object = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        Ok(Self { username: validate::json::username(object.get("username"))? })
    }
}

/// The answer: the user's public identity keys, as registered at sign-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserPublicKeys {
    /// Stored form of the username.
    pub username: String,
    /// The userId.
    pub user_id: String,
    /// Ed25519 (signatures) and X25519 (sealing) public keys.
    pub identity: IdentityPublicKeys,
}
