//! All cryptography of protocol v1, composed from RustCrypto crates. No I/O.
//!
//! ```text
//! password ─NFKC─▶ scrypt(salt, N, r, p) ─▶ PasswordKey ─HKDF─┬▶ LoginKey (Ed25519)
//!                                                              └▶ SeedBackupKey (AES-256-GCM) ─wraps─▶ Seed
//! Seed (32 random bytes) ─HKDF─┬▶ DataEncryptionKey  ┬▶ identity Ed25519
//!                              └▶ HmacKey            └▶ identity X25519
//! RecoveryKey (16 random bytes) ─HKDF(salt)─┬▶ recovery login key (Ed25519)
//!                                           └▶ recovery backup key (AES-256-GCM) ─wraps─▶ Seed
//! ```

pub mod account;
pub mod app_data;
pub mod hkdf;
pub mod legacy;
pub mod password;
pub mod random;
pub mod recovery;
pub(crate) mod secret;
pub mod seed;

pub use account::NewAccountKeys;
pub use password::{KdfAlgorithm, KdfParams, LoginKey, PasswordKey, SeedBackupKey};
pub use recovery::{RecoveryKey, RecoveryKeys};
pub use seed::{DataEncryptionKey, HmacKey, IdentityPublicKeys, Seed, SeedBackup, UserKeys};
