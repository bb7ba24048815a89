"""Demo data: a brand, a product and three small batches a newcomer can scan at once.

Idempotent: seeding an already seeded ledger only reads what is there.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from veriseal.accounts.identity import uscc_check
from veriseal.accounts.models import SYSTEM, OrgKind, Role
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.engine import Engine
from veriseal.errors import NotFound
from veriseal.models import Batch, Brand, Profile

DEMO_BRAND = "demo"
DEMO_GTIN = "09506000134352"  # the GTIN GS1 uses in its own Digital Link examples
DEMO_PRODUCT = "Longjing Green Tea 龙井绿茶"
DEMO_BATCHES = (
    ("DEMO-C1", Profile.COMPACT, 0),
    ("DEMO-PIN", Profile.COMPACT, 6),
    ("DEMO-S1", Profile.SIGNED, 0),
)


@dataclass(frozen=True)
class DemoCode:
    lot: str
    profile: str
    uri: str
    pin: str | None


async def _batch(
    engine: Engine, brand: Brand, lot: str, profile: Profile, pin_digits: int
) -> Batch:
    try:
        return await engine.batches.get(brand, f"{DEMO_GTIN}/{lot}")
    except NotFound:
        req = BatchRequest(
            gtin=DEMO_GTIN,
            lot=lot,
            size=1000,
            profile=profile,
            pin_digits=pin_digits,
            factory="Demo factory",
            line="L1",
        )
        return await engine.batches.create(brand, req)


async def seed(engine: Engine, resolver: str) -> list[DemoCode]:
    """Create (or find) the demo brand and return one scannable code per demo batch."""
    try:
        brand = await engine.brands.get(DEMO_BRAND)
    except NotFound:
        brand = await engine.brands.create(DEMO_BRAND, "Veriseal Demo Tea 演示茶业", resolver)
    try:
        await engine.catalogue.get(brand, DEMO_GTIN)
    except NotFound:
        await engine.catalogue.add(
            make_product(
                brand,
                DEMO_GTIN,
                DEMO_PRODUCT,
                spec="250 g",
                manufacturer="Demo Tea Co.",
                shelf_life_days=540,
                category="Beverages/Tea/Green",
            )
        )
    out = []
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    for lot, profile, pin_digits in DEMO_BATCHES:
        batch = await _batch(engine, brand, lot, profile, pin_digits)
        material = engine.keys.material(keys[batch.key_slot])
        with Minter(brand, batch, material) as minter:
            chunk = minter.chunk(0, 1)
        pin = chunk.pins.tobytes().decode() if chunk.pins is not None else None
        out.append(DemoCode(lot, str(profile), chunk.uris.tobytes().decode(), pin))
    return out


#: The demo's console users: login, name, role, and the organisation they act for
#: (``brand``: the brand itself; else the dealer created under its parent).
DEMO_ORGS = (
    ("dist", "brand", OrgKind.DISTRIBUTOR, "华东经销商 East China Distributor"),
    ("shop", "dist", OrgKind.RETAILER, "杭州西湖门店 Hangzhou West Lake Shop"),
)
DEMO_USERS = (
    ("admin@demo.example", "品牌管理员 Brand Admin", Role.BRAND_ADMIN, "brand"),
    ("factory@demo.example", "产线操作员 Line Operator", Role.FACTORY_OPERATOR, "brand"),
    ("inspector@demo.example", "市场稽查 Inspector", Role.INSPECTOR, "brand"),
    ("dealer@demo.example", "华东经销商 Distributor", Role.DISTRIBUTOR, "dist"),
    ("shop@demo.example", "西湖门店 Retailer", Role.RETAILER, "shop"),
)


@dataclass(frozen=True)
class DemoUser:
    login: str
    role: str
    password: str | None  # None: the user existed already (an earlier demo run)


async def seed_people(engine: Engine) -> list[DemoUser]:
    """The demo brand's dealer tree and one console user per role, each with a new
    random password (returned once; a user of an earlier run keeps its password)."""
    brand = await engine.brands.get(DEMO_BRAND)
    accounts = engine.accounts
    root = await accounts.brand_org(brand)
    orgs = {"brand": root.id}
    existing = {o.name: o.id for o in await accounts.org_tree(SYSTEM, root.id)}
    for key, parent, kind, name in DEMO_ORGS:
        found = existing.get(name)
        if found is None:
            found = (await accounts.create_org(SYSTEM, orgs[parent], kind, name)).id
        orgs[key] = found
    out = []
    for login, name, role, org in DEMO_USERS:
        if await accounts.store.find_user(login) is not None:
            out.append(DemoUser(login, str(role), None))
            continue
        password = secrets.token_urlsafe(9)
        await accounts.create_user(
            SYSTEM, contact=login, display_name=name, role=role, org_id=orgs[org],
            password=password,
        )  # fmt: skip
        out.append(DemoUser(login, str(role), password))
    return out


async def seed_verifications(engine: Engine) -> None:
    """Give each demo dealer organisation an approved enterprise verification (a
    generated licence image and a valid 统一社会信用代码), as a real dealer gets through
    the console's review: dealers must be verified to hold territories and to order."""
    brand = await engine.brands.get(DEMO_BRAND)
    root = await engine.accounts.brand_org(brand)
    orgs = [o for o in await engine.accounts.org_tree(SYSTEM, root.id) if o.id != root.id]
    for n, org in enumerate(orgs, 1):
        if await engine.kyc.org_verified(org):
            continue
        users = await engine.accounts.list_users(SYSTEM, org.id)
        members = [u for u in users if u.org_id == org.id]
        if not members:
            continue
        first17 = f"91330100MA{n:07d}"
        principal = await engine.accounts.principal(members[0])
        licence = io.BytesIO()
        Image.new("RGB", (800, 560), (235, 230, 220)).save(licence, "JPEG")
        sub = await engine.kyc.submit_enterprise(
            principal, org.name, first17 + uscc_check(first17), licence.getvalue()
        )
        await engine.kyc.review(SYSTEM, sub.id, True, "demo / 演示")


