"""``veriseal returns receive|inspect|send-back|scrap|refund|settle`` over the world's own
ledger (both backends): two requests approved by the brand come back through the
warehouse; one is refunded for the units that passed (once), the other, none of whose
units passed, is settled after its unit is sent back to the dealer."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import CliRun, cli_runner
from tests.inventory.conftest import World
from tests.returns.conftest import TEA, deliver
from veriseal_commerce.returns import ReturnAsk


async def test_goods_cli(world: World, ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = world.shop
    got = await deliver(world)
    tea = got.codes[TEA]
    gd, admin = shop.people["gd"], shop.people["admin"]
    first = await shop.c.returns.open(
        gd, ReturnAsk(got.order.order_no, "return", "damaged", tea[:3])
    )
    await shop.c.returns.approve(admin, first.return_no)
    second = await shop.c.returns.open(
        gd, ReturnAsk(got.order.order_no, "return", "defective", tea[3:4])
    )
    await shop.c.returns.approve(admin, second.return_no)
    run = cli_runner(shop.tmp, monkeypatch, ("--db", ledger_url, "--brand", "acme"))
    monkeypatch.setenv("VERISEAL_KEY_FILE", str(shop.tmp / "test.key"))
    await asyncio.to_thread(_flow, run, first.return_no, second.return_no, tea)


def _flow(run: CliRun, one: str, two: str, tea: list[str]) -> None:
    assert "[return_unit_state]" in run("returns", "receive", one, "--code", tea[5], code=4)
    assert "[return_transition]" in run("returns", "refund", one, code=4)
    out = run("returns", "receive", one, "--codes-file", "-", input="\n".join(tea[:3]))
    assert "\treceived\t" in out
    assert "[return_unit_state]" in run("returns", "inspect", one, code=4)  # nothing named
    got = json.loads(run("returns", "inspect", one, "--accept", tea[0], "--accept", tea[1],
                         "--reject", tea[2], "--reason", "受潮", "--json"))  # fmt: skip
    assert got["status"] == "inspected"
    assert [u["status"] for u in got["units"]].count("restocked") == 2
    scrapped = json.loads(run("returns", "scrap", one, "--code", tea[2], "--reason", "报废",
                              "--json"))  # fmt: skip
    assert {u["code"]: u["status"] for u in scrapped["units"]}[tea[2]] == "scrapped"
    done = json.loads(run("returns", "refund", one, "--json"))
    assert done["status"] == "completed" and done["refunded"] > 0
    assert "[return_transition]" in run("returns", "refund", one, code=4)  # once
    # the second: its only unit fails inspection, goes back to the dealer, settled
    assert "\treceived\t" in run("returns", "receive", two, "--code", tea[3])
    assert "\tinspected\t" in run("returns", "inspect", two, "--reject", tea[3],
                                  "--reason", "人为损坏")  # fmt: skip
    assert "[return_not_refundable]" in run("returns", "refund", two, code=4)
    run("returns", "send-back", two, "--code", tea[3], "--note", "退回经销商")
    assert "\tcompleted\t" in run("returns", "settle", two, "--note", "不予退款")
    shown = json.loads(run("returns", "show", two, "--json"))
    assert [u["status"] for u in shown["units"]] == ["sent_back"]
