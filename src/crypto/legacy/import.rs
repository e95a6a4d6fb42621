//! Imported password hashes read into pending-account verifiers, at import: a hash with a bad encoding,
//! an unsupported variant or parameters a client would refuse fails here, naming the field, instead of
//! at the user's first sign-in. What is kept is the verifier, never the hash as given.
//!
//! Accepted forms (docs/protocol.md §3.14):
//! - `bcrypt`: a `$2a$`, `$2b$` or `$2y$` hash string (cost 4–16);
//! - `argon2`: a PHC string `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` (also `argon2i`, `argon2d`; no
//!   `v=` means version 16, as in the reference implementation; keyed hashes are refused);
//! - `pbkdf2`: a PHC string `$pbkdf2-sha256$i=…[,l=…]$<salt>$<hash>` (also `-sha1`, `-sha512`), or the
//!   plain hash (hex, or standard base64) with `salt` (its UTF-8 bytes) and the iteration count
//!   (`hash_iterations`) and digest (`hash_digest`, `sha256` when absent) given beside it.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use zeroize::Zeroizing;

use super::{
    Argon2Params, LegacyLoginKey, LegacyParams, Pbkdf2Params, PendingVerifier, ARGON2_SALT_LEN_RANGE, BCRYPT_MAX_COST,
    BCRYPT_MIN_COST, HASH_LEN_RANGE,
};
use crate::protocol::b64::{Bytes, VarBytes};

/// The hash functions an import names (seed 001's `hash_fn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFn {
    /// bcrypt.
    Bcrypt,
    /// Argon2 (id, i or d).
    Argon2,
    /// PBKDF2 (HMAC-SHA-1, -256 or -512).
    Pbkdf2,
}

impl std::str::FromStr for HashFn {
    type Err = ();
    fn from_str(name: &str) -> Result<Self, ()> {
        match name {
            "bcrypt" => Ok(Self::Bcrypt),
            "argon2" => Ok(Self::Argon2),
            "pbkdf2" => Ok(Self::Pbkdf2),
            _ => Err(()),
        }
    }
}

/// An imported hash and what was given beside it.
#[derive(Clone, Copy)]
pub struct ImportedHash<'a> {
    /// `hash_fn`.
    pub hash_fn: HashFn,
    /// The hash (seed 001 carries it in `password`).
    pub hash: &'a str,
    /// `salt`: for a hash string that embeds its salt, the same salt or nothing.
    pub salt: Option<&'a str>,
    /// `hash_iterations`: plain PBKDF2's iteration count.
    pub iterations: Option<u32>,
    /// `hash_digest`: plain PBKDF2's digest (`sha1`, `sha256`, `sha512`).
    pub digest: Option<&'a str>,
}

impl std::fmt::Debug for ImportedHash<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportedHash").field("hash_fn", &self.hash_fn).finish_non_exhaustive()
    }
}

/// Why an imported hash was refused, and which field of the import is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ImportError {
    /// The import's field (`password`, `salt`, `hash_iterations`, `hash_digest`).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

fn refuse<T>(field: &'static str, reason: impl Into<String>) -> Result<T, ImportError> {
    Err(ImportError { field, reason: reason.into() })
}

/// Reads an imported hash into the verifier a pending account keeps. The hash itself is not kept.
pub fn verifier(imported: &ImportedHash<'_>) -> Result<PendingVerifier, ImportError> {
    let (params, legacy_hash) = match imported.hash_fn {
        HashFn::Bcrypt => bcrypt(imported)?,
        HashFn::Argon2 => argon2(imported)?,
        HashFn::Pbkdf2 if imported.hash.starts_with('$') => pbkdf2_phc(imported)?,
        HashFn::Pbkdf2 => pbkdf2_plain(imported)?,
    };
    if params.check().is_err() {
        return refuse("password", "the hash's parameters are outside what clients compute (docs/protocol.md §3.13)");
    }
    let key = LegacyLoginKey::from_legacy_hash(&legacy_hash);
    Ok(PendingVerifier { public_key: Bytes(key.public_key().to_bytes()), params })
}

/// bcrypt's own base64 (`./A–Za–z0–9`, no padding); the last character's unused bits are ignored, as
/// bcrypt implementations do.
const BCRYPT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::BCRYPT,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

