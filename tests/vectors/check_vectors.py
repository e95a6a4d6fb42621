#!/usr/bin/env python3
"""Independent check of the published vectors with Python's standard library (OpenSSL's scrypt,
hmac-based HKDF-SHA256, unicodedata NFKC): a second implementation agreeing with the Rust one."""
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

print(f"vectors: {checked} passed, 0 failed")
