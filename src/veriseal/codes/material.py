"""Key material of one brand key, derived from its 32-byte secret.

A brand key is one random 32-byte ``secret``. Everything a code needs is derived from it
with HKDF-SHA256 (RFC 5869, empty salt), one label per use so that no two uses share a key::

    code_key  = HKDF(secret, info=b"veriseal/v1/code-aes128")    16 bytes  AES-128, compact SIV
    pin_key   = HKDF(secret, info=b"veriseal/v1/pin-aes128")     16 bytes  AES-128, PINs
    sign_seed = HKDF(secret, info=b"veriseal/v1/ed25519-seed")   32 bytes  Ed25519 seed

Deriving (rather than storing three keys) keeps the sealed keyring to one secret per key
and makes a restored backup reproduce every code exactly. The Ed25519 public key is public
material: :class:`PublicKey` is what offline verifiers hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.signing import SigningKey, VerifyKey

SECRET_BYTES = 32
MAX_SLOT = 1023  # ten bits in every serial


def _hkdf(secret: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def _ecb(key: bytes) -> CipherContext:
    # ECB is used only as a bulk block PRF over distinct, domain-separated blocks (never to
    # encrypt structured plaintext), which is exactly what it is safe for.
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()


@dataclass(frozen=True, slots=True)
class PublicKey:
    """What an offline verifier holds: the key id, its slot and the Ed25519 public key."""

    kid: str
    slot: int
    verify_key: VerifyKey


@dataclass(slots=True)
class KeyMaterial:
    """Secret material of one key. MUST stay in memory only; see ``veriseal.catalog.keys`` for
    how secrets are sealed at rest."""

    kid: str
    slot: int
    secret: bytes = field(repr=False)
    code_prf: CipherContext = field(init=False, repr=False)
    pin_prf: CipherContext = field(init=False, repr=False)
    signing_key: SigningKey = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != SECRET_BYTES:
            raise ValueError("a key secret is 32 bytes")
        if not 0 <= self.slot <= MAX_SLOT:
            raise ValueError("a key slot is 0..1023")
        self.code_prf = _ecb(_hkdf(self.secret, b"veriseal/v1/code-aes128", 16))
        self.pin_prf = _ecb(_hkdf(self.secret, b"veriseal/v1/pin-aes128", 16))
        self.signing_key = SigningKey(_hkdf(self.secret, b"veriseal/v1/ed25519-seed", 32))

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.kid, self.slot, self.signing_key.verify_key)

    def code_blocks(self, blocks: bytes) -> bytes:
        """AES-128 of every 16-byte block under the code key (one bulk call)."""
        return self.code_prf.update(blocks)

    def pin_blocks(self, blocks: bytes) -> bytes:
        """AES-128 of every 16-byte block under the PIN key (one bulk call)."""
        return self.pin_prf.update(blocks)