fn bcrypt(imported: &ImportedHash<'_>) -> Result<(LegacyParams, Zeroizing<Vec<u8>>), ImportError> {
    const FORM: &str = "must be a bcrypt hash string: $2a$, $2b$ or $2y$, a two-digit cost, $, 53 characters";
    let hash = imported.hash;
    let Some(rest) =
        hash.strip_prefix("$2a$").or_else(|| hash.strip_prefix("$2b$")).or_else(|| hash.strip_prefix("$2y$"))
    else {
        return refuse("password", FORM);
    };
    let (Some(cost), Some(body)) = (rest.get(..2), rest.get(3..)) else { return refuse("password", FORM) };
    if rest.as_bytes().get(2) != Some(&b'$') || body.len() != 53 || !cost.bytes().all(|b| b.is_ascii_digit()) {
        return refuse("password", FORM);
    }
    let cost: u32 = cost.parse().map_err(|_| ImportError { field: "password", reason: FORM.into() })?;
    if !(BCRYPT_MIN_COST..=BCRYPT_MAX_COST).contains(&cost) {
        return refuse("password", format!("bcrypt cost must be from {BCRYPT_MIN_COST} to {BCRYPT_MAX_COST}"));
    }
    let (salt_text, hash_text) = body.split_at(22);
    let salt = BCRYPT_BASE64.decode(salt_text).ok().and_then(|salt| <[u8; 16]>::try_from(salt).ok());
    let output = BCRYPT_BASE64.decode(hash_text).ok().filter(|output| output.len() == 23).map(Zeroizing::new);
    let (Some(salt), Some(output)) = (salt, output) else { return refuse("password", FORM) };
    same_salt(imported.salt, salt_text)?;
    Ok((LegacyParams::Bcrypt { cost, salt: Bytes(salt) }, output))
}

/// A `salt` given beside a hash string that embeds one must be that salt, as the string writes it.
fn same_salt(given: Option<&str>, embedded: &str) -> Result<(), ImportError> {
    match given {
        Some(given) if given != embedded => refuse("salt", "must be the salt the hash string embeds, or absent"),
        _ => Ok(()),
    }
}

fn phc_hash<'a>(imported: &ImportedHash<'a>, form: &str) -> Result<phc::PasswordHash, ImportError> {
    phc::PasswordHash::new(imported.hash).map_err(|_| ImportError { field: "password", reason: form.into() })
}

fn phc_parts(
    imported: &ImportedHash<'_>,
    parsed: &phc::PasswordHash,
    form: &str,
) -> Result<(VarBytes, Zeroizing<Vec<u8>>), ImportError> {
    let (Some(salt), Some(output)) = (&parsed.salt, &parsed.hash) else { return refuse("password", form) };
    // The salt as the string writes it: the segment before the hash.
    let salt_text = imported.hash.rsplit('$').nth(1).unwrap_or_default();
    same_salt(imported.salt, salt_text)?;
    Ok((VarBytes(salt.as_ref().to_vec()), Zeroizing::new(output.as_bytes().to_vec())))
}

fn argon2(imported: &ImportedHash<'_>) -> Result<(LegacyParams, Zeroizing<Vec<u8>>), ImportError> {
    const FORM: &str = "must be an Argon2 PHC string: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>";
    let parsed = phc_hash(imported, FORM)?;
    let version = match parsed.version {
        None => 16,
        Some(version @ (16 | 19)) => version,
        Some(_) => return refuse("password", "Argon2 version must be 16 or 19"),
    };
    let mut m_t_p = [None; 3];
    for (name, value) in parsed.params.iter() {
        let slot = match name.as_str() {
            "m" => 0,
            "t" => 1,
            "p" => 2,
            "keyid" | "data" => return refuse("password", "keyed Argon2 hashes cannot be migrated on the client"),
            _ => return refuse("password", FORM),
        };
        m_t_p[slot] = Some(value.decimal().map_err(|_| ImportError { field: "password", reason: FORM.into() })?);
    }
    let [Some(m), Some(t), Some(p)] = m_t_p else { return refuse("password", FORM) };
    let (salt, output) = phc_parts(imported, &parsed, FORM)?;
    if !ARGON2_SALT_LEN_RANGE.contains(&salt.0.len()) || !HASH_LEN_RANGE.contains(&(output.len() as u32)) {
        return refuse("password", "Argon2 salt must be 8 to 64 bytes and the hash 4 to 64 bytes");
    }
    let params = Argon2Params { version, m, t, p, salt, length: output.len() as u32 };
    let params = match parsed.algorithm.as_str() {
        "argon2id" => LegacyParams::Argon2id(params),
        "argon2i" => LegacyParams::Argon2i(params),
        "argon2d" => LegacyParams::Argon2d(params),
        _ => return refuse("password", FORM),
    };
    Ok((params, output))
}

