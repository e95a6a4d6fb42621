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

fn legacy_vector(description: &str, password: &str, params: sealbase::crypto::legacy::LegacyParams) -> Value {
    use sealbase::crypto::legacy::LegacyLoginKey;
    let legacy_hash = params.hash(password.as_bytes()).unwrap();
    let key = LegacyLoginKey::from_legacy_hash(&legacy_hash);
    let mut seed = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, &legacy_hash).expand(info::LEGACY_LOGIN_KEY, &mut seed).unwrap();
    json!({
        "description": description,
        "password": password,
        "passwordUtf8Hex": hex::encode(password.as_bytes()),
        "params": serde_json::to_value(&params).unwrap(),
        "legacyHash": hex::encode(&*legacy_hash),
        "legacyLoginKeySeed": hex::encode(seed),
        "verifierPublicKey": hex::encode(key.public_key().as_bytes()),
    })
}

#[test]
fn legacy_hashes_and_the_first_sign_in() {
    use sealbase::crypto::legacy::{Argon2Params, LegacyLoginKey, LegacyParams, Pbkdf2Params};
    use sealbase::crypto::{IdentityPublicKeys, SeedBackup};
    use sealbase::protocol::b64::VarBytes;
    use sealbase::protocol::{challenge_message, AccountKeys, ChallengePurpose};
    let salt16: [u8; 16] = core::array::from_fn(|i| 0x10 + i as u8);
    let argon2 = |version, m, t, p| Argon2Params { version, m, t, p, salt: VarBytes(salt16.to_vec()), length: 32 };
    let pbkdf2 = |iterations, length| Pbkdf2Params { iterations, salt: VarBytes(b"NaCl-and-pepper".to_vec()), length };
    let password = "correct horse battery staple";
    let nfkc_sensitive = "Ｐａｓｓ①ｗｏｒｄ ﬁ";
    let vectors = vec![
        legacy_vector("bcrypt cost 4", password, LegacyParams::Bcrypt { cost: 4, salt: Bytes(salt16) }),
        legacy_vector(
            "bcrypt: the bytes as typed, not NFKC",
            nfkc_sensitive,
            LegacyParams::Bcrypt { cost: 5, salt: Bytes(salt16) },
        ),
        legacy_vector(
            "bcrypt: only the first 72 bytes count",
            &"a".repeat(80),
            LegacyParams::Bcrypt { cost: 4, salt: Bytes(salt16) },
        ),
        legacy_vector("argon2id v19", password, LegacyParams::Argon2id(argon2(19, 1024, 2, 1))),
        legacy_vector(
            "argon2id as sealbase makes verifiers (19 MiB, 2 passes)",
            nfkc_sensitive,
            LegacyParams::Argon2id(argon2(19, 19 * 1024, 2, 1)),
        ),
        legacy_vector("argon2i v16, two lanes", password, LegacyParams::Argon2i(argon2(16, 256, 3, 2))),
        legacy_vector("argon2d v19", password, LegacyParams::Argon2d(argon2(19, 64, 1, 1))),
        legacy_vector("pbkdf2-sha1", password, LegacyParams::Pbkdf2Sha1(pbkdf2(1000, 20))),
        legacy_vector("pbkdf2-sha256", nfkc_sensitive, LegacyParams::Pbkdf2Sha256(pbkdf2(2000, 32))),
        legacy_vector(
            "pbkdf2-sha512, longer than one block's worth of SHA-256",
            password,
            LegacyParams::Pbkdf2Sha512(pbkdf2(500, 64)),
        ),
    ];

    // One first sign-in: the binding of the registered keys, the message, the legacy key's signature.
    let keys = AccountKeys {
        kdf: KdfParams { algorithm: KdfAlgorithm::Scrypt, log_n: 15, r: 8, p: 1, salt: Bytes([0x5a; 16]) },
        login_public_key: Bytes([0x01; 32]),
        seed_backup: SeedBackup { nonce: Bytes([0x02; 12]), ciphertext: Bytes([0x03; 48]) },
        identity: IdentityPublicKeys { signing: Bytes([0x04; 32]), exchange: Bytes([0x05; 32]) },
    };
    let binding = keys.binding();
    let challenge: [u8; 56] = core::array::from_fn(|i| 0xc0 ^ i as u8);
    let app_id = "6f1c2a90-5b7e-4c1d-9a8e-2f3b4c5d6e7f";
    let message = challenge_message(ChallengePurpose::FirstSignIn { binding }, app_id, "ada", &challenge, "sealbase");
    let legacy_key = LegacyLoginKey::from_legacy_hash(&[0x42; 23]);
    let computed = json!({
        "algorithm": "legacyHash = the params' hash function over the password's UTF-8 bytes as typed (no NFKC); bcrypt: password || 0x00 cut at 72 bytes, legacyHash = the 23 bytes its hash string encodes; legacyLoginKeySeed = HKDF-SHA256(ikm = legacyHash, salt = empty, info) -> 32 bytes (Ed25519 secret key seed); verifierPublicKey = its Ed25519 public key",
        "info": text(info::LEGACY_LOGIN_KEY),
        "vectors": vectors,
        "firstSignIn": {
            "description": "binding = SHA-256 over u32-BE-length-prefixed fields: \"sealbase/v1/first-sign-in\", logN (1 byte), r (u32 BE), p (u32 BE), kdf salt, loginPublicKey, seedBackup nonce || ciphertext, identity signing key, identity exchange key; message as for sign-in with purpose \"first-sign-in\" and the binding as its last field; signature = Ed25519 by the legacy login key",
            "keys": serde_json::to_value(&keys).unwrap(),
            "binding": hex::encode(binding),
            "appId": app_id,
            "username": "ada",
            "challenge": hex::encode(challenge),
            "audience": "sealbase",
            "message": hex::encode(&message),
            "legacyHash": hex::encode([0x42; 23]),
            "verifierPublicKey": hex::encode(legacy_key.public_key().as_bytes()),
            "signature": hex::encode(legacy_key.sign(&message).to_bytes()),
        },
    });
    check("legacy.json", computed);
}