#: Fonts with Chinese glyphs, tried in order for the label's text; without one the
#: label keeps the Latin part of each line (Pillow's own font has no CJK glyphs).
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
_SCALE = 8  # pixels per QR module
_TEXT_PX = 22


def label_lines(product: str, uri: str, pin_digits: int) -> list[str]:
    """The human-readable lines of a demo label: product, GTIN, lot and serial read from
    the code's link, and a scratch-off PIN box when the code has a PIN."""
    path = "01/" + uri.split("?", 1)[0].split("/01/", 1)[-1]
    parts = path.split("/")
    fields = dict(zip(parts[::2], parts[1::2], strict=False))  # "01" -> GTIN, "10" -> lot
    lines = [product, f"GTIN {fields.get('01', '')}", f"LOT {fields.get('10', '')}"]
    lines.append(f"SN {fields.get('21', '')}")
    if pin_digits:
        lines.append("PIN " + "#" * pin_digits + "  scratch 刮开")
    return lines


def _font(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    for candidate in _CJK_FONTS:
        if Path(candidate).exists():
            try:
                return ImageFont.truetype(candidate, size), True
            except OSError:
                continue
    return ImageFont.load_default(size), False


def terminal_qr(uri: str) -> str:
    """``uri`` as a QR code drawn in a terminal: Unicode half blocks, two modules per
    line, the 4-module quiet zone included, lines ending in a newline.

    Drawn for the usual light-on-dark terminal: a block is a LIGHT module, so the symbol
    shows dark on light as a phone expects (on a dark-on-light terminal it appears
    inverted, which most phone readers decode too). The same symbol as the label's QR
    (segno, level M).
    """
    out = io.StringIO()
    segno.make_qr(uri, error="m").terminal(out, compact=True)
    return out.getvalue()


def write_label(uri: str, path: Path, product: str = "", pin_digits: int = 0) -> Path:
    """A PNG label: the QR of ``uri`` (scale 8, quiet zone 4) above the lines of
    :func:`label_lines` (product, GTIN, lot, serial, PIN box)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    segno.make_qr(uri, error="m").save(buffer, kind="png", scale=_SCALE, border=4)
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    font, cjk = _font(_TEXT_PX)
    lines = label_lines(product, uri, pin_digits)
    if not cjk:
        lines = [" ".join(w for w in line.split() if w.isascii()) for line in lines]
    measure = ImageDraw.Draw(qr)
    width = max(qr.width, *(int(measure.textlength(x, font=font)) + 8 * _SCALE for x in lines))
    step = _TEXT_PX + 10
    label = Image.new("L", (width, qr.height + step * len(lines) + 4 * _SCALE), 255)
    label.paste(qr, ((width - qr.width) // 2, 0))
    draw = ImageDraw.Draw(label)
    y = qr.height
    for i, line in enumerate(lines):
        draw.text((4 * _SCALE, y), line, fill=0, font=font)
        if pin_digits and i == len(lines) - 1:  # the scratch-off box around the PIN
            right = 4 * _SCALE + int(draw.textlength(line, font=font))
            draw.rectangle((4 * _SCALE - 6, y - 4, right + 6, y + _TEXT_PX + 6), outline=0, width=2)
        y += step
    label.save(path, "PNG")
    return path
