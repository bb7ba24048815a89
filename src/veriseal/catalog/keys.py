"""Key hierarchy, sealing at rest, rotation, revocation and JWKS export.

Hierarchy::

    keyring unlock secret (passphrase via Argon2id, or a 32-byte key file via HKDF)
      └─ KEK (per salt) ── seals ──▶ brand key secret (32 bytes, one per slot)
                                       └─ HKDF ──▶ code AES key, PIN AES key, Ed25519 seed

A sealed secret (what the ledger stores, never the clear secret)::

    b"VSK1" | mode (b"P" passphrase / b"F" key file) | salt (16) | nonce (24) | ciphertext

sealed with XChaCha20-Poly1305 (libsodium, via PyNaCl) and the key id as associated
data, so a sealed blob moved to another key id does not open.

Rotation adds a key in the next slot and retires the active one in one transaction: new
batches use the new key, codes under retired keys keep verifying. Revocation makes codes
under that key stop verifying: the JWKS moves it from ``keys`` to ``veriseal_revoked_keys``
(see :meth:`KeyService.jwks`), so an offline verifier can say "revoked", not "unknown".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nacl.pwhash
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from veriseal.cache import LruDict
from veriseal.codes.material import MAX_SLOT, SECRET_BYTES, KeyMaterial, PublicKey
from veriseal.errors import KeyNotFound, KeyRevoked, KeyringLocked, KeySpaceExhausted
from veriseal.models import Brand, KeyRecord, KeyStatus

if TYPE_CHECKING:
    # annotations only: importing the ledger interface loads its database layer,
    # which the offline ``veriseal verify`` does without (issue 20)
    from veriseal.ledger.base import Ledger

_MAGIC = b"VSK1"
_SALT = 16
_NONCE = 24


def kid_for(brand_slug: str, slot: int) -> str:
    return f"{brand_slug}.{slot}"


@dataclass(frozen=True)
class KeySource:
    """Where the keyring's unlock secret comes from: a passphrase or a key file."""

    passphrase: str | None = None
    key_file: Path | None = None

    def describe(self) -> str:
        return f"key file {self.key_file}" if self.key_file else "passphrase"