fn pbkdf2_params(digest: &str, params: Pbkdf2Params) -> Option<LegacyParams> {
    match digest {
        "sha1" => Some(LegacyParams::Pbkdf2Sha1(params)),
        "sha256" => Some(LegacyParams::Pbkdf2Sha256(params)),
        "sha512" => Some(LegacyParams::Pbkdf2Sha512(params)),
        _ => None,
    }
}

fn pbkdf2_phc(imported: &ImportedHash<'_>) -> Result<(LegacyParams, Zeroizing<Vec<u8>>), ImportError> {
    const FORM: &str = "must be a PBKDF2 PHC string: $pbkdf2-sha256$i=<iterations>[,l=<length>]$<salt>$<hash>";
    let parsed = phc_hash(imported, FORM)?;
    let mut iterations = None;
    let mut length = None;
    for (name, value) in parsed.params.iter() {
        let value = value.decimal().map_err(|_| ImportError { field: "password", reason: FORM.into() })?;
        match name.as_str() {
            "i" => iterations = Some(value),
            "l" => length = Some(value),
            _ => return refuse("password", FORM),
        }
    }
    let Some(iterations) = iterations else { return refuse("password", FORM) };
    let (salt, output) = phc_parts(imported, &parsed, FORM)?;
    if length.is_some_and(|length| length as usize != output.len()) {
        return refuse("password", "l= must be the hash's length in bytes");
    }
    let params = Pbkdf2Params { iterations, salt, length: output.len() as u32 };
    let digest = parsed.algorithm.as_str().strip_prefix("pbkdf2-").unwrap_or_default();
    let params = pbkdf2_params(digest, params).ok_or_else(|| ImportError { field: "password", reason: FORM.into() })?;
    Ok((params, output))
}

fn pbkdf2_plain(imported: &ImportedHash<'_>) -> Result<(LegacyParams, Zeroizing<Vec<u8>>), ImportError> {
    let Some(salt) = imported.salt.filter(|salt| !salt.is_empty()) else {
        return refuse("salt", "a plain PBKDF2 hash needs its salt");
    };
    let Some(iterations) = imported.iterations else {
        return refuse("hash_iterations", "a plain PBKDF2 hash needs its iteration count");
    };
    let output = plain_hash_bytes(imported.hash).ok_or_else(|| ImportError {
        field: "password",
        reason: "a plain PBKDF2 hash must be hex or standard base64".into(),
    })?;
    let params = Pbkdf2Params { iterations, salt: VarBytes(salt.as_bytes().to_vec()), length: output.len() as u32 };
    let digest = imported.digest.unwrap_or("sha256");
    let params = pbkdf2_params(digest, params)
        .ok_or_else(|| ImportError { field: "hash_digest", reason: "must be sha1, sha256 or sha512".into() })?;
    Ok((params, output))
}

