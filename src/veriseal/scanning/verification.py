"""Code -> authenticity -> batch status -> verdict.

:meth:`Verifier.verify` never raises for anything a user can type or scan: every input
ends in a :class:`Verification` whose ``outcome`` is stable (the HTTP layer and the CLI
render it) and whose ``reason`` is a stable code naming why. The authenticity check needs
no lookup (the code carries key slot, batch seq and index under its MAC or signature);
the ledger is read only to name the product and batch and to learn their status.

:func:`verify_offline` checks signed codes with public keys alone (a JWKS), no ledger.
It cannot judge a compact code at all (only the brand's secret key can), and says so
with its own outcome, :attr:`Outcome.NEEDS_ONLINE_CHECK`, rather than "not genuine".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from veriseal.cache import TtlCache
from veriseal.catalog.keys import KeyService
from veriseal.codes import digital_link, signed
from veriseal.codes.compact import open_compact
from veriseal.codes.digital_link import DigitalLink
from veriseal.codes.errors import CodeInvalid, SignatureNotCanonical
from veriseal.codes.layout import SerialFields, Version, parse_serial, split_payload
from veriseal.codes.material import KeyMaterial, PublicKey
from veriseal.codes.pin import pin_matches
from veriseal.errors import NotFound, VerisealError
from veriseal.i18n import keys as message_keys
from veriseal.i18n import register, t
from veriseal.models import (
    Batch,
    BatchStatus,
    Brand,
    CodeStatus,
    KeyRecord,
    KeyStatus,
    Product,
    Profile,
)

if TYPE_CHECKING:
    # annotations only: importing the ledger interface loads its database layer,
    # which the offline ``veriseal verify`` does without (issue 20)
    from veriseal.ledger.base import Ledger


class Outcome(StrEnum):
    GENUINE = "genuine"
    RECALLED = "recalled"  # genuine code of a recalled batch
    EXPIRED = "expired"  # genuine code past its batch's expiry date
    KEY_REVOKED = "key_revoked"  # minted under a key the brand has revoked
    PIN_REQUIRED = "pin_required"  # genuine so far; the batch needs its scratch-off PIN
    PIN_WRONG = "pin_wrong"
    INVALID = "invalid"  # not a genuine code (``reason`` says why)
    SUSPECTED_CLONE = "suspected_clone"  # genuine code whose scans suggest copied labels
    NOT_ACTIVATED = "not_activated"  # authentic, but the line never activated it (stolen?)
    DECOMMISSIONED = "decommissioned"  # authentic, but voided (spoiled / destroyed label)
    # Offline checks only: a compact code, which public keys cannot judge either way
    NEEDS_ONLINE_CHECK = "needs_online_check"


#: How bad a verdict is; a plugin's contribution may only move a verdict up this scale
#: (:func:`veriseal.scanning.hooks.apply`).
SEVERITY: dict[Outcome, int] = {
    Outcome.GENUINE: 0,
    Outcome.PIN_REQUIRED: 1,
    Outcome.EXPIRED: 2,
    Outcome.SUSPECTED_CLONE: 3,
    Outcome.PIN_WRONG: 3,
    Outcome.RECALLED: 4,
    Outcome.NOT_ACTIVATED: 4,  # authentic label that never went live: as bad as a recall
    Outcome.DECOMMISSIONED: 5,  # a voided label back in circulation
    Outcome.KEY_REVOKED: 5,
    Outcome.INVALID: 6,
    Outcome.NEEDS_ONLINE_CHECK: 1,  # offline checks only: no verdict yet, like a PIN to come
}

register(
    {
        "outcome.not_activated": ("Code NOT ACTIVATED", "该码未激活"),
        "outcome.decommissioned": ("Code VOID (decommissioned)", "该码已作废"),
        "reason.not_activated": (
            "This label was never activated on the production line: the product may be"
            " stolen or counterfeit. Do not trust it.",
            "该标签未在生产线上激活，商品可能来自被盗标签或为假冒，请勿信任。",
        ),
        "reason.decommissioned": (
            "This label was voided by the brand (spoiled or destroyed): do not trust it.",
            "该标签已被品牌作废（损坏或销毁），请勿信任。",
        ),
        "reason.signature_not_canonical": (
            "The code's signature is not written the way the brand printed it: it may be"
            " counterfeit.",
            "该码签名的写法与品牌印制的不一致，疑似假冒。",
        ),
        "error.signature_not_canonical": ("Signature not in its printed form", "签名写法不规范"),
        "outcome.needs_online_check": (
            "Cannot be verified offline: check it online",
            "无法离线验证，请联网查询",
        ),
    }
)


class StateLookup(Protocol):
    """Activation state of code ``index`` of ``batch`` (see
    veriseal.lifecycle.activation.CodeStates, the implementation)."""

    async def status(self, batch: Batch, index: int) -> CodeStatus: ...


# Not frozen: a frozen dataclass pays object.__setattr__ per field, a measurable share
# of an offline verification (see benchmarks/bench_codes.py). Treat them as values.
@dataclass(slots=True)
class CodeInfo:
    """What a genuine (or recalled/expired) code is."""

    brand: str
    gtin: str
    serial: str
    kid: str
    key_slot: int
    profile: str
    seq: int
    index: int
    batch_id: int | None = None
    lot: str | None = None
    product: str | None = None
    brand_name: str | None = None
    production_date: str | None = None
    expiry_date: str | None = None
    brand_id: int | None = None  # ledger-internal: not part of the public JSON


@dataclass(slots=True)
class Verification:
    outcome: Outcome
    reason: str  # stable: "genuine", "tag_mismatch", "unknown_batch", ...
    message: str  # English, for humans
    info: CodeInfo | None = None

    @property
    def genuine(self) -> bool:
        return self.outcome is Outcome.GENUINE

    def message_in(self, lang: str) -> str:
        """The verdict's detail sentence in ``lang`` (``en`` / ``zh``), from the reason's
        registered text; the English ``message`` for a reason without one."""
        key = f"reason.{self.reason}"
        if key not in message_keys():
            return self.message
        info = self.info
        return t(
            key,
            lang,
            brand=(info.brand_name if info and info.brand_name else ""),
            expiry=(info.expiry_date if info and info.expiry_date else ""),
        )

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The JSON verdict. ``message`` is English unless ``lang`` asks otherwise (the
        language a client asked for: ``?lang=`` or ``Accept-Language``)."""
        return {
            "outcome": str(self.outcome),
            "reason": self.reason,
            "message": self.message if lang is None else self.message_in(lang),
            "code": _public(self.info) if self.info else None,
        }


