//! Pending accounts: made by an app's backend, which handed over a password or an imported password
//! hash, so they have no end-to-end keys yet. The server keeps a *verifier* instead: the public half of
//! an Ed25519 key derived from the *legacy hash* `L` (the output of bcrypt, Argon2 or PBKDF2 over the
//! password, with the parameters below). At the first sign-in the client computes `L` from the typed
//! password, signs the server's challenge with that key, and registers keys made on the device
//! (docs/protocol.md §3.13).
//!
//! The verifier is not enough to pass the proof (that needs `L`, i.e. the password), and a proof is a
//! signature over a single-use challenge, so nothing that crosses the wire can be replayed.
//!
//! ```text
//! password (UTF-8 as typed, no NFKC) ─legacy hash(params)─▶ L ─HKDF─▶ legacy login key (Ed25519)
//! ```

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::hkdf::info;
use crate::error::{Error, Result};
use crate::protocol::b64::{Bytes, VarBytes};

#[cfg(feature = "admin")]
pub mod import;

/// Highest bcrypt cost a client computes (2^16 rounds: seconds in a browser).
pub const BCRYPT_MAX_COST: u32 = 16;
/// Lowest bcrypt cost (bcrypt's own floor).
pub const BCRYPT_MIN_COST: u32 = 4;
/// Most memory an Argon2 derivation may ask for, in KiB (1 GiB, as scrypt's ceiling).
pub const ARGON2_MAX_M_KIB: u32 = 1 << 20;
/// Most Argon2 passes.
pub const ARGON2_MAX_T: u32 = 10;
/// Most Argon2 lanes.
pub const ARGON2_MAX_P: u32 = 16;
/// Most PBKDF2 iterations.
pub const PBKDF2_MAX_ITERATIONS: u32 = 5_000_000;
/// Shortest and longest legacy hash output, in bytes.
pub const HASH_LEN_RANGE: core::ops::RangeInclusive<u32> = 4..=64;
/// Shortest and longest Argon2 salt (Argon2's own floor is 8 bytes).
pub const ARGON2_SALT_LEN_RANGE: core::ops::RangeInclusive<usize> = 8..=64;
/// Shortest and longest PBKDF2 salt.
pub const PBKDF2_SALT_LEN_RANGE: core::ops::RangeInclusive<usize> = 1..=256;
/// bcrypt keeps the first 72 bytes of the password (with its terminating NUL, when shorter).
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

/// The parameters of the legacy hash a pending account's verifier was made with, as pre-login hands them
/// to the client (`{"algorithm": "bcrypt", …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireParams", into = "WireParams")]
pub enum LegacyParams {
    /// bcrypt (`$2a$`, `$2b$`, `$2y$` hashes); `L` is the 23 bytes a bcrypt hash string encodes.
    Bcrypt {
        /// log2 of the rounds.
        cost: u32,
        /// bcrypt's 16-byte salt.
        salt: Bytes<16>,
    },
    /// Argon2id (RFC 9106).
    Argon2id(Argon2Params),
    /// Argon2i.
    Argon2i(Argon2Params),
    /// Argon2d.
    Argon2d(Argon2Params),
    /// PBKDF2 with HMAC-SHA-1 (RFC 8018).
    Pbkdf2Sha1(Pbkdf2Params),
    /// PBKDF2 with HMAC-SHA-256.
    Pbkdf2Sha256(Pbkdf2Params),
    /// PBKDF2 with HMAC-SHA-512.
    Pbkdf2Sha512(Pbkdf2Params),
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for LegacyParams {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <WireParams as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for LegacyParams {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <WireParams as utoipa::ToSchema>::schemas(schemas);
    }
}

/// Argon2's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argon2Params {
    /// 16 (0x10) or 19 (0x13).
    pub version: u32,
    /// Memory in KiB.
    pub m: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// The salt.
    pub salt: VarBytes,
    /// Output length in bytes.
    pub length: u32,
}

/// PBKDF2's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pbkdf2Params {
    /// Iteration count.
    pub iterations: u32,
    /// The salt.
    pub salt: VarBytes,
    /// Output length in bytes.
    pub length: u32,
}

/// The wire form: one flat object whose `algorithm` says which other fields it has. (A flat struct
/// rather than serde's internally tagged enum: the browser bundle is kilobytes smaller without the
/// buffering that needs.)
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct WireParams {
    algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cost: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iterations: Option<u32>,
    salt: VarBytes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    length: Option<u32>,
}

