"""``veriseal returns ...`` over the world's own ledger (both backends): the brand's
rules, a dealer's request with codes from standard input, a fake code refused and kept
as an alert, another dealer refused, the brand asks and approves part, the dealer
answers with a photo; coded errors become messages and the error's exit code, and a
refused command changes nothing."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CliRun, cli_runner
from tests.inventory.conftest import World
from tests.returns.conftest import PNG, TEA, WINE, Delivered, deliver

REASONS = [
    {"code": "damaged", "en": "Damaged in transit", "zh": "运输破损"},
    {"code": "leaking", "en": "Leaking", "zh": "渗漏"},
    {"code": "other", "en": "Other", "zh": "其他"},
]


@dataclass
class Ctx:
    run: CliRun
    got: Delivered
    users: dict[str, str]  # who -> user id, as text
    tmp: Path


async def test_returns_cli(world: World, ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    got = await deliver(world)
    tmp = world.shop.tmp
    run = cli_runner(tmp, monkeypatch, ("--db", ledger_url, "--brand", "acme"))
    monkeypatch.setenv("VERISEAL_KEY_FILE", str(tmp / "test.key"))
    users = {}
    for who in ("gd", "zj", "admin"):
        user = world.shop.people[who].user
        assert user is not None
        users[who] = str(user.id)
    await asyncio.to_thread(_flow, Ctx(run, got, users, tmp))


def _flow(c: Ctx) -> None:
    run, tea, no_ = c.run, c.got.codes[TEA], c.got.order.order_no
    gd, zj = ("--user", c.users["gd"]), ("--user", c.users["zj"])
    # the brand's rules
    assert "window / 期限: 30 days" in run("returns", "settings")
    (c.tmp / "bad.json").write_text('{"code": "x"}', encoding="utf-8")
    assert "[invalid_input]" in run("returns", "settings", "--reasons-file", "bad.json", code=2)
    (c.tmp / "reasons.json").write_text(json.dumps(REASONS), encoding="utf-8")
    rules = json.loads(run("returns", "settings", "--reasons-file", "reasons.json",
                           "--window-days", "14", "--sealed-only", WINE, "--json"))  # fmt: skip
    assert (rules["window_days"], rules["sealed_only"]) == (14, [WINE])
    assert [r["code"] for r in rules["reasons"]] == ["damaged", "leaking", "other"]
    assert "[product_not_found]" in run("returns", "settings", "--no-return", "09506000000008",
                                        code=3)  # fmt: skip
    assert json.loads(run("returns", "settings", "--json"))["no_return"] == []
    # refusals: each coded, nothing written
    opened = ["returns", "open", no_, *gd, "--reason", "leaking"]
    assert "[return_unit_fake]" in run(*opened, "--code", tea[0], "--code", tea[0][:-3] + "ZZZ",
                                       code=2)  # fmt: skip
    assert "[return_invalid]" in run(*opened[:-1], "nope", "--code", tea[0], code=2)
    assert "[return_not_eligible]" in run(*opened, "--code", c.got.codes[WINE][0],
                                          "--opened", WINE, code=2)  # fmt: skip
    assert "[forbidden]" in run("returns", "open", no_, *zj, "--reason", "leaking",
                                "--code", tea[0], code=11)  # fmt: skip
    assert run("returns", "list") == ""
    alerts = json.loads(run("returns", "alerts", "--json"))
    assert [a["kind"] for a in alerts] == ["fake_code"]
    # codes on standard input
    line = run(*opened, "--detail", "瓶盖渗漏", input="\n".join(tea[:3]) + "\n")
    rno = line.split("\t")[0]
    assert rno.startswith("RT") and "\trequested\treturn\t" in line and "3 units" in line
    assert "[forbidden]" in run("returns", "show", rno, *zj, code=11)
    assert "[forbidden]" in run("returns", "approve", rno, *gd, code=11)  # a dealer
    assert "[return_unit_returned]" in run(*opened, "--code", tea[0], code=4)
    # review: a question, the dealer's answer and photo, a part approval
    assert "\tinfo_requested\t" in run("returns", "ask", rno, "--question", "照片？")
    (c.tmp / "box.png").write_bytes(PNG)
    (c.tmp / "box.txt").write_text("not a photo", encoding="utf-8")
    assert "[return_invalid]" in run("returns", "photo", rno, "box.txt", *gd, code=2)
    assert "photo " in run("returns", "photo", rno, "box.png", *gd)
    assert "[forbidden]" in run("returns", "answer", rno, "--body", "x", code=11)  # not the dealer
    assert "\trequested\t" in run("returns", "answer", rno, "--body", "已上传", *gd)
    assert "brand\t" in run("returns", "post", rno, "--body", "收到")
    assert "[return_invalid]" in run("returns", "approve", rno, "--code", c.got.codes[WINE][1],
                                     code=2)  # fmt: skip
    (c.tmp / "ok.txt").write_text("\n".join(tea[:2]), encoding="utf-8")
    approved = json.loads(run("returns", "approve", rno, "--codes-file", "ok.txt", "--json"))
    assert approved["status"] == "approved"
    assert sorted(u["code"] for u in approved["units"]) == sorted(tea[:2])
    assert "[return_transition]" in run("returns", "reject", rno, "--reason", "x", code=4)
    shown = run("returns", "show", rno, *gd)
    for expected in ("approve", "answer", "照片？", "已上传", "box.png", f"{TEA}\t"):
        assert expected in shown, expected
    view = json.loads(run("returns", "show", rno, "--json"))
    assert [e["action"] for e in view["events"]] == ["open", "ask", "answer", "approve"]
    assert [ln.split("\t")[0] for ln in run("returns", "list").splitlines()] == [rno]
    assert run("returns", "list", "--status", "rejected") == ""
    # a second request for the declined unit, withdrawn by the dealer
    other = run(*opened, "--code", tea[2]).split("\t")[0]
    assert "\tcancelled\t" in run("returns", "cancel", other, *gd)
    stats = json.loads(run("returns", "stats", "--json"))
    assert (stats["total"]["returned"], stats["by_reason"]) == (2, {"leaking": 2})
    assert "[invalid_input]" in run("returns", "stats", "--since", "yesterday", code=2)
    assert "[return_not_found]" in run("returns", "show", "RT-NONE", code=3)
    assert "[return_transition]" in run("returns", "refund", rno, code=4)
