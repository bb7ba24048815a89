"""Accounts on both ledger backends: registration, login security, tokens, the dealer
tree and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.accounts.conftest import Outbox
from veriseal.accounts import credentials
from veriseal.accounts.errors import (
    AccountLocked,
    Forbidden,
    LoginFailed,
    OtpInvalid,
    PasswordWeak,
    Unauthenticated,
)
from veriseal.accounts.models import SYSTEM, OrgKind, Role, UserStatus
from veriseal.accounts.service import AccountService
from veriseal.errors import Conflict, RateLimited
from veriseal.models import Brand

PW = "correct horse battery"


async def test_register_by_code_then_login(accounts: AccountService, outbox: Outbox) -> None:
    contact = await accounts.register_start("138 1234 5678")
    assert contact == "+8613812345678"
    code = outbox.last_code(contact)
    with pytest.raises(OtpInvalid):
        await accounts.register_confirm(
            contact, "000000" if code != "000000" else "111111", "Li Lei", PW, "10.0.0.1"
        )
    user = await accounts.register_confirm(contact, code, "Li Lei", PW, "10.0.0.1")
    assert (user.phone, user.role, user.status) == (contact, Role.CONSUMER, UserStatus.ACTIVE)
    # single use
    with pytest.raises(OtpInvalid):
        await accounts.register_confirm(contact, code, "Li Lei", PW, "10.0.0.1")
    with pytest.raises(Conflict):
        await accounts.register_start("+86 138 1234 5678")
    token, who = await accounts.login("13812345678", PW, "10.0.0.1", "phone-1")
    assert who.id == user.id
    principal = await accounts.authenticate(token)
    assert principal.user_id == user.id


async def test_codes_are_rate_limited_per_destination(accounts: AccountService) -> None:
    await accounts.send_code("li@example.com", "register")
    with pytest.raises(RateLimited) as exc:
        await accounts.send_code("LI@EXAMPLE.COM".lower(), "register")
    assert exc.value.details["retry_after"] >= 1
    await accounts.send_code("other@example.com", "register")  # another destination


async def test_code_attempts_are_limited(accounts: AccountService, outbox: Outbox) -> None:
    contact = await accounts.register_start("wang@example.com")
    code = outbox.last_code(contact)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(OtpInvalid):
            await accounts.register_confirm(contact, wrong, "Wang", PW, "c")
    with pytest.raises(OtpInvalid):  # the right code no longer helps: guessing is capped
        await accounts.register_confirm(contact, code, "Wang", PW, "c")


async def test_expired_code(accounts: AccountService, outbox: Outbox) -> None:
    accounts.policy = type(accounts.policy)(otp_ttl=dt.timedelta(seconds=-1))
    contact = await accounts.register_start("old@example.com")
    with pytest.raises(OtpInvalid):
        await accounts.register_confirm(contact, outbox.last_code(contact), "Old", PW, "c")


async def test_password_policy(accounts: AccountService, outbox: Outbox) -> None:
    contact = await accounts.register_start("pw@example.com")
    for weak in ("short", "aaaaaaaaaaaa", "1234567890", "pw@example.com"):
        with pytest.raises(PasswordWeak):
            await accounts.register_confirm(contact, outbox.last_code(contact), "P", weak, "c")


async def _consumer(accounts: AccountService, outbox: Outbox, contact: str) -> int:
    contact = await accounts.register_start(contact)
    user = await accounts.register_confirm(contact, outbox.last_code(contact), "U", PW, "c")
    return user.id


async def test_lockout_after_failures_and_owner_notified(
    accounts: AccountService, outbox: Outbox
) -> None:
    uid = await _consumer(accounts, outbox, "lock@example.com")
    for _ in range(5):
        with pytest.raises(LoginFailed):
            await accounts.login("lock@example.com", "wrong password!", "10.1.1.1")
    assert [(u, k) for u, k, _ in outbox.notices] == [(uid, "account.locked")]
    with pytest.raises(AccountLocked) as exc:  # even the right password is refused now
        await accounts.login("lock@example.com", PW, "10.1.1.1")
    assert 0 < exc.value.details["retry_after"] <= 15 * 60 + 1
    events = [e.action for e in await accounts.audit_log(SYSTEM)]
    assert events.count("login.failed") == 5 and "login.locked" in events


async def test_lock_ends(accounts: AccountService, outbox: Outbox) -> None:
    accounts.policy = type(accounts.policy)(lock_for=dt.timedelta(0))
    await _consumer(accounts, outbox, "brief@example.com")
    for _ in range(5):
        with pytest.raises(LoginFailed):
            await accounts.login("brief@example.com", "wrong password!", "10.1.1.2")
    token, _ = await accounts.login("brief@example.com", PW, "10.1.1.2")
    assert token.startswith("vst_")


async def test_client_address_limit(accounts: AccountService, outbox: Outbox) -> None:
    accounts.policy = type(accounts.policy)(client_failures=3)
    for i in range(3):
        with pytest.raises(LoginFailed):
            await accounts.login(f"nobody{i}@example.com", "whatever it is", "192.0.2.7")
    with pytest.raises(RateLimited):
        await accounts.login("nobody9@example.com", "whatever it is", "192.0.2.7")
    with pytest.raises(LoginFailed):  # another address is not affected
        await accounts.login("nobody9@example.com", "whatever it is", "192.0.2.8")


async def test_new_device_and_network_notices(accounts: AccountService, outbox: Outbox) -> None:
    uid = await _consumer(accounts, outbox, "dev@example.com")
    await accounts.login("dev@example.com", PW, "203.0.113.5", "laptop")
    assert outbox.notices == []  # the first sign-in ever is not "new"
    await accounts.login("dev@example.com", PW, "203.0.113.99", "laptop")  # same /24
    assert outbox.notices == []
    await accounts.login("dev@example.com", PW, "203.0.113.6", "phone")
    await accounts.login("dev@example.com", PW, "198.51.100.1", "laptop")
    assert [(u, k, v["what"]) for u, k, v in outbox.notices] == [
        (uid, "account.new_login", "device"),
        (uid, "account.new_login", "network"),
    ]


async def test_tokens_scoped_revocable_and_hash_only(
    accounts: AccountService, outbox: Outbox, ledger: object
) -> None:
    await _consumer(accounts, outbox, "tok@example.com")
    session, _ = await accounts.login("tok@example.com", PW, "c")
    me = await accounts.authenticate(session)
    text, token = await accounts.create_token(me, "handheld", ["scans.record"])
    principal = await accounts.authenticate(text)
    assert principal.scopes == frozenset({"scans.record"})
    async with accounts.store.ledger.read() as tx:
        stored = await tx.fetch("SELECT * FROM api_tokens")
    # The secret is url-safe base64 and may itself hold "_": parse it, never split.
    _, secret = credentials.parse_token(text)
    assert all(secret.encode() not in bytes(r["secret_hash"]) for r in stored)
    assert secret not in repr([dict(r) for r in stored])
    await accounts.revoke_token(me, token.id)
    with pytest.raises(Unauthenticated):
        await accounts.authenticate(text)
    with pytest.raises(Unauthenticated):
        await accounts.authenticate(text[:-1] + ("A" if text[-1] != "A" else "B"))
    with pytest.raises(Unauthenticated):
        await accounts.authenticate("Bearer nonsense")


async def test_dealer_tree_visibility(accounts: AccountService, brand: Brand) -> None:
    root = await accounts.brand_org(brand)
    admin = await accounts.create_user(
        SYSTEM,
        contact="boss@acme.example",
        display_name="Boss",
        role=Role.BRAND_ADMIN,
        org_id=root.id,
        password=PW,
    )
    boss = await accounts.principal(admin)
    east = await accounts.create_org(boss, root.id, OrgKind.DISTRIBUTOR, "East")
    west = await accounts.create_org(boss, root.id, OrgKind.DISTRIBUTOR, "West")
    shop = await accounts.create_org(boss, east.id, OrgKind.RETAILER, "East shop")
    e_user = await accounts.create_user(
        boss,
        contact="east@acme.example",
        display_name="E",
        role=Role.DISTRIBUTOR,
        org_id=east.id,
    )
    east_p = await accounts.principal(e_user)
    assert [o.name for o in await accounts.org_tree(east_p)] == ["East", "East shop"]
    assert {o.name for o in await accounts.org_tree(boss)} == {"Acme", "East", "West", "East shop"}
    with pytest.raises(Forbidden):
        await accounts.org_tree(east_p, west.id)  # a sibling
    with pytest.raises(Forbidden):
        await accounts.org_tree(east_p, root.id)  # above
    # a distributor may add retailers and users in its own subtree, not elsewhere
    sub = await accounts.create_org(east_p, shop.id, OrgKind.RETAILER, "Kiosk")
    await accounts.create_user(
        east_p,
        contact="kiosk@acme.example",
        display_name="K",
        role=Role.RETAILER,
        org_id=sub.id,
    )
    with pytest.raises(Forbidden):
        await accounts.create_org(east_p, west.id, OrgKind.RETAILER, "Poach")
    with pytest.raises(Forbidden):
        await accounts.create_user(
            east_p,
            contact="x@acme.example",
            display_name="X",
            role=Role.BRAND_ADMIN,
            org_id=root.id,
        )
    assert {u.display_name for u in await accounts.list_users(east_p)} == {"E", "K"}


async def test_brand_admin_stays_in_its_brand(
    accounts: AccountService, brand: Brand, ledger: object
) -> None:
    other = await accounts.store.ledger.create_brand("rival", "Rival", "https://r.example")
    acme_root, rival_root = await accounts.brand_org(brand), await accounts.brand_org(other)
    admin = await accounts.create_user(
        SYSTEM,
        contact="a@acme.example",
        display_name="A",
        role=Role.BRAND_ADMIN,
        org_id=acme_root.id,
    )
    p = await accounts.principal(admin)
    with pytest.raises(Forbidden):
        await accounts.create_org(p, rival_root.id, OrgKind.DISTRIBUTOR, "Spy")
    with pytest.raises(Forbidden):
        await accounts.audit_log(p, brand_id=other.id)
    assert all(e.brand_id == brand.id for e in await accounts.audit_log(p))


async def test_disabled_user_loses_access(accounts: AccountService, outbox: Outbox) -> None:
    uid = await _consumer(accounts, outbox, "gone@example.com")
    session, _ = await accounts.login("gone@example.com", PW, "c")
    await accounts.set_status(SYSTEM, uid, UserStatus.DISABLED)
    with pytest.raises(Unauthenticated):
        await accounts.authenticate(session)
    with pytest.raises(LoginFailed):
        await accounts.login("gone@example.com", PW, "c")