/// The username profile (docs/protocol.md §1.1): each input's stored form, or the error it gets.
#[test]
fn usernames() {
    let inputs = [
        ("ASCII capitals", "Ada.Lovelace"),
        ("full-width letters (NFKC)", "Ｊｏｈｎ.DOE"),
        ("a ligature (NFKC)", "ﬀ"),
        ("KELVIN SIGN (NFKC, then lower case)", "\u{212a}elvin"),
        ("a decomposed accent composes (NFC within NFKC)", "e\u{301}cole"),
        ("dotted capital I: lower-casing adds U+0307, the second NFKC reorders it", "\u{130}\u{316}c9c8fe"),
        ("final sigma (lower case, not case folding)", "ΣΑΣ"),
        ("sharp s stays (lower case, not case folding)", "Straße"),
        ("an ideographic space inside becomes a space", "ada\u{3000}lovelace"),
        ("a leading space", " ada"),
        ("a trailing space", "ada "),
        ("a trailing no-break space (NFKC: a space)", "ada\u{a0}"),
        ("a leading ideographic space", "\u{3000}ada"),
        ("zero width space", "ada\u{200b}"),
        ("only a zero width space", "\u{200b}"),
        ("byte order mark", "\u{feff}ada"),
        ("soft hyphen", "a\u{ad}da"),
        ("right-to-left override", "\u{202e}ada"),
        ("NUL", "ada\u{0}"),
        ("a tab", "ada\tlovelace"),
        ("line separator", "ada\u{2028}"),
        ("only white space", " \u{3000} "),
        // Python's str.isspace counts U+001C..U+001F as white space; Unicode's White_Space does not.
        ("only an information separator (a control, not White_Space)", "\u{1c}"),
        ("a trailing information separator", "ada\u{1f}"),
    ];
    let vectors: Vec<Value> = inputs
        .iter()
        .map(|(description, input)| {
            let outcome = match sealbase::validate::username(input) {
                Ok(stored) => {
                    assert_eq!(sealbase::validate::username(&stored).as_ref(), Ok(&stored), "idempotent");
                    json!({ "stored": stored, "storedUtf8Hex": hex::encode(stored.as_bytes()) })
                }
                Err(error) => json!({ "error": error.name() }),
            };
            let mut vector = json!({ "description": description, "input": input,
                                    "inputUtf8Hex": hex::encode(input.as_bytes()) });
            vector.as_object_mut().unwrap().extend(outcome.as_object().unwrap().clone());
            vector
        })
        .collect();
    check(
        "usernames.json",
        json!({
            "profile": "NFKC; then lower case (Unicode full case mapping) and NFKC until unchanged; refused: \
                        leading or trailing White_Space, any character of general category Cc, Cf, Zl or Zp; \
                        at most 100 characters",
            "vectors": vectors,
        }),
    );
}

