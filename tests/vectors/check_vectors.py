#!/usr/bin/env python3
"""Independent check of the published vectors with Python's standard library (OpenSSL's scrypt,
hmac-based HKDF-SHA256, unicodedata NFKC) and the reference implementations in
tests/python-requirements.txt (bcrypt, argon2-cffi, cryptography's Ed25519): a second implementation
agreeing with the Rust one."""
import base64
import hashlib
import hmac
import json
import pathlib
import unicodedata

HERE = pathlib.Path(__file__).parent


def hkdf_sha256_32(ikm: bytes, info: bytes) -> bytes:
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()  # empty salt = HashLen zero bytes
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


kdf = json.loads((HERE / "kdf.json").read_text())
checked = 0
for vector in kdf["vectors"]:
    password = unicodedata.normalize("NFKC", vector["password"]).encode()
    assert password.hex() == vector["passwordNfkcUtf8Hex"], vector["description"]
    key = hashlib.scrypt(password, salt=bytes.fromhex(vector["salt"]), n=2 ** vector["logN"],
                         r=vector["r"], p=vector["p"], dklen=32, maxmem=2 ** 28)
    assert key.hex() == vector["passwordKey"], vector["description"]
    assert hkdf_sha256_32(key, kdf["info"]["seedBackupKey (AES-256-GCM)"].encode()).hex() == vector["seedBackupKey"]
    checked += 1

seed = json.loads((HERE / "seed.json").read_text())
for vector in seed["vectors"]:
    ikm = bytes.fromhex(vector["seed"])
    for name, info in seed["info"].items():
        assert hkdf_sha256_32(ikm, info.encode()).hex() == vector[name], name
    digest = hashlib.sha256(b"sealbase/v1/fingerprint" + bytes.fromhex(vector["dataEncryptionKey"]))
    assert digest.hexdigest() == vector["fingerprint"]
    checked += 1

backup = json.loads((HERE / "seed_backup.json").read_text())
for vector in backup["vectors"]:
    assert bytes.fromhex(vector["aad"]) == b"sealbase/v1/seed-backup\0" + vector["appId"].encode()
    checked += 1

sealed = json.loads((HERE / "sealed.json").read_text())
for vector in sealed["vectors"]:
    aes_key = hkdf_sha256_32(bytes.fromhex(vector["keyEncryptionKey"]), b"sealbase/v1/key-encryption")
    assert aes_key.hex() == vector["aesKey"], vector["description"]
    lp = lambda x: len(x).to_bytes(4, "big") + x
    aad = lp(b"sealbase/v1/sealed") + lp(vector["kind"].encode()) + lp(vector["name"].encode())
    assert aad.hex() == vector["aad"], vector["description"]
    assert vector["sealed"].startswith("01" + vector["nonce"]), vector["description"]
    checked += 1

import argon2.low_level
import bcrypt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
STANDARD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf_sha256(ikm: bytes, info: bytes) -> bytes:
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def legacy_hash(params: dict, password: bytes) -> bytes:
    algorithm = params["algorithm"]
    salt = b64url(params["salt"])
    if algorithm == "bcrypt":
        encoded_salt = base64.b64encode(salt).decode()[:22].translate(str.maketrans(STANDARD_ALPHABET, BCRYPT_ALPHABET))
        full = bcrypt.hashpw(password[:72], f"$2b${params['cost']:02d}${encoded_salt}".encode()).decode()
        standard = full[-31:].translate(str.maketrans(BCRYPT_ALPHABET, STANDARD_ALPHABET))
        return base64.b64decode(standard + "A=")[:23]
    if algorithm.startswith("argon2"):
        kind = {"argon2id": argon2.low_level.Type.ID, "argon2i": argon2.low_level.Type.I, "argon2d": argon2.low_level.Type.D}[algorithm]
        return argon2.low_level.hash_secret_raw(password, salt, time_cost=params["t"], memory_cost=params["m"],
                                                parallelism=params["p"], hash_len=params["length"], type=kind,
                                                version=params["version"])
    digest = algorithm.removeprefix("pbkdf2-")
    return hashlib.pbkdf2_hmac(digest, password, salt, params["iterations"], params["length"])