impl From<LegacyParams> for WireParams {
    fn from(params: LegacyParams) -> Self {
        let algorithm = params.algorithm().to_owned();
        let empty = Self {
            algorithm,
            cost: None,
            version: None,
            m: None,
            t: None,
            p: None,
            iterations: None,
            salt: VarBytes(Vec::new()),
            length: None,
        };
        match params {
            LegacyParams::Bcrypt { cost, salt } => Self { cost: Some(cost), salt: VarBytes(salt.0.to_vec()), ..empty },
            LegacyParams::Argon2id(a) | LegacyParams::Argon2i(a) | LegacyParams::Argon2d(a) => Self {
                version: Some(a.version),
                m: Some(a.m),
                t: Some(a.t),
                p: Some(a.p),
                salt: a.salt,
                length: Some(a.length),
                ..empty
            },
            LegacyParams::Pbkdf2Sha1(p) | LegacyParams::Pbkdf2Sha256(p) | LegacyParams::Pbkdf2Sha512(p) => {
                Self { iterations: Some(p.iterations), salt: p.salt, length: Some(p.length), ..empty }
            }
        }
    }
}

impl TryFrom<WireParams> for LegacyParams {
    type Error = &'static str;

    fn try_from(wire: WireParams) -> core::result::Result<Self, &'static str> {
        const MISSING: &str = "a field the algorithm needs is missing";
        let argon2 = || {
            Some(Argon2Params {
                version: wire.version?,
                m: wire.m?,
                t: wire.t?,
                p: wire.p?,
                salt: wire.salt.clone(),
                length: wire.length?,
            })
        };
        let pbkdf2 =
            || Some(Pbkdf2Params { iterations: wire.iterations?, salt: wire.salt.clone(), length: wire.length? });
        Ok(match wire.algorithm.as_str() {
            "bcrypt" => LegacyParams::Bcrypt {
                cost: wire.cost.ok_or(MISSING)?,
                salt: Bytes(wire.salt.0.as_slice().try_into().map_err(|_| "a bcrypt salt is 16 bytes")?),
            },
            "argon2id" => LegacyParams::Argon2id(argon2().ok_or(MISSING)?),
            "argon2i" => LegacyParams::Argon2i(argon2().ok_or(MISSING)?),
            "argon2d" => LegacyParams::Argon2d(argon2().ok_or(MISSING)?),
            "pbkdf2-sha1" => LegacyParams::Pbkdf2Sha1(pbkdf2().ok_or(MISSING)?),
            "pbkdf2-sha256" => LegacyParams::Pbkdf2Sha256(pbkdf2().ok_or(MISSING)?),
            "pbkdf2-sha512" => LegacyParams::Pbkdf2Sha512(pbkdf2().ok_or(MISSING)?),
            _ => return Err("an algorithm this client does not know"),
        })
    }
}

impl LegacyParams {
    /// The parameters of verifiers the server (or an app backend's SDK) makes from a plaintext password:
    /// Argon2id, 19 MiB, 2 passes, 1 lane (OWASP's first choice), 32-byte output, a fresh 16-byte salt.
    pub fn for_new_verifier() -> Self {
        Self::Argon2id(Argon2Params {
            version: 19,
            m: 19 * 1024,
            t: 2,
            p: 1,
            salt: VarBytes(super::random::array::<16>().to_vec()),
            length: 32,
        })
    }

