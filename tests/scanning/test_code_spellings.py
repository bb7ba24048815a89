"""One label, one code in the scan ledger, however its code string is spelled.

The clone counters (verification count, travel, regions) and the wrong-PIN throttle count
per brand and *normalised serial*. Documented aliases of a serial (case, hyphens, O for 0,
I/L for 1, a bare serial or a whole link) must land on that one key; an undocumented
spelling of a signature must not verify at all.
"""

from __future__ import annotations

from tests.catalog.conftest import GTIN
from tests.catalog.test_lifecycle import first_codes, make_batch
from veriseal.catalog.minting import Minter
from veriseal.engine import Engine
from veriseal.models import Brand, ClonePolicy, Profile, ScanChannel, ScanQuery
from veriseal.scanning.service import ScanContext
from veriseal.scanning.verification import Outcome

CTX = ScanContext(ScanChannel.WEB, "device:x")


def serial_of(uri: str) -> str:
    return uri.split("/21/")[1].split("?", maxsplit=1)[0]


def typed_aliases(serial: str) -> list[str]:
    """How people type a serial: lower case, in groups of four, O for 0 and L for 1."""
    grouped = "-".join(serial[i : i + 4] for i in range(0, len(serial), 4))
    return [
        serial.lower(),
        grouped,
        " ".join(serial[i : i + 4] for i in range(0, len(serial), 4)).lower(),
        grouped.replace("0", "O").replace("1", "L").lower(),
    ]


async def test_non_canonical_signatures_are_refused_and_not_counted(
    engine: Engine, brand: Brand
) -> None:
    batch = await make_batch(engine, brand, profile=Profile.SIGNED)
    uri = (await first_codes(engine, brand, batch, 1))[0]
    serial, sig = serial_of(uri), uri.split("s=")[1]
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    bits = last.index(sig[-1])
    other_bits = last[bits + 1]  # same 512th bit pair, a non-zero unused bit
    bare = uri[: -len(sig)]
    aliases = [bare + sig[:-1] + other_bits, uri + "%3D%3D"]
    if "-" in sig or "_" in sig:
        aliases.append(bare + sig.replace("-", "%2B").replace("_", "/"))
    assert (await engine.scans.scan(uri, CTX)).verification.outcome is Outcome.GENUINE
    for alias in aliases:
        result = (await engine.scans.scan(alias, CTX)).verification
        assert (result.outcome, result.reason) == (Outcome.INVALID, "signature_not_canonical")
        assert result.info is None
    summary = await engine.ledger.scan_summary(brand.id, serial)
    assert summary.count == 1  # the refused spellings did not count as verifications
    # a lower-case serial is a documented alias: it verifies, on the same counter
    lower = uri.replace(f"/21/{serial}", f"/21/{serial.lower()}")
    result = (await engine.scans.scan(lower, CTX)).verification
    assert result.outcome is Outcome.GENUINE and result.info is not None
    assert result.info.serial == serial
    assert (await engine.ledger.scan_summary(brand.id, serial)).count == 2


async def test_serial_aliases_share_one_clone_counter(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    uri = (await first_codes(engine, brand, batch, 1))[0]
    serial = serial_of(uri)
    spellings = [uri, serial, f"(01){GTIN}(10)L1(21){serial.lower()}", *typed_aliases(serial)]
    for n, text in enumerate(spellings, start=1):
        result = (await engine.scans.scan(text, CTX)).verification
        assert result.outcome is Outcome.GENUINE, (text, result)
        assert result.info is not None and result.info.serial == serial
        assert (await engine.ledger.scan_summary(brand.id, serial)).count == n
    stored = await engine.ledger.list_scans(brand.id, ScanQuery(code=serial))
    assert len(stored) == len(spellings)
    assert {s.scan.code for s in stored} == {serial}
    # so an alias cannot dodge the verification limit either
    await engine.ledger.set_clone_policy(brand.id, None, ClonePolicy(max_verifications=2))
    result = (await engine.scans.scan(typed_aliases(serial)[-1], CTX)).verification
    assert result.outcome is Outcome.SUSPECTED_CLONE


async def test_wrong_pins_are_throttled_across_serial_aliases(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, pin_digits=6)
    serial = serial_of((await first_codes(engine, brand, batch, 1))[0])
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[0])) as m:
        pins = m.chunk(0, 1).pins
    assert pins is not None
    wrong = str((int(pins.tobytes().decode()) + 1) % 10**6).zfill(6)
    aliases = [*typed_aliases(serial), serial]
    reasons = [
        (await engine.scans.scan(text, CTX, pin=wrong)).verification.reason for text in aliases * 2
    ]
    # five wrong PINs for one code, whatever its spelling, pause further PIN checks
    assert reasons[:5] == ["pin_wrong"] * 5
    assert reasons[5:] == ["pin_throttled"] * (len(reasons) - 5)
