"""The dealer network: the accounts module's organisations plus the plugin's dealer data.

A dealer IS an organisation of the brand's accounts tree (kind distributor or retailer,
under the brand's root org); the plugin adds what the accounts module does not hold: the
brand's external dealer code, contact person, phone, home regions and status
(``active`` / ``suspended`` / ``terminated``). That data is appended as versions to
``territories_dealers``; the newest version of an org is in force.

CSV import contract (``veriseal dealers import``):

- the header names the columns: ``code`` and ``name`` required; ``kind`` (distributor,
  the default, or retailer), ``parent`` (the parent's dealer code; empty = directly under
  the brand), ``contact``, ``phone``, ``regions`` (hierarchy codes separated by ``;``:
  ISO 3166 / GB/T 2260 / ``CN-GD/Guangzhou``), ``status`` (default active) optional.
  Chinese headers (编码, 名称, 类型, 上级编码, 联系人, 电话, 区域, 状态) are accepted.
- every bad row is reported with its line number; a file with any bad row imports
  NOTHING unless ``skip_bad`` is set (then rows that depend on a bad row are skipped too).
- a row whose code exists updates that dealer (a new version); its kind and parent
  cannot change (the accounts tree has no move), which is reported as a row error.
- everything is validated before the first write; a parent may come later in the file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal import (
    Action,
    CsvInvalid,
    InvalidInput,
    NotFound,
    Org,
    OrgKind,
    Principal,
    RowError,
    parse_csv_rows,
    register_messages,
    require_permission,
)
from veriseal.extend import PluginContext
from veriseal_territories.hierarchy import RegionNotFound, default_hierarchy

register_messages(
    {
        "error.dealer_not_found": ("Dealer not found", "未找到该经销商"),
        "error.dealer_invalid": ("Invalid dealer data", "经销商资料无效"),
    }
)

STATUSES = ("active", "suspended", "terminated")
KINDS = {
    "distributor": OrgKind.DISTRIBUTOR,
    "retailer": OrgKind.RETAILER,
    "经销商": OrgKind.DISTRIBUTOR,
    "分销商": OrgKind.DISTRIBUTOR,
    "零售商": OrgKind.RETAILER,
    "门店": OrgKind.RETAILER,
}
_STATUS_ZH = {"正常": "active", "暂停": "suspended", "终止": "terminated"}
_ALIASES = {
    "编码": "code",
    "经销商编码": "code",
    "名称": "name",
    "类型": "kind",
    "上级编码": "parent",
    "上级": "parent",
    "parent_code": "parent",
    "联系人": "contact",
    "电话": "phone",
    "区域": "regions",
    "region": "regions",
    "状态": "status",
}
COLUMNS = ("code", "name", "kind", "parent", "contact", "phone", "regions", "status")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")
MAX_TEXT = 100


class DealerNotFound(NotFound):
    code = "dealer_not_found"


class DealerInvalid(InvalidInput):
    code = "dealer_invalid"


@dataclass(frozen=True)
class DealerRow:
    """One validated CSV row."""

    line: int
    code: str
    name: str
    kind: OrgKind
    parent: str  # parent's dealer code, "" = under the brand's root org
    contact: str = ""
    phone: str = ""
    regions: tuple[str, ...] = ()
    status: str = "active"


@dataclass(frozen=True)
class Dealer:
    """A dealer as the plugin knows it: its org and the newest version of its data."""

    org_id: int
    brand_id: int
    kind: OrgKind
    parent_org_id: int | None
    path: str
    code: str
    name: str
    contact: str
    phone: str
    regions: tuple[str, ...]
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "code": self.code,
            "name": self.name,
            "kind": str(self.kind),
            "parent_org_id": self.parent_org_id,
            "contact": self.contact,
            "phone": self.phone,
            "regions": list(self.regions),
            "status": self.status,
        }


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"line": e.line, "reason": e.reason} for e in self.errors],
        }


def _text(label: str, value: str, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise DealerInvalid(f"{label} is empty")
    if len(value) > MAX_TEXT:
        raise DealerInvalid(f"{label} is longer than {MAX_TEXT} characters")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value):
        raise DealerInvalid(f"{label} contains control characters")
    return value


def parse_regions(text: str) -> tuple[str, ...]:
    """``"CN-GD; 310000"`` -> ``("CN-GD", "CN-SH")``: hierarchy codes, normalised."""
    h = default_hierarchy()
    out: list[str] = []
    for part in re.split(r"[;,；，]", text):
        if part.strip():
            try:
                code = h.get(part.strip()).code
            except RegionNotFound as exc:
                raise DealerInvalid(exc.message) from None
            if code not in out:
                out.append(code)
    return tuple(out)


def make_row(line: int, fields: dict[str, str]) -> DealerRow:
    """Validate one row's fields (``DealerInvalid`` names the field)."""
    code = fields.get("code", "").strip()
    if not _CODE.match(code):
        raise DealerInvalid(
            f"code {code[:40]!r}: 1-40 letters, digits, '.', '_' or '-', starting alphanumeric"
        )
    parent = fields.get("parent", "").strip()
    if parent and not _CODE.match(parent):
        raise DealerInvalid(f"parent {parent[:40]!r} is not a dealer code")
    if parent == code:
        raise DealerInvalid("a dealer cannot be its own parent")
    kind_text = fields.get("kind", "").strip().lower() or "distributor"
    if kind_text not in KINDS:
        raise DealerInvalid(f"kind {kind_text!r}: distributor or retailer")
    status = fields.get("status", "").strip().lower() or "active"
    status = _STATUS_ZH.get(status, status)
    if status not in STATUSES:
        raise DealerInvalid(f"status {status!r}: one of {', '.join(STATUSES)}")
    phone = _text("phone", fields.get("phone", ""))
    if phone and not _PHONE.match(phone):
        raise DealerInvalid(f"phone {phone!r} is not a phone number")
    return DealerRow(
        line=line,
        code=code,
        name=_text("name", fields.get("name", ""), required=True),
        kind=KINDS[kind_text],
        parent=parent,
        contact=_text("contact", fields.get("contact", "")),
        phone=phone,
        regions=parse_regions(fields.get("regions", "")),
        status=status,
    )


