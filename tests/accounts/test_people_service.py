"""What the console's people pages rely on, on both ledger backends: audited reading
of real-name documents, filtered user listings inside one's reach, sign-in history,
the audit log's filters and newest-first paging, and broadcasts with their audience."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PIL import Image

from tests.accounts.conftest import Outbox
from veriseal.accounts.errors import Forbidden, LoginFailed
from veriseal.accounts.kyc import KycService
from veriseal.accounts.messages import UserMessages, bilingual_message
from veriseal.accounts.models import (
    SYSTEM,
    AuditQuery,
    OrgKind,
    Principal,
    Role,
    UserQuery,
    UserStatus,
)
from veriseal.accounts.notify_bridge import AccountContactBook
from veriseal.accounts.service import AccountService
from veriseal.catalog.keys import Keyring, KeySource, create_key_file
from veriseal.errors import InvalidInput, NotFound
from veriseal.models import Brand
from veriseal.notifications import HistoryFilter, LedgerContactBook, Notifier
from veriseal.notifications.models import MessageType

PW = "correct horse battery"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (20, 120, 40)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Tree:
    """The demo-like brand: an admin at the root, East (a distributor) with a shop
    below it, and West (a distributor) beside East."""

    boss: Principal
    east: Principal
    east_org: int
    shop_org: int
    west_org: int
    ids: dict[str, int]


async def _tree(accounts: AccountService, brand: Brand) -> Tree:
    root = await accounts.brand_org(brand)
    admin = await accounts.create_user(
        SYSTEM, contact="admin@acme.example", display_name="Admin", role=Role.BRAND_ADMIN,
        org_id=root.id, password=PW,
    )  # fmt: skip
    boss = await accounts.principal(admin, client="10.1.2.3")
    east = await accounts.create_org(boss, root.id, OrgKind.DISTRIBUTOR, "East Trading")
    west = await accounts.create_org(boss, root.id, OrgKind.DISTRIBUTOR, "West Trading")
    shop = await accounts.create_org(boss, east.id, OrgKind.RETAILER, "西湖店")
    ids = {"admin": admin.id}
    for key, name, role, org in (
        ("east", "Zhang East", Role.DISTRIBUTOR, east.id),
        ("shop", "王小店 100%", Role.RETAILER, shop.id),
        ("shop2", "Li Clerk", Role.RETAILER, shop.id),
        ("west", "West Boss", Role.DISTRIBUTOR, west.id),
    ):
        user = await accounts.create_user(
            boss, contact=f"{key}@acme.example", display_name=name, role=role, org_id=org,
            password=PW,
        )  # fmt: skip
        ids[key] = user.id
    east_user = await accounts.store.get_user(ids["east"])
    return Tree(
        boss, await accounts.principal(east_user, client="10.9.9.9"), east.id, shop.id,
        west.id, ids,
    )  # fmt: skip


@pytest.fixture
def kyc(accounts: AccountService, tmp_path: Path, outbox: Outbox) -> KycService:
    create_key_file(tmp_path / "k.key")
    return KycService(accounts.store, Keyring(KeySource(key_file=tmp_path / "k.key")), outbox)


async def test_every_document_read_is_audited(
    accounts: AccountService, kyc: KycService, brand: Brand
) -> None:
    tree = await _tree(accounts, brand)
    sub = await kyc.submit_enterprise(tree.east, "East Trading Co.", "91350100M000100Y43", jpeg())
    assert kyc.documents(sub) == [1]
    read_rows = AuditQuery(action="kyc.document_read")
    reads_before = await accounts.audit_log(tree.boss, read_rows)
    with pytest.raises(Forbidden):
        await kyc.document(tree.east, sub.id)  # the submitter is no reviewer
    with pytest.raises(NotFound):
        await kyc.document(tree.boss, sub.id, 2)
    assert await accounts.audit_log(tree.boss, read_rows) == reads_before
    for _ in range(2):
        data, media = await kyc.document(tree.boss, sub.id, 1)
        assert media == "image/jpeg" and Image.open(io.BytesIO(data)).size == (320, 200)
    reads = await accounts.audit_log(tree.boss, read_rows)
    assert len(reads) == 2  # one row per read, not per document
    row = reads[-1]
    assert (row.actor_id, row.target, row.client) == (tree.ids["admin"], f"kyc:{sub.id}",
                                                      "10.1.2.3")  # fmt: skip
    assert row.details == {"document": 1, "owner": tree.ids["east"], "kind": "enterprise"}
    assert row.brand_id == brand.id


async def test_platform_reads_are_in_the_brands_log(
    accounts: AccountService, kyc: KycService, brand: Brand
) -> None:
    tree = await _tree(accounts, brand)
    sub = await kyc.submit_enterprise(tree.east, "East Trading Co.", "91350100M000100Y43", jpeg())
    await kyc.document(replace(SYSTEM, client="ops-laptop"), sub.id)
    [row] = await accounts.audit_log(tree.boss, AuditQuery(action="kyc.document_read"))
    assert (row.actor_id, row.client) == (None, "ops-laptop")  # the brand sees who read it


async def test_user_listing_filters_within_reach(accounts: AccountService, brand: Brand) -> None:
    tree = await _tree(accounts, brand)
    ids = tree.ids

    async def names(who: Principal, org: int | None = None, **q: object) -> list[str]:
        found = await accounts.list_users(who, org, query=UserQuery(**q))  # type: ignore[arg-type]
        return [u.display_name for u in found]

    assert await names(tree.boss) == [
        "Admin", "Zhang East", "王小店 100%", "Li Clerk", "West Boss"]  # fmt: skip
    assert await names(tree.east) == ["Zhang East", "王小店 100%", "Li Clerk"]
    with pytest.raises(Forbidden):
        await names(tree.east, tree.west_org)  # beside its own node
    assert await names(tree.boss, role=Role.DISTRIBUTOR) == ["Zhang East", "West Boss"]
    assert await names(tree.boss, tree.shop_org) == ["王小店 100%", "Li Clerk"]
    assert await names(tree.boss, text="ZHANG") == ["Zhang East"]  # any ASCII case
    assert await names(tree.boss, text="小店") == ["王小店 100%"]
    assert await names(tree.boss, text="shop2@") == ["Li Clerk"]  # the e-mail too
    assert await names(tree.boss, text="%") == ["王小店 100%"]  # a literal percent
    assert await names(tree.boss, text="_") == []  # a literal underscore
    await accounts.set_status(tree.boss, ids["shop2"], UserStatus.DISABLED)
    assert await names(tree.boss, status=UserStatus.DISABLED) == ["Li Clerk"]
    assert await names(tree.east, status=UserStatus.ACTIVE, role=Role.RETAILER) == ["王小店 100%"]
    # paging by id, filters kept
    first = await accounts.list_users(tree.boss, limit=2)
    rest = await accounts.list_users(tree.boss, after_id=first[-1].id, limit=10)
    assert [u.id for u in first + rest] == sorted(ids.values())


async def test_sign_ins_for_managers_and_oneself(accounts: AccountService, brand: Brand) -> None:
    tree = await _tree(accounts, brand)
    with pytest.raises(LoginFailed):
        await accounts.login("shop@acme.example", "wrong password!", "10.0.0.7", "phone")
    await accounts.login("shop@acme.example", PW, "10.0.0.7", "phone")
    found = await accounts.sign_ins(tree.boss, tree.ids["shop"])
    assert [(a.success, a.client, a.device) for a in found] == [
        (True, "10.0.0.7", "phone"), (False, "10.0.0.7", "phone")]  # fmt: skip
    with pytest.raises(Forbidden):  # a distributor lists users but does not manage them
        await accounts.sign_ins(tree.east, tree.ids["shop"])
    assert await accounts.sign_ins(tree.east, tree.ids["east"]) == []


async def test_audit_filters_and_newest_first(accounts: AccountService, brand: Brand) -> None:
    tree = await _tree(accounts, brand)
    await accounts.set_role(tree.boss, tree.ids["shop2"], Role.RETAILER)
    await accounts.set_status(tree.boss, tree.ids["shop2"], UserStatus.DISABLED)
    everything = await accounts.audit_log(tree.boss)
    newest = await accounts.audit_log(tree.boss, newest_first=True, limit=3)
    assert [e.id for e in newest] == [e.id for e in reversed(everything)][:3]
    older = await accounts.audit_log(tree.boss, newest_first=True, after_id=newest[-1].id)
    assert [e.id for e in newest + older] == [e.id for e in reversed(everything)]
    users = await accounts.audit_log(tree.boss, AuditQuery(action="user."))
    assert {e.action for e in users} == {"user.create", "user.role", "user.disabled"}
    assert await accounts.audit_log(tree.boss, AuditQuery(action="user")) == []  # exact unless "."
    about = await accounts.audit_log(tree.boss, AuditQuery(target=f"user:{tree.ids['shop2']}"))
    assert [e.action for e in about] == ["user.create", "user.role", "user.disabled"]
    last = everything[-1]
    assert last.id in [e.id for e in await accounts.audit_log(tree.boss, AuditQuery(since=last.at))]
    earlier = await accounts.audit_log(tree.boss, AuditQuery(until=last.at))
    assert last.id not in [e.id for e in earlier]
    with pytest.raises(Forbidden):
        await accounts.audit_log(tree.east)


async def test_broadcast_audience_and_audit(accounts: AccountService, brand: Brand) -> None:
    tree = await _tree(accounts, brand)
    ledger = accounts.store.ledger
    notifier = Notifier(ledger, AccountContactBook(accounts.store, LedgerContactBook(ledger)))
    messages = UserMessages(notifier, accounts.store)
    await accounts.set_status(tree.boss, tree.ids["shop2"], UserStatus.DISABLED)
    audience = await messages.audience(tree.boss, tree.east_org, MessageType.SYSTEM_NOTICE)
    assert sorted(audience) == [tree.ids["east"], tree.ids["shop"]]  # active ones, subtree
    with pytest.raises(Forbidden):
        await messages.audience(tree.east, tree.east_org, MessageType.SYSTEM_NOTICE)
    with pytest.raises(InvalidInput):
        await messages.audience(tree.boss, tree.east_org, MessageType.SECURITY_NOTICE)
    title, body = bilingual_message("Stock check", "盘点通知", "Count on Friday.", "周五盘点。")
    assert (title, body) == ("Stock check / 盘点通知", "Count on Friday.\n\n周五盘点。")
    assert (
        await messages.broadcast(tree.boss, tree.east_org, MessageType.SYSTEM_NOTICE, title, body)
        == 2
    )
    got = await notifier.inbox.history(tree.ids["shop"], HistoryFilter(query="盘点"))
    assert [m.title for m in got] == [title]
    assert await notifier.inbox.history(tree.ids["west"], HistoryFilter()) == []
    [row] = await accounts.audit_log(tree.boss, AuditQuery(action="notify.broadcast"))
    assert row.target == f"org:{tree.east_org}" and row.details["recipients"] == 2
    assert bilingual_message("", "只有中文", "", "正文") == ("只有中文", "正文")
    with pytest.raises(InvalidInput):
        bilingual_message(" ", "", "body", "")
