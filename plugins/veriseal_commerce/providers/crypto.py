"""The client side's cryptography for the providers: RSA-SHA256 (PKCS #1 v1.5, "RSA2")
signatures, RSA key loading and AEAD_AES_256_GCM decryption.

The sandbox (:mod:`veriseal_commerce.sandbox`) has its own implementations of the
opposite operations on purpose, so the tests check one against the other instead of a
function against itself.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TAG = 16  # bytes of the GCM tag at the end of a WeChat Pay ciphertext


def rsa_sign(message: bytes, key: rsa.RSAPrivateKey) -> str:
    """The base64 SHA256withRSA signature of ``message``."""
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(message: bytes, signature: str, key: rsa.RSAPublicKey) -> bool:
    """True iff ``signature`` (base64) signs ``message`` under ``key``; never raises."""
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return True


def gcm_decrypt(key: bytes, nonce: str, associated: str, ciphertext_b64: str) -> bytes:
    """WeChat Pay's ``resource``: base64 of ciphertext followed by the 16-byte tag, under
    the 32-byte API v3 key. ``ValueError`` when it does not authenticate."""
    try:
        raw = base64.b64decode(ciphertext_b64.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("ciphertext is not base64") from None
    if len(key) != 32 or len(raw) < TAG:
        raise ValueError("bad key or ciphertext length")
    body, tag = raw[:-TAG], raw[-TAG:]
    decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce.encode(), tag)).decryptor()
    decryptor.authenticate_additional_data(associated.encode())
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise ValueError("ciphertext does not authenticate") from None


def private_key(path: str | Path) -> rsa.RSAPrivateKey:
    """An RSA private key from a PEM file (PKCS #8 or PKCS #1)."""
    key: Any = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA private key")
    return key


def public_key(path: str | Path) -> rsa.RSAPublicKey:
    """An RSA public key from a PEM file."""
    key: Any = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"{path}: not an RSA public key")
    return key
