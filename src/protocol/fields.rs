//! Field readers for untrusted JSON: each defect is reported with the field's JSON path.

use serde_json::{Map, Value};

use super::b64::Bytes;
use crate::crypto::{IdentityPublicKeys, KdfAlgorithm, KdfParams, SeedBackup};
use crate::error::{Error, Result};

pub(crate) fn object<'a>(value: Option<&'a Value>, path: &str) -> Result<&'a Map<String, Value>> {
    value.and_then(Value::as_object).ok_or_else(|| Error::KeyMaterialNotValid { key: path.to_owned() })
}

pub(crate) fn bytes<const N: usize>(fields: &Map<String, Value>, name: &str, path: &str) -> Result<Bytes<N>> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .and_then(Bytes::decode)
        .ok_or_else(|| Error::KeyMaterialNotValid { key: path.to_owned() })
}

/// An Ed25519 public key that can verify a signature: a valid point of the curve, not of small order.
pub(crate) fn ed25519_public_key(fields: &Map<String, Value>, name: &str, path: &str) -> Result<Bytes<32>> {
    let key = bytes::<32>(fields, name, path)?;
    match ed25519_dalek::VerifyingKey::from_bytes(&key.0) {
        Ok(point) if !point.is_weak() => Ok(key),
        _ => Err(Error::KeyMaterialNotValid { key: path.to_owned() }),
    }
}

/// A field that must be present: `null`, or bytes as [`bytes`] reads them.
pub(crate) fn nullable_bytes<const N: usize>(
    fields: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<Bytes<N>>> {
    match fields.get(name) {
        Some(Value::Null) => Ok(None),
        _ => bytes(fields, name, path).map(Some),
    }
}

pub(crate) fn seed_backup(value: Option<&Value>, path: &str) -> Result<SeedBackup> {
    let backup = object(value, path)?;
    Ok(SeedBackup {
        nonce: bytes(backup, "nonce", &format!("{path}.nonce"))?,
        ciphertext: bytes(backup, "ciphertext", &format!("{path}.ciphertext"))?,
    })
}

pub(crate) fn identity(value: Option<&Value>, path: &str) -> Result<IdentityPublicKeys> {
    let identity = object(value, path)?;
    Ok(IdentityPublicKeys {
        signing: bytes(identity, "signing", &format!("{path}.signing"))?,
        exchange: bytes(identity, "exchange", &format!("{path}.exchange"))?,
    })
}

pub(crate) fn kdf_params(value: Option<&Value>, path: &str) -> Result<KdfParams> {
    let kdf = value.and_then(Value::as_object).ok_or(Error::KdfParamsNotValid)?;
    let small = |name: &str| {
        kdf.get(name).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).ok_or(Error::KdfParamsNotValid)
    };
    if kdf.get("algorithm").and_then(Value::as_str) != Some("scrypt") {
        return Err(Error::KdfParamsNotValid);
    }
    let params = KdfParams {
        algorithm: KdfAlgorithm::Scrypt,
        log_n: u8::try_from(small("logN")?).map_err(|_| Error::KdfParamsNotValid)?,
        r: small("r")?,
        p: small("p")?,
        salt: bytes(kdf, "salt", &format!("{path}.salt"))?,
    };
    params.check()?;
    Ok(params)
}
