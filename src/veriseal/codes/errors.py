"""Coded errors of the code formats: a code, GTIN, Digital Link or PIN that does
not parse or does not verify. Pure: no I/O."""

from __future__ import annotations

from veriseal.errors import InvalidInput


class CodeInvalid(InvalidInput):
    code = "code_invalid"


class GtinInvalid(InvalidInput):
    code = "gtin_invalid"


class DigitalLinkInvalid(InvalidInput):
    code = "digital_link_invalid"


class PinInvalid(InvalidInput):
    code = "pin_invalid"


class SignatureNotCanonical(CodeInvalid):
    """A signed code's ``s=`` value that decodes to 64 bytes but is not the one spelling
    Veriseal prints (unpadded base64url, unused low bits zero). Refused rather than
    normalised, so that one label cannot be written as many distinct code strings."""

    code = "signature_not_canonical"