/// App data (docs/protocol.md §8): the data envelope, the signature and the sealed envelope, from fixed
/// seeds, nonces and ephemeral key.
#[test]
fn app_data_envelopes() {
    use sealbase::crypto::app_data::{self, label};
    let sender = Seed::from_bytes(core::array::from_fn(|i| i as u8)).user_keys();
    let recipient = Seed::from_bytes([0xff; 32]).user_keys();
    let recipient_exchange = recipient.identity_public_keys().exchange.0;
    let (app_id, nonce) = ("3fbb1976-1745-42b4-a4bc-f7f8961eb656", [0x24u8; 12]);
    let cases = [("notes/42", "a note: ünïcode ✓"), ("", "")];
    let vectors: Vec<Value> = cases
        .iter()
        .map(|(context, plaintext)| {
            let data =
                app_data::encrypt_with_nonce(&sender.data_encryption_key, app_id, context, plaintext.as_bytes(), nonce)
                    .unwrap();
            let signed = app_data::signed_message(app_id, context, plaintext.as_bytes()).unwrap();
            let signature =
                app_data::sign(&sender.identity_signing_key, app_id, context, plaintext.as_bytes()).unwrap();
            let ephemeral_secret = [0x5au8; 32];
            let sealed = app_data::seal_with(
                &recipient_exchange,
                app_id,
                context,
                plaintext.as_bytes(),
                ephemeral_secret,
                nonce,
            )
            .unwrap();
            // Every output opens again, and only as made.
            let opened = app_data::decrypt(&sender.data_encryption_key, app_id, context, &data).unwrap();
            assert_eq!(opened.as_slice(), plaintext.as_bytes());
            assert_eq!(
                app_data::decrypt(&sender.data_encryption_key, app_id, "other", &data),
                Err(sealbase::Error::EnvelopeNotValid)
            );
            let sender_signing = sender.identity_public_keys().signing.0;
            app_data::verify(&sender_signing, app_id, context, plaintext.as_bytes(), &signature).unwrap();
            let opened = app_data::open(&recipient.identity_exchange_key, app_id, context, &sealed).unwrap();
            assert_eq!(opened.as_slice(), plaintext.as_bytes());
            assert_eq!(
                app_data::open(&sender.identity_exchange_key, app_id, context, &sealed),
                Err(sealbase::Error::EnvelopeNotValid)
            );
            json!({
                "appId": app_id,
                "context": context,
                "plaintextUtf8Hex": hex::encode(plaintext.as_bytes()),
                "nonce": hex::encode(nonce),
                "dataAad": hex::encode(app_data::binding(label::DATA, app_id, context).unwrap()),
                "dataEnvelope": hex::encode(&data),
                "signedMessage": hex::encode(&signed),
                "signature": hex::encode(signature),
                "ephemeralSecretKey": hex::encode(ephemeral_secret),
                "sealedEnvelope": hex::encode(&sealed),
            })
        })
        .collect();
    check(
        "app_data.json",
        json!({
            "construction": {
                "dataEnvelope": "0x01 || nonce (12) || AES-256-GCM(dataEncryptionKey, nonce, plaintext, aad = lp(label.data) || lp(appId) || lp(context))",
                "signature": "Ed25519(identitySigningKey, lp(label.signature) || lp(appId) || lp(context) || lp(message))",
                "sealedEnvelope": "0x01 || E (32) || nonce (12) || AES-256-GCM(k, nonce, plaintext, aad = lp(label.sealed) || lp(appId) || lp(context) || lp(E) || lp(R)); E = X25519 public key of the ephemeral secret, R = the recipient's identityExchangePublicKey, k = HKDF-SHA256(salt = E || R, ikm = X25519(ephemeral secret, R), info = label.sealedKey) -> 32 bytes",
                "lp": "u32 big-endian byte length || bytes",
            },
            "label": {
                "data": text(label::DATA),
                "signature": text(label::SIGNATURE),
                "sealed": text(label::SEALED),
                "sealedKey": text(label::SEALED_KEY),
            },
            "sender": "seed.json's first vector (seed 00 01 … 1f)",
            "recipient": "seed.json's second vector (seed ff … ff)",
            "vectors": vectors,
        }),
    );
}

