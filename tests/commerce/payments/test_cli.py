"""``veriseal payments ...`` over the shop's own ledger (both backends): finance lists,
shows, confirms, rejects and refunds; coded errors become messages and exit codes."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.commerce.payments.conftest import TOTAL, PayWorld
from tests.commerce.payments.test_ledger import RECEIPT
from tests.conftest import CliRun, cli_runner


async def test_finance_commands(
    pay: PayWorld, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, people = pay.shop.c.payments, pay.shop.people
    one, two = await pay.payable(), await pay.payable("shop")
    first = await svc.start_transfer(people["gd"], one, RECEIPT)
    second = await svc.start_transfer(people["shop"], two, RECEIPT)
    run = cli_runner(pay.shop.tmp, monkeypatch, ("--db", ledger_url, "--brand", "acme"))
    monkeypatch.setenv("VERISEAL_KEY_FILE", str(pay.shop.tmp / "test.key"))
    await asyncio.to_thread(_finance, run, first.payment.id, second.payment.id)


def _finance(run: CliRun, one: int, two: int) -> None:
    waiting = json.loads(run("payments", "transfers"))
    assert [p["id"] for p in waiting] == [two, one]
    summary = json.loads(run("payments", "confirm", str(one), "ICBC-1"))
    assert (summary["status"], summary["paid"]) == ("paid", TOTAL)
    again = run("payments", "confirm", str(one), "ICBC-1", code=4)
    assert "[payment_closed]" in again
    assert "rejected" in run("payments", "reject", str(two), "not on the statement")
    refund = json.loads(run("payments", "refund", str(one), "R-1", "2.50"))
    assert (refund["kind"], refund["amount"]) == ("refunded", 250)
    assert "[refund_too_large]" in run("payments", "refund", str(one), "R-2", "400.00", code=4)
    assert "[money_invalid]" in run("payments", "refund", str(one), "R-3", "1.005", code=2)
    shown = json.loads(run("payments", "show", str(one)))
    assert [e["kind"] for e in shown["events"]] == [
        "started", "receipt", "captured", "refund_requested", "refunded",
    ]  # fmt: skip
    listed = json.loads(run("payments", "list"))
    assert {p["id"] for p in listed} == {one, two}
    assert json.loads(run("payments", "transfers")) == []
    assert json.loads(run("payments", "poll")) == {}
    assert "[payment_not_found]" in run("payments", "show", "999999", code=3)
