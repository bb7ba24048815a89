"""Brands, keys, batches and verification through the services, on every backend."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from veriseal.catalog import manifest
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file, public_keys_from_jwks
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.codes.errors import CodeInvalid
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.errors import Conflict, InvalidInput, KeyRevoked, KeyringLocked, ProductNotFound
from veriseal.models import Batch, BatchStatus, Brand, KeyStatus, Profile
from veriseal.scanning.verification import Outcome, verify_offline

from .conftest import GTIN


async def first_codes(engine: Engine, brand: Brand, batch: Batch, n: int = 3) -> list[str]:
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot], allow_revoked=True)) as m:
        chunk = m.chunk(0, n)
    width = chunk.uris.shape[1]
    raw = chunk.uris.tobytes().decode()
    return [raw[i * width : (i + 1) * width] for i in range(n)]


async def make_batch(engine: Engine, brand: Brand, lot: str = "L1", **kw: object) -> Batch:
    req = BatchRequest(gtin=GTIN, lot=lot, size=kw.pop("size", 100), **kw)  # type: ignore[arg-type]
    return await engine.batches.create(brand, req)


async def test_brand_has_one_active_key_and_duplicates_conflict(
    engine: Engine, brand: Brand
) -> None:
    keys = await engine.keys.list(brand)
    assert [(k.slot, k.status, k.kid) for k in keys] == [(0, KeyStatus.ACTIVE, "acme.0")]
    with pytest.raises(Conflict):
        await engine.brands.create("acme", "Other", "x.example")
    with pytest.raises(InvalidInput):
        await engine.brands.create("Bad Slug!", "Other", "x.example")


async def test_batch_row_expiry_and_manifest(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, size=1_000_000, production_date=dt.date(2026, 1, 1))
    assert batch.expiry_date == dt.date(2027, 1, 1)  # 365 days of shelf life
    assert (batch.seq, batch.key_slot, batch.size) == (0, 0, 1_000_000)
    doc = await engine.batches.manifest_document(brand, batch)
    keys = public_keys_from_jwks(await engine.keys.jwks(brand))
    fields = manifest.check_document(doc, keys)
    assert fields["lot"] == "L1" and fields["size"] == 1_000_000 and fields["seq"] == 0
    tampered = json.loads(json.dumps(doc))
    tampered["manifest"]["size"] = 2_000_000
    with pytest.raises(CodeInvalid):
        manifest.check_document(tampered, keys)


async def test_batch_input_errors_change_nothing(engine: Engine, brand: Brand) -> None:
    for kw in ({"size": 0}, {"size": 2**25 + 1}, {"lot": "bad lot"}, {"pin_digits": 5}):
        with pytest.raises(InvalidInput):
            await make_batch(engine, brand, **kw)
    with pytest.raises(ProductNotFound):
        await engine.batches.create(brand, BatchRequest(gtin="4006381333931", lot="X", size=1))
    assert await engine.batches.list(brand) == []
    await make_batch(engine, brand)
    with pytest.raises(Conflict):
        await make_batch(engine, brand)


async def test_compact_codes_verify_in_every_form(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    uri = (await first_codes(engine, brand, batch, 2))[1]
    serial = uri.split("/21/")[1].split("?")[0]
    for text in (uri, serial, serial.lower(), f"(01){GTIN}(10)L1(21){serial}"):
        result = await engine.verifier.verify(text)
        assert result.outcome is Outcome.GENUINE, (text, result)
        assert result.info is not None and result.info.index == 1
        assert result.info.batch_id == batch.id and result.info.product == "Green tea"
    edited = serial[:-1] + ("2" if serial[-1] != "2" else "3")
    bad = await engine.verifier.verify(edited)
    assert (bad.outcome, bad.reason) == (Outcome.INVALID, "tag_mismatch")
    wrong_gtin = uri.replace(f"/01/{GTIN}/", "/01/04006381333931/")
    assert (await engine.verifier.verify(wrong_gtin)).reason == "unknown_product"
    wrong_lot = uri.replace("/10/L1/", "/10/L2/")
    assert (await engine.verifier.verify(wrong_lot)).reason == "lot_mismatch"
    garbage = await engine.verifier.verify("not a code at all")
    assert garbage.outcome is Outcome.INVALID and garbage.reason == "code_invalid"


async def test_rotation_keeps_old_codes_and_revocation_stops_them(
    engine: Engine, brand: Brand
) -> None:
    old_batch = await make_batch(engine, brand, lot="OLD")
    old_uri = (await first_codes(engine, brand, old_batch))[0]
    await engine.keys.rotate(brand)
    new_batch = await make_batch(engine, brand, lot="NEW")
    assert (new_batch.key_slot, new_batch.seq) == (1, 0)
    assert (await engine.verifier.verify(old_uri)).outcome is Outcome.GENUINE
    with pytest.raises(KeyRevoked):  # the active key cannot be revoked
        await engine.keys.revoke(brand, 1)
    await engine.keys.revoke(brand, 0)
    assert (await engine.verifier.verify(old_uri)).outcome is Outcome.KEY_REVOKED
    new_uri = (await first_codes(engine, brand, new_batch))[0]
    assert (await engine.verifier.verify(new_uri)).outcome is Outcome.GENUINE
    jwks = await engine.keys.jwks(brand)
    assert [k["kid"] for k in jwks["keys"]] == ["acme.1"]


async def test_recall_expiry_and_pin(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, pin_digits=8, production_date=dt.date(2026, 1, 1))
    uri = (await first_codes(engine, brand, batch))[0]
    assert (
        await engine.verifier.verify(uri, today=dt.date(2026, 6, 1))
    ).outcome is Outcome.PIN_REQUIRED
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[0])) as m:
        pins = m.chunk(0, 1).pins
    assert pins is not None
    right = pins.tobytes().decode()
    wrong = str((int(right) + 1) % 10**8).zfill(8)
    assert (await engine.verifier.verify(uri, pin=right, today=dt.date(2026, 6, 1))).genuine
    assert (
        await engine.verifier.verify(uri, pin=wrong, today=dt.date(2026, 6, 1))
    ).outcome is Outcome.PIN_WRONG
    assert (
        await engine.verifier.verify(uri, pin="12", today=dt.date(2026, 6, 1))
    ).outcome is Outcome.PIN_WRONG
    assert (await engine.verifier.verify(uri, today=dt.date(2027, 1, 2))).outcome is Outcome.EXPIRED
    await engine.batches.set_status(batch, BatchStatus.RECALLED)
    assert (
        await engine.verifier.verify(uri, today=dt.date(2026, 6, 1))
    ).outcome is Outcome.RECALLED


async def test_signed_codes_online_and_offline(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, profile=Profile.SIGNED)
    uri = (await first_codes(engine, brand, batch, 3))[2]
    assert "&s=" in uri or "?s=" in uri
    online = await engine.verifier.verify(uri)
    assert online.genuine and online.info is not None and online.info.index == 2
    keys = public_keys_from_jwks(await engine.keys.jwks(brand))
    offline = verify_offline(uri, keys)
    assert offline.genuine and offline.info is not None
    assert (offline.info.seq, offline.info.index, offline.info.kid) == (0, 2, "acme.0")
    without_sig = uri.split("s=")[0].rstrip("?&")
    assert (await engine.verifier.verify(without_sig)).reason == "signature_missing"
    serial = uri.split("/21/")[1].split("?")[0]
    other_index = serial[:-1] + ("1" if serial[-1] != "1" else "2")
    forged = uri.replace(f"/21/{serial}", f"/21/{other_index}")
    assert verify_offline(forged, keys).reason == "signature_mismatch"
    assert (await engine.verifier.verify(forged)).reason == "signature_mismatch"


async def test_brands_share_a_ledger(engine: Engine, brand: Brand) -> None:
    other = await engine.brands.create("bolt", "Bolt Water", "id.bolt.example")
    await engine.catalogue.add(make_product(other, "4006381333931", "Water"))
    a = await make_batch(engine, brand)
    b = await engine.batches.create(other, BatchRequest(gtin="4006381333931", lot="L1", size=10))
    assert (a.key_slot, a.seq, b.key_slot, b.seq) == (0, 0, 0, 0)  # same slot and seq
    ua = (await first_codes(engine, brand, a))[0]
    ub = (await first_codes(engine, other, b))[0]
    ra, rb = await engine.verifier.verify(ua), await engine.verifier.verify(ub)
    assert ra.info is not None and rb.info is not None
    assert (ra.info.brand, rb.info.brand) == ("acme", "bolt")
    serial_b = ub.split("/21/")[1].split("?")[0]
    bare = await engine.verifier.verify(serial_b)  # no GTIN: found by trying each brand
    assert bare.info is not None and bare.info.brand == "bolt"


async def test_wrong_key_file_is_a_clear_error(
    ledger_url: str, engine: Engine, brand: Brand, tmp_path: Path
) -> None:
    other = tmp_path / "other.key"
    create_key_file(other)
    cfg = Config(path=None, db_url=ledger_url, key_source=KeySource(key_file=other))
    async with await Engine.open(cfg) as wrong:
        with pytest.raises(KeyringLocked):
            await make_batch(wrong, brand)


async def test_passphrase_keyring(ledger_url: str) -> None:
    cfg = Config(path=None, db_url=ledger_url, key_source=KeySource(passphrase="correct horse"))
    async with await Engine.open(cfg) as eng:
        b = await eng.brands.create("pass", "P", "p.example")
        key = await eng.keys.active(b)
        secret = eng.keys.material(key).secret
        assert secret not in key.sealed_secret
    bad = Config(path=None, db_url=ledger_url, key_source=KeySource(passphrase="wrong"))
    async with await Engine.open(bad) as eng:
        key = await eng.keys.active(await eng.brands.get("pass"))
        with pytest.raises(KeyringLocked):
            eng.keys.material(key)