fn recovery_vector(key_bytes: [u8; 16], salt: [u8; 16], seed_bytes: [u8; 32], replaces: Option<[u8; 32]>) -> Value {
    use sealbase::crypto::recovery::{recovery_backup_aad, RecoveryKey};
    use sealbase::protocol::{challenge_message, ChallengePurpose, PasswordChange, RecoveryRegistration};
    let key = RecoveryKey::from_bytes(key_bytes);
    let text = key.to_text();
    let keys = key.derive(&salt);
    let seed = Seed::from_bytes(seed_bytes);
    let app_id = "6f1c2a90-5b7e-4c1d-9a8e-2f3b4c5d6e7f";
    let nonce: [u8; 12] = core::array::from_fn(|i| 0xb0 + i as u8);
    let backup = keys.backup_with_nonce(&seed, app_id, nonce);
    assert_eq!(keys.restore(&backup, app_id).unwrap(), seed);
    assert_eq!(RecoveryKey::parse(&text).unwrap(), key);
    let user_id = "0b5e7c1a-2d3f-4a6b-8c9d-0e1f2a3b4c5d";
    let replaces = replaces.map(Bytes);
    let registration = RecoveryRegistration::message(
        app_id,
        user_id,
        "sealbase",
        &Bytes(salt),
        &keys.login_public_key(),
        &backup,
        replaces.as_ref(),
    );
    let identity = seed.user_keys().identity_signing_key;
    // A reset's challenge message, for the new password's key material of the kdf.json vector's shape.
    let kdf = KdfParams { algorithm: KdfAlgorithm::Scrypt, log_n: 15, r: 8, p: 1, salt: Bytes([0x11; 16]) };
    let (new_login, new_backup) =
        (Bytes([0x22; 32]), sealbase::crypto::SeedBackup { nonce: Bytes([0x33; 12]), ciphertext: Bytes([0x44; 48]) });
    let binding = PasswordChange::binding(&kdf, &new_login, &new_backup);
    let challenge = [0x55; sealbase::protocol::CHALLENGE_LEN];
    let reset = challenge_message(ChallengePurpose::ResetPassword { binding }, app_id, "ada", &challenge, "sealbase");
    json!({
        "recoveryKey": hex::encode(key_bytes),
        "text": &*text,
        "salt": hex::encode(salt),
        "recoveryLoginKeySeed": hex::encode(sealbase::crypto::hkdf::derive32_for_vectors(&salt, &key_bytes, info::RECOVERY_LOGIN_KEY)),
        "recoveryLoginPublicKey": hex::encode(keys.login_public_key().0),
        "recoveryBackupKey": hex::encode(sealbase::crypto::hkdf::derive32_for_vectors(&salt, &key_bytes, info::RECOVERY_BACKUP_KEY)),
        "appId": app_id,
        "seed": hex::encode(seed_bytes),
        "nonce": hex::encode(nonce),
        "aad": hex::encode(recovery_backup_aad(app_id)),
        "ciphertext": hex::encode(backup.ciphertext.0),
        "userId": user_id,
        "audience": "sealbase",
        "replaces": replaces.map(|key| hex::encode(key.0)),
        "registrationMessage": hex::encode(&registration),
        "registrationSignature": hex::encode(ed25519_dalek::Signer::sign(&identity, &registration).to_bytes()),
        "resetBinding": hex::encode(binding),
        "resetChallenge": hex::encode(challenge),
        "resetMessage": hex::encode(&reset),
        "resetSignature": hex::encode(keys.sign(&reset).0),
    })
}

#[test]
fn recovery_keys() {
    let first_key = sealbase::crypto::recovery::RecoveryKey::from_bytes(core::array::from_fn(|i| i as u8));
    let computed = json!({
        "algorithm": "text = Crockford base32 (0-9 A-Z without I L O U) of recoveryKey (16 bytes) || SHA-256(\"sealbase/v1/recovery-key/checksum\" || recoveryKey)[0..4], in 8 groups of 4 joined by '-'; recoveryLoginKeySeed, recoveryBackupKey = HKDF-SHA256(ikm = recoveryKey, salt, info) -> 32 bytes; ciphertext = AES-256-GCM(recoveryBackupKey, nonce, seed, aad = \"sealbase/v1/recovery-backup\" || 0x00 || appId); registrationMessage = lp(\"sealbase/v1/recovery-registration\") || lp(appId) || lp(userId) || lp(audience) || lp(salt) || lp(recoveryLoginPublicKey) || lp(nonce || ciphertext) || lp(replaces, the replaced recovery login public key; empty when null), signed by the identity signing key of seed.json's key for this seed; resetMessage = the challenge message (purpose reset-password, username ada) with the binding of new key material kdf {logN 15, r 8, p 1, salt 0x11*16}, loginPublicKey 0x22*32, seedBackup {0x33*12, 0x44*48}, signed by the recovery login key. lp(x) = u32 big-endian length || x",
        "info": {
            "recoveryLoginKeySeed": text(info::RECOVERY_LOGIN_KEY),
            "recoveryBackupKey": text(info::RECOVERY_BACKUP_KEY),
        },
        "vectors": [
            recovery_vector(core::array::from_fn(|i| i as u8), [0xa5; 16], core::array::from_fn(|i| i as u8), None),
            // A registration replacing the first vector's key.
            recovery_vector(
                [0xff; 16],
                core::array::from_fn(|i| 0x80 + i as u8),
                [0xff; 32],
                Some(first_key.derive(&[0xa5; 16]).login_public_key().0),
            ),
        ],
    });
    check("recovery.json", computed);
}
