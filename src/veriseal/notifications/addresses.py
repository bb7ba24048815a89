"""Validation and normal forms of the addresses a message can be sent to."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import phonenumbers

from veriseal.notifications.errors import AddressInvalid

# Deliberately loose (RFC 5322 allows far more than anyone uses): one @, no spaces or
# angle brackets (which could inject headers), a dotted domain.
_EMAIL = re.compile(r"^[^\s@<>,;:\"]+@[^\s@<>,;:\"]+\.[^\s@<>,;:\"]+$")


def normalise_email(text: str) -> str:
    """``Name@Example.COM`` -> ``Name@example.com`` (the local part keeps its case)."""
    text = text.strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise AddressInvalid(f"not an e-mail address: {text!r}")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalise_phone(text: str, region: str = "CN") -> str:
    """A phone number in E.164 (``+8613800138000``); a number without ``+`` is read in
    ``region``. ``AddressInvalid`` if libphonenumber does not call it valid."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise AddressInvalid(f"not a phone number: {text!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise AddressInvalid(f"not a valid phone number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_url(text: str) -> str:
    """An ``http(s)://host[...]`` URL for webhooks and HTTP providers."""
    text = text.strip()
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in text)
    ):
        raise AddressInvalid(f"not an http(s) URL: {text!r}")
    return text
