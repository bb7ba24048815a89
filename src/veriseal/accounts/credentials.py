"""Secrets users hold: passwords (Argon2id), API tokens, one-time codes.

- Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 low-memory profile by
  default); hashing runs in a worker thread so a login never stalls the event loop.
  The policy follows NIST SP 800-63B: length over composition rules.
- API tokens are ``vst_<id>_<secret>``: the id finds the row, only SHA-256 of the
  256-bit secret is stored (a fast hash is right for a random secret; Argon2 is for
  human-chosen ones), compared in constant time. Shown once, at creation.
- One-time codes are 6 digits, stored as an HMAC under a per-installation pepper so a
  copy of the table does not reveal live codes at a glance.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from veriseal.accounts.errors import PasswordWeak, Unauthenticated

MIN_PASSWORD = 10
MAX_PASSWORD = 256
#: A few of the most common passwords of at least MIN_PASSWORD characters; a real
#: deployment can pass a larger list to :class:`Passwords`.
COMMON = frozenset(
    {"1234567890", "qwertyuiop", "password123", "1q2w3e4r5t", "0123456789", "iloveyou12"}
)


class Passwords:
    """Argon2id hashing with a policy. ``hasher`` is injectable (tests use argon2's
    cheaper profile to keep the suite fast; the algorithm is the same)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        # verifying against this when the account does not exist keeps the timing of
        # "no such user" and "wrong password" alike
        self._dummy = self.hasher.hash(secrets.token_hex(16))

    @staticmethod
    def check_policy(password: str, *context: str | None) -> None:
        """``PasswordWeak`` if too short/long, all one character, common, or equal to
        the account's own e-mail / phone / name."""
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise PasswordWeak(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        if len(set(password)) < 4 or password.lower() in COMMON:
            raise PasswordWeak("this password is too easy to guess")
        if any(c and password.lower() == c.lower() for c in context):
            raise PasswordWeak("the password must differ from your account name")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """True iff ``password`` matches ``stored`` (None: no password set; the check
        still costs one hash so it cannot be told apart by timing)."""

        def check() -> bool:
            try:
                return bool(self.hasher.verify(stored or self._dummy, password)) and bool(stored)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)


TOKEN_PREFIX = "vst_"
_TOKEN = re.compile(r"^vst_([0-9]{1,18})_([A-Za-z0-9_-]{43})$")


def new_token_secret() -> tuple[str, bytes]:
    """A fresh secret (43 url-safe chars, 256 bits) and the hash to store."""
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return secret, hash_secret(secret)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def format_token(token_id: int, secret: str) -> str:
    return f"{TOKEN_PREFIX}{token_id}_{secret}"


def parse_token(text: str) -> tuple[int, str]:
    """``(id, secret)``; ``Unauthenticated`` if the text is not a token at all."""
    match = _TOKEN.match(text.strip())
    if not match:
        raise Unauthenticated("not a Veriseal API token")
    return int(match.group(1)), match.group(2)


def secret_matches(secret: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


OTP_DIGITS = 6


def new_otp() -> str:
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def otp_hash(pepper: bytes, destination: str, purpose: str, code: str) -> bytes:
    return hmac.new(pepper, f"{destination}\0{purpose}\0{code}".encode(), "sha256").digest()