def public_key(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


legacy = json.loads((HERE / "legacy.json").read_text())
for vector in legacy["vectors"]:
    password = vector["password"].encode()
    assert password.hex() == vector["passwordUtf8Hex"], vector["description"]
    computed = legacy_hash(vector["params"], password)
    assert computed.hex() == vector["legacyHash"], vector["description"]
    seed = hkdf_sha256(computed, legacy["info"].encode())
    assert seed.hex() == vector["legacyLoginKeySeed"], vector["description"]
    assert public_key(seed).hex() == vector["verifierPublicKey"], vector["description"]
    checked += 1

first = legacy["firstSignIn"]
lp = lambda x: len(x).to_bytes(4, "big") + x
keys = first["keys"]
binding = hashlib.sha256(b"".join(lp(field) for field in [
    b"sealbase/v1/first-sign-in", bytes([keys["kdf"]["logN"]]), keys["kdf"]["r"].to_bytes(4, "big"),
    keys["kdf"]["p"].to_bytes(4, "big"), b64url(keys["kdf"]["salt"]), b64url(keys["loginPublicKey"]),
    b64url(keys["seedBackup"]["nonce"]) + b64url(keys["seedBackup"]["ciphertext"]),
    b64url(keys["identity"]["signing"]), b64url(keys["identity"]["exchange"]),
])).digest()
assert binding.hex() == first["binding"]
message = b"".join(lp(field) for field in [
    b"sealbase/v1/challenge", b"first-sign-in", first["appId"].encode(), first["username"].encode(),
    bytes.fromhex(first["challenge"]), first["audience"].encode(), binding,
])
assert message.hex() == first["message"]
seed = hkdf_sha256(bytes.fromhex(first["legacyHash"]), legacy["info"].encode())
assert public_key(seed).hex() == first["verifierPublicKey"]
Ed25519PublicKey.from_public_bytes(bytes.fromhex(first["verifierPublicKey"])).verify(bytes.fromhex(first["signature"]), message)
checked += 1



# Unicode's White_Space property (PropList.txt, unchanged since Unicode 6.3), which the profile names.
# Not str.isspace: Python also counts U+001C..U+001F, which are controls and not White_Space.
WHITE_SPACE = frozenset(map(chr, [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                                  0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))


def username(raw: str):
    """The username profile with Python's own Unicode tables: str.lower is the full lower-case mapping."""
    if all(c in WHITE_SPACE for c in raw):
        return "UsernameCannotBeBlank"
    name = unicodedata.normalize("NFKC", raw)
    for _ in range(4):
        lowered = unicodedata.normalize("NFKC", name.lower())
        settled, name = lowered == name, lowered
        if settled:
            break
    if not settled or name[:1] in WHITE_SPACE or name[-1:] in WHITE_SPACE:
        return "UsernameNotValid"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        return "UsernameNotValid"
    return "UsernameTooLong" if len(name) > 100 else name


usernames = json.loads((HERE / "usernames.json").read_text())
for vector in usernames["vectors"]:
    assert vector["input"].encode().hex() == vector["inputUtf8Hex"], vector["description"]
    expected = vector["stored"] if "stored" in vector else vector["error"]
    assert username(vector["input"]) == expected, vector["description"]
    if "stored" in vector:
        assert vector["stored"].encode().hex() == vector["storedUtf8Hex"], vector["description"]
        assert username(vector["stored"]) == vector["stored"], "a stored form is its own stored form"
    checked += 1

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def lp32(x: bytes) -> bytes:
    return len(x).to_bytes(4, "big") + x


def raw_public(private) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


app_data = json.loads((HERE / "app_data.json").read_text())
label = {name: value.encode() for name, value in app_data["label"].items()}
seed_vectors = json.loads((HERE / "seed.json").read_text())["vectors"]
sender_keys, recipient_keys = seed_vectors[0], seed_vectors[1]
for vector in app_data["vectors"]:
    app_id, context = vector["appId"].encode(), vector["context"].encode()
    plaintext, nonce = bytes.fromhex(vector["plaintextUtf8Hex"]), bytes.fromhex(vector["nonce"])
    aad = lp32(label["data"]) + lp32(app_id) + lp32(context)
    assert aad.hex() == vector["dataAad"]
    data = b"\x01" + nonce + AESGCM(bytes.fromhex(sender_keys["dataEncryptionKey"])).encrypt(nonce, plaintext, aad)
    assert data.hex() == vector["dataEnvelope"]
    signed = lp32(label["signature"]) + lp32(app_id) + lp32(context) + lp32(plaintext)
    assert signed.hex() == vector["signedMessage"]
    signer = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(sender_keys["identitySigningKeySeed"]))
    assert signer.sign(signed).hex() == vector["signature"]
    ephemeral = X25519PrivateKey.from_private_bytes(bytes.fromhex(vector["ephemeralSecretKey"]))
    e, r = raw_public(ephemeral), bytes.fromhex(recipient_keys["identityExchangePublicKey"])
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(r))
    prk = hmac.new(e + r, shared, hashlib.sha256).digest()
    key = hmac.new(prk, label["sealedKey"] + b"\x01", hashlib.sha256).digest()
    sealed_aad = lp32(label["sealed"]) + lp32(app_id) + lp32(context) + lp32(e) + lp32(r)
    sealed = b"\x01" + e + nonce + AESGCM(key).encrypt(nonce, plaintext, sealed_aad)
    assert sealed.hex() == vector["sealedEnvelope"]
    checked += 1

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
recovery = json.loads((HERE / "recovery.json").read_text())
seeds = {vector["seed"]: vector for vector in seed_vectors}
for vector in recovery["vectors"]:
    key, salt = bytes.fromhex(vector["recoveryKey"]), bytes.fromhex(vector["salt"])
    written = key + hashlib.sha256(b"sealbase/v1/recovery-key/checksum" + key).digest()[:4]
    text = base64.b32encode(written).decode().translate(str.maketrans(RFC4648, CROCKFORD))
    assert "-".join(text[i:i + 4] for i in range(0, 32, 4)) == vector["text"]
    prk = hmac.new(salt, key, hashlib.sha256).digest()
    derived = {name: hmac.new(prk, info.encode() + b"\x01", hashlib.sha256).digest()
               for name, info in recovery["info"].items()}
    assert derived["recoveryLoginKeySeed"].hex() == vector["recoveryLoginKeySeed"]
    assert derived["recoveryBackupKey"].hex() == vector["recoveryBackupKey"]
    login = Ed25519PrivateKey.from_private_bytes(derived["recoveryLoginKeySeed"])
    assert raw_public(login).hex() == vector["recoveryLoginPublicKey"]
    app_id, nonce = vector["appId"].encode(), bytes.fromhex(vector["nonce"])
    aad = b"sealbase/v1/recovery-backup\0" + app_id
    assert aad.hex() == vector["aad"]
    ciphertext = AESGCM(derived["recoveryBackupKey"]).encrypt(nonce, bytes.fromhex(vector["seed"]), aad)
    assert ciphertext.hex() == vector["ciphertext"]
    registration = (lp32(b"sealbase/v1/recovery-registration") + lp32(app_id) + lp32(vector["userId"].encode())
                    + lp32(vector["audience"].encode()) + lp32(salt) + lp32(raw_public(login)) + lp32(nonce + ciphertext)
                    + lp32(bytes.fromhex(vector["replaces"] or "")))
    assert registration.hex() == vector["registrationMessage"]
    identity = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seeds[vector["seed"]]["identitySigningKeySeed"]))
    assert identity.sign(registration).hex() == vector["registrationSignature"]
    binding = hashlib.sha256(b"".join(lp32(field) for field in [
        b"sealbase/v1/password-change", bytes([15]), (8).to_bytes(4, "big"), (1).to_bytes(4, "big"),
        b"\x11" * 16, b"\x22" * 32, b"\x33" * 12 + b"\x44" * 48])).digest()
    assert binding.hex() == vector["resetBinding"]
    reset = b"".join(lp32(field) for field in [
        b"sealbase/v1/challenge", b"reset-password", app_id, b"ada", bytes.fromhex(vector["resetChallenge"]),
        vector["audience"].encode(), binding])
    assert reset.hex() == vector["resetMessage"]
    assert login.sign(reset).hex() == vector["resetSignature"]
    checked += 1

print(f"vectors: {checked} passed, 0 failed")
