"""The files of a plugin skeleton (:mod:`veriseal.extend.skeleton`), as
``string.Template`` texts: ``$name`` is the plugin's name, ``$Name`` its CamelCase form,
``$$`` a dollar sign. Paths are relative to the distribution's folder."""

from __future__ import annotations

_RAW: dict[str, str] = {
    "README.md": r"""
# veriseal-$name

A Veriseal plugin, written from `veriseal plugin new $name`. It keeps notes per brand
and shows one use of each part of the SDK (docs/plugins.md): adding a note publishes
`${name}.note_added` on the event stream, in the transaction that stores the note, and
the plugin's consumer `${name}.notices` tells the brand's admins off the request path.

| file | what it holds |
|---|---|
| `veriseal_$name/plugin.py` | the hookimpls, nothing else |
| `models.py`, `errors.py` | records; coded errors `${name}_*` with zh/en titles |
| `store.py` | all the SQL, tables `${name}_*` (`migrations/sqlite`, `migrations/postgres`) |
| `service.py` | the rules and permission checks (`${name}.write`, `${name}.read`) |
| `events.py` | its consumer of `${name}.note_added`: a notice to the brand admins, once per note |
| `api.py`, `cli.py` | `GET/POST /api/v1/$name/notes`, `veriseal $name notes` |

```sh
pip install -e . && printf '[plugins]\nenabled = ["territories", "$name"]\n' >> veriseal.toml
VERISEAL_PASSPHRASE=test pytest tests        # SQLite and PostgreSQL (VERISEAL_TEST_PG)
```

`veriseal serve` runs the consumer in the background; without a server, `veriseal
events consume` delivers what is pending and `veriseal events lag` shows how far behind
`${name}.notices` is (docs/events.md).
""",
    "pyproject.toml": r"""
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "veriseal-$name"
version = "0.1.0"
description = "A Veriseal plugin: $name"
requires-python = ">=3.11"
dependencies = ["veriseal"]

# Installing makes the plugin available; veriseal.toml must still enable it:
#   [plugins]
#   enabled = ["territories", "$name"]
[project.entry-points."veriseal.plugins"]
$name = "veriseal_$name.plugin"

[tool.setuptools.packages.find]
include = ["veriseal_$name*"]

[tool.setuptools.package-data]
veriseal_$name = ["migrations/*/*.sql"]

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"

[tool.ruff.lint.isort]
known-first-party = ["veriseal", "veriseal_$name"]
""",
    "tests/conftest.py": r'''
"""Fixtures of the $name plugin's tests: an engine with the plugin on SQLite and on
PostgreSQL (``VERISEAL_TEST_PG``, default the local server; ``VERISEAL_SKIP_POSTGRES=1``
skips that half)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the plugin, uninstalled

from veriseal import Engine, load_config

PG = os.environ.get("VERISEAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _pg_admin(sql: str) -> None:
    import asyncpg  # noqa: PLC0415 (PostgreSQL half only)

    conn = await asyncpg.connect(PG)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Engine]:
    from veriseal_$name import plugin  # noqa: PLC0415

    monkeypatch.setenv("VERISEAL_PASSPHRASE", "a test passphrase, not a secret")
    monkeypatch.setenv("VERISEAL_PLUGINS", "")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    else:
        if os.environ.get("VERISEAL_SKIP_POSTGRES") == "1":
            pytest.skip("VERISEAL_SKIP_POSTGRES=1")
        drop = f"veriseal_${name}_{secrets.token_hex(6)}"
        await _pg_admin(f'CREATE DATABASE "{drop}"')
        url = PG.rsplit("/", 1)[0] + "/" + drop
    toml = tmp_path / "veriseal.toml"
    toml.write_text(f'[ledger]\nurl = "{url}"\n\n[plugins.$name]\ngreeting = "hi"\n')
    eng = await Engine.open(load_config(str(toml)), extra_plugins=[("$name", plugin)])
    try:
        yield eng
    finally:
        await eng.close()
        if drop is not None:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')
''',
    "tests/test_plugin.py": r'''
"""The $name plugin on both backends: a permission, a message type, a service, an event
consumer and a route, through SDK names only."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from veriseal import SYSTEM_PRINCIPAL, Call, Engine, Forbidden, Role
from veriseal.extend import Batch, ServiceKey, StreamEvent, Unavailable, drain_events, mount_plugin


class Count(Protocol):  # what a user of the service declares: no import of the plugin
    async def __call__(self, brand_id: int) -> int: ...


COUNT = ServiceKey[Count]("$name.count")


async def test_the_plugin_end_to_end(engine: Engine) -> None:
    from veriseal_$name.api import (  # noqa: PLC0415
        ROUTES,
        BrandQuery,
        NoteBody,
        add_note,
        list_notes,
    )

    ctx = engine.plugins.context("$name")
    assert ctx.config == {"greeting": "hi"}
    brand = await engine.brands.create("acme", "Acme", "id.acme.example")
    root = await ctx.brand_org(brand)
    admin = await engine.accounts.create_user(
        SYSTEM_PRINCIPAL, contact="a@acme.example", display_name="A", role=Role.BRAND_ADMIN,
        org_id=root.id,
    )  # fmt: skip
    shopper = await engine.accounts.create_user(
        SYSTEM_PRINCIPAL, contact="c@acme.example", display_name="C", role=Role.CONSUMER,
        org_id=None,
    )  # fmt: skip
    count = ctx.optional(COUNT)
    assert not isinstance(count, Unavailable) and await count(brand.id) == 0

    # a route, with the brand admin's principal (permission: $name.write)
    app = web.Application()
    mount_plugin(app, ctx, ROUTES)
    request = make_mocked_request("POST", "/api/v1/$name/notes", app=app)
    who = await engine.accounts.principal(admin)
    added = await add_note(Call(request, engine, who), BrandQuery(), NoteBody(text="窜货巡查"))
    assert added["text"] == "窜货巡查"
    listed = await list_notes(Call(request, engine, who), BrandQuery())
    assert [n["text"] for n in listed["notes"]] == ["窜货巡查"]
    assert await ctx.service(COUNT)(brand.id) == 1

    # the permission: a consumer may not read the notes
    with pytest.raises(Forbidden):
        await list_notes(Call(request, engine, await engine.accounts.principal(shopper)),
                         BrandQuery())  # fmt: skip

    # the event consumer: the admins hear of the note from the stream, not the request
    assert await engine.notifier.inbox.history(admin.id) == []
    assert await drain_events(engine) == 1
    assert await drain_events(engine) == 0  # its cursor moved with the notice
    [message] = await engine.notifier.inbox.history(admin.id)
    assert message.type == "${name}_notice" and message.body == "窜货巡查"


async def test_a_redelivered_event_is_noticed_once(engine: Engine) -> None:
    """Delivery is at least once: the same event handled again sends nothing more."""
    from veriseal_$name.events import consumers  # noqa: PLC0415
    from veriseal_$name.models import NOTE_ADDED  # noqa: PLC0415
    from veriseal_$name.service import of  # noqa: PLC0415

    ctx = engine.plugins.context("$name")
    brand = await engine.brands.create("acme", "Acme", "id.acme.example")
    admin = await engine.accounts.create_user(
        SYSTEM_PRINCIPAL, contact="a@acme.example", display_name="A", role=Role.BRAND_ADMIN,
        org_id=(await ctx.brand_org(brand)).id,
    )  # fmt: skip
    note = await of(ctx).add(SYSTEM_PRINCIPAL, brand.id, "first")
    assert await drain_events(engine) == 1
    [consumer] = consumers()
    event = StreamEvent(1, NOTE_ADDED, brand.id, note.id, {}, dt.datetime.now(dt.UTC))
    assert consumer.prepare is not None
    prepared = await consumer.prepare(ctx, [event])
    async with ctx.db.write() as tx:
        await consumer.handle(ctx, Batch((event,), prepared), tx)
    assert len(await engine.notifier.inbox.history(admin.id)) == 1
''',
    "veriseal_$name/__init__.py": r'''
"""The $name plugin for Veriseal (see README.md). It imports only ``veriseal`` and
``veriseal.extend``."""
''',
    "veriseal_$name/api.py": r'''
"""HTTP routes of the $name plugin, declared like the core's (``veriseal.Endpoint``)."""

from __future__ import annotations

from typing import Any

from veriseal import Call, Endpoint, Model, Note, Short
from veriseal.extend import plugin_context
from veriseal_$name.models import READ, WRITE
from veriseal_$name.service import of

NAME = "$name"


class BrandQuery(Model):
    brand: Short | None = None


class NoteBody(Model):
    text: Note


async def _brand_id(call: Call, slug: str | None) -> int:
    ctx = plugin_context(call, NAME)
    if call.who.brand_id is not None:
        return call.who.brand_id
    return (await ctx.brand(slug)).id


async def list_notes(call: Call, query: BrandQuery) -> dict[str, Any]:
    service = of(plugin_context(call, NAME))
    found = await service.notes(call.who, await _brand_id(call, query.brand))
    return {"notes": [n.to_dict() for n in found]}


async def add_note(call: Call, query: BrandQuery, body: NoteBody) -> dict[str, Any]:
    service = of(plugin_context(call, NAME))
    note = await service.add(call.who, await _brand_id(call, query.brand), body.text)
    return note.to_dict()


ROUTES = [
    Endpoint("GET", "/api/v1/$name/notes", list_notes, READ, "The brand's notes",
             tag="$name"),
    Endpoint("POST", "/api/v1/$name/notes", add_note, WRITE, "Add a note", status=201,
             tag="$name"),
]  # fmt: skip
''',
    "veriseal_$name/cli.py": r'''
"""``veriseal $name ...``: the plugin's commands (the local operator acts)."""

from __future__ import annotations

import click

from veriseal import SYSTEM_PRINCIPAL
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_$name.service import of

NAME = "$name"


@click.group(NAME)
def group() -> None:
    """The $name plugin."""


@group.command("notes")
@pass_opts
def notes(opts: Options) -> None:
    """The brand's notes, as JSON."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        echo_json([n.to_dict() for n in await of(ctx).notes(SYSTEM_PRINCIPAL, brand.id)])

    with_context(opts, NAME, go)


@group.command("add")
@click.argument("text")
@pass_opts
def add(opts: Options, text: str) -> None:
    """Add a note to the brand."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        echo_json((await of(ctx).add(SYSTEM_PRINCIPAL, brand.id, text)).to_dict())

    with_context(opts, NAME, go)
''',
    "veriseal_$name/errors.py": r'''
"""Coded errors of the $name plugin (titles registered by ``register_error_codes``)."""

from __future__ import annotations

from veriseal import NotFound

TEXTS = {"${name}_note_not_found": ("Note not found", "未找到该备注")}


class NoteNotFound(NotFound):
    code = "${name}_note_not_found"
''',
    "veriseal_$name/events.py": r'''
"""The $name plugin on the event stream. It publishes ``$name.note_added`` (store.py, in
the transaction that stores the note) and consumes it here: the brand's admins are told
of a new note off the request path, once per note.

Delivery is at least once. ``handle`` therefore writes every effect (the notices, the
note's claim) in the consumer's transaction, which moves its cursor too, and claims
each note before telling anyone, so a redelivered event sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from veriseal.extend import Batch, Consumer, PluginContext, StreamEvent, Tx
from veriseal_$name.models import NOTE_ADDED, NOTICE, Note
from veriseal_$name.service import of

#: The consumer's name keys its cursor: renaming it starts over from the beginning.
CONSUMER = "$name.notices"


@dataclass(frozen=True)
class Notice:
    note: Note
    admins: tuple[int, ...]


async def prepare(ctx: PluginContext, events: Sequence[StreamEvent]) -> dict[int, Notice]:
    """Before the transaction opens (reads only; may run again for the same events):
    each new note and the admins to tell, by note id."""
    service = of(ctx)
    found: dict[int, Notice] = {}
    for event in events:
        note = await service.store.get(event.ref)
        found[note.id] = Notice(note, tuple(await service.admins(note.brand_id)))
    return found


async def handle(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    """In the consumer's transaction: notify each note's admins, unless the note was
    claimed already (a redelivery)."""
    notices: dict[int, Notice] = batch.prepared or {}
    store = of(ctx).store
    for event in batch:
        notice = notices.get(event.ref)
        if notice is None or not await store.claim_notice(tx, event.ref):
            continue
        if notice.admins:
            title = "New note / 新备注"
            await ctx.notify(notice.admins, NOTICE, title, notice.note.text, tx=tx)


def consumers() -> list[Consumer]:
    """What the ``event_consumers`` hook declares."""
    return [Consumer(CONSUMER, frozenset({NOTE_ADDED}), handle, batch_size=50, prepare=prepare)]
''',
    "veriseal_$name/migrations/__init__.py": r'''
"""The $name plugin's migrations: ``sqlite/`` and ``postgres/``, the same tables."""
''',
    "veriseal_$name/migrations/postgres/0001_notes.sql": r"""
CREATE TABLE ${name}_notes (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ${name}_notes_brand ON ${name}_notes(brand_id, id);
-- one row per note whose admins were told: what makes the consumer idempotent
CREATE TABLE ${name}_notices (
    note_id     BIGINT PRIMARY KEY
);
""",
    "veriseal_$name/migrations/sqlite/0001_notes.sql": r"""
CREATE TABLE ${name}_notes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    brand_id    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX ${name}_notes_brand ON ${name}_notes(brand_id, id);
-- one row per note whose admins were told: what makes the consumer idempotent
CREATE TABLE ${name}_notices (
    note_id     INTEGER PRIMARY KEY
);
""",
    "veriseal_$name/models.py": r'''
"""Records of the $name plugin: plain frozen dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from veriseal import Action, MessageType

#: Write notes (brand admins); read them (brand admins, inspectors).
WRITE = Action("$name.write")
READ = Action("$name.read")
#: Sent to the brand's admins when a note is added.
NOTICE = MessageType("${name}_notice")
#: The event the plugin publishes when a note is added (``ref``: the note's id).
NOTE_ADDED = "$name.note_added"


@dataclass(frozen=True)
class Note:
    id: int
    brand_id: int
    text: str
    created_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "created_at": self.created_at.isoformat()}
''',
    "veriseal_$name/plugin.py": r'''
"""Hookimpls of the $name plugin (entry point ``$name``): nothing but hookimpls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from veriseal import PluginMigrations, Role, hookimpl
from veriseal.extend import (
    Channel,
    Consumer,
    MessageTypeSpec,
    Permission,
    PluginContext,
    Provided,
    mount_plugin,
)
from veriseal_$name import events, service
from veriseal_$name.errors import TEXTS
from veriseal_$name.models import NOTICE, READ, WRITE

P, B, INS = Role.PLATFORM_ADMIN, Role.BRAND_ADMIN, Role.INSPECTOR


@hookimpl
def ledger_migrations() -> PluginMigrations:
    return PluginMigrations(prefix="$name", package="veriseal_$name.migrations")


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission(WRITE, frozenset({P, B}), "Write $name notes", "编写备注"),
        Permission(READ, frozenset({P, B, INS}), "Read $name notes", "查看备注"),
    ]


@hookimpl
def register_message_types() -> list[MessageTypeSpec]:
    return [MessageTypeSpec(NOTICE, "$Name notice", "$Name 通知", (Channel.INBOX,))]


@hookimpl
def register_error_codes() -> Mapping[str, tuple[str, str]]:
    return TEXTS


@hookimpl
def provide_services(ctx: PluginContext) -> list[Provided[Any]]:
    return service.services(ctx)


@hookimpl
def event_consumers() -> list[Consumer]:
    return events.consumers()


@hookimpl
def register_commands(cli: Any) -> None:
    from veriseal_$name.cli import group  # noqa: PLC0415 (click: CLI only)

    cli.add_command(group)


@hookimpl
def register_routes(app: Any, ctx: PluginContext) -> None:
    from veriseal_$name.api import ROUTES  # noqa: PLC0415 (aiohttp: server only)

    mount_plugin(app, ctx, ROUTES)
''',
    "veriseal_$name/service.py": r'''
"""The rules of the $name plugin: permission checks, then the store. ``of(ctx)`` gives
the engine's instance (kept in the context's state)."""

from __future__ import annotations

from typing import Any, Protocol

from veriseal import SYSTEM_PRINCIPAL, InvalidInput, Principal, Role
from veriseal.extend import PluginContext, Provided, ServiceKey
from veriseal_$name.models import READ, WRITE, Note
from veriseal_$name.store import NoteStore


class CountNotes(Protocol):
    """The ``$name.count`` service other plugins may use."""

    async def __call__(self, brand_id: int) -> int: ...


COUNT = ServiceKey[CountNotes]("$name.count")
MAX_TEXT = 2000


class NoteService:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self.store = NoteStore(ctx.db)

    async def add(self, principal: Principal, brand_id: int, text: str) -> Note:
        """Add a note (``$name.write`` in the brand). The store announces it on the
        event stream; the brand's admins are told from there (events.py)."""
        self.ctx.require(principal, WRITE, brand_id=brand_id)
        if not text.strip() or len(text) > MAX_TEXT:
            raise InvalidInput(f"a note is 1 to {MAX_TEXT} characters")
        return await self.store.add(brand_id, text.strip())

    async def notes(self, principal: Principal, brand_id: int) -> list[Note]:
        """The brand's notes, oldest first (``$name.read`` in the brand)."""
        self.ctx.require(principal, READ, brand_id=brand_id)
        return await self.store.list(brand_id)

    async def count(self, brand_id: int) -> int:
        return await self.store.count(brand_id)

    async def admins(self, brand_id: int) -> list[int]:
        """The ids of the brand's admins (the users of its root organisation)."""
        root = await self.ctx.brand_org(await self.ctx.brand_by_id(brand_id))
        users = await self.ctx.users(SYSTEM_PRINCIPAL, root.id)
        return [u.id for u in users if u.role is Role.BRAND_ADMIN]


def of(ctx: PluginContext) -> NoteService:
    found = ctx.state.get("service")
    if not isinstance(found, NoteService):
        found = NoteService(ctx)
        ctx.state["service"] = found
    return found


def services(ctx: PluginContext) -> list[Provided[Any]]:
    return [Provided(COUNT, of(ctx).count)]
''',
    "veriseal_$name/store.py": r'''
"""All the SQL of the $name plugin, over its own tables only (``${name}_*``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from veriseal.extend import Database, Tx, publish
from veriseal_$name.errors import NoteNotFound
from veriseal_$name.models import NOTE_ADDED, Note

_SELECT = "SELECT id, brand_id, text, created_at FROM ${name}_notes"


def _note(row: Any) -> Note:
    created = row["created_at"]  # PostgreSQL gives datetimes, SQLite ISO 8601 text
    if not isinstance(created, dt.datetime):
        created = dt.datetime.fromisoformat(str(created))
    return Note(int(row["id"]), int(row["brand_id"]), row["text"], created)


class NoteStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, brand_id: int, text: str) -> Note:
        """Store a note and publish ``$name.note_added`` in the same transaction: both
        commit or neither does."""
        now = dt.datetime.now(dt.UTC)
        async with self.db.write() as tx:
            values = {"brand_id": brand_id, "text": text, "created_at": now}
            note_id = await tx.insert_returning_id("${name}_notes", values)
            # last in the transaction: on PostgreSQL publishing holds the stream's append
            # lock until the commit
            await publish(tx, NOTE_ADDED, brand_id, note_id, {"length": len(text)})
        return Note(note_id, brand_id, text, now)

    async def get(self, note_id: int) -> Note:
        async with self.db.read() as tx:
            row = await tx.fetchrow(_SELECT + " WHERE id = ?", note_id)
        if row is None:
            raise NoteNotFound(f"no note {note_id}")
        return _note(row)

    async def list(self, brand_id: int) -> list[Note]:
        async with self.db.read() as tx:
            rows = await tx.fetch(_SELECT + " WHERE brand_id = ? ORDER BY id", brand_id)
        return [_note(r) for r in rows]

    async def count(self, brand_id: int) -> int:
        async with self.db.read() as tx:
            row = await tx.fetchrow(
                "SELECT COUNT(*) AS n FROM ${name}_notes WHERE brand_id = ?",
                brand_id,
            )
        return int(row["n"]) if row is not None else 0

    async def claim_notice(self, tx: Tx, note_id: int) -> bool:
        """In the consumer's ``tx``: True the first time a note's notice is claimed,
        False ever after (what makes the consumer idempotent)."""
        known = await tx.fetchrow(
            "SELECT note_id FROM ${name}_notices WHERE note_id = ?",
            note_id,
        )
        if known is not None:
            return False
        await tx.upsert("${name}_notices", {"note_id": note_id}, ["note_id"], update=())
        return True
''',
}

#: path template -> text template (each text above starts after its first newline)
FILES: dict[str, str] = {path: text[1:] for path, text in _RAW.items()}
