"""Validation and normalisation of identity data: phone numbers, e-mail addresses,
resident ID numbers (GB 11643), unified social credit codes (GB 32100), and foreign
enterprises' country (ISO 3166-1 alpha-2) and registration number.

Every function returns the canonical form or raises :class:`IdentityInvalid` with a
message that says what is wrong. Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import phonenumbers
import pycountry

from veriseal.accounts.errors import IdentityInvalid

#: Region assumed for a phone number written without +country (the platform's home).
DEFAULT_PHONE_REGION = "CN"


def normalize_phone(text: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The number in E.164 (``+8613812345678``). ``IdentityInvalid`` unless libphonenumber
    considers it a valid number of its country (length and prefix plan)."""
    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        raise IdentityInvalid(f"not a phone number: {text!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentityInvalid(f"not a valid phone number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Deliberately simple: one @, a dotted domain, no spaces. The confirmation code is the
# real test that an address works; this only catches typos early.
_EMAIL = re.compile(r"^[^@\s]{1,64}@([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$")


def normalize_email(text: str) -> str:
    """The address with its domain lower-cased. ``IdentityInvalid`` if malformed."""
    text = text.strip()
    if not _EMAIL.match(text):
        raise IdentityInvalid(f"not an e-mail address: {text!r}")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def is_email(text: str) -> bool:
    return "@" in text


def normalize_contact(text: str) -> str:
    """An e-mail address or a phone number, normalised (the login identifier)."""
    return normalize_email(text) if is_email(text) else normalize_phone(text)


def _fold(text: str) -> str:
    """Full-width forms typed with a Chinese input method (１２Ｘ) become ASCII (NFKC);
    other scripts' digits stay as they are and fail the ASCII checks."""
    return unicodedata.normalize("NFKC", text).strip().upper()


# -- GB 11643-1999: citizen identification number ------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_check(first17: str) -> str:
    """The check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_resident_id(text: str) -> str:
    """An 18-character resident ID (upper-case X). ``IdentityInvalid`` if its form, birth
    date or check character is wrong."""
    value = _fold(text)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise IdentityInvalid("a resident ID has 17 digits and a digit or X")
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdentityInvalid("the resident ID's birth date is not a date") from None
    if resident_id_check(value[:17]) != value[17]:
        raise IdentityInvalid("the resident ID's check character is wrong (GB 11643)")
    return value


# -- GB 32100-2015: unified social credit code -----------------------------------------
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check(first17: str) -> str:
    """The check character of the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(text: str) -> str:
    """An 18-character unified social credit code. ``IdentityInvalid`` if a character is
    outside the code's alphabet, the division part is not digits, or the check fails."""
    value = _fold(text)
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        raise IdentityInvalid("a credit code has 18 characters of 0-9 and A-Y (no I O S V Z)")
    if not value[2:8].isdigit():
        raise IdentityInvalid("characters 3-8 of a credit code are the division code (digits)")
    if uscc_check(value[:17]) != value[17]:
        raise IdentityInvalid("the credit code's check character is wrong (GB 32100)")
    return value


# -- foreign enterprises ---------------------------------------------------------------
#: The country of a Chinese enterprise: its number is a unified social credit code.
HOME_COUNTRY = "CN"
REGISTRATION_MAX = 64
_REGISTRATION = re.compile(r"[A-Z0-9\-./]+(?: [A-Z0-9\-./]+)*")


def normalize_country(text: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-case (``"VN"``). ``IdentityInvalid`` for a code
    that is not an assigned country (pycountry's ISO 3166-1 table)."""
    value = _fold(text)
    if not re.fullmatch(r"[A-Z]{2}", value) or pycountry.countries.get(alpha_2=value) is None:
        raise IdentityInvalid(f"not an ISO 3166-1 alpha-2 country code: {text[:20]!r}")
    return value


def normalize_registration_number(text: str) -> str:
    """A foreign enterprise's registration number: trimmed, upper-cased, runs of spaces
    collapsed to one; 1..64 characters of A-Z, 0-9, space and ``-./`` (full-width
    forms folded to ASCII first). No checksum is checked: formats differ by country and
    registry, and a number the brand cannot check is reviewed with its document.
    ``IdentityInvalid`` otherwise."""
    value = re.sub(r" +", " ", _fold(text))
    if not value or len(value) > REGISTRATION_MAX:
        raise IdentityInvalid(f"a registration number has 1 to {REGISTRATION_MAX} characters")
    if not _REGISTRATION.fullmatch(value):
        raise IdentityInvalid("a registration number has letters, digits, spaces and - . / only")
    return value


def normalize_enterprise_number(country: str, text: str) -> str:
    """The enterprise's number for its (normalised) country: a unified social credit
    code in China (its check character checked), else a registration number."""
    if country == HOME_COUNTRY:
        return normalize_uscc(text)
    return normalize_registration_number(text)


def mask(value: str, keep: int = 4) -> str:
    """``"1101**********123X"``-style masking for display of identity numbers."""
    if len(value) <= keep * 2:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]