    /// The algorithm's wire name.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Self::Bcrypt { .. } => "bcrypt",
            Self::Argon2id(_) => "argon2id",
            Self::Argon2i(_) => "argon2i",
            Self::Argon2d(_) => "argon2d",
            Self::Pbkdf2Sha1(_) => "pbkdf2-sha1",
            Self::Pbkdf2Sha256(_) => "pbkdf2-sha256",
            Self::Pbkdf2Sha512(_) => "pbkdf2-sha512",
        }
    }

    /// Refuses parameters outside the bounds above with [`Error::LegacyParamsNotValid`]: a server cannot
    /// talk a client into an unbounded computation.
    pub fn check(&self) -> Result<()> {
        let valid = match self {
            Self::Bcrypt { cost, .. } => (BCRYPT_MIN_COST..=BCRYPT_MAX_COST).contains(cost),
            Self::Argon2id(a) | Self::Argon2i(a) | Self::Argon2d(a) => {
                matches!(a.version, 16 | 19)
                    && (1..=ARGON2_MAX_P).contains(&a.p)
                    && (8 * a.p..=ARGON2_MAX_M_KIB).contains(&a.m)
                    && (1..=ARGON2_MAX_T).contains(&a.t)
                    && ARGON2_SALT_LEN_RANGE.contains(&a.salt.0.len())
                    && HASH_LEN_RANGE.contains(&a.length)
            }
            Self::Pbkdf2Sha1(p) | Self::Pbkdf2Sha256(p) | Self::Pbkdf2Sha512(p) => {
                (1..=PBKDF2_MAX_ITERATIONS).contains(&p.iterations)
                    && PBKDF2_SALT_LEN_RANGE.contains(&p.salt.0.len())
                    && HASH_LEN_RANGE.contains(&p.length)
            }
        };
        if valid {
            Ok(())
        } else {
            Err(Error::LegacyParamsNotValid)
        }
    }

    /// The legacy hash `L` of `password` (its UTF-8 bytes as typed: the legacy system hashed what its
    /// form received, so there is no normalisation here). CPU-heavy; parameters are checked first.
    #[cfg(feature = "legacy-hashes")]
    pub fn hash(&self, password: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.check()?;
        if password.is_empty() {
            return Err(Error::PasswordCannotBeBlank);
        }
        match self {
            Self::Bcrypt { cost, salt } => {
                // As bcrypt implementations hash: NUL-terminated, cut at 72 bytes.
                let mut terminated = Zeroizing::new([0u8; BCRYPT_MAX_PASSWORD_BYTES]);
                let kept = password.len().min(BCRYPT_MAX_PASSWORD_BYTES);
                terminated[..kept].copy_from_slice(&password[..kept]);
                let used = (kept + 1).min(BCRYPT_MAX_PASSWORD_BYTES);
                let output = Zeroizing::new(bcrypt::bcrypt(*cost, salt.0, &terminated[..used]));
                Ok(Zeroizing::new(output[..23].to_vec()))
            }
            Self::Argon2id(a) => argon2_hash(argon2::Algorithm::Argon2id, a, password),
            Self::Argon2i(a) => argon2_hash(argon2::Algorithm::Argon2i, a, password),
            Self::Argon2d(a) => argon2_hash(argon2::Algorithm::Argon2d, a, password),
            Self::Pbkdf2Sha1(p) => Ok(pbkdf2_hash::<sha1::Sha1>(p, password)),
            Self::Pbkdf2Sha256(p) => Ok(pbkdf2_hash::<Sha256>(p, password)),
            Self::Pbkdf2Sha512(p) => Ok(pbkdf2_hash::<sha2::Sha512>(p, password)),
        }
    }

    /// The legacy login key of `password` under these parameters.
    #[cfg(feature = "legacy-hashes")]
    pub fn login_key(&self, password: &[u8]) -> Result<LegacyLoginKey> {
        Ok(LegacyLoginKey::from_legacy_hash(&self.hash(password)?))
    }
}

#[cfg(feature = "legacy-hashes")]
fn argon2_hash(algorithm: argon2::Algorithm, a: &Argon2Params, password: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let version = if a.version == 16 { argon2::Version::V0x10 } else { argon2::Version::V0x13 };
    let params =
        argon2::Params::new(a.m, a.t, a.p, Some(a.length as usize)).map_err(|_| Error::LegacyParamsNotValid)?;
    let mut output = Zeroizing::new(vec![0u8; a.length as usize]);
    argon2::Argon2::new(algorithm, version, params)
        .hash_password_into(password, &a.salt.0, &mut output)
        .map_err(|_| Error::LegacyParamsNotValid)?;
    Ok(output)
}

#[cfg(feature = "legacy-hashes")]
fn pbkdf2_hash<D: hmac::EagerHash>(p: &Pbkdf2Params, password: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut output = Zeroizing::new(vec![0u8; p.length as usize]);
    pbkdf2::pbkdf2_hmac::<D>(password, &p.salt.0, p.iterations, &mut output);
    output
}

/// The Ed25519 key a pending account's first sign-in signs with: HKDF-SHA256 over the legacy hash.
/// Zeroized on drop by ed25519-dalek.
pub struct LegacyLoginKey(SigningKey);

impl LegacyLoginKey {
    /// `HKDF-SHA256(ikm = L, salt = empty, info = "sealbase/v1/legacy-login-key/ed25519")`, 32 bytes, as
    /// an Ed25519 secret key seed.
    pub fn from_legacy_hash(legacy_hash: &[u8]) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, legacy_hash)
            .expand(info::LEGACY_LOGIN_KEY, seed.as_mut())
            .unwrap_or_else(|_| unreachable!("32-byte HKDF-SHA256 output is always valid"));
        Self(SigningKey::from_bytes(&seed))
    }

    /// The verifier the server keeps.
    pub fn public_key(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    /// Signs the first sign-in's challenge message.
    pub fn sign(&self, message: &[u8]) -> ed25519_dalek::Signature {
        self.0.sign(message)
    }
}

impl core::fmt::Debug for LegacyLoginKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "LegacyLoginKey {{ public: {:?} }}", self.public_key().as_bytes())
    }
}

/// What the server keeps for a pending account: the legacy parameters and the verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingVerifier {
    /// The legacy hash's parameters (handed to the client at pre-login).
    pub params: LegacyParams,
    /// The legacy login key's public half.
    pub public_key: Bytes<32>,
}

