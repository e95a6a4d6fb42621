//! All cryptography of protocol v1, composed from RustCrypto crates. No I/O.
//!
//! ```text
//! password ─NFKC─▶ scrypt(salt, N, r, p) ─▶ PasswordKey ─HKDF─┬▶ LoginKey (Ed25519)
//!                                                              └▶ SeedBackupKey (AES-256-GCM) ─wraps─▶ Seed
//! Seed (32 random bytes) ─HKDF─┬▶ DataEncryptionKey  ┬▶ identity Ed25519
//!                              └▶ HmacKey            └▶ identity X25519
//! ```

pub mod account;
pub mod app_data;
pub mod hkdf;
pub mod legacy;
pub mod password;
pub mod random;
pub(crate) mod secret;
pub mod seed;

pub use account::NewAccountKeys;
pub use password::{KdfAlgorithm, KdfParams, LoginKey, PasswordKey, SeedBackupKey};
pub use seed::{DataEncryptionKey, HmacKey, IdentityPublicKeys, Seed, SeedBackup, UserKeys};
