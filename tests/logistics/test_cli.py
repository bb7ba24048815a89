"""``veriseal waybills ...`` and ``veriseal logistics ...`` end to end on a fresh ledger:
a waybill registered, its events imported from CSV (a bad file stores nothing and names
its lines), the timeline in both languages, the rules run, an alert listed and closed,
rules changed, a secret set without ever being printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from veriseal_cli.main import cli

EVENTS = (
    "carrier,tracking_no,time,status,description,place,event_id\n"
    "shunfeng,SF3001,2026-11-02 06:30,在途,到达东莞转运中心,东莞,c-2\n"
    "shunfeng,SF3001,2026-11-01 18:00,picked_up,已揽收,深圳,c-1\n"
)


def test_waybills_and_logistics_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str, given: str | None = None) -> str:
        result = run(cli, list(args), input=given, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    w = json.loads(ok("waybills", "add", "shunfeng", "SF3001", "--from", "深圳", "--to", "广州",
                      "--promised", "2026-11-04", "--reference", "SO-1", "--json"))  # fmt: skip
    assert (w["carrier"], w["status"], w["destination"]["city"]) == (
        "shunfeng", "info_received", "440100")  # fmt: skip
    assert "SF3001" in ok("waybills", "list")
    bad = tmp_path / "bad.csv"
    bad.write_text(EVENTS + "shunfeng,SF3001,someday,在途,x,,c-3\nshunfeng,SF9999,"
                   "2026-11-02 06:30,在途,x,,c-4\n", encoding="utf-8")  # fmt: skip
    refused = run(cli, ["waybills", "import", str(bad)])
    assert refused.exit_code == 2 and "[logistics_csv_invalid]" in refused.output
    assert "line 4:" in refused.output and "line 5:" in refused.output
    assert json.loads(ok("waybills", "timeline", str(w["id"]), "--json")) == []
    good = tmp_path / "events.csv"
    good.write_bytes(b"\xef\xbb\xbf" + EVENTS.encode())  # a spreadsheet's BOM
    assert json.loads(ok("waybills", "import", str(good), "--json")) == {
        "rows": 2, "added": 2, "duplicates": 0, "waybills": 1}  # fmt: skip
    assert "新增 0 条事件，2 条已存在" in ok("--lang", "zh", "waybills", "import", str(good))
    points = json.loads(ok("waybills", "timeline", str(w["id"]), "--json"))
    assert [p["status"] for p in points] == ["picked_up", "in_transit"]
    text = ok("--lang", "zh", "waybills", "timeline", str(w["id"]))
    assert text.index("已揽收") < text.index("运输中")
    assert "In transit" in ok("waybills", "show", str(w["id"]))
    checked = json.loads(ok("logistics", "check", "--json"))
    assert checked["opened"] >= 1  # a month without news
    alerts = json.loads(ok("logistics", "alerts", "--json"))
    stalled = next(a for a in alerts if a["kind"] == "stalled")
    assert "closed" in ok("logistics", "alerts", "close", str(stalled["id"]), "--note", "checked")
    assert all(a["id"] != stalled["id"] for a in json.loads(ok("logistics", "alerts", "--json")))
    shown = json.loads(ok("logistics", "settings", "--set", "stall_default_hours=24",
                          "--set", "late=false", "--json"))  # fmt: skip
    assert (shown["rules"]["stall_default_hours"], shown["rules"]["late"]) == (24.0, False)
    assert shown["secrets"] == {"kuaidi100_salt": False, "webhook_secret": False}
    out = ok("logistics", "secret", "webhook_secret", given="whsec-very-secret-1\n")
    assert "whsec-very-secret-1" not in out and "set" in out
    shown = json.loads(ok("logistics", "settings", "--json"))
    assert shown["secrets"]["webhook_secret"] is True
    assert "whsec-very-secret-1" not in json.dumps(shown)
    for args in (
        ["logistics", "settings", "--set", "nonsense=1"],
        ["logistics", "settings", "--set", "late=perhaps"],
        ["waybills", "add", "sf", "SF3002", "--from", "深圳", "--promised", "soon"],
    ):
        assert run(cli, args).exit_code == 2, args
    refused = run(cli, ["logistics", "settings", "--set", "stall_factor=0"])
    assert refused.exit_code == 2 and "[logistics_rules_invalid]" in refused.output
    assert json.loads(ok("logistics", "poll", "--json"))["asked"] == 0  # no poller configured
