"""GTIN and SSCC identifiers with the GS1 mod-10 check digit.

A GTIN is accepted in any of its lengths (GTIN-8, GTIN-12 / UPC-A, GTIN-13 / EAN-13 and
GTIN-14) and always returned in the 14-digit form, left-padded with zeros, which is how
AI 01, GS1 Digital Link and the ledger carry it. Left-padding never changes the check
digit (zeros weigh nothing), so every length validates the same way.

Contract: every function here either returns a value or raises
:class:`~veriseal.errors.GtinInvalid` with an English message naming the problem; no other
exception escapes, whatever the input.
"""

from __future__ import annotations

import re

from veriseal.codes.errors import GtinInvalid

__all__ = [
    "GTIN_LENGTHS",
    "SSCC_LENGTH",
    "gs1_check_digit",
    "make_sscc",
    "normalize_gtin",
    "sscc_check",
]

GTIN_LENGTHS = (8, 12, 13, 14)
SSCC_LENGTH = 18
# The EPC SSCC partition table (GS1 Tag Data Standard) allows company prefixes of 6 to 12
# digits; anything outside cannot be encoded on RFID, so it is rejected here as well.
_SSCC_PREFIX_LENGTHS = range(6, 13)

# Digits as a human types them: single or repeated spaces/hyphens, only BETWEEN digits, so
# "-4006381333931" (looks negative) and "4006381333931-" (looks truncated) are refused.
# [0-9], not \d: \d also matches Arabic-Indic, full-width and other Unicode digits.
_TYPED_DIGITS = re.compile(r"[0-9]+(?:[ -]+[0-9]+)*")
_SHOW = 40  # longest input quoted back in a message, so a megabyte of junk stays out of logs


def _show(text: str) -> str:
    return repr(text) if len(text) <= _SHOW else repr(text[:_SHOW]) + "..."


def gs1_check_digit(digits: str) -> int:
    """GS1 mod-10 check digit of ``digits``, the number WITHOUT its check digit.

    Weights 3, 1, 3, 1... from the right; the check digit is the distance from the weighted
    sum to the next multiple of ten. Works for every GS1 key (GTIN, SSCC, GLN, ...).

    >>> gs1_check_digit("400638133393")
    1

    Raises ``GtinInvalid`` unless ``digits`` is a non-empty string of ASCII digits.
    """
    if not isinstance(digits, str) or not digits.isascii() or not digits.isdigit():
        shown = _show(digits) if isinstance(digits, str) else type(digits).__name__
        raise GtinInvalid(f"a check digit needs ASCII digits, got {shown}")
    # the rightmost digit weighs 3, the next 1, and so on
    total = 3 * sum(map(int, digits[-1::-2])) + sum(map(int, digits[-2::-2]))
    return (10 - total % 10) % 10


def _digits(text: object, what: str) -> str:
    """``text`` without surrounding whitespace and separating spaces/hyphens."""
    if not isinstance(text, str):
        raise GtinInvalid(f"a {what} must be text, not {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise GtinInvalid(f"the {what} is empty")
    if _TYPED_DIGITS.fullmatch(stripped) is None:
        bad = next((c for c in stripped if c not in "0123456789 -"), None)
        if bad is not None:
            raise GtinInvalid(
                f"{what} {_show(stripped)}: {bad!r} is not a digit (use the ASCII digits 0-9)"
            )
        raise GtinInvalid(f"{what} {_show(stripped)}: spaces and hyphens may only separate digits")
    return stripped.replace(" ", "").replace("-", "")


def _check(cleaned: str, what: str) -> None:
    want = gs1_check_digit(cleaned[:-1])
    if int(cleaned[-1]) != want:
        raise GtinInvalid(f"{what} {cleaned}: check digit should be {want}, got {cleaned[-1]}")


def normalize_gtin(text: str) -> str:
    """Validate a GTIN-8/12/13/14 and return its 14-digit form.

    Accepts what a person might type: surrounding whitespace, and spaces or hyphens
    between digits (``" 950-6000 134352 "``). Only ASCII digits count.

    >>> normalize_gtin("9506000134352")
    '09506000134352'

    Raises ``GtinInvalid`` naming the problem: a character that is not a digit, the number
    of digits, or the check digit (``"GTIN 4006381333932: check digit should be 1, got 2"``).
    """
    cleaned = _digits(text, "GTIN")
    if len(cleaned) not in GTIN_LENGTHS:
        raise GtinInvalid(
            f"GTIN {_show(cleaned)} has {len(cleaned)} digits; expected 8, 12, 13 or 14"
        )
    _check(cleaned, "GTIN")
    return cleaned.zfill(14)


def sscc_check(text: str) -> str:
    """Validate an 18-digit SSCC (AI 00) and return its 18 digits.

    Same leniency as :func:`normalize_gtin` (whitespace, separating spaces/hyphens).
    Raises ``GtinInvalid`` for a bad character, length or check digit.
    """
    cleaned = _digits(text, "SSCC")
    if len(cleaned) != SSCC_LENGTH:
        raise GtinInvalid(f"SSCC {_show(cleaned)} has {len(cleaned)} digits; expected 18")
    _check(cleaned, "SSCC")
    return cleaned


def make_sscc(extension_digit: int, company_prefix: str, serial_ref: int) -> str:
    """Build an 18-digit SSCC: extension digit, GS1 company prefix, serial reference
    (zero-padded to fill the remaining 16 - len(prefix) digits), check digit.

    >>> make_sscc(1, "0614141", 234567890)
    '106141412345678908'

    Raises ``GtinInvalid`` if the extension digit is not 0-9, the company prefix is not 6
    to 12 digits, or the serial reference does not fit in the digits the prefix leaves.
    """
    if (
        not isinstance(extension_digit, int)
        or isinstance(extension_digit, bool)
        or not 0 <= extension_digit <= 9
    ):
        raise GtinInvalid(f"the SSCC extension digit must be 0 to 9, got {extension_digit!r}")
    prefix = _digits(company_prefix, "GS1 company prefix")
    if len(prefix) not in _SSCC_PREFIX_LENGTHS:
        raise GtinInvalid(
            f"GS1 company prefix {_show(prefix)} has {len(prefix)} digits; expected 6 to 12"
        )
    room = 16 - len(prefix)
    if not isinstance(serial_ref, int) or isinstance(serial_ref, bool):
        raise GtinInvalid(f"the SSCC serial reference must be an integer, got {serial_ref!r}")
    if not 0 <= serial_ref < 10**room:
        raise GtinInvalid(
            f"SSCC serial reference {serial_ref} does not fit: a {len(prefix)}-digit company"
            f" prefix leaves {room} digits (0 to {10**room - 1})"
        )
    body = f"{extension_digit}{prefix}{serial_ref:0{room}d}"
    return body + str(gs1_check_digit(body))
