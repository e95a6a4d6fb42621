//! Known-answer vectors for every derivation of protocol v1, published in `tests/vectors/*.json` so any
//! other client can check itself against this one. The test recomputes each vector from its fixed inputs.
//! After a deliberate protocol change (a new version), regenerate with `SEALBASE_WRITE_VECTORS=1`.

use sealbase::crypto::hkdf::info;
use sealbase::crypto::seed::seed_backup_aad;
use sealbase::crypto::{KdfAlgorithm, KdfParams, PasswordKey, Seed, SeedBackupKey};
use sealbase::protocol::b64::Bytes;
use sealbase::validate::normalize_password;
use serde_json::{json, Value};

fn check(file: &str, computed: Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(file);
    if std::env::var_os("SEALBASE_WRITE_VECTORS").is_some() {
        assert!(std::env::var_os("CI").is_none(), "published vectors are never rewritten in CI");
        std::fs::write(&path, serde_json::to_string_pretty(&computed).unwrap() + "\n").unwrap();
        return;
    }
    let published: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(computed, published, "{file} no longer matches the published vectors");
}

fn text(info: &[u8]) -> &str {
    std::str::from_utf8(info).unwrap()
}

fn kdf_vector(description: &str, password: &str, salt: [u8; 16], log_n: u8) -> Value {
    let params = KdfParams { algorithm: KdfAlgorithm::Scrypt, log_n, r: 8, p: 1, salt: Bytes(salt) };
    let normalized = normalize_password(password);
    let key = PasswordKey::derive(normalized.as_bytes(), &params).unwrap();
    let login_key = key.login_key();
    json!({
        "description": description,
        "password": password,
        "passwordNfkcUtf8Hex": hex::encode(normalized.as_bytes()),
        "salt": hex::encode(salt), "logN": log_n, "r": 8, "p": 1,
        "passwordKey": hex::encode(key.expose()),
        "loginPublicKey": hex::encode(login_key.public_key().as_bytes()),
        "loginSignatureOfMessage": hex::encode(login_key.sign(b"sealbase test message").to_bytes()),
        "seedBackupKey": hex::encode(key.seed_backup_key().expose()),
    })
}

#[test]
fn password_derivations() {
    let computed = json!({
        "algorithm": "password (NFKC, UTF-8) -> scrypt(salt, N = 2^logN, r, p, dkLen 32) = passwordKey; HKDF-SHA256(ikm = passwordKey, salt = empty, info) -> 32 bytes",
        "info": { "loginKey (Ed25519 secret key seed)": text(info::LOGIN_KEY), "seedBackupKey (AES-256-GCM)": text(info::SEED_BACKUP_KEY) },
        "loginSignatureMessage": "sealbase test message",
        "vectors": [
            kdf_vector("ASCII password, minimum cost", "correct horse battery staple", core::array::from_fn(|i| i as u8), 14),
            kdf_vector("full-width and ligature characters are NFKC-normalised", "Ｐａｓｓ①ｗｏｒｄ ﬁ", [0xff; 16], 14),
            kdf_vector("default cost", "hunter2-hunter2", [0xa5; 16], 15),
        ],
    });
    check("kdf.json", computed);
}

#[test]
fn equivalent_unicode_passwords_derive_the_same_keys() {
    let params = KdfParams { algorithm: KdfAlgorithm::Scrypt, log_n: 14, r: 8, p: 1, salt: Bytes([1; 16]) };
    let composed = PasswordKey::derive(normalize_password("Ångström").as_bytes(), &params).unwrap();
    let decomposed = PasswordKey::derive(normalize_password("A\u{30a}ngstro\u{308}m").as_bytes(), &params).unwrap();
    assert_eq!(composed, decomposed);
    let other = PasswordKey::derive(normalize_password("angstrom").as_bytes(), &params).unwrap();
    assert_ne!(composed, other);
}