impl PendingVerifier {
    /// Makes the verifier of `password`: what an app backend's SDK sends so that the plaintext never
    /// reaches the sealbase server, and what the server makes from a plaintext it was handed. CPU-heavy.
    #[cfg(feature = "legacy-hashes")]
    pub fn from_password(password: &str) -> Result<Self> {
        let params = LegacyParams::for_new_verifier();
        let key = params.login_key(password.as_bytes())?;
        Ok(Self { public_key: Bytes(key.public_key().to_bytes()), params })
    }

    /// Checks a verifier received from elsewhere: bounded parameters and a valid Ed25519 point.
    pub fn check(&self) -> Result<()> {
        self.params.check()?;
        VerifyingKey::from_bytes(&self.public_key.0)
            .map(|_| ())
            .map_err(|_| Error::KeyMaterialNotValid { key: "publicKey".into() })
    }
}

#[cfg(all(test, feature = "legacy-hashes"))]
mod tests {
    use super::*;

    fn argon2(m: u32, t: u32, p: u32, salt_len: usize, length: u32, version: u32) -> LegacyParams {
        LegacyParams::Argon2id(Argon2Params { version, m, t, p, salt: VarBytes(vec![1; salt_len]), length })
    }

    fn pbkdf2(iterations: u32, salt_len: usize, length: u32) -> LegacyParams {
        LegacyParams::Pbkdf2Sha256(Pbkdf2Params { iterations, salt: VarBytes(vec![1; salt_len]), length })
    }

    #[test]
    fn parameters_outside_the_bounds_are_refused_before_hashing() {
        let refused = [
            LegacyParams::Bcrypt { cost: 3, salt: Bytes([0; 16]) },
            LegacyParams::Bcrypt { cost: BCRYPT_MAX_COST + 1, salt: Bytes([0; 16]) },
            argon2(ARGON2_MAX_M_KIB + 1, 1, 1, 16, 32, 19),
            argon2(7, 1, 1, 16, 32, 19),
            argon2(64, 1, 9, 16, 32, 19), // fewer than 8 KiB per lane
            argon2(64, ARGON2_MAX_T + 1, 1, 16, 32, 19),
            argon2(64, 1, ARGON2_MAX_P + 1, 16, 32, 19),
            argon2(64, 1, 1, 7, 32, 19),
            argon2(64, 1, 1, 65, 32, 19),
            argon2(64, 1, 1, 16, 3, 19),
            argon2(64, 1, 1, 16, 65, 19),
            argon2(64, 1, 1, 16, 32, 18),
            pbkdf2(0, 16, 32),
            pbkdf2(PBKDF2_MAX_ITERATIONS + 1, 16, 32),
            pbkdf2(1, 0, 32),
            pbkdf2(1, 257, 32),
            pbkdf2(1, 16, 65),
        ];
        for params in refused {
            assert_eq!(params.hash(b"password").map(|_| ()), Err(Error::LegacyParamsNotValid), "{params:?}");
        }
        for params in
            [argon2(64, 1, 1, 8, 4, 16), pbkdf2(1, 1, 64), LegacyParams::Bcrypt { cost: 4, salt: Bytes([0; 16]) }]
        {
            assert!(params.hash(b"password").is_ok(), "{params:?}");
        }
    }

    #[test]
    fn bcrypt_keeps_72_bytes_as_bcrypt_does() {
        let params = LegacyParams::Bcrypt { cost: 4, salt: Bytes([7; 16]) };
        let long = [b'a'; 100];
        assert_eq!(params.hash(&long[..72]).unwrap(), params.hash(&long).unwrap());
        assert_ne!(params.hash(&long[..71]).unwrap(), params.hash(&long[..72]).unwrap());
    }

    #[test]
    fn wire_form_names_the_algorithm() {
        let params = argon2(64, 2, 1, 8, 32, 19);
        let json = serde_json::to_value(&params).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"algorithm": "argon2id", "version": 19, "m": 64, "t": 2, "p": 1, "salt": "AQEBAQEBAQE", "length": 32})
        );
        assert_eq!(serde_json::from_value::<LegacyParams>(json).unwrap(), params);
        let bcrypt: LegacyParams = serde_json::from_value(
            serde_json::json!({"algorithm": "bcrypt", "cost": 10, "salt": "AAAAAAAAAAAAAAAAAAAAAA"}),
        )
        .unwrap();
        assert_eq!(bcrypt, LegacyParams::Bcrypt { cost: 10, salt: Bytes([0; 16]) });
        assert!(serde_json::from_value::<LegacyParams>(serde_json::json!({"algorithm": "md5"})).is_err());
    }
}