_SIGNED = str(Profile.SIGNED)


_PUBLIC_FIELDS = tuple(f.name for f in fields(CodeInfo) if f.name != "brand_id")


def _public(info: CodeInfo) -> dict[str, Any]:
    # Flat fields of plain values: read them directly. dataclasses.asdict() deep-copies
    # every value and was the largest single cost of a JSON verdict (profiled).
    return {name: getattr(info, name) for name in _PUBLIC_FIELDS}


def _invalid(reason: str, message: str) -> Verification:
    return Verification(Outcome.INVALID, reason, message)


@dataclass(frozen=True)
class ParsedCode:
    serial: str
    fields: SerialFields
    link: DigitalLink | None  # None for a bare serial
    signature: str | None


def parse_input(text: str) -> ParsedCode:
    """A URI, GS1 element string or bare serial -> parsed code. Raises an
    ``InvalidInput`` subclass (``code_invalid``, ``digital_link_invalid``, ...)."""
    text = text.strip()
    link: DigitalLink | None = None
    if "/01/" in text or text.startswith("01/"):
        link = digital_link.parse(text if not text.startswith("01/") else "/" + text)
    elif text.startswith(("(", "]")) or "\x1d" in text:
        link = digital_link.parse_element_string(text)
    if link is not None and not link.serial:
        raise CodeInvalid("the link names a product but no serial (AI 21): not a unit code")
    raw = link.serial if link is not None and link.serial else text
    serial, fields = parse_serial(raw)
    sig = dict(link.extra).get(signed.SIGNATURE_PARAM) if link else None
    return ParsedCode(serial, fields, link, sig)


