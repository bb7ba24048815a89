"""The sandbox's own cryptography: signing as the platform, checking the merchant's
signatures, AEAD_AES_256_GCM encryption (the high-level ``AESGCM`` API, where the
client uses the low-level cipher), and key files for the demo."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign(key: rsa.RSAPrivateKey, text: str) -> str:
    raw = key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.standard_b64encode(raw).decode("ascii")


def check(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        key.verify(base64.standard_b64decode(signature), text.encode("utf-8"),
                   padding.PKCS1v15(), hashes.SHA256())  # fmt: skip
    except (InvalidSignature, ValueError):
        return False
    return True


def seal(api_v3_key: bytes, associated: str, plaintext: bytes) -> dict[str, str]:
    """A WeChat Pay notification ``resource``: a fresh 12-character nonce, base64 of
    ciphertext + tag."""
    nonce = secrets.token_urlsafe(9)[:12]
    ct = AESGCM(api_v3_key).encrypt(nonce.encode(), plaintext, associated.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.standard_b64encode(ct).decode("ascii"),
        "associated_data": associated,
        "nonce": nonce,
        "original_type": "transaction",
    }


def pem_private(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip


def pem_public(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass
class KeySet:
    """Every key of a sandbox deployment: the merchant's (the shop's) and the providers'."""

    merchant: rsa.RSAPrivateKey  # WeChat merchant API key; the sandbox knows its public half
    platform: rsa.RSAPrivateKey  # WeChat platform key: signs answers and notifications
    app: rsa.RSAPrivateKey  # Alipay app key (the shop's)
    alipay: rsa.RSAPrivateKey  # Alipay's key: signs answers and notifications
    api_v3_key: bytes  # 32 bytes

    @classmethod
    def generate(cls) -> KeySet:
        return cls(new_key(), new_key(), new_key(), new_key(),
                   secrets.token_hex(16).encode())  # fmt: skip

    FILES = ("merchant_key.pem", "platform_key.pem", "app_key.pem", "alipay_key.pem")

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, key in zip(self.FILES, (self.merchant, self.platform, self.app, self.alipay),
                             strict=True):  # fmt: skip
            (folder / name).write_bytes(pem_private(key))
        (folder / "platform_public.pem").write_bytes(pem_public(self.platform.public_key()))
        (folder / "alipay_public.pem").write_bytes(pem_public(self.alipay.public_key()))
        (folder / "api_v3_key").write_bytes(self.api_v3_key)

    @classmethod
    def load_or_create(cls, folder: Path) -> KeySet:
        if not (folder / "api_v3_key").exists():
            made = cls.generate()
            made.save(folder)
            return made
        keys = []
        for name in cls.FILES:
            k = serialization.load_pem_private_key((folder / name).read_bytes(), None)
            assert isinstance(k, rsa.RSAPrivateKey)
            keys.append(k)
        merchant, platform, app, alipay = keys
        return cls(merchant, platform, app, alipay, (folder / "api_v3_key").read_bytes().strip())
