//! # sealbase
//!
//! End-to-end-encrypted user accounts. The password never leaves the client: it is normalised (NFKC),
//! stretched with scrypt, and every key is derived from it with HKDF. The user's random seed, the root of
//! their end-to-end keys, is stored by the server only encrypted under a password-derived key.
//!
//! The crate has two layers:
//! - a sans-I/O core, always compiled: [`crypto`], [`protocol`] (the wire format the companion server
//!   shares), [`validate`] and [`Error`];
//! - the network [`Client`] (feature `client`, on by default), native (tokio + reqwest) or wasm32.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sealbase::Error> {
//! use sealbase::{Client, SignUp};
//!
//! let client = Client::new("a1b2c3d4-app-id", "http://127.0.0.1:8080")?;
//! let user = client
//!     .sign_up(SignUp { username: "ada".into(), password: "correct horse battery".into(), ..Default::default() })
//!     .await?;
//! println!("{} has id {}", user.username, user.user_id);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "admin")]
pub mod admin;
pub mod crypto;
mod error;
mod platform;
pub mod protocol;
#[cfg(feature = "jwt")]
pub mod token;
pub mod validate;

#[cfg(feature = "client")]
mod client;

pub use error::{Error, Result};
pub use protocol::{PaymentsMode, User};
pub use validate::{Profile, RememberMe};

#[cfg(all(feature = "client", target_arch = "wasm32"))]
pub use client::kdf::{KdfFuture, KdfRunner};
#[cfg(all(feature = "client", target_arch = "wasm32"))]
pub use client::legacy::{LegacyHashFuture, LegacyHasher};
#[cfg(feature = "client")]
pub use client::{
    init::{Init, InitResult},
    recovery::ResetPassword,
    sign_in::SignIn,
    sign_up::SignUp,
    store,
    update_user::UpdateUser,
    Client,
};
