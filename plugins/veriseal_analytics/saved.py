"""Saved report definitions: named, shared with roles or users, delivered on a
schedule (:mod:`.deliveries`).

Contracts:

- anyone holding ``analytics.view`` in a brand saves definitions; the saver owns them;
- a report is personal: seen (listed, shown, run) by its owner and by the users and
  roles it is shared with (and the CLI's local operator); another brand's report, or one
  a user may not see, is ``analytics_saved_not_found`` (its existence is not revealed);
- its owner edits and deletes it; so does anyone holding ``analytics.manage`` who sees
  it;
- sharing takes ``analytics.manage``; a share names a role or a user of the brand;
- a schedule takes ``analytics.export`` (a delivery carries the file); it is delivered to
  the owner and the listed recipients, each of whom must see the report (their own
  e-mail address and notification settings: a form never names an address);
- names are unique per brand (``analytics_saved_exists``); a bad definition is
  ``analytics_report_invalid``; a refused change changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from veriseal import (
    Brand,
    Conflict,
    Forbidden,
    Model,
    NotFound,
    Principal,
    Role,
    register_messages,
)
from veriseal.extend import PluginContext, Tx
from veriseal_analytics.exports import Format
from veriseal_analytics.permissions import ANALYTICS_EXPORT, ANALYTICS_MANAGE, ANALYTICS_VIEW
from veriseal_analytics.reports import ReportInvalid, ReportSpec, spec_of
from veriseal_analytics.schedules import Cadence, next_run
from veriseal_analytics.service import period_in, tz

register_messages({
    "error.analytics_saved_not_found": ("No such saved report", "没有该已存报表"),
    "error.analytics_saved_exists": ("A saved report of that name exists",
                                     "已有同名的已存报表"),
})  # fmt: skip

Schedule = Literal["", "daily", "weekly", "monthly"]


class SavedNotFound(NotFound):
    code = "analytics_saved_not_found"


class SavedExists(Conflict):
    code = "analytics_saved_exists"


_UserId = Annotated[int, Meta(ge=1, le=2**63 - 1)]
_RoleName = Annotated[str, Meta(max_length=40)]
_People = Annotated[tuple[_UserId, ...], Meta(max_length=50)]


class SavedInput(Model, kw_only=True):
    """What a person saves (the JSON body, the console form, the CLI's options)."""

    name: Annotated[str, Meta(min_length=1, max_length=80)]
    spec: dict[str, Any]
    schedule: Schedule = ""
    format: Format = "xlsx"
    lang: Literal["zh", "en"] = "zh"
    share_roles: Annotated[
        tuple[Annotated[str, Meta(max_length=40)], ...], Meta(max_length=10)
    ] = ()
    share_users: _People = ()
    recipients: _People = ()


@dataclass(frozen=True)
class Saved:
    id: int
    brand_id: int
    name: str
    spec: ReportSpec
    owner_id: int | None
    schedule: Schedule
    format: Format
    lang: str
    share_roles: tuple[str, ...]
    share_users: tuple[int, ...]
    recipients: tuple[int, ...]
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None
    last_export_id: int | None
    last_error: str

    def to_dict(self) -> dict[str, Any]:
        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {"id": self.id, "name": self.name, "spec": msgspec.to_builtins(self.spec),
                "owner_id": self.owner_id, "schedule": self.schedule, "format": self.format,
                "lang": self.lang, "share_roles": list(self.share_roles),
                "share_users": list(self.share_users), "recipients": list(self.recipients),
                "next_run_at": iso(self.next_run_at), "last_run_at": iso(self.last_run_at),
                "last_export_id": self.last_export_id, "last_error": self.last_error}  # fmt: skip


def _name(text: str) -> str:
    name = " ".join(text.split())
    if not 1 <= len(name) <= 80:
        raise ReportInvalid("name: 1 to 80 characters")
    return name


class SavedReports:
    """The saved definitions of one engine (see the module)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    # -- reading -----------------------------------------------------------------------
    def _visible_sql(self, who: Principal) -> tuple[str, list[Any]]:
        if who.user is None:  # the local operator (the CLI): every report
            return "", []
        uid = who.user_id
        return (" AND (s.owner_id = ? OR EXISTS (SELECT 1 FROM analytics_saved_shares h"
                " WHERE h.report_id = s.id AND ((h.kind = 'user' AND h.target = ?)"
                " OR (h.kind = 'role' AND h.target = ?))))",
                [uid, str(uid), str(who.role)])  # fmt: skip

    async def listing(self, who: Principal, brand: Brand) -> list[Saved]:
        """The reports ``who`` sees, by name."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        where, args = self._visible_sql(who)
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch(f"SELECT s.* FROM analytics_saved s WHERE s.brand_id = ?{where}"
                                  " ORDER BY s.name", brand.id, *args)  # fmt: skip
            return await self._saved_many(tx, rows)

    async def get(self, who: Principal, brand: Brand, report_id: int) -> Saved:
        """Report ``report_id`` if ``who`` sees it, else ``analytics_saved_not_found``."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        where, args = self._visible_sql(who)
        async with self.ctx.db.read() as tx:
            r = await tx.fetchrow(
                f"SELECT s.* FROM analytics_saved s WHERE s.id = ? AND s.brand_id = ?{where}",
                report_id, brand.id, *args,
            )  # fmt: skip
            if r is None:
                raise SavedNotFound(f"no saved report {report_id}")
            return (await self._saved_many(tx, [r]))[0]

    async def sees(self, user_id: int, saved: Saved) -> bool:
        """Whether user ``user_id`` is (still) active and may see ``saved`` (a delivery's
        recipient check)."""
        who = await self.active(user_id)
        if who is None:
            return False
        try:
            await self.get(who, await self.ctx.brand_by_id(saved.brand_id), saved.id)
        except (Forbidden, SavedNotFound):
            return False
        return True

    async def _saved_many(self, tx: Tx, rows: Sequence[Any]) -> list[Saved]:
        """The reports of ``rows`` with their shares and recipients (two queries in all,
        not two per report: the reports page lists every report it shows)."""
        if not rows:
            return []
        ids = [int(r["id"]) for r in rows]
        marks = ", ".join("?" * len(ids))
        shares: dict[int, list[Any]] = {i: [] for i in ids}
        people: dict[int, list[Any]] = {i: [] for i in ids}
        found = await tx.fetch("SELECT report_id, kind, target FROM analytics_saved_shares"
                               f" WHERE report_id IN ({marks}) ORDER BY kind, target",
                               *ids)  # fmt: skip
        for x in found:
            shares[int(x["report_id"])].append(x)
        found = await tx.fetch("SELECT report_id, user_id FROM analytics_saved_recipients"
                               f" WHERE report_id IN ({marks}) ORDER BY user_id", *ids)  # fmt: skip
        for x in found:
            people[int(x["report_id"])].append(x)
        return [self._saved(r, shares[int(r["id"])], people[int(r["id"])]) for r in rows]

    def _saved(self, r: Any, shares: Sequence[Any], recipients: Sequence[Any]) -> Saved:
        d = self.ctx.db.dialect

        def at(v: Any) -> dt.datetime | None:
            return None if v is None else d.timestamp(v)

        return Saved(
            int(r["id"]), int(r["brand_id"]), str(r["name"]),
            spec_of(str(r["definition"]).encode()),
            None if r["owner_id"] is None else int(r["owner_id"]), r["schedule"], r["format"],
            str(r["lang"]), tuple(str(s["target"]) for s in shares if s["kind"] == "role"),
            tuple(int(s["target"]) for s in shares if s["kind"] == "user"),
            tuple(int(x["user_id"]) for x in recipients), at(r["next_run_at"]),
            at(r["last_run_at"]),
            None if r["last_export_id"] is None else int(r["last_export_id"]),
            str(r["last_error"]),
        )  # fmt: skip

    # -- changing ----------------------------------------------------------------------
    async def save(self, who: Principal, brand: Brand, data: SavedInput,
                   report_id: int | None = None) -> Saved:  # fmt: skip
        """Save a new report (``report_id`` None) or replace one ``who`` may edit."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        name, spec = _name(data.name), spec_of(data.spec)
        spec.check()
        period_in(self.ctx, spec.period)
        if data.share_roles or data.share_users:
            self.ctx.require(who, ANALYTICS_MANAGE, brand_id=brand.id)
        if data.schedule:
            self.ctx.require(who, ANALYTICS_EXPORT, brand_id=brand.id)
        before = None if report_id is None else await self._editable(who, brand, report_id)
        owner = who.user_id if before is None else before.owner_id
        await self._check_people(brand, data, owner)
        now = dt.datetime.now(dt.UTC)
        due = None
        if data.schedule:
            kept = before is not None and before.schedule == data.schedule
            due = before.next_run_at if kept and before else next_run(
                data.schedule, now, tz(self.ctx))  # fmt: skip
        values = {"name": name, "definition": msgspec.json.encode(spec).decode(),
                  "schedule": data.schedule, "format": data.format, "lang": data.lang,
                  "next_run_at": due, "updated_at": now}  # fmt: skip
        async with self.ctx.db.write() as tx:
            clash = await tx.fetchrow("SELECT id FROM analytics_saved WHERE brand_id = ?"
                                      " AND name = ?", brand.id, name)  # fmt: skip
            if clash is not None and int(clash["id"]) != report_id:
                raise SavedExists(f"a saved report named {name!r} exists")
            if report_id is None:
                report_id = await tx.insert_returning_id(
                    "analytics_saved",
                    {**values, "brand_id": brand.id, "owner_id": owner, "created_at": now},
                )
            else:
                sets = ", ".join(f"{k} = ?" for k in values)
                await tx.execute(f"UPDATE analytics_saved SET {sets} WHERE id = ?",
                                 *values.values(), report_id)  # fmt: skip
            await self._set_people(tx, report_id, data)
        return await self.get(who, brand, report_id)

    async def delete(self, who: Principal, brand: Brand, report_id: int) -> None:
        await self._editable(who, brand, report_id)
        async with self.ctx.db.write() as tx:
            for table in ("analytics_saved_shares", "analytics_saved_recipients"):
                await tx.execute(f"DELETE FROM {table} WHERE report_id = ?", report_id)
            await tx.execute("DELETE FROM analytics_saved WHERE id = ?", report_id)

    async def _editable(self, who: Principal, brand: Brand, report_id: int) -> Saved:
        saved = await self.get(who, brand, report_id)
        if saved.owner_id != who.user_id or who.user_id is None:
            self.ctx.require(who, ANALYTICS_MANAGE, brand_id=brand.id)
        return saved

    async def _check_people(self, brand: Brand, data: SavedInput, owner: int | None) -> None:
        """Shared roles exist; shared users and recipients are active users of the
        brand who may see the report once saved."""
        roles = {str(r) for r in Role}
        bad = [r for r in data.share_roles if r not in roles]
        if bad:
            raise ReportInvalid(f"share_roles: unknown role {bad[0]!r}")
        for uid in dict.fromkeys((*data.share_users, *data.recipients)):
            if not await self._may_view(brand, uid):
                raise ReportInvalid(f"user {uid} cannot see this brand's analytics")
        for uid in data.recipients:
            role = str((await self.ctx.user(uid)).role)
            if uid != owner and uid not in data.share_users and role not in data.share_roles:
                raise ReportInvalid(f"recipient {uid} is not shared the report: share it first")

    async def _may_view(self, brand: Brand, user_id: int) -> bool:
        who = await self.active(user_id)
        if who is None:
            return False
        try:
            self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        except Forbidden:
            return False
        return True

    async def active(self, user_id: int) -> Principal | None:
        """User ``user_id`` acting for its organisation, or None when there is no such
        user or it is not active (pending, disabled): a share's and a delivery's check."""
        try:
            who = await self.ctx.acting(user_id, client="schedule")
        except NotFound:
            return None
        return who if who.user is not None and str(who.user.status) == "active" else None

    async def _set_people(self, tx: Tx, report_id: int, data: SavedInput) -> None:
        for table in ("analytics_saved_shares", "analytics_saved_recipients"):
            await tx.execute(f"DELETE FROM {table} WHERE report_id = ?", report_id)
        shares: Sequence[tuple[str, str]] = [
            *(("role", r) for r in dict.fromkeys(data.share_roles)),
            *(("user", str(u)) for u in dict.fromkeys(data.share_users)),
        ]
        if shares:
            await tx.executemany(
                "INSERT INTO analytics_saved_shares (report_id, kind, target) VALUES (?, ?, ?)",
                [(report_id, k, t) for k, t in shares],
            )
        if data.recipients:
            await tx.executemany(
                "INSERT INTO analytics_saved_recipients (report_id, user_id) VALUES (?, ?)",
                [(report_id, u) for u in dict.fromkeys(data.recipients)],
            )


def saved_reports(ctx: PluginContext) -> SavedReports:
    """The engine's saved reports (one per plugin context)."""
    found = ctx.state.get("saved")
    if not isinstance(found, SavedReports):
        found = SavedReports(ctx)
        ctx.state["saved"] = found
    return found


__all__ = ["Cadence", "Saved", "SavedInput", "SavedReports", "saved_reports"]