def parse_csv(text: str) -> tuple[list[DealerRow], list[RowError]]:
    """Every row validated on its own (references are checked by :func:`check_refs`).
    ``CsvInvalid`` only for an unusable header (the core's import contract,
    ``parse_csv_rows``)."""
    rows, errors = parse_csv_rows(
        text,
        columns=COLUMNS,
        aliases=_ALIASES,
        required=("code", "name"),
        make=make_row,
        key=lambda row: row.code,
        key_name="code",
    )
    return [row for _, row in rows], errors


def _change_error(r: DealerRow, existing: dict[str, Dealer]) -> str | None:
    """Why an existing dealer's row cannot apply: its kind or its parent would change."""
    old = existing.get(r.code)
    if old is None:
        return None
    if old.kind is not r.kind:
        return f"dealer {r.code} is a {old.kind}; its kind cannot change"
    old_parent = next((d.code for d in existing.values() if d.org_id == old.parent_org_id), "")
    if old_parent != r.parent:
        return (
            f"dealer {r.code} is under {old_parent or 'the brand'};"
            " moving a dealer is not supported"
        )
    return None


def _parent_error(
    r: DealerRow, by_code: dict[str, DealerRow], existing: dict[str, Dealer]
) -> str | None:
    """Why the row's parent cannot take it: unknown, or a retailer above a distributor."""
    if not r.parent:
        return None
    parent = by_code.get(r.parent) or existing.get(r.parent)
    if parent is None:
        return f"parent {r.parent} is neither in the file nor a dealer"
    if parent.kind is OrgKind.RETAILER and r.kind is OrgKind.DISTRIBUTOR:
        return "a distributor cannot be placed under a retailer"
    return None


