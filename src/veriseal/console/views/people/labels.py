"""Words and small helpers the people pages share: role, status and organisation-kind
names in both languages, the organisations a reader may pick from, and names of
organisations and users for display (looked up through the services, so a name outside
the reader's reach shows as its number, never leaks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import Org, OrgKind, Principal, UserStatus
from veriseal.console.call import ROLE_NAMES, ConsoleCall
from veriseal.errors import InvalidInput, NotFound

#: role names in both languages: the console's own (the shell's ``role_name``)
ROLES: dict[str, tuple[str, str]] = ROLE_NAMES
STATUSES: dict[str, tuple[str, str]] = {
    UserStatus.PENDING: ("Pending", "待确认"),
    UserStatus.ACTIVE: ("Active", "正常"),
    UserStatus.DISABLED: ("Disabled", "已停用"),
}
KINDS: dict[str, tuple[str, str]] = {
    OrgKind.PLATFORM: ("Platform", "平台"),
    OrgKind.BRAND: ("Brand", "品牌"),
    OrgKind.DISTRIBUTOR: ("Distributor", "经销商"),
    OrgKind.RETAILER: ("Retailer", "零售商"),
}
#: Organisations offered in a picker (beyond, the reader types a number in the URL).
PICKER_MAX = 500


def options(
    call: ConsoleCall, names: Mapping[str, tuple[str, str]], only: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a ``<select>``, restricted to ``only`` if given."""
    keep = None if only is None else set(only)
    return [(k, call.t(*v)) for k, v in names.items() if keep is None or k in keep]


def who(call: ConsoleCall) -> Principal:
    """The signed-in principal (the people views are never public)."""
    assert call.principal is not None
    return call.principal


async def my_orgs(call: ConsoleCall) -> list[Org]:
    """The reader's own subtree for pickers, parents first ([] without an organisation:
    the platform admin names one by number)."""
    principal = who(call)
    if principal.org is None:
        return []
    return await call.engine.accounts.org_tree(principal, limit=PICKER_MAX)


def org_choices(orgs: list[Org]) -> list[tuple[int, str]]:
    """``(id, label)`` with the depth shown by leading dashes (a ``<select>`` cannot be
    styled per option under the console's CSP)."""
    if not orgs:
        return []
    top = orgs[0].path.count("/")
    return [(o.id, "— " * (o.path.count("/") - top) + o.name) for o in orgs]


@dataclass
class Names:
    """Display names of organisations and users, each looked up once per page through
    the services (a name the reader may not see shows as ``#id``)."""

    call: ConsoleCall
    orgs: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)

    def seed(self, orgs: list[Org]) -> Names:
        self.orgs.update({o.id: o.name for o in orgs})
        return self

    async def org(self, org_id: int | None) -> str:
        if org_id is None:
            return ""
        if org_id not in self.orgs:
            try:
                self.orgs[org_id] = (
                    await self.call.engine.accounts.org(who(self.call), org_id)
                ).name
            except (Forbidden, NotFound):
                self.orgs[org_id] = f"#{org_id}"
        return self.orgs[org_id]

    async def user(self, user_id: int | None) -> str:
        if user_id is None:
            return self.call.t("system", "系统")
        if user_id not in self.users:
            try:
                found = await self.call.engine.accounts.user(who(self.call), user_id)
                self.users[user_id] = found.display_name
            except (Forbidden, NotFound):
                self.users[user_id] = f"#{user_id}"
        return self.users[user_id]


def text(value: object, limit: int) -> str:
    """A form or query value as text of at most ``limit`` characters, NUL removed: no
    person types one, and PostgreSQL refuses it in text (a 500 otherwise)."""
    return str(value if value is not None else "").replace("\x00", "")[:limit]


def day_start(call: ConsoleCall, text: str, name: str, *, next_day: bool = False) -> dt.datetime:
    """Midnight of ``YYYY-MM-DD`` in the reader's time zone (of the day after, for an
    inclusive "to" date), as an aware datetime."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a date YYYY-MM-DD") from None
    if next_day:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), call.tz)
