"""The third-party example plugin (examples/veriseal-hello), installed for real with pip.

It is built and installed into a folder of this test (``pip install --target``) that is
put on ``sys.path``: its entry point is then visible exactly as for a user who installed
it. Installed but not enabled, it must not run; enabled, its migrations, permission,
message type, service, event consumer (and the event it publishes), command and route
all work.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Protocol

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from tests.plugins.conftest import OpenEngine, brand_and_codes
from veriseal.accounts.models import SYSTEM, Role
from veriseal.engine import Engine
from veriseal.extend import Batch as StreamBatch
from veriseal.extend import ServiceKey, drain_events
from veriseal.extend.manager import installed
from veriseal.ledger import stream_store
from veriseal.models import Location, LocationSource, ScanChannel
from veriseal.scanning.service import ScanContext
from veriseal.server.app import Limits, make_app
from veriseal_cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "veriseal-hello"
SHANGHAI = Location(31.2304, 121.4737, 20.0, LocationSource.GPS)
PARIS = Location(48.8566, 2.3522, 20.0, LocationSource.GPS)


class Countries(Protocol):  # what a user of the service declares: no import of the plugin
    async def __call__(self, brand_id: int) -> list[str]: ...


COUNTRIES = ServiceKey[Countries]("hello.countries")


@pytest.fixture(scope="module")
def hello_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("hello")
    source = shutil.copytree(EXAMPLE, work / "src")  # the build leaves files behind
    target = work / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(source)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return target


@pytest.fixture
def hello_installed(hello_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(hello_site))
    importlib.invalidate_caches()
    assert "hello" in installed()


async def hello_rows(engine: object) -> list[tuple[int, str]] | None:
    """The plugin table's rows, or None when the table does not exist."""
    ledger = engine.ledger  # type: ignore[attr-defined]
    try:
        async with ledger.read() as tx:
            rows = await tx.fetch("SELECT scan_id, country FROM hello_scan_counts ORDER BY 1")
    except Exception:
        return None
    return [(int(r["scan_id"]), r["country"]) for r in rows]


async def new_country_events(engine: Engine) -> list[tuple[int, dict[str, object]]]:
    """The ``hello.new_country`` events on the stream: (ref, payload)."""
    async with engine.ledger.read() as tx:
        top = await stream_store.head(tx)
        found = await stream_store.read_after(tx, 0, top, frozenset({"hello.new_country"}), 100)
    return [(e.ref, e.payload) for e in found]


async def redeliver_scans(engine: Engine) -> None:
    """Hand every ``scan`` event to ``hello.counts`` again, as a worker that crashed
    before its commit would."""
    [consumer] = [c for _, c in engine.plugins.consumers() if c.name == "hello.counts"]
    assert consumer.prepare is not None
    ctx = engine.plugins.context("hello")
    async with engine.ledger.read() as tx:
        events = await stream_store.read_after(
            tx, 0, await stream_store.head(tx), frozenset({"scan"}), 100
        )
    prepared = await consumer.prepare(ctx, events)
    async with engine.ledger.write() as tx:
        await consumer.handle(ctx, StreamBatch(tuple(events), prepared), tx)


@pytest.mark.usefixtures("hello_installed")
async def test_installed_but_not_enabled_does_not_run(open_engine: OpenEngine) -> None:
    engine = await open_engine(plugins=("territories",))
    assert "hello" not in engine.plugins.names
    _, (uri,) = await brand_and_codes(engine, 1)
    await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, location=SHANGHAI))
    assert await hello_rows(engine) is None  # not even its table was created


@pytest.mark.usefixtures("hello_installed")
async def test_enabled_its_hooks_run(open_engine: OpenEngine) -> None:
    engine = await open_engine(plugins=("territories", "hello"))
    assert engine.plugins.names == ["territories", "hello"]
    assert {"hello/0001_counts", "hello/0002_countries"} <= set(
        await engine.ledger.schema_version()
    )
    brand, (uri,) = await brand_and_codes(engine, 1)
    brand_admin = await engine.accounts.create_user(
        SYSTEM,
        contact="boss@acme.example",
        display_name="boss",
        role=Role.BRAND_ADMIN,
        org_id=(await engine.accounts.brand_org(brand)).id,
    )
    first = await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, location=SHANGHAI))
    second = await engine.scans.scan(uri, ScanContext(ScanChannel.API))
    assert await hello_rows(engine) == []  # off the verify path: the stream's consumer counts

    # its event consumer: counts once, tells the brand admin once, publishes once
    assert await drain_events(engine, ["hello.counts"]) == 2
    third = await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, location=SHANGHAI))
    assert await drain_events(engine, ["hello.counts"]) == 1
    assert await hello_rows(engine) == [
        (first.scan_id, "CN"),
        (second.scan_id, ""),
        (third.scan_id, "CN"),
    ]
    [notice] = await engine.notifier.inbox.history(brand_admin.id)
    assert notice.type == "hello_new_country" and notice.data == {"country": "CN"}
    assert await new_country_events(engine) == [(first.scan_id, {"country": "CN"})]
    fourth = await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, location=PARIS))
    await drain_events(engine, ["hello.counts"])
    assert len(await engine.notifier.inbox.history(brand_admin.id)) == 2

    # a redelivered batch (at least once) changes nothing
    await redeliver_scans(engine)
    assert len(await hello_rows(engine) or []) == 4
    assert len(await engine.notifier.inbox.history(brand_admin.id)) == 2
    assert len(await new_country_events(engine)) == 2

    # its service, as another plugin would use it
    countries = engine.plugins.context("territories").service(COUNTRIES)
    assert await countries(brand.id) == ["CN", "FR"]
    assert (await new_country_events(engine))[-1] == (fourth.scan_id, {"country": "FR"})

    # its route, on the real server app; its permission: the platform admin's only
    app = make_app(engine, Limits(per_minute=0))
    admin = await engine.accounts.create_user(
        SYSTEM,
        contact="root@x.example",
        display_name="root",
        role=Role.PLATFORM_ADMIN,
        org_id=None,
    )
    token, _ = await engine.accounts.create_token(SYSTEM, "t", ["*"], None, admin.id)
    boss_token, _ = await engine.accounts.create_token(SYSTEM, "b", ["*"], None, brand_admin.id)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/api/v1/hello/counts")).status == 401  # declared access
        as_boss = {"Authorization": f"Bearer {boss_token}"}
        assert (await client.get("/api/v1/hello/counts", headers=as_boss)).status == 403
        response = await client.get(
            "/api/v1/hello/counts", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 200
        assert await response.json() == {"": 1, "CN": 2, "FR": 1}
        doc = await (await client.get("/openapi.json")).json()
        assert doc["paths"]["/api/v1/hello/counts"]["get"]["x-veriseal-access"] == "hello.read"


@pytest.mark.usefixtures("hello_installed")
def test_its_command_group_only_when_enabled(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    runner = CliRunner()
    env = {"VERISEAL_PASSPHRASE": "correct horse battery staple", "VERISEAL_CONFIG": ""}
    config = tmp_path / "veriseal.toml"
    config.write_text('[plugins]\nenabled = ["territories"]\n', encoding="utf-8")
    off = runner.invoke(cli, ["--config", str(config), "--db", db, "hello", "counts"], env=env)
    assert off.exit_code == 2 and "No such command 'hello'" in off.output
    config.write_text('[plugins]\nenabled = ["territories", "hello"]\n', encoding="utf-8")
    on = runner.invoke(cli, ["--config", str(config), "--db", db, "hello", "counts"], env=env)
    assert on.exit_code == 0, on.output
    assert on.output.strip() == "{}"