def _check_signature(
    parsed: ParsedCode, public: PublicKey, lot: str, expiry: dt.date | None
) -> str | None:
    """None if the signature is good, else the reason code."""
    if parsed.signature is None:
        return "signature_missing"
    if parsed.link is None:
        return "signature_missing"
    try:
        raw = signed.decode_signature(parsed.signature)
    except SignatureNotCanonical:
        return "signature_not_canonical"
    except VerisealError:
        return "signature_malformed"
    msg = signed.message(parsed.link.gtin, lot, parsed.serial, public.kid, expiry)
    return None if signed.check(public, msg, raw) else "signature_mismatch"


def verify_offline(
    text: str, keys: dict[str, PublicKey], revoked: dict[str, PublicKey] | None = None
) -> Verification:
    """Check a signed code with public keys only: ``keys`` that verify and, optionally,
    ``revoked`` keys (see :func:`veriseal.catalog.keys.revoked_keys_from_jwks`).

    A good signature under a revoked key gives ``KEY_REVOKED`` (as the online check
    does), not ``unknown_key``. A compact code cannot be checked without the brand's
    secret key, so it gives ``NEEDS_ONLINE_CHECK`` (reason ``needs_online_check``): no
    verdict either way, never ``INVALID``.
    """
    try:
        parsed = parse_input(text)
    except VerisealError as exc:
        return _invalid(exc.code, exc.message)
    if parsed.fields.version is not Version.SIGNED_V1:
        return Verification(
            Outcome.NEEDS_ONLINE_CHECK,
            "needs_online_check",
            "a compact code is sealed with the brand's secret key, which public keys cannot"
            " check: it was not verified either way; check it online",
        )
    link = parsed.link
    if link is None or link.lot is None:
        return _invalid("signature_missing", "a signed code is checked from its full URI")
    reason = "unknown_key"
    for pool, is_revoked in ((keys, False), (revoked or {}, True)):
        for public in pool.values():
            if public.slot != parsed.fields.slot:
                continue
            reason = _check_signature(parsed, public, link.lot, link.expiry) or "genuine"
            if reason == "genuine":
                return _offline_verdict(parsed, link, public, is_revoked)
    return _invalid(reason, _MESSAGES.get(reason, "not a genuine code"))


def _offline_verdict(
    parsed: ParsedCode, link: DigitalLink, public: PublicKey, revoked: bool
) -> Verification:
    seq, index = split_payload(parsed.fields.body)
    info = CodeInfo(
        brand=public.kid.rsplit(".", 1)[0],
        gtin=link.gtin,
        serial=parsed.serial,
        kid=public.kid,
        key_slot=public.slot,
        profile=_SIGNED,
        seq=seq,
        index=index,
        lot=link.lot,
        expiry_date=link.expiry.isoformat() if link.expiry else None,
    )
    if revoked:
        return Verification(
            Outcome.KEY_REVOKED,
            "key_revoked",
            f"the brand revoked key {public.kid}: do not trust this code (offline check)",
            info,
        )
    return Verification(Outcome.GENUINE, "genuine", "genuine signed code (offline check)", info)


_MESSAGES = {
    "unknown_key": "no key of this brand minted this code",
    "tag_mismatch": "the serial's authentication tag does not match: not a genuine code",
    "signature_missing": "a signed code must carry its signature (parameter 's')",
    "signature_malformed": "the signature parameter is malformed",
    "signature_not_canonical": (
        "the signature is not written the way the brand printed it (another spelling of"
        " its base64url): not a genuine code"
    ),
    "signature_mismatch": "the signature does not match: not a genuine code",
    "unknown_batch": "no batch of this brand matches the code",
    "index_out_of_range": "the code's index is beyond its batch size",
    "gtin_mismatch": "the code belongs to another product than the link names",
    "lot_mismatch": "the code belongs to another lot than the link names",
    "expiry_mismatch": "the expiry date printed with the code is not its batch's",
    "unknown_product": "the product is not registered with any brand",
}


