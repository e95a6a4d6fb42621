//! The server-side API an app's backend calls with an app secret (feature `admin`): seed 000's
//! createUser, seed 001's sign-up body and the users API (find, list, change, delete), their checks, the record they store and the errors they
//! answer. Shared by the server and the app-backend client, so both read a body the same way.

#[cfg(all(feature = "client", not(target_arch = "wasm32")))]
pub mod client;
pub mod create_user;
mod error;
mod fields;
pub mod find_users;
pub mod record;
pub mod update_user;
pub mod user;
pub mod userinfo;

pub use error::AdminError;
pub use find_users::{ListUsers, UserLookup, UsersPage};
pub use update_user::{EditableUser, UserChange};
pub use user::{AccountDetails, AdminUser, NewUserRequest, PasswordSource};

/// Routes of the server-side API, as axum path templates.
pub mod routes {
    /// `POST`: seed 000's createUser (credentials in the body).
    pub const CREATE_USER: &str = "/api/v1/server/createUser";
    /// `POST`: seed 001's sign-up body; `GET`: a page of users (`Authorization: Bearer <app secret>`,
    /// as every route below).
    pub const USERS: &str = "/v1/admin/apps/{app_id}/users";
    /// `GET`, `PATCH`, `DELETE`: one user by id.
    pub const USER: &str = "/v1/admin/apps/{app_id}/users/{user_id}";
    /// `POST`: one user by username, email or identity.
    pub const USER_LOOKUP: &str = "/v1/admin/apps/{app_id}/users/lookup";
}