class _ParentsFirst:
    """Orders rows so every parent in the file comes before its children, refusing a row
    in a parent cycle or below a refused row (the reasons go into ``errors``)."""

    def __init__(self, by_code: dict[str, DealerRow], errors: dict[int, str]) -> None:
        self.by_code = by_code
        self.errors = errors
        self.ordered: list[DealerRow] = []
        self._state: dict[str, str] = {}  # code -> "visiting" | "done"

    def visit(self, r: DealerRow, chain: list[str]) -> bool:
        """True if r and its ancestors in the file are acceptable; appends r if so."""
        if self._state.get(r.code) == "done":
            return r.line not in self.errors
        if self._state.get(r.code) == "visiting":
            self.errors.setdefault(r.line, f"parent cycle: {' -> '.join([*chain, r.code])}")
            return False
        self._state[r.code] = "visiting"
        parent = self.by_code.get(r.parent) if r.parent else None
        if parent is not None and not self.visit(parent, [*chain, r.code]):
            self.errors.setdefault(r.line, f"its parent {r.parent} (line {parent.line}) is refused")
        ok = r.line not in self.errors
        self._state[r.code] = "done"
        if ok:
            self.ordered.append(r)
        return ok


def check_refs(
    rows: Sequence[DealerRow], existing: dict[str, Dealer]
) -> tuple[list[DealerRow], list[RowError]]:
    """Rows in an order where every parent comes first, and the reference errors: an
    unknown parent, a cycle, a retailer above a distributor, a changed kind or parent of
    an existing dealer. A row below a refused row is refused too. A row gets one reason,
    the first of: a changed kind or parent, its parent, a cycle, a refused parent."""
    by_code = {r.code: r for r in rows}
    errors: dict[int, str] = {}
    for r in rows:
        reason = _change_error(r, existing) or _parent_error(r, by_code, existing)
        if reason is not None:
            errors[r.line] = reason
    order = _ParentsFirst(by_code, errors)
    for r in rows:
        order.visit(r, [])
    return order.ordered, [RowError(line, reason) for line, reason in sorted(errors.items())]


def _dealer(org: Org, row: Any) -> Dealer:
    regions = tuple(c for c in str(row["regions"]).split(" ") if c)
    return Dealer(
        org.id,
        int(row["brand_id"]),
        org.kind,
        org.parent_id,
        org.path,
        str(row["code"]),
        str(row["name"]),
        str(row["contact"]),
        str(row["phone"]),
        regions,
        str(row["status"]),
    )


_NEWEST = (
    "SELECT d.* FROM territories_dealers d WHERE d.brand_id = ? AND d.id ="
    " (SELECT MAX(id) FROM territories_dealers WHERE org_id = d.org_id)"
)


_INSERT = (
    "INSERT INTO territories_dealers (brand_id, org_id, code, name, contact,"
    " phone, regions, status, at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _version(
    brand_id: int, org_id: int, r: DealerRow, at: dt.datetime, actor: str
) -> tuple[Any, ...]:
    """The values of a dealer version row for ``_INSERT``."""
    return (brand_id, org_id, r.code, r.name, r.contact, r.phone, " ".join(r.regions),
            r.status, at, actor)  # fmt: skip


