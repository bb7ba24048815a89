"""Real-name verification and profiles, on both backends, with real images."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.accounts.conftest import Outbox
from veriseal.accounts.errors import Forbidden, IdentityInvalid, ImageInvalid, NotVerified
from veriseal.accounts.kyc import KycService
from veriseal.accounts.models import SYSTEM, OrgKind, Principal, Role
from veriseal.accounts.service import AccountService
from veriseal.catalog.keys import Keyring, KeySource, create_key_file
from veriseal.errors import InvalidInput
from veriseal.models import Brand

PW = "correct horse battery"


def jpeg(width: int = 640, height: int = 400, exif_gps: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    if exif_gps:
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPSInfo
        exif[0x010F] = "PhoneMaker"
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    create_key_file(tmp_path / "k.key")
    return Keyring(KeySource(key_file=tmp_path / "k.key"))


@pytest.fixture
def kyc(accounts: AccountService, keyring: Keyring, outbox: Outbox) -> KycService:
    return KycService(accounts.store, keyring, outbox)


async def _setup(accounts: AccountService, brand: Brand) -> tuple[Principal, Principal, Principal]:
    root = await accounts.brand_org(brand)
    admin = await accounts.create_user(
        SYSTEM,
        contact="admin@acme.example",
        display_name="Admin",
        role=Role.BRAND_ADMIN,
        org_id=root.id,
    )
    boss = await accounts.principal(admin)
    east = await accounts.create_org(boss, root.id, OrgKind.DISTRIBUTOR, "East Trading")
    dealer = await accounts.create_user(
        boss,
        contact="east@acme.example",
        display_name="E",
        role=Role.DISTRIBUTOR,
        org_id=east.id,
    )
    consumer = await accounts.create_user(
        SYSTEM, contact="c@example.com", display_name="C", role=Role.CONSUMER, org_id=None
    )
    return boss, await accounts.principal(dealer), await accounts.principal(consumer)


async def test_enterprise_verification_gates_the_dealer(
    accounts: AccountService, kyc: KycService, brand: Brand, outbox: Outbox
) -> None:
    boss, dealer, _ = await _setup(accounts, brand)
    assert dealer.org is not None
    with pytest.raises(NotVerified):
        await kyc.require_verified_dealer(dealer.org)
    with pytest.raises(IdentityInvalid):
        await kyc.submit_enterprise(dealer, "East Trading Co.", "91350100M000100Y44", jpeg())
    sub = await kyc.submit_enterprise(dealer, "East Trading Co.", "91350100m000100y43", jpeg())
    assert sub.status == "pending" and sub.number_masked == "9135**********0Y43"
    assert [s.id for s in await kyc.pending(boss)] == [sub.id]
    with pytest.raises(Forbidden):
        await kyc.review(dealer, sub.id, True, "")  # a dealer is no reviewer
    with pytest.raises(InvalidInput):
        await kyc.review(boss, sub.id, False, "  ")  # a rejection must say why
    rejected = await kyc.review(boss, sub.id, False, "licence photo is blurred")
    assert rejected.status == "rejected"
    with pytest.raises(NotVerified):
        await kyc.require_verified_dealer(dealer.org)
    again = await kyc.submit_enterprise(dealer, "East Trading Co.", "91350100M000100Y43", jpeg())
    await kyc.review(boss, again.id, True, "ok")
    await kyc.require_verified_dealer(dealer.org)
    keys = [k for _, k, _ in outbox.notices]
    assert keys == ["account.kyc_rejected", "account.kyc_approved"]


async def test_documents_sealed_and_reviewer_only(
    accounts: AccountService, kyc: KycService, brand: Brand
) -> None:
    boss, dealer, consumer = await _setup(accounts, brand)
    sub = await kyc.submit_person(consumer, "张三", "11010519491231002X", jpeg(exif_gps=True))
    async with accounts.store.ledger.read() as tx:
        row = await tx.fetchrow("SELECT * FROM kyc_submissions WHERE id = ?", sub.id)
    assert row is not None
    blob = b"".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
        for v in dict(row).values()
    )
    assert b"11010519491231002X" not in blob
    with pytest.raises(Forbidden):
        await kyc.document(dealer, sub.id)
    with pytest.raises(Forbidden):  # consumers are reviewed by the platform admin
        await kyc.document(boss, sub.id)
    data, media = await kyc.document(SYSTEM, sub.id)
    image = Image.open(io.BytesIO(data))
    assert media == "image/jpeg" and image.size == (640, 400)
    assert data[:64] not in blob  # stored sealed, not in clear
    assert 0x8825 not in image.getexif()  # the photo's GPS position was not kept
    actions = [e.action for e in await accounts.audit_log(SYSTEM)]
    assert "kyc.document_read" in actions


async def test_bad_uploads_change_nothing(
    accounts: AccountService, kyc: KycService, brand: Brand
) -> None:
    _, _, consumer = await _setup(accounts, brand)
    for data in (b"", b"GIF89a....", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, jpeg()[:200]):
        with pytest.raises(ImageInvalid):
            await kyc.submit_person(consumer, "张三", "11010519491231002X", data)
    async with accounts.store.ledger.read() as tx:
        assert await tx.fetch("SELECT id FROM kyc_submissions") == []


async def test_avatar_resized_and_profile(accounts: AccountService, brand: Brand) -> None:
    _, dealer, _ = await _setup(accounts, brand)
    png = await accounts.set_avatar(dealer, jpeg(1200, 800, exif_gps=True))
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (256, 256))
    assert await accounts.avatar(dealer.user_id or 0) == png
    user = await accounts.update_profile(
        dealer, display_name="East boss", fields={"wechat": "east_boss"}
    )
    assert (user.display_name, user.profile) == ("East boss", {"wechat": "east_boss"})
    with pytest.raises(InvalidInput):
        await accounts.update_profile(dealer, fields={"role": "brand_admin"})


async def test_enterprise_profile(accounts: AccountService, brand: Brand) -> None:
    _, dealer, _ = await _setup(accounts, brand)
    assert dealer.org is not None
    org = await accounts.update_org_profile(
        dealer, dealer.org.id, {"description": "Wholesale", "address": "上海市", "contact": "E"}
    )
    assert org.profile["address"] == "上海市"
    root = await accounts.brand_org(brand)
    with pytest.raises(Forbidden):
        await accounts.update_org_profile(dealer, root.id, {"description": "mine now"})