#[test]
fn kdf_parameters_outside_the_bounds_are_refused_before_hashing() {
    // (20, 16, 1) is in every single range but needs 2 GiB: over the 1 GiB ceiling.
    for (log_n, r, p) in [(13, 8, 1), (21, 8, 1), (15, 0, 1), (15, 17, 1), (15, 8, 0), (15, 8, 5), (20, 16, 1)] {
        let params = KdfParams { algorithm: KdfAlgorithm::Scrypt, log_n, r, p, salt: Bytes([0; 16]) };
        assert_eq!(
            PasswordKey::derive(b"password", &params),
            Err(sealbase::Error::KdfParamsNotValid),
            "{log_n} {r} {p}"
        );
    }
}

fn seed_vector(seed_bytes: [u8; 32]) -> Value {
    let keys = Seed::from_bytes(seed_bytes).user_keys();
    let identity = keys.identity_public_keys();
    json!({
        "seed": hex::encode(seed_bytes),
        "dataEncryptionKey": hex::encode(keys.data_encryption_key.expose()),
        "hmacKey": hex::encode(keys.hmac_key.expose()),
        "identitySigningKeySeed": hex::encode(keys.identity_signing_key.to_bytes()),
        "identitySigningPublicKey": hex::encode(identity.signing.0),
        "identityExchangeSecretKey": hex::encode(keys.identity_exchange_key.to_bytes()),
        "identityExchangePublicKey": hex::encode(identity.exchange.0),
        "fingerprint": keys.fingerprint(),
    })
}

#[test]
fn seed_derivations() {
    let computed = json!({
        "algorithm": "HKDF-SHA256(ikm = seed, salt = empty, info) -> 32 bytes; fingerprint = hex(SHA-256(\"sealbase/v1/fingerprint\" || dataEncryptionKey))",
        "info": {
            "dataEncryptionKey": text(info::DATA_ENCRYPTION_KEY),
            "hmacKey": text(info::HMAC_KEY),
            "identitySigningKeySeed": text(info::IDENTITY_SIGNING_KEY),
            "identityExchangeSecretKey": text(info::IDENTITY_EXCHANGE_KEY),
        },
        "vectors": [seed_vector(core::array::from_fn(|i| i as u8)), seed_vector([0xff; 32])],
    });
    check("seed.json", computed);
}

#[test]
fn seed_backup_encryption() {
    let key = SeedBackupKey::from_bytes([0x42; 32]);
    let seed = Seed::from_bytes(core::array::from_fn(|i| i as u8));
    let app_id = "6f1c2a90-5b7e-4c1d-9a8e-2f3b4c5d6e7f";
    let nonce: [u8; 12] = core::array::from_fn(|i| 0xa0 + i as u8);
    let backup = seed.backup_with_nonce(&key, app_id, nonce);
    let computed = json!({
        "algorithm": "AES-256-GCM(key = seedBackupKey, nonce = 12 random bytes, aad = \"sealbase/v1/seed-backup\" || 0x00 || appId UTF-8); ciphertext = 32-byte seed || 16-byte tag",
        "vectors": [{
            "seedBackupKey": hex::encode(key.expose()),
            "appId": app_id,
            "seed": hex::encode(seed.expose()),
            "nonce": hex::encode(nonce),
            "aad": hex::encode(seed_backup_aad(app_id)),
            "ciphertext": hex::encode(backup.ciphertext.0),
        }],
    });
    check("seed_backup.json", computed);

    assert_eq!(Seed::restore(&backup, &key, app_id).unwrap(), seed);
    assert_eq!(Seed::restore(&backup, &key, "another-app"), Err(sealbase::Error::SeedBackupNotValid));
    assert_eq!(
        Seed::restore(&backup, &SeedBackupKey::from_bytes([0x43; 32]), app_id),
        Err(sealbase::Error::SeedBackupNotValid)
    );
    let mut tampered = backup.clone();
    tampered.ciphertext.0[0] ^= 1;
    assert_eq!(Seed::restore(&tampered, &key, app_id), Err(sealbase::Error::SeedBackupNotValid));
}

#[test]
fn secrets_never_print() {
    let seed = Seed::from_bytes([9; 32]);
    assert_eq!(format!("{seed:?}"), "Seed(<redacted>)");
    assert_eq!(format!("{:?}", SeedBackupKey::from_bytes([9; 32])), "SeedBackupKey(<redacted>)");
    assert!(!format!("{:?}", seed.user_keys()).contains("0909"));
}
