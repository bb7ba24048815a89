"""Suspected-fake reports: a consumer tells the brand "this looks fake", with photos.

Filing (``reports.file``, any signed-in user; the console's report page and ``POST
/api/v1/reports``):

- The report names the item by a code as printed (a link or its text), a product (GTIN,
  optionally a lot) or one of the reporter's own scans; at least one of them.
- Its brand is the code's when the code verifies to a brand, else the brand owning the
  GTIN in the link or the one given, else none: the report is the platform's (like an
  invalid-code flood, no brand can be named).
- Up to :data:`~veriseal.scanning.report_photos.MAX_PHOTOS` photos, each checked and
  re-encoded (:mod:`.report_photos`) before anything is written. Photos hold personal
  data (faces, homes, where a phone was): they are sealed with the installation keyring
  (XChaCha20-Poly1305, bound to their report and position as associated data, like KYC
  documents) and never become public files. The EXIF position and time are kept sealed
  beside each photo, for the brand.
- One transaction stores the report, its photos, an alert of kind ``consumer_report``
  for the brand (evidence: the scan, when one is named; details: the report id) and the
  audit row; a failure leaves nothing. Then the plugins hear of the alert and the
  brand's admins get an inbox message linking to the report (best effort: the report
  stands whatever the notification does).
- At most :data:`MAX_PER_DAY` reports per user per 24 hours (``rate_limited``).

Reading: the reporter reads their own report; otherwise ``alerts.read`` over the
report's brand (a brand admin, an inspector of that brand; the platform admin for
reports no brand owns). Every photo read is written to the audit log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import Principal, Role, UserStatus
from veriseal.accounts.permissions import Action, require
from veriseal.accounts.store import AccountStore, Audit
from veriseal.catalog.keys import Keyring
from veriseal.codes import digital_link
from veriseal.codes.gtin import normalize_gtin
from veriseal.errors import NotFound, RateLimited, VerisealError
from veriseal.ledger.alert_store import insert_alert
from veriseal.ledger.base import Ledger
from veriseal.ledger.text import check, escape
from veriseal.models import AlertKind, NewAlert
from veriseal.notifications import Notifier
from veriseal.notifications.message_types import MessageTypeSpec, register_message_type
from veriseal.notifications.models import Channel, MessageType
from veriseal.scanning import report_store
from veriseal.scanning.errors import ReportInvalid, ReportNotFound, TooManyPhotos
from veriseal.scanning.report_photos import MAX_PHOTOS, Photo, prepare
from veriseal.scanning.service import MAX_RAW_CODE, ScanService
from veriseal.scanning.verification import Verifier

log = logging.getLogger("veriseal.scanning.reports")

MAX_PER_DAY = 10
MAX_CODE = 4096
MAX_PLACE = 200
MAX_NOTE = 2000
MAX_CONTACT = 200
MAX_LIMIT = 200
STATUS_OPEN = "open"

#: The inbox message a brand's admins get for a new report.
CONSUMER_REPORT = MessageType("consumer_report")
register_message_type(
    MessageTypeSpec(
        CONSUMER_REPORT,
        "Suspected-fake report",
        "疑似假货举报",
        (Channel.INBOX, Channel.EMAIL),
    )
)


@dataclass(frozen=True)
class ReportRequest:
    """What a reporter says. Text is trimmed; empty means not given."""

    code: str = ""  # the code as printed: a link, an element string or a serial
    gtin: str | None = None
    lot: str | None = None
    scan_id: int | None = None  # one of the reporter's own scans
    place: str = ""  # where it was bought or seen (a shop, a market, a website)
    note: str = ""
    contact: str = ""  # how the brand may reach the reporter, if they wish


@dataclass(frozen=True)
class PhotoInfo:
    n: int  # from 1
    evidence: dict[str, Any] | None  # EXIF position / time (see report_photos)


@dataclass(frozen=True)
class Report:
    id: int
    at: dt.datetime
    brand_id: int | None
    user_id: int | None
    code: str
    gtin: str | None
    lot: str | None
    scan_id: int | None
    place: str
    note: str
    contact: str
    status: str
    alert_id: int | None
    photos: tuple[PhotoInfo, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "brand_id": self.brand_id,
            "code": self.code,
            "gtin": self.gtin,
            "lot": self.lot,
            "scan_id": self.scan_id,
            "place": self.place,
            "note": self.note,
            "contact": self.contact,
            "status": self.status,
            "alert_id": self.alert_id,
            "photos": [{"n": p.n, "evidence": p.evidence} for p in self.photos],
        }


def _text(value: str | None, limit: int, name: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ReportInvalid(f"{name} has at most {limit} characters", field=name)
    return check(text)


@dataclass(frozen=True)
class _Target:
    """What the report is about, as far as it can be named."""

    brand_id: int | None
    code: str  # the serial when the code parsed, else the text as given (escaped, cut)
    gtin: str | None
    lot: str | None


class ReportService:
    def __init__(
        self,
        ledger: Ledger,
        keyring: Keyring,
        verifier: Verifier,
        scans: ScanService,
        accounts: AccountStore,
        notifier: Notifier,
    ) -> None:
        self._ledger = ledger
        self._keyring = keyring
        self._verifier = verifier
        self._scans = scans
        self._accounts = accounts
        self._notifier = notifier

    # -- filing ----------------------------------------------------------------------
    async def file(
        self, principal: Principal, request: ReportRequest, photos: Sequence[bytes] = ()
    ) -> Report:
        """File a report (see the module docstring). Everything is checked first:
        a bad field or photo raises its coded 4xx error and stores nothing."""
        uid = principal.user_id
        if uid is None:
            raise ReportInvalid("reports are filed by a signed-in user")
        require(principal, Action.REPORTS_FILE, owner_id=uid)
        if len(photos) > MAX_PHOTOS:
            raise TooManyPhotos(f"at most {MAX_PHOTOS} photos", max_photos=MAX_PHOTOS)
        code = _text(request.code, MAX_CODE, "code")
        place = _text(request.place, MAX_PLACE, "place")
        note = _text(request.note, MAX_NOTE, "note")
        contact = _text(request.contact, MAX_CONTACT, "contact")
        lot = _text(request.lot, 20, "lot") or None
        gtin = (
            normalize_gtin(request.gtin.strip()) if request.gtin and request.gtin.strip() else None
        )
        if not code and gtin is None and request.scan_id is None:
            raise ReportInvalid("name the item: its code, its product or your scan of it")
        now = dt.datetime.now(dt.UTC)
        async with self._ledger.read() as tx:  # before the photos cost any decoding
            recent = await report_store.count_since(tx, uid, now - dt.timedelta(days=1))
        if recent >= MAX_PER_DAY:
            raise RateLimited(
                f"at most {MAX_PER_DAY} reports a day: thank you, the brand has yours",
                retry_after=3600,
            )
        # decoding and re-encoding take a while per photo: off the event loop
        prepared = [await asyncio.to_thread(prepare, data, i) for i, data in enumerate(photos, 1)]
        target = await self._target(uid, code, gtin, lot, request.scan_id)
        new = report_store.NewReport(
            now, target.brand_id, uid, code, target.gtin, target.lot, request.scan_id,
            place, note, contact, STATUS_OPEN,
        )  # fmt: skip
        report_id, alert_id, alert = await self._store(principal, new, target, prepared)
        await self._after(alert_id, alert, report_id, target)
        return await self._load(report_id, with_evidence=True)

    async def _target(
        self, uid: int, code: str, gtin: str | None, lot: str | None, scan_id: int | None
    ) -> _Target:
        """The brand, code, product and lot the report is about. A scan must be the
        reporter's own (``report_invalid`` otherwise: a report cannot borrow another
        person's scan, nor learn whether it exists)."""
        if scan_id is not None:
            async with self._ledger.read() as tx:
                scan = await report_store.scan_of(tx, scan_id)
            if scan is None or scan["user_id"] != uid:
                raise ReportInvalid("scan_id is not one of your scans", field="scan_id")
            return _Target(scan["brand_id"], str(scan["code"]), scan["gtin"] or gtin,
                           scan["lot"] or lot)  # fmt: skip
        if code:
            verdict = await self._verifier.verify(code)
            info = verdict.info
            if info is not None and info.brand_id is not None:
                return _Target(info.brand_id, info.serial, info.gtin, info.lot)
            gtin = gtin or _gtin_in(code)
        brand_id = None
        if gtin is not None:
            try:
                brand_id = (await self._ledger.find_product(gtin)).brand_id
            except NotFound:
                brand_id = None  # a GTIN no brand here owns: the platform's report
        return _Target(brand_id, escape(code)[:MAX_RAW_CODE], gtin, lot)

    async def _store(
        self,
        principal: Principal,
        new: report_store.NewReport,
        target: _Target,
        photos: list[Photo],
    ) -> tuple[int, int, NewAlert]:
        """Report, photos, alert and audit row in one transaction."""
        async with self._ledger.write() as tx:
            report_id = await report_store.insert_report(tx, new)
            for n, photo in enumerate(photos, start=1):
                evidence = None
                if photo.evidence is not None:
                    evidence = self._keyring.seal(
                        _evidence_kid(report_id, n), json.dumps(photo.evidence).encode()
                    )
                sealed = self._keyring.seal(_photo_kid(report_id, n), photo.data)
                await report_store.insert_photo(
                    tx, report_id, n, photo.media_type, sealed, evidence
                )
            details = {"report_id": report_id, "photos": len(photos), "gtin": target.gtin,
                       "lot": target.lot, "scan_id": new.scan_id}  # fmt: skip
            evidence_scans = () if new.scan_id is None else (new.scan_id,)
            alert = NewAlert(
                new.at, target.brand_id, AlertKind.CONSUMER_REPORT, target.code,
                evidence_scans, json.dumps(details),
            )  # fmt: skip
            alert_id = await insert_alert(tx, alert)
            await report_store.set_alert(tx, report_id, alert_id)
            await self._accounts.append_audit(
                tx,
                Audit(
                    principal.user_id,
                    target.brand_id,
                    "report.file",
                    f"report:{report_id}",
                    principal.client,
                    {"photos": len(photos), "alert_id": alert_id},
                ),
            )
        return report_id, alert_id, alert

    async def _after(self, alert_id: int, alert: NewAlert, report_id: int, target: _Target) -> None:
        """After the commit: plugins hear of the alert, the brand's admins of the report.
        Best effort: the report is filed whatever these do."""
        try:
            await self._scans.announce(alert_id, alert)
            if target.brand_id is not None:
                await self._tell_brand(target.brand_id, report_id, target)
        except VerisealError as exc:
            log.warning("report %s filed; telling the brand failed: %s", report_id, exc.code)

    async def _tell_brand(self, brand_id: int, report_id: int, target: _Target) -> None:
        org = await self._accounts.brand_org(brand_id)
        if org is None:
            return
        admins = [u.id for u in await self._accounts.list_users([org.id])
                  if u.role is Role.BRAND_ADMIN and u.status is UserStatus.ACTIVE]  # fmt: skip
        if not admins:
            return
        what = target.gtin or target.code or "-"
        title = f"Suspected fake reported (report {report_id}) / 收到疑似假货举报（{report_id} 号）"
        body = (
            f"A consumer reported a suspected fake of {what}. Read the report and its"
            f" photos in the console: /console/reports/{report_id}\n\n"
            f"有消费者举报 {what} 疑似假货。请在控制台查看举报及照片：/console/reports/{report_id}"
        )
        data = {"report_id": report_id, "link": f"/console/reports/{report_id}"}
        await self._notifier.notify_many(admins, CONSUMER_REPORT, title, body, data)

    # -- reading ---------------------------------------------------------------------
    async def get(self, principal: Principal, report_id: int) -> Report:
        """The report, for its reporter or a reader of its brand's alerts."""
        stored = await self._stored(report_id)
        self._require_reader(principal, stored)
        return await self._load(report_id, with_evidence=True)

    async def photo(self, principal: Principal, report_id: int, n: int) -> tuple[bytes, str]:
        """Photo ``n`` (from 1) of the report as stored (a re-encoded JPEG) and its
        media type. Every read is audited (``report.photo_read``)."""
        stored = await self._stored(report_id)
        self._require_reader(principal, stored)
        async with self._ledger.read() as tx:
            found = await report_store.photo(tx, report_id, n)
        if found is None:
            raise ReportNotFound(f"report {report_id} has no photo {n}")
        sealed, media, _ = found
        data = self._keyring.unseal(_photo_kid(report_id, n), sealed)
        await self._accounts.audit(
            Audit(
                principal.user_id,
                stored.report.brand_id,
                "report.photo_read",
                f"report:{report_id}",
                principal.client,
                {"photo": n},
            )
        )
        return data, media

    async def mine(
        self, principal: Principal, cursor: int | None = None, limit: int = 50
    ) -> list[Report]:
        """The principal's own reports, newest first, older than report ``cursor``."""
        require(principal, Action.REPORTS_FILE, owner_id=principal.user_id)
        if principal.user_id is None:
            return []
        limit = max(1, min(limit, MAX_LIMIT))
        async with self._ledger.read() as tx:
            found = await report_store.reports_of_user(tx, principal.user_id, cursor, limit)
        return [_report(s, ()) for s in found]

    async def _stored(self, report_id: int) -> report_store.StoredReport:
        async with self._ledger.read() as tx:
            stored = await report_store.report(tx, report_id)
        if stored is None:
            raise ReportNotFound(f"no report {report_id}")
        return stored

    @staticmethod
    def _require_reader(principal: Principal, stored: report_store.StoredReport) -> None:
        """The reporter (``reports.file``), else ``alerts.read`` over the report's brand;
        a report no brand owns is the platform admin's."""
        owner = stored.report.user_id
        if owner is not None and owner == principal.user_id:
            require(principal, Action.REPORTS_FILE, owner_id=owner)
            return
        brand_id = stored.report.brand_id
        require(principal, Action.ALERTS_READ, brand_id=brand_id)
        if brand_id is None and principal.role is not Role.PLATFORM_ADMIN:
            raise Forbidden("reports no brand owns are the platform admin's")

    async def _load(self, report_id: int, *, with_evidence: bool) -> Report:
        async with self._ledger.read() as tx:
            stored = await report_store.report(tx, report_id)
            sealed = await report_store.evidence(tx, report_id) if with_evidence else []
        if stored is None:
            raise ReportNotFound(f"no report {report_id}")
        photos = tuple(
            PhotoInfo(
                n,
                None
                if blob is None
                else json.loads(self._keyring.unseal(_evidence_kid(report_id, n), blob)),
            )
            for n, blob in sealed
        )
        return _report(stored, photos)


def _report(stored: report_store.StoredReport, photos: tuple[PhotoInfo, ...]) -> Report:
    r = stored.report
    if not photos:
        photos = tuple(PhotoInfo(n, None) for n in range(1, stored.photos + 1))
    return Report(
        stored.id, r.at, r.brand_id, r.user_id, r.code, r.gtin, r.lot, r.scan_id, r.place,
        r.note, r.contact, r.status, stored.alert_id, photos,
    )  # fmt: skip


def _gtin_in(code: str) -> str | None:
    """The GTIN of a Digital Link that did not verify (a fake serial under a real
    product is the brand's business too), or None."""
    try:
        return digital_link.parse(code).gtin
    except VerisealError:
        return None


def _photo_kid(report_id: int, n: int) -> str:
    return f"fake-report-photo:{report_id}:{n}"


def _evidence_kid(report_id: int, n: int) -> str:
    return f"fake-report-evidence:{report_id}:{n}"