def create_key_file(path: Path) -> None:
    """Write a new random 32-byte key file readable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64encode(os.urandom(32)) + b"\n")


#: Unsealed keys (and their key-encryption keys) a keyring keeps in memory, at most:
#: a server verifying for many brands re-derives the least recently used beyond this.
MAX_CACHED_KEYS = 4096


class Keyring:
    """Seals and unseals brand key secrets; caches unsealed material in memory.

    A wrong passphrase or key file raises ``KeyringLocked`` (the AEAD tag fails), never
    a crypto exception. At most ``max_cached`` unsealed keys and as many key-encryption
    keys are kept (least recently used forgotten first).
    """

    def __init__(self, source: KeySource, max_cached: int = MAX_CACHED_KEYS) -> None:
        if source.passphrase is None and source.key_file is None:
            raise KeyringLocked("no keyring secret: set VERISEAL_PASSPHRASE or VERISEAL_KEY_FILE")
        self._source = source
        self._salt = os.urandom(_SALT)
        self._keks: LruDict[bytes, bytes] = LruDict(max_cached)
        self._materials: LruDict[tuple[int, int], KeyMaterial] = LruDict(max_cached)
        self._file_secret: bytes | None = None

    @property
    def _mode(self) -> bytes:
        return b"F" if self._source.key_file else b"P"

    def _kek(self, mode: bytes, salt: bytes) -> bytes:
        cached = self._keks.get(mode + salt)
        if cached is not None:
            return cached
        if mode == b"F":
            kek = hashlib.blake2b(self._read_key_file(), key=salt, digest_size=32).digest()
        else:
            if self._source.passphrase is None:
                raise KeyringLocked("this key was sealed with a passphrase; none is set")
            kek = nacl.pwhash.argon2id.kdf(
                32,
                self._source.passphrase.encode("utf-8"),
                salt,
                opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE,
            )
        self._keks[mode + salt] = kek
        return kek

    def _read_key_file(self) -> bytes:
        if self._file_secret is None:
            path = self._source.key_file
            if path is None:
                raise KeyringLocked("this key was sealed with a key file; none is set")
            try:
                raw = base64.b64decode(path.read_bytes().strip(), validate=True)
            except OSError as exc:
                raise KeyringLocked(f"cannot read key file {path}: {exc.strerror}") from None
            except ValueError:
                raise KeyringLocked(f"key file {path} is not base64") from None
            if len(raw) < 32:
                raise KeyringLocked(f"key file {path} holds fewer than 32 bytes")
            self._file_secret = raw
        return self._file_secret

    def derive(self, label: str) -> bytes:
        """A 32-byte secret for ``label`` (e.g. a pepper), stable across restarts and
        known only to holders of the passphrase / key file. Different labels give
        independent secrets."""
        salt = hashlib.blake2b(label.encode(), digest_size=_SALT).digest()
        return hashlib.blake2b(
            self._kek(self._mode, salt), person=b"veriseal-derive", digest_size=32
        ).digest()

    def seal(self, kid: str, secret: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        kek = self._kek(self._mode, self._salt)
        ct = crypto_aead_xchacha20poly1305_ietf_encrypt(secret, kid.encode(), nonce, kek)
        return _MAGIC + self._mode + self._salt + nonce + ct

    def unseal(self, kid: str, sealed: bytes) -> bytes:
        if sealed[:4] != _MAGIC or sealed[4:5] not in (b"P", b"F"):
            raise KeyringLocked(f"key {kid} is not in a known sealed format")
        mode, salt = sealed[4:5], sealed[5 : 5 + _SALT]
        nonce = sealed[5 + _SALT : 5 + _SALT + _NONCE]
        try:
            return crypto_aead_xchacha20poly1305_ietf_decrypt(
                sealed[5 + _SALT + _NONCE :], kid.encode(), nonce, self._kek(mode, salt)
            )
        except CryptoError:
            raise KeyringLocked(
                f"cannot unlock key {kid}: wrong passphrase or key file"
                f" (using {self._source.describe()})"
            ) from None

    def material(self, record: KeyRecord) -> KeyMaterial:
        """The unsealed material of ``record`` (cached per brand and slot)."""
        cache_key = (record.brand_id, record.slot)
        found = self._materials.get(cache_key)
        if found is None:
            secret = self.unseal(record.kid, record.sealed_secret)
            found = KeyMaterial(record.kid, record.slot, secret)
            self._materials[cache_key] = found
        return found


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


#: The JWK Set member that lists revoked keys. RFC 7517 section 5 lets a JWK Set carry
#: members of its own, which implementations that do not know them MUST ignore.
REVOKED_MEMBER = "veriseal_revoked_keys"


def jwk(
    public: PublicKey, status: KeyStatus, revoked_at: dt.datetime | None = None
) -> dict[str, Any]:
    """RFC 8037 OKP JWK of an Ed25519 public key; ``revoked_at`` (ISO 8601, UTC) is
    added for a revoked key."""
    out: dict[str, Any] = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(bytes(public.verify_key)),
        "kid": public.kid,
        "use": "sig",
        "alg": "EdDSA",
        "veriseal_slot": public.slot,
        "veriseal_status": str(status),
    }
    if status is KeyStatus.REVOKED:
        out["revoked_at"] = revoked_at.isoformat() if revoked_at else None
    return out


class KeyService:
    """Creates, rotates, revokes and exports a brand's keys. Holds no SQL."""

    def __init__(self, ledger: Ledger, keyring: Keyring) -> None:
        self._ledger = ledger
        self._keyring = keyring

    async def _add(self, brand: Brand, slot: int, retire_active: bool) -> KeyRecord:
        if slot > MAX_SLOT:
            raise KeySpaceExhausted(f"brand {brand.slug} has used all {MAX_SLOT + 1} key slots")
        secret = os.urandom(SECRET_BYTES)
        kid = kid_for(brand.slug, slot)
        material = KeyMaterial(kid, slot, secret)
        record = KeyRecord(
            brand_id=brand.id,
            slot=slot,
            kid=kid,
            public_key=bytes(material.signing_key.verify_key),
            sealed_secret=self._keyring.seal(kid, secret),
            status=KeyStatus.ACTIVE,
            created_at=dt.datetime.now(dt.UTC),
        )
        await self._ledger.add_key(record, retire_active=retire_active)
        return record

    async def create_first(self, brand: Brand) -> KeyRecord:
        return await self._add(brand, 0, retire_active=False)

    async def rotate(self, brand: Brand) -> KeyRecord:
        """Add a key in the next slot; it becomes ACTIVE, the old one RETIRED."""
        keys = await self._ledger.list_keys(brand.id)
        next_slot = max((k.slot for k in keys), default=-1) + 1
        return await self._add(brand, next_slot, retire_active=True)

    async def revoke(self, brand: Brand, slot: int) -> KeyRecord:
        """Codes under a revoked key stop verifying. The active key cannot be revoked
        before a rotation has put another key in its place."""
        keys = {k.slot: k for k in await self._ledger.list_keys(brand.id)}
        if slot not in keys:
            raise KeyNotFound(f"brand {brand.slug} has no key in slot {slot}")
        if keys[slot].status is KeyStatus.ACTIVE:
            raise KeyRevoked(
                f"key {keys[slot].kid} is the active key: rotate first, then revoke it"
            )
        return await self._ledger.set_key_status(
            brand.id, slot, KeyStatus.REVOKED, dt.datetime.now(dt.UTC)
        )

    async def list(self, brand: Brand) -> list[KeyRecord]:
        return await self._ledger.list_keys(brand.id)

    async def active(self, brand: Brand) -> KeyRecord:
        for key in await self._ledger.list_keys(brand.id):
            if key.status is KeyStatus.ACTIVE:
                return key
        raise KeyNotFound(f"brand {brand.slug} has no active key")

    def material(self, record: KeyRecord, allow_revoked: bool = False) -> KeyMaterial:
        """Unsealed material of ``record``. ``KeyRevoked`` for a revoked key unless
        ``allow_revoked`` (verification still authenticates such codes to say so)."""
        if record.status is KeyStatus.REVOKED and not allow_revoked:
            raise KeyRevoked(f"key {record.kid} is revoked")
        return self._keyring.material(record)

    async def jwks(self, brand: Brand) -> dict[str, Any]:
        """The brand's public keys as a JWK Set: ``keys`` holds those that still verify
        (active and retired); ``veriseal_revoked_keys`` the revoked ones, each with
        ``veriseal_status: "revoked"`` and ``revoked_at``.

        Revoked keys stay out of ``keys`` on purpose: a generic JOSE library knows
        nothing of the status member and would take any key in ``keys`` as good, while
        it ignores a member it does not know. Veriseal's offline check reads both lists
        (:func:`revoked_keys_from_jwks`) to tell a revoked key from an unknown one.
        """
        records = await self._ledger.list_keys(brand.id)

        def entry(k: KeyRecord) -> dict[str, Any]:
            return jwk(PublicKey(k.kid, k.slot, VerifyKey(k.public_key)), k.status, k.revoked_at)

        return {
            "keys": [entry(k) for k in records if k.status is not KeyStatus.REVOKED],
            REVOKED_MEMBER: [entry(k) for k in records if k.status is KeyStatus.REVOKED],
        }