/// Hex when it can be (an even number of hex digits), otherwise base64 (standard or URL-safe alphabet,
/// padded or not). A 32-byte hash is 64 hex digits, or 43–44 base64 characters: never both.
fn plain_hash_bytes(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    const INDIFFERENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let bytes = if text.len() % 2 == 0 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect::<Option<Vec<u8>>>()?
    } else {
        GeneralPurpose::new(&base64::alphabet::STANDARD, INDIFFERENT)
            .decode(text)
            .or_else(|_| GeneralPurpose::new(&base64::alphabet::URL_SAFE, INDIFFERENT).decode(text))
            .ok()?
    };
    Some(Zeroizing::new(bytes)).filter(|bytes| HASH_LEN_RANGE.contains(&(bytes.len() as u32)))
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    use super::*;

    fn import(hash_fn: HashFn, hash: &str) -> ImportedHash<'_> {
        ImportedHash { hash_fn, hash, salt: None, iterations: None, digest: None }
    }

    fn field(result: Result<PendingVerifier, ImportError>) -> &'static str {
        result.expect_err("refused").field
    }

    // Made by Python's bcrypt 4 (`bcrypt.hashpw(b"correct horse", bcrypt.gensalt(4))`).
    const BCRYPT: &str = "$2b$04$KM.C2ZghPxlOTysw9kl6v.hAwrHLDCzeqWVjxpJIsk2B2pG2LZD/C";

    #[test]
    fn a_bcrypt_hash_becomes_a_verifier_its_password_opens() {
        let verifier = verifier(&import(HashFn::Bcrypt, BCRYPT)).unwrap();
        let LegacyParams::Bcrypt { cost: 4, .. } = verifier.params else { panic!("{:?}", verifier.params) };
        let key = verifier.params.login_key(b"correct horse").unwrap();
        assert_eq!(key.public_key().to_bytes(), verifier.public_key.0);
        let other = verifier.params.login_key(b"correct horsE").unwrap();
        assert_ne!(other.public_key().to_bytes(), verifier.public_key.0);
        for version in ["$2a$", "$2y$"] {
            let same = verifier_from(HashFn::Bcrypt, &BCRYPT.replace("$2b$", version));
            assert_eq!(same, verifier);
        }
    }

    fn verifier_from(hash_fn: HashFn, hash: &str) -> PendingVerifier {
        verifier(&import(hash_fn, hash)).unwrap()
    }

    #[test]
    fn malformed_or_unsupported_hashes_are_refused_naming_the_field() {
        for hash in [
            "",
            "$2x$04$KM.C2ZghPxlOTysw9kl6v.hAwrHLDCzeqWVjxpJIsk2B2pG2LZD/C",
            "$2b$4$KM.C2ZghPxlOTysw9kl6v.hAwrHLDCzeqWVjxpJIsk2B2pG2LZD/C",
            "$2b$04$KM.C2ZghPxlOTysw9kl6v.hAwrHLDCzeqWVjxpJIsk2B2pG2LZD/",
            "$2b$04$KM.C2ZghPxlOTysw9kl6v+hAwrHLDCzeqWVjxpJIsk2B2pG2LZD/C",
            "$2b$17$KM.C2ZghPxlOTysw9kl6v.hAwrHLDCzeqWVjxpJIsk2B2pG2LZD/C",
            "$2b$03$KM.C2ZghPxlOTysw9kl6v.hAwrHLDCzeqWVjxpJIsk2B2pG2LZD/C",
        ] {
            assert_eq!(field(verifier(&import(HashFn::Bcrypt, hash))), "password", "{hash:?}");
        }
        let other_salt = ImportedHash { salt: Some("AAAAAAAAAAAAAAAAAAAAAA"), ..import(HashFn::Bcrypt, BCRYPT) };
        assert_eq!(field(verifier(&other_salt)), "salt");
        let same_salt = ImportedHash { salt: Some("KM.C2ZghPxlOTysw9kl6v."), ..import(HashFn::Bcrypt, BCRYPT) };
        assert!(verifier(&same_salt).is_ok());

        for hash in [
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ",
            "$argon2id$v=18$m=64,t=2,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
            "$argon2id$v=19$m=64,t=2,p=1,keyid=AAAA$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
            "$argon2id$v=19$m=2097152,t=2,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
            "$argon2x$v=19$m=64,t=2,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
            "$argon2id$v=19$t=2,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
        ] {
            assert_eq!(field(verifier(&import(HashFn::Argon2, hash))), "password", "{hash:?}");
        }

        for hash in [
            "$pbkdf2-md5$i=1000$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$l=16$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(field(verifier(&import(HashFn::Pbkdf2, hash))), "password", "{hash:?}");
        }
        let plain =
            |salt, iterations, digest, hash| ImportedHash { hash_fn: HashFn::Pbkdf2, hash, salt, iterations, digest };
        let hex = "00112233445566778899aabbccddeeff";
        assert_eq!(field(verifier(&plain(None, Some(1000), None, hex))), "salt");
        assert_eq!(field(verifier(&plain(Some("s"), None, None, hex))), "hash_iterations");
        assert_eq!(field(verifier(&plain(Some("s"), Some(1000), Some("md5"), hex))), "hash_digest");
        assert_eq!(field(verifier(&plain(Some("s"), Some(1000), None, "zz"))), "password");
        assert_eq!(field(verifier(&plain(Some("s"), Some(0), None, hex))), "password");
        assert!(verifier(&plain(Some("s"), Some(1000), None, hex)).is_ok());
    }

    #[test]
    fn plain_hashes_read_as_hex_or_base64() {
        let bytes: Vec<u8> = (0..32).collect();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(plain_hash_bytes(&hex).unwrap().as_slice(), bytes);
        assert_eq!(plain_hash_bytes(&STANDARD.encode(&bytes)).unwrap().as_slice(), bytes);
        assert_eq!(plain_hash_bytes(STANDARD.encode(&bytes).trim_end_matches('=')).unwrap().as_slice(), bytes);
        assert_eq!(plain_hash_bytes(&URL_SAFE.encode([0xfb; 32])).unwrap().as_slice(), [0xfb; 32]);
        assert!(plain_hash_bytes("abc").is_none());
        assert!(plain_hash_bytes(&"00".repeat(65)).is_none());
    }
}
