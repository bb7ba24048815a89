"""GTIN and SSCC identifiers with the GS1 mod-10 check digit.

A GTIN is accepted in any of its lengths (8, 12, 13 or 14 digits) and always returned in
the 14-digit form, left-padded with zeros, which is how GS1 Digital Link and AI 01 carry it.
"""

from __future__ import annotations

from veriseal.errors import GtinInvalid

GTIN_LENGTHS = (8, 12, 13, 14)


def gs1_check_digit(digits: str) -> int:
    """Check digit for ``digits`` (the number WITHOUT its check digit): weights 3, 1, 3...
    from the right, then the distance to the next multiple of ten."""
    # the rightmost digit weighs 3, the next 1, and so on
    total = 3 * sum(map(int, digits[-1::-2])) + sum(map(int, digits[-2::-2]))
    return (10 - total % 10) % 10


def _digits(text: str, what: str) -> str:
    cleaned = text.strip().replace(" ", "").replace("-", "")
    if not cleaned.isascii() or not cleaned.isdigit():
        raise GtinInvalid(f"{what} {text!r} must contain digits only")
    return cleaned


def _check(cleaned: str, what: str) -> None:
    want = gs1_check_digit(cleaned[:-1])
    if int(cleaned[-1]) != want:
        raise GtinInvalid(f"{what} {cleaned}: check digit should be {want}, got {cleaned[-1]}")


def normalize_gtin(text: str) -> str:
    """Validate a GTIN-8/12/13/14 (spaces and hyphens allowed) and return its 14-digit form.

    Raises ``GtinInvalid`` naming the problem (characters, length or check digit).
    """
    if not isinstance(text, str):
        raise GtinInvalid("a GTIN must be text")
    cleaned = _digits(text, "GTIN")
    if len(cleaned) not in GTIN_LENGTHS:
        raise GtinInvalid(f"GTIN {cleaned} has {len(cleaned)} digits; expected 8, 12, 13 or 14")
    _check(cleaned, "GTIN")
    return cleaned.zfill(14)


def sscc_check(text: str) -> str:
    """Validate an 18-digit SSCC (AI 00) and return it. Raises ``GtinInvalid``."""
    cleaned = _digits(text, "SSCC")
    if len(cleaned) != 18:
        raise GtinInvalid(f"SSCC {cleaned} has {len(cleaned)} digits; expected 18")
    _check(cleaned, "SSCC")
    return cleaned


def make_sscc(extension_digit: int, company_prefix: str, serial_ref: int) -> str:
    """Build an SSCC: extension digit, GS1 company prefix, serial reference, check digit."""
    if not 0 <= extension_digit <= 9:
        raise GtinInvalid("the SSCC extension digit is 0..9")
    prefix = _digits(company_prefix, "GS1 company prefix")
    room = 16 - len(prefix)
    if not 6 <= len(prefix) <= 12 or not 0 <= serial_ref < 10**room:
        raise GtinInvalid(
            f"company prefix of {len(prefix)} digits leaves {room} digits for the serial"
            " reference; the prefix has 6 to 12 digits"
        )
    body = f"{extension_digit}{prefix}{serial_ref:0{room}d}"
    return body + str(gs1_check_digit(body))
