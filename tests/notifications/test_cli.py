"""``veriseal notify`` as a user meets it (click's runner over a real ledger)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from tests.notifications.conftest import SmtpBox

Run = Callable[..., str]


def test_notify_flow(
    run: Run,
    ledger_url: str,
    tmp_path: Path,
    smtp_server: tuple[SmtpBox, int],
) -> None:
    box, port = smtp_server
    (tmp_path / "veriseal.toml").write_text(
        f'[ledger]\nurl = "{ledger_url}"\n\n'
        f'[notifications.email]\nhost = "127.0.0.1"\nport = {port}\n'
        'sender = "Acme <noreply@acme.example>"\n\n'
        '[notifications.sms]\nprovider = "console"\npath = "sms.log"\n',
        encoding="utf-8",
    )
    run(
        "notify",
        "contacts",
        "set",
        "--user",
        "1",
        "--email",
        "a@example.com",
        "--phone",
        "13800138000",
    )
    run("notify", "prefs", "set", "--user", "1", "--type", "promotion", "--channels", "inbox,email")
    prefs = json.loads(run("notify", "prefs", "show", "--user", "1"))
    assert {p["type"]: p["channels"] for p in prefs}["promotion"] == ["inbox", "email"]
    out = run(
        "notify",
        "send",
        "--type",
        "diversion_alert",
        "--user",
        "1",
        "--title",
        "窜货预警",
        "--body",
        "发现窜货行为",
        "--data",
        '{"region": "330100"}',
    )
    assert "2 deliveries queued" in out
    run("notify", "send", "--type", "promotion", "--user", "1", "--title", "Sale", "--body", "八折")
    found = json.loads(run("notify", "inbox", "--user", "1", "--search", "窜货", "--json"))
    assert [m["title"] for m in found] == ["窜货预警"]
    assert found[0]["channels"] == ["inbox", "email", "sms"]
    run("notify", "mark", "--user", "1", str(found[0]["id"]))
    unread = json.loads(run("notify", "inbox", "--user", "1", "--unread", "--json"))
    assert [m["title"] for m in unread] == ["Sale"]

    out = run("notify", "deliver")
    assert "3 delivered" in out
    assert sorted(m["Subject"] for m in box.messages) == ["Sale", "窜货预警"]
    [sms] = [json.loads(x) for x in (tmp_path / "sms.log").read_text("utf-8").splitlines()]
    assert sms["to"] == "+8613800138000" and "发现窜货行为" in sms["text"]
    status = json.loads(run("notify", "outbox", "--json"))
    assert status["summary"] == {"pending": 0, "held": 0, "delivered": 3, "failed": 0}
    first = status["deliveries"][-1]["id"]
    history = json.loads(run("notify", "attempts", str(first)))
    assert [a["outcome"] for a in history["attempts"]] == ["delivered"]

    # a window over the whole day but one minute holds the promotion's e-mail
    dnd = ["--from", "00:00", "--to", "23:59", "--tz", "UTC"]
    run("notify", "dnd", "set", "--user", "1", "--type", "promotion", *dnd)
    out = run("notify", "send", "--type", "promotion", "--user", "1", "--title", "t")
    held = '"held_by_dnd": true' in out
    assert held or dt.datetime.now(dt.UTC).strftime("%H:%M") == "23:59"  # the free minute
    assert json.loads(run("notify", "outbox", "--json"))["summary"]["held"] == int(held)
    code = ["--title", "验证码", "--body", "123456"]
    out = run("notify", "send-to", "--channel", "sms", "--address", "+8613900139000", *code)
    assert "1 deliveries queued" in out


def test_errors_are_coded_and_bilingual(run: Run, ledger_url: str) -> None:
    db = ["--db", ledger_url]
    out = run(*db, "notify", "send", "--type", "spam", "--user", "1", "--title", "x", code=2)
    assert "[notify_input_invalid]" in out and "unknown message type" in out
    out = run(
        *db,
        "--lang",
        "zh",
        "notify",
        "send-to",
        "--channel",
        "email",
        "--address",
        "nope",
        "--title",
        "x",
        code=2,
    )
    assert "地址无效 [address_invalid]" in out
    out = run(*db, "notify", "inbox", "--user", "1", "--search", "？！", code=2)
    assert "[search_query_invalid]" in out
    out = run(*db, "notify", "mark", "--user", "1", "999", code=3)
    assert "[message_not_found]" in out
    out = run(
        *db,
        "notify",
        "dnd",
        "set",
        "--user",
        "1",
        "--type",
        "security_notice",
        "--from",
        "22:00",
        "--to",
        "07:00",
        code=2,
    )
    assert "never held" in out
    out = run(*db, "notify", "attempts", "5", code=3)
    assert "[outbox_not_found]" in out


def test_users_are_reached_at_their_account_contacts(run: Run, ledger_url: str) -> None:
    """A user created by the accounts module needs no notification contacts of their own:
    their account's e-mail is used, and contacts set for notifications win over it."""
    db = ["--db", ledger_url]
    run(*db, "init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    run(*db, "users", "orgs", "root")
    run(*db, "users", "add", "boss@acme.example", "--name", "Boss", "--role", "brand_admin",
        "--org", "1")  # fmt: skip
    out = run(*db, "notify", "send", "--type", "system_notice", "--user", "1", "--title", "hi")
    assert '"address": "boss@acme.example"' in out
    run(*db, "notify", "contacts", "set", "--user", "1", "--email", "ops@acme.example")
    out = run(*db, "notify", "send", "--type", "system_notice", "--user", "1", "--title", "hi")
    assert '"address": "ops@acme.example"' in out


def test_unread_count_follows_the_search(run: Run, ledger_url: str) -> None:
    db = ["--db", ledger_url]
    for title, body in (("Sale", "x"), ("窜货", "y")):
        send = ("notify", "send", "--type", "promotion", "--user", "1")
        run(*db, *send, "--title", title, "--body", body)
    # nothing matches: the list is empty and so is the count under it
    out = run(*db, "notify", "inbox", "--user", "1", "--search", "nothingmatches")
    assert out.splitlines() == ["0 unread"]
    out = run(*db, "notify", "inbox", "--user", "1", "--search", "Sale")
    assert "Sale" in out and out.splitlines()[-1] == "1 unread"
    assert run(*db, "notify", "inbox", "--user", "1").splitlines()[-1] == "2 unread"
