//! The server-side API an app's backend calls with an app secret (feature `admin`): seed 000's
//! createUser and seed 001's sign-up body, their checks, the record they store and the errors they
//! answer. Shared by the server and the app-backend client, so both read a body the same way.

#[cfg(all(feature = "client", not(target_arch = "wasm32")))]
pub mod client;
pub mod create_user;
mod error;
mod fields;
pub mod record;
pub mod user;

pub use error::AdminError;
pub use user::{AccountDetails, AdminUser, NewUserRequest, PasswordSource};

/// Routes of the server-side API, as axum path templates.
pub mod routes {
    /// `POST`: seed 000's createUser (credentials in the body).
    pub const CREATE_USER: &str = "/api/v1/server/createUser";
    /// `POST`: seed 001's sign-up body (`Authorization: Bearer <app secret>`).
    pub const USERS: &str = "/v1/admin/apps/{app_id}/users";
}
