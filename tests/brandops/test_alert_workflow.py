"""The core alerts' workflow: the rule (a hypothesis state machine against a model of
the states), who may read and move an alert, and the JSON API over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import SYSTEM
from veriseal.brandops.alerts import (
    STATES,
    AlertNoteRequired,
    AlertNotFound,
    AlertTransition,
    check_step,
)
from veriseal.config import sqlite_url
from veriseal.engine import Engine
from veriseal.models import AlertKind, NewAlert
from veriseal.server import make_app
from veriseal.server.app import Limits

from .conftest import World, build_world, open_config

#: The workflow as this test understands it, written out independently of the module.
ALLOWED = {
    ("open", "investigating"),
    ("open", "dismissed"),
    ("investigating", "confirmed"),
    ("investigating", "dismissed"),
    ("dismissed", "investigating"),
}
NEEDS_NOTE = {"confirmed", "dismissed"}


def _alert(brand_id: int | None, kind: AlertKind = AlertKind.CLONE_COUNT) -> NewAlert:
    return NewAlert(dt.datetime.now(dt.UTC), brand_id, kind, "CODE", (), '{"count": 21}')


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("to", [*STATES, "closed"])
@pytest.mark.parametrize("note", ["", "  ", "seen in Guangzhou"])
def test_the_rule(state: str, to: str, note: str) -> None:
    if (state, to) not in ALLOWED:
        with pytest.raises(AlertTransition):
            check_step(state, to, note)
    elif to in NEEDS_NOTE and not note.strip():
        with pytest.raises(AlertNoteRequired):
            check_step(state, to, note)
    else:
        assert check_step(state, to, note) == note.strip()


class Workflow(RuleBasedStateMachine):
    """Random steps (allowed or not, with or without a note) by the brand admin on one
    alert of a real ledger: the service's state and history follow the model's."""

    def __init__(self, runner: asyncio.Runner, world: World) -> None:
        super().__init__()
        self.run = runner.run
        self.w = world
        self.alert_id = self.run(world.engine.ledger.append_alert(_alert(world.brand.id)))
        self.state = "open"
        self.history: list[tuple[str, str]] = []

    @rule(to=st.sampled_from([*STATES, "nope"]), note=st.sampled_from(["", " ", "why"]))
    def step(self, to: str, note: str) -> None:
        admin = self.w.who["B"]
        ops = self.w.engine.ops.alerts
        if (self.state, to) not in ALLOWED:
            with pytest.raises(AlertTransition):
                self.run(ops.transition(admin, self.alert_id, to, note))
        elif to in NEEDS_NOTE and not note.strip():
            with pytest.raises(AlertNoteRequired):
                self.run(ops.transition(admin, self.alert_id, to, note))
        else:
            case = self.run(ops.transition(admin, self.alert_id, to, note))
            self.state = to
            self.history.append((to, note.strip()))
            assert case.state == to

    @rule(to=st.sampled_from(STATES))
    def an_inspector_cannot_move_it(self, to: str) -> None:
        with pytest.raises(Forbidden):
            self.run(self.w.engine.ops.alerts.transition(self.w.who["I"], self.alert_id, to, "x"))

    @invariant()
    def state_and_history_match(self) -> None:
        case = self.run(self.w.engine.ops.alerts.get(self.w.who["I"], self.alert_id))
        assert case.state == self.state
        assert [(e.state, e.note) for e in case.events] == self.history
        assert {e.actor for e in case.events} <= {f"user:{self.w.who['B'].user_id}"}
        assert set(case.next_states) == {b for a, b in ALLOWED if a == self.state}


def test_the_workflow_as_a_state_machine(tmp_path: Path) -> None:
    with asyncio.Runner() as runner:
        cfg = open_config(sqlite_url(tmp_path / "w.sqlite3"), tmp_path)
        engine = runner.run(Engine.open(cfg))
        try:
            world = runner.run(build_world(engine))
            run_state_machine_as_test(
                lambda: Workflow(runner, world),
                settings=settings(max_examples=25, stateful_step_count=12, deadline=None),
            )
        finally:
            runner.run(engine.close())


async def test_reading_and_scope(world: World) -> None:
    engine, ops = world.engine, world.engine.ops.alerts
    mine = await engine.ledger.append_alert(_alert(world.brand.id))
    theirs = await engine.ledger.append_alert(_alert(world.other.id))
    flood = await engine.ledger.append_alert(_alert(None, AlertKind.INVALID_FLOOD))
    assert (await ops.get(world.who["I"], mine)).state == "open"
    for letter in ("F", "D", "R", "C"):
        with pytest.raises(Forbidden):
            await ops.get(world.who[letter], mine)
    # another brand's alert and the platform's are not found, not forbidden: their
    # existence is nobody else's business
    for alert_id in (theirs, flood, 10**9):
        with pytest.raises(AlertNotFound):
            await ops.get(world.who["B"], alert_id)
    with pytest.raises(AlertNotFound):
        await ops.transition(world.who["other"], mine, "investigating")
    assert (await ops.get(world.who["P"], flood)).state == "open"
    moved = await ops.transition(world.who["P"], flood, "dismissed", "a load test")
    assert moved.events[0].actor == f"user:{world.who['P'].user_id}"
    local = await ops.transition(SYSTEM, mine, "investigating")
    assert local.events[0].actor == "cli"
    # lists: newest first, by state and kind
    first = await ops.page(world.who["B"], world.brand)
    assert [a.alert.id for a in first] == [mine]
    assert [a.alert.id for a in await ops.page(world.who["B"], world.brand, state="open")] == []
    investigating = await ops.page(world.who["I"], world.brand, state="investigating")
    assert [a.alert.id for a in investigating] == [mine]
    with pytest.raises(Forbidden):
        await ops.page(world.who["B"], None)
    platform = await ops.page(world.who["P"], None, state="dismissed")
    assert [a.alert.id for a in platform] == [flood]


async def test_paging_by_state_stays_in_order(world: World) -> None:
    engine, ops, admin = world.engine, world.engine.ops.alerts, world.who["B"]
    ids = [await engine.ledger.append_alert(_alert(world.brand.id)) for _ in range(9)]
    for alert_id in ids[::2]:
        await ops.transition(admin, alert_id, "investigating")
    for state, expected in (("investigating", ids[::2]), ("open", ids[1::2]), (None, ids)):
        seen: list[int] = []
        beyond = None
        for _ in range(10):
            page = await ops.page(admin, world.brand, state=state, beyond=beyond, limit=2)
            seen += [a.alert.id for a in page]
            if len(page) < 2:
                break
            beyond = page[-1].alert.id
        assert seen == sorted(expected, reverse=True), state
    oldest = await ops.page(admin, world.brand, state="investigating", newest_first=False)
    assert [a.alert.id for a in oldest] == ids[::2]


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_the_json_api(world: World, unused_tcp_port: int) -> None:
    engine = world.engine
    alert_id = await engine.ledger.append_alert(_alert(world.brand.id))
    tokens = {}
    for letter in ("B", "I"):
        user = world.who[letter].user
        assert user is not None
        tokens[letter], _ = await engine.accounts.create_token(SYSTEM, "t", ["*"], None, user.id)
    runner = web.AppRunner(make_app(engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    base = f"http://127.0.0.1:{unused_tcp_port}/api/v1/alerts/{alert_id}"

    async def call(letter: str, method: str, url: str, body: object = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {tokens[letter]}"}
        async with (
            aiohttp.ClientSession(headers=headers) as s,
            s.request(method, url, json=body) as r,
        ):
            return r.status, await r.json()

    try:
        status, got = await call("I", "GET", base)
        assert status == 200 and got["state"] == "open" and got["details"] == {"count": 21}
        assert got["next_states"] == ["investigating", "dismissed"]
        status, got = await call("I", "POST", base + "/transition", {"to": "investigating"})
        assert (status, got["error"]["code"]) == (403, "forbidden")
        status, got = await call("B", "POST", base + "/transition", {"to": "confirmed"})
        assert (status, got["error"]["code"]) == (409, "alert_transition")
        status, got = await call("B", "POST", base + "/transition", {"to": "investigating"})
        assert status == 200 and got["state"] == "investigating"
        status, got = await call("B", "POST", base + "/transition", {"to": "confirmed"})
        assert (status, got["error"]["code"]) == (400, "alert_note_required")
        body = {"to": "confirmed", "note": "copies sold in Foshan"}
        status, got = await call("B", "POST", base + "/transition", body)
        assert status == 200 and [e["state"] for e in got["events"]] == [
            "investigating", "confirmed"]  # fmt: skip
        assert got["next_states"] == []
        listed_url = f"http://127.0.0.1:{unused_tcp_port}/api/v1/alerts?state=confirmed"
        status, got = await call("I", "GET", listed_url)
        assert status == 200 and [a["id"] for a in got["alerts"]] == [alert_id]
        assert got["alerts"][0]["state"] == "confirmed"
        status, got = await call("I", "GET", base.rsplit("/", 1)[0] + "/999999")
        assert (status, got["error"]["code"]) == (404, "not_found")
    finally:
        await runner.cleanup()