def public_keys_from_jwks(doc: dict[str, Any]) -> dict[str, PublicKey]:
    """The keys that still verify in a JWKS document, as ``{kid: PublicKey}``: the
    Ed25519 entries of ``keys``, except any marked revoked (``veriseal_status`` of
    ``"revoked"`` or a ``revoked_at`` member); other entries are ignored.
    Raises ``KeyNotFound`` if the document holds no usable key."""
    out = {
        kid: public
        for kid, (public, revoked) in _jwk_entries(_member(doc, "keys")).items()
        if not revoked
    }
    if not out:
        raise KeyNotFound("the JWKS document holds no Ed25519 key")
    return out


def revoked_keys_from_jwks(doc: dict[str, Any]) -> dict[str, PublicKey]:
    """The revoked keys a JWKS document names, as ``{kid: PublicKey}``: the entries of
    ``veriseal_revoked_keys`` and any entry of ``keys`` marked revoked. Empty for a
    document without them (e.g. one exported by an older Veriseal, which left revoked
    keys out altogether); never raises."""
    marked = _jwk_entries(_member(doc, "keys"))
    out = {kid: public for kid, (public, revoked) in marked.items() if revoked}
    out.update(
        (kid, public) for kid, (public, _) in _jwk_entries(_member(doc, REVOKED_MEMBER)).items()
    )
    return out


def _member(doc: object, name: str) -> list[Any]:
    found = doc.get(name) if isinstance(doc, dict) else None
    return found if isinstance(found, list) else []


def _jwk_entries(entries: list[Any]) -> dict[str, tuple[PublicKey, bool]]:
    """``{kid: (public key, marked revoked)}`` of the usable Ed25519 JWKs in ``entries``."""
    out: dict[str, tuple[PublicKey, bool]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue
        kid, x = entry.get("kid"), entry.get("x")
        if not isinstance(kid, str) or not isinstance(x, str):
            continue
        try:
            raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
            slot = int(entry.get("veriseal_slot", kid.rsplit(".", 1)[-1]))
        except (ValueError, TypeError):
            continue
        revoked = entry.get("veriseal_status") == str(KeyStatus.REVOKED) or "revoked_at" in entry
        if len(raw) == 32:
            out[kid] = (PublicKey(kid, slot, VerifyKey(raw)), revoked)
    return out
