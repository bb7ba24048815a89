"""Signed batch manifests: anyone with the brand's public key can check a batch's facts.

The manifest is the batch metadata as *canonical JSON*: UTF-8, object keys sorted, no
insignificant whitespace, integers only (no floats), dates as ISO-8601 strings (the
subset of RFC 8785 that these values need). The signature is Ed25519 over those bytes by
the batch's key. A manifest document, as exported, is::

    {"manifest": {...}, "kid": "<brand>.<slot>", "signature": "<base64url, 86 chars>"}
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from veriseal.codes import signed
from veriseal.codes.errors import CodeInvalid
from veriseal.codes.material import KeyMaterial, PublicKey
from veriseal.errors import InvalidInput, KeyNotFound
from veriseal.models import Batch, Brand, NewBatch

FORMAT = "veriseal-batch-manifest/1"


def canonical(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def manifest_fields(
    brand: Brand, kid: str, new: NewBatch, batch_id: int, seq: int
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "brand": brand.slug,
        "resolver": brand.resolver,
        "batch_id": batch_id,
        "gtin": new.gtin,
        "lot": new.lot,
        "kid": kid,
        "seq": seq,
        "profile": str(new.profile),
        "pin_digits": new.pin_digits,
        "size": new.size,
        "production_date": new.production_date.isoformat(),
        "expiry_date": new.expiry_date.isoformat() if new.expiry_date else None,
        "factory": new.factory,
        "line": new.line,
    }


def seal(key: KeyMaterial, fields: dict[str, Any]) -> tuple[bytes, bytes]:
    body = canonical(fields)
    return body, key.signing_key.sign(body).signature


def document(batch: Batch, kid: str) -> dict[str, Any]:
    """The exportable manifest document of a stored batch."""
    return {
        "manifest": json.loads(batch.manifest),
        "kid": kid,
        "signature": base64.urlsafe_b64encode(batch.manifest_sig).rstrip(b"=").decode(),
    }


def check_document(doc: Any, keys: dict[str, PublicKey]) -> dict[str, Any]:
    """Verify an exported manifest document against public keys; return the manifest.

    Raises ``InvalidInput`` for a malformed document, ``KeyNotFound`` for an unknown kid
    and ``CodeInvalid`` (code ``code_invalid``) when the signature does not match.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("manifest"), dict):
        raise InvalidInput("not a Veriseal manifest document (no 'manifest' object)")
    kid, sig = doc.get("kid"), doc.get("signature")
    if not isinstance(kid, str) or not isinstance(sig, str):
        raise InvalidInput("a manifest document needs 'kid' and 'signature' strings")
    if kid not in keys:
        raise KeyNotFound(f"no public key {kid!r} in the key set")
    try:
        raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput("the signature is not base64url") from None
    if not signed.check(keys[kid], canonical(doc["manifest"]), raw):
        raise CodeInvalid("the manifest signature does not match: the manifest was altered")
    return dict(doc["manifest"])