class DealerService:
    """Dealers of one engine's ledger (the accounts service owns the orgs)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def all(self, brand_id: int) -> dict[int, Dealer]:
        """Every dealer of the brand by org id."""
        async with self.ctx.db.read() as tx:
            found = await tx.fetch(_NEWEST + " ORDER BY d.org_id", brand_id)
        out = {}
        for row in found:
            org = await self.ctx.org(int(row["org_id"]))
            out[org.id] = _dealer(org, row)
        return out

    async def by_code(self, brand_id: int) -> dict[str, Dealer]:
        return {d.code: d for d in (await self.all(brand_id)).values()}

    async def get(self, brand_id: int, org_id: int) -> Dealer:
        async with self.ctx.db.read() as tx:
            row = await tx.fetchrow(
                "SELECT * FROM territories_dealers WHERE brand_id = ? AND org_id = ?"
                " ORDER BY id DESC LIMIT 1",
                brand_id,
                org_id,
            )
        if row is None:
            raise DealerNotFound(f"org {org_id} is not a dealer of this brand")
        return _dealer(await self.ctx.org(org_id), row)

    async def find(self, brand_id: int, ref: str) -> Dealer:
        """A dealer by its code, or by ``org:<id>``. ``DealerNotFound`` otherwise."""
        ref = ref.strip()
        if ref.startswith("org:") and ref[4:].isdigit():
            return await self.get(brand_id, int(ref[4:]))
        async with self.ctx.db.read() as tx:
            row = await tx.fetchrow(
                "SELECT org_id FROM territories_dealers WHERE brand_id = ? AND code = ?"
                " ORDER BY id DESC LIMIT 1",
                brand_id,
                ref,
            )
        if row is None:
            raise DealerNotFound(f"no dealer with code {ref!r}")
        dealer = await self.get(brand_id, int(row["org_id"]))
        if dealer.code != ref:  # the code was given to another dealer since
            raise DealerNotFound(f"no dealer with code {ref!r}")
        return dealer

    async def import_csv(
        self, principal: Principal, brand_id: int, text: str, skip_bad: bool = False
    ) -> ImportReport:
        """See the module docstring. ``CsvInvalid`` (with ``errors`` in its details) for
        a file with bad rows unless ``skip_bad``."""
        rows, errors = parse_csv(text)
        existing = await self.by_code(brand_id)
        ordered, ref_errors = check_refs(rows, existing)
        errors = sorted([*errors, *ref_errors], key=lambda e: e.line)
        report = ImportReport(errors=errors)
        if errors and not skip_bad:
            shown = "; ".join(f"line {e.line}: {e.reason}" for e in errors[:5])
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            raise CsvInvalid(
                f"{len(errors)} bad row(s), nothing imported: {shown}{more}",
                errors=[{"line": e.line, "reason": e.reason} for e in errors],
            )
        await self._apply(principal, brand_id, ordered, existing, report)
        return report

    async def _apply(
        self,
        principal: Principal,
        brand_id: int,
        ordered: Sequence[DealerRow],
        existing: dict[str, Dealer],
        report: ImportReport,
    ) -> None:
        """Create the orgs of new rows (parents first) and append a version for every
        row that changes something; counted in ``report``."""
        brand = await self.ctx.brand_by_id(brand_id)
        root = await self.ctx.brand_org(brand)
        org_of = {code: d.org_id for code, d in existing.items()}
        versions: list[tuple[Any, ...]] = []
        now = dt.datetime.now(dt.UTC)
        actor = _actor(principal)
        for r in ordered:
            old = existing.get(r.code)
            if old is None:
                parent_id = org_of[r.parent] if r.parent else root.id
                org = await self.ctx.create_org(
                    principal, parent_id, r.kind, r.name, {"dealer_code": r.code}
                )
                org_of[r.code] = org.id
                report.created += 1
            else:
                org = await self.ctx.org(old.org_id)
                require_permission(principal, Action.ORGS_MANAGE, org=org)
                same = (old.name, old.contact, old.phone, old.regions, old.status) == (
                    r.name,
                    r.contact,
                    r.phone,
                    r.regions,
                    r.status,
                )
                if same:
                    report.unchanged += 1
                    continue
                report.updated += 1
            versions.append(_version(brand_id, org_of[r.code], r, now, actor))
        if versions:
            async with self.ctx.db.write() as tx:
                await tx.executemany(_INSERT, versions)

    async def add(self, principal: Principal, brand_id: int, fields: dict[str, str]) -> Dealer:
        """One new dealer from a form: the import's checks for one row (``fields`` as
        the CSV's columns), and ``dealer_invalid`` for a code in use. Needs
        ``orgs.manage`` on the parent (a distributor adds its own shops)."""
        row = make_row(1, fields)
        existing = await self.by_code(brand_id)
        if row.code in existing:
            raise DealerInvalid(f"dealer code {row.code} is in use")
        ordered, errors = check_refs([row], existing)
        if errors:
            raise DealerInvalid(errors[0].reason)
        await self._apply(principal, brand_id, ordered, existing, ImportReport())
        return await self.find(brand_id, row.code)

    async def adopt(
        self, principal: Principal, brand_id: int, org_id: int, fields: dict[str, str]
    ) -> Dealer:
        """Dealer data (code, contact, phone, regions) for an organisation of the brand's
        tree that has none yet (one made in the accounts pages): its name defaults to the
        org's, its kind and parent are the org's. ``dealer_invalid`` for an org that is
        not a distributor or retailer of the brand, one that is a dealer already, one
        whose parent is an org without dealer data, or a code in use."""
        org = await self.ctx.org(org_id)
        require_permission(principal, Action.ORGS_MANAGE, org=org)
        if org.brand_id != brand_id or org.kind not in (OrgKind.DISTRIBUTOR, OrgKind.RETAILER):
            raise DealerInvalid(f"org {org_id} is not a distributor or retailer of this brand")
        dealers = await self.all(brand_id)
        if org_id in dealers:
            raise DealerInvalid(f"org {org_id} is dealer {dealers[org_id].code} already")
        brand = await self.ctx.brand_by_id(brand_id)
        root = await self.ctx.brand_org(brand)
        parent = "" if org.parent_id in (None, root.id) else None
        if parent is None:
            above = dealers.get(org.parent_id or 0)
            if above is None:
                raise DealerInvalid("its parent organisation is not a dealer yet: adopt it first")
            parent = above.code
        row = make_row(
            1, {**fields, "name": fields.get("name", "").strip() or org.name,
                "kind": str(org.kind), "parent": parent},
        )  # fmt: skip
        if row.code in {d.code for d in dealers.values()}:
            raise DealerInvalid(f"dealer code {row.code} is in use")
        version = _version(brand_id, org_id, row, dt.datetime.now(dt.UTC), _actor(principal))
        async with self.ctx.db.write() as tx:
            await tx.execute(_INSERT, *version)
        return await self.get(brand_id, org_id)

    async def set_status(
        self, principal: Principal, brand_id: int, ref: str, status: str
    ) -> Dealer:
        """Append a version of the dealer with another status (``orgs.manage``)."""
        if status not in STATUSES:
            raise DealerInvalid(f"status {status!r}: one of {', '.join(STATUSES)}")
        dealer = await self.find(brand_id, ref)
        org = await self.ctx.org(dealer.org_id)
        require_permission(principal, Action.ORGS_MANAGE, org=org)
        async with self.ctx.db.write() as tx:
            await tx.execute(
                _INSERT,
                brand_id,
                dealer.org_id,
                dealer.code,
                dealer.name,
                dealer.contact,
                dealer.phone,
                " ".join(dealer.regions),
                status,
                dt.datetime.now(dt.UTC),
                _actor(principal),
            )
        return await self.get(brand_id, dealer.org_id)

    async def tree(
        self,
        principal: Principal,
        brand_id: int,
        *,
        after_org: int | None = None,
        limit: int | None = None,
    ) -> list[tuple[int, Org, Dealer | None]]:
        """(depth, org, dealer data) in tree order: the principal's visible subtree.
        ``after_org`` / ``limit``: at most ``limit`` nodes that come after the org
        ``after_org`` in tree order (keyset paging on the org's path, which never
        changes: a walk sees every node once even while dealers are added)."""
        brand = await self.ctx.brand_by_id(brand_id)
        root_id = (
            principal.org.id if principal.org is not None else (await self.ctx.brand_org(brand)).id
        )
        orgs = await self.ctx.org_tree(principal, root_id)
        dealers = await self.all(brand_id)
        base = orgs[0].path.count("/") if orgs else 0
        if after_org is not None:
            after = await self.ctx.org(after_org)
            orgs = [o for o in orgs if o.path > after.path]
        if limit is not None:
            orgs = orgs[:limit]
        return [(o.path.count("/") - base, o, dealers.get(o.id)) for o in orgs]


def _actor(principal: Principal) -> str:
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.client
