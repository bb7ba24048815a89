"""Alipay open API signatures (RSA2), pure functions.

Alipay's open platform signs both ways with SHA256withRSA (PKCS #1 v1.5), "RSA2":

- a request: every parameter except ``sign`` and those with an empty value, sorted by
  name (byte order), written ``name=value`` (raw, not URL-encoded) and joined with
  ``&``; signed with the app's private key, base64 in ``sign``.
- a response ``{"<method with _>_response": {...}, "sign": "..."}``: the signature
  covers the *exact text* of the response node as it stands in the body (not a
  re-serialisation), verified with Alipay's public key. An error comes as
  ``error_response`` instead.

Keys may be PEM, or the bare base64 DER that Alipay's key tool and console hand out
(PKCS #8 or PKCS #1 private keys, SubjectPublicKeyInfo public keys).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


def sign_content(params: Mapping[str, str | None]) -> str:
    """The string a request's signature covers."""
    return "&".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v not in (None, "")
    )


def sign(params: Mapping[str, str | None], key: rsa.RSAPrivateKey) -> str:
    """The base64 RSA2 signature of a request's parameters."""
    return sign_text(sign_content(params), key)


def sign_text(text: str, key: rsa.RSAPrivateKey) -> str:
    raw = key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def verify_text(text: str, signature: str, key: rsa.RSAPublicKey) -> bool:
    """True iff ``signature`` (base64) is the RSA2 signature of ``text`` under ``key``."""
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def top_level_spans(body: str) -> dict[str, tuple[Any, str]]:
    """Each top-level member of the JSON object ``body``: name -> (value, exact text of
    the value). ``ValueError`` if ``body`` is not one JSON object."""
    out: dict[str, tuple[Any, str]] = {}
    i = _skip(body, 0)
    if body[i : i + 1] != "{":
        raise ValueError("not a JSON object")
    i = _skip(body, i + 1)
    if body[i : i + 1] == "}":
        return out
    while True:
        name, i = _DECODER.raw_decode(body, i)
        i = _skip(body, i)
        if not isinstance(name, str) or body[i : i + 1] != ":":
            raise ValueError("malformed JSON object")
        start = _skip(body, i + 1)
        value, i = _DECODER.raw_decode(body, start)
        out[name] = (value, body[start:i])
        i = _skip(body, i)
        if body[i : i + 1] == "}":
            if body[_skip(body, i + 1) :]:
                raise ValueError("text after the JSON object")
            return out
        if body[i : i + 1] != ",":
            raise ValueError("malformed JSON object")
        i = _skip(body, i + 1)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def node_name(method: str) -> str:
    """``alipay.system.oauth.token`` -> ``alipay_system_oauth_token_response``."""
    return method.replace(".", "_") + "_response"


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM or bare base64 DER. ``ValueError`` otherwise."""
    data = text.strip().encode("ascii", errors="replace")
    if data.startswith(b"-----BEGIN"):
        key: Any = serialization.load_pem_private_key(data, password=None)
    else:
        der = _b64(data)
        try:
            key = serialization.load_der_private_key(der, password=None)
        except ValueError:
            key = _pkcs1_private(der)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def _pkcs1_private(der: bytes) -> Any:
    pem = b"-----BEGIN RSA PRIVATE KEY-----\n" + base64.encodebytes(der)
    return serialization.load_pem_private_key(pem + b"-----END RSA PRIVATE KEY-----\n", None)


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM or bare base64 DER. ``ValueError`` otherwise."""
    data = text.strip().encode("ascii", errors="replace")
    if data.startswith(b"-----BEGIN"):
        key: Any = serialization.load_pem_public_key(data)
    else:
        key = serialization.load_der_public_key(_b64(data))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _b64(data: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except binascii.Error:
        raise ValueError("neither PEM nor base64 DER") from None