#: Every ``Verification.reason`` this module can produce (stable codes). Input errors
#: contribute their error code (``code_invalid``, ``digital_link_invalid``, ...).
REASONS = frozenset(
    {
        *_MESSAGES,
        "genuine",
        "batch_recalled",
        "batch_expired",
        "key_revoked",
        "pin_required",
        "pin_wrong",
        "pin_invalid",
        "code_invalid",
        "digital_link_invalid",
        "gtin_invalid",
        "needs_online_check",
        "clone_count",
        "impossible_travel",
        "clone_regions",
        "local_copies",
        "pin_throttled",
        "not_activated",
        "decommissioned",
    }
)


class Verifier:
    """Online verification against the ledger and the unlocked keyring."""

    def __init__(
        self,
        ledger: Ledger,
        keys: KeyService,
        cache: TtlCache | None = None,
        states: StateLookup | None = None,
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        # None: every authentic code is live (no activation tables consulted)
        self._states = states
        # Metadata read on every verification; see veriseal.cache for the freshness rule.
        self._cache = cache or TtlCache()

    async def _find_product(self, gtin: str) -> Product | None:
        async def load() -> Product | None:
            try:
                return await self._ledger.find_product(gtin)
            except NotFound:
                return None  # cached too: a flood of unknown GTINs must not reach the ledger

        return await self._cache.get(("product", gtin), load)

    async def _brand_keys(self, brand: Brand) -> list[KeyRecord]:
        return await self._cache.get(("keys", brand.id), lambda: self._keys.list(brand))

    async def _candidates(self, parsed: ParsedCode) -> list[Brand]:
        if parsed.link is not None:
            product = await self._find_product(parsed.link.gtin)
            if product is None:
                return []
            brand_id = product.brand_id
            return [
                await self._cache.get(
                    ("brand", brand_id), lambda: self._ledger.get_brand_by_id(brand_id)
                )
            ]
        return await self._cache.get(("brands",), self._ledger.list_brands)

    async def verify(
        self, text: str, pin: str | None = None, today: dt.date | None = None
    ) -> Verification:
        try:
            parsed = parse_input(text)
        except VerisealError as exc:
            return _invalid(exc.code, exc.message)
        brands = await self._candidates(parsed)
        if not brands:
            return _invalid("unknown_product", _MESSAGES["unknown_product"])
        result = _invalid("unknown_key", _MESSAGES["unknown_key"])
        for brand in brands:
            keys = {k.slot: k for k in await self._brand_keys(brand)}
            key = keys.get(parsed.fields.slot)
            if key is None:
                continue
            result = await self._verify_with(brand, key, parsed, pin, today)
            if result.outcome is not Outcome.INVALID:
                return result
        return result

    async def _verify_with(
        self,
        brand: Brand,
        key: KeyRecord,
        parsed: ParsedCode,
        pin: str | None,
        today: dt.date | None,
    ) -> Verification:
        # a revoked key still authenticates, so the verdict can say "revoked", not "fake"
        material = self._keys.material(key, allow_revoked=True)
        fields = parsed.fields
        if fields.version is Version.COMPACT_V1:
            value = open_compact(material, fields)
            if value is None:
                return _invalid("tag_mismatch", _MESSAGES["tag_mismatch"])
        else:
            value = fields.body
        seq, index = split_payload(value)
        try:
            batch = await self._cache.get(
                ("batch", brand.id, key.slot, seq),
                lambda: self._ledger.get_batch_by_seq(brand.id, key.slot, seq),
            )
        except NotFound:
            return _invalid("unknown_batch", _MESSAGES["unknown_batch"])
        if index >= batch.size:
            return _invalid("index_out_of_range", _MESSAGES["index_out_of_range"])
        if fields.version is Version.SIGNED_V1:
            link_missing = parsed.link is None
            reason = (
                "signature_missing"
                if link_missing
                else _check_signature(parsed, material.public, batch.lot, batch.expiry_date)
            )
            if reason:
                return _invalid(reason, _MESSAGES[reason])
        mismatch = self._link_mismatch(parsed.link, batch)
        if mismatch:
            return _invalid(mismatch, _MESSAGES[mismatch])
        product = await self._find_product(batch.gtin)
        if product is None:  # the batch's product vanished: treat as unknown
            return _invalid("unknown_product", _MESSAGES["unknown_product"])
        info = _info(brand, key, batch, parsed.serial, index=index, product=product.name)
        state = CodeStatus.LIVE if self._states is None else await self._states.status(batch, index)
        return (
            _withdrawn(key, batch, info, state)
            or _expired(batch, info, today)
            or _pin_verdict(batch, info, material, fields, pin)
            or Verification(Outcome.GENUINE, "genuine", f"genuine {brand.name} product", info)
        )

    @staticmethod
    def _link_mismatch(link: DigitalLink | None, batch: Batch) -> str | None:
        if link is None:
            return None
        if link.gtin != batch.gtin:
            return "gtin_mismatch"
        if link.lot is not None and link.lot != batch.lot:
            return "lot_mismatch"
        if link.expiry is not None and link.expiry != batch.expiry_date:
            return "expiry_mismatch"
        return None


def _withdrawn(
    key: KeyRecord, batch: Batch, info: CodeInfo, state: CodeStatus
) -> Verification | None:
    """The verdict for a code its brand took back (revoked key, recalled batch, voided or
    never-activated label); None if it was not."""
    if key.status is KeyStatus.REVOKED:
        return Verification(
            Outcome.KEY_REVOKED,
            "key_revoked",
            f"the brand revoked key {key.kid}: do not trust this code",
            info,
        )
    if batch.status is BatchStatus.RECALLED:
        return Verification(Outcome.RECALLED, "batch_recalled", "this batch was recalled", info)
    if state is CodeStatus.DECOMMISSIONED:
        return Verification(
            Outcome.DECOMMISSIONED,
            "decommissioned",
            "this label was decommissioned (spoiled or destroyed): do not trust it",
            info,
        )
    if state is CodeStatus.NOT_ACTIVATED:
        return Verification(
            Outcome.NOT_ACTIVATED,
            "not_activated",
            "this label was never activated on the production line: do not trust it",
            info,
        )
    return None


def _expired(batch: Batch, info: CodeInfo, today: dt.date | None) -> Verification | None:
    """The verdict for a genuine code past its batch's expiry date (``today``: None for
    the UTC date now); None if it has not expired."""
    today = today or dt.datetime.now(dt.UTC).date()
    if batch.expiry_date and today > batch.expiry_date:
        return Verification(
            Outcome.EXPIRED,
            "batch_expired",
            f"genuine, but expired on {batch.expiry_date.isoformat()}",
            info,
        )
    return None


def _pin_verdict(
    batch: Batch, info: CodeInfo, material: KeyMaterial, fields: SerialFields, pin: str | None
) -> Verification | None:
    """The verdict when the batch has PINs and ``pin`` is missing or wrong; None when the
    batch has none or the PIN matches."""
    if not batch.pin_digits:
        return None
    if pin is None:
        return Verification(
            Outcome.PIN_REQUIRED,
            "pin_required",
            f"scratch the label and enter its {batch.pin_digits}-digit PIN",
            info,
        )
    try:
        ok = pin_matches(material, batch.pin_digits, fields, pin)
    except VerisealError as exc:
        return Verification(Outcome.PIN_WRONG, exc.code, exc.message, info)
    if not ok:
        return Verification(
            Outcome.PIN_WRONG, "pin_wrong", "the PIN does not match this code", info
        )
    return None


def _info(
    brand: Brand, key: KeyRecord, batch: Batch, serial: str, *, index: int, product: str
) -> CodeInfo:
    return CodeInfo(
        brand=brand.slug,
        brand_id=brand.id,
        brand_name=brand.name,
        gtin=batch.gtin,
        serial=serial,
        kid=key.kid,
        key_slot=key.slot,
        profile=str(batch.profile),
        seq=batch.seq,
        index=index,
        batch_id=batch.id,
        lot=batch.lot,
        product=product,
        production_date=batch.production_date.isoformat(),
        expiry_date=batch.expiry_date.isoformat() if batch.expiry_date else None,
    )
