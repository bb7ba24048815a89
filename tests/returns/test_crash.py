"""A SIGKILL between receiving returned goods and recording them loses nothing: a real
process receives a return's units and is killed (``VERISEAL_FAILPOINT``) after
territories took the units back and inventory put them in quarantine, before the
request recorded it. The resume task (or the same call retried) finishes the receipt:
the units are in quarantine once, the request is ``received``, the stock ledger
rebuilds clean, and inspection restocks them."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.returns.conftest import TEA, World, deliver
from tests.returns.flow import rebuild_clean, stock
from veriseal import VerisealError
from veriseal_commerce.returns import ReturnAsk

ROOT = Path(__file__).resolve().parents[2]


def _receive(world: World, return_no: str, codes: list[str], failpoint: str | None) -> int:
    cfg = world.engine.config
    key = cfg.key_source.key_file
    user_id = world.shop.people["admin"].user_id
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "plugins"), str(ROOT)])
    if failpoint:
        env["VERISEAL_FAILPOINT"] = failpoint
    run = subprocess.run(
        [sys.executable, "-m", "tests.returns.crash_receive", cfg.db_url, str(key),
         str(user_id), return_no, "crash-1", *codes],
        env=env, cwd=ROOT, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode in (0, -signal.SIGKILL), run.stderr.decode()
    return run.returncode


async def test_sigkill_after_the_receipt_loses_nothing(world: World) -> None:
    shop, admin, gd = world.shop, world.shop.people["admin"], world.shop.people["gd"]
    got = await deliver(world)
    codes = got.codes[TEA][:3]
    r = await shop.c.returns.open(gd, ReturnAsk(got.order.order_no, "return", "damaged", codes))
    await shop.c.returns.approve(admin, r.return_no)
    before = await stock(world, TEA)
    assert _receive(world, r.return_no, codes, "returns.after_receipt") == -signal.SIGKILL
    # killed: the goods are in quarantine, the request does not know yet
    assert (await stock(world, TEA)).get("quarantine") == 3
    assert (await shop.c.returns.load(admin, r.return_no)).status == "approved"
    # the dealer cannot withdraw a request whose goods are on their way in
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.cancel(gd, r.return_no, "changed my mind")
    assert refused.value.code == "return_invalid"
    # the resume task finishes it; running it (or the retried call) again changes nothing
    assert await shop.c.return_goods.resume(older_than=dt.timedelta(0)) == 1
    assert await shop.c.return_goods.resume(older_than=dt.timedelta(0)) == 0
    assert _receive(world, r.return_no, codes, None) == 0
    r = await shop.c.returns.load(admin, r.return_no)
    assert r.status == "received" and {u.status for u in r.units} == {"received"}
    after = await stock(world, TEA)
    assert after.get("quarantine") == 3
    assert after.get("stock", 0) == before.get("stock", 0)
    async with world.ctx.db.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM inventory_receipts WHERE supplier <> ''")
    assert row is not None and int(row["n"]) == 1
    assert await rebuild_clean(world)
    r = await shop.c.return_goods.inspect(admin, r.return_no, accepted=codes, reason="fine")
    assert r.status == "inspected"
    assert (await stock(world, TEA)).get("stock", 0) == before.get("stock", 0) + 3
    assert await rebuild_clean(world)
