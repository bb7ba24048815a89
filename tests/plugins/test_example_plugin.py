"""The third-party example plugin (examples/veriseal-hello), installed for real with pip.

It is built and installed into a folder of this test (``pip install --target``) that is
put on ``sys.path``: its entry point is then visible exactly as for a user who installed
it. Installed but not enabled, it must not run; enabled, its migration, hook, command and
route all work.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from tests.plugins.conftest import OpenEngine, brand_and_codes
from veriseal.accounts.models import SYSTEM, Role
from veriseal.extend.manager import installed
from veriseal.models import Location, LocationSource, ScanChannel
from veriseal.scanning.service import ScanContext
from veriseal.server.app import Limits, make_app
from veriseal_cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "veriseal-hello"
SHANGHAI = Location(31.2304, 121.4737, 20.0, LocationSource.GPS)


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
    assert "hello/0001_counts" in await engine.ledger.schema_version()
    _, (uri,) = await brand_and_codes(engine, 1)
    first = await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, location=SHANGHAI))
    second = await engine.scans.scan(uri, ScanContext(ScanChannel.API))
    assert await hello_rows(engine) == [(first.scan_id, "CN"), (second.scan_id, "")]
    # its route, on the real server app
    app = make_app(engine, Limits(per_minute=0))
    admin = await engine.accounts.create_user(
        SYSTEM,
        contact="root@x.example",
        display_name="root",
        role=Role.PLATFORM_ADMIN,
        org_id=None,
    )
    token, _ = await engine.accounts.create_token(SYSTEM, "t", ["*"], None, admin.id)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/api/v1/hello/counts")).status == 401  # declared access
        response = await client.get(
            "/api/v1/hello/counts", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 200
        assert await response.json() == {"": 1, "CN": 1}
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
