"""Alerts as an operator reads them: the brand's as a table, and the platform's own
(an invalid-code flood raised by a real server) with ``alerts list --platform``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli.conftest import sh
from tests.conftest import veriseal_exe as _exe
from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import Principal, Role, User
from veriseal.config import load
from veriseal.engine import Engine

GTIN = "9506000134352"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _flood(tmp_path: Path, tries: int) -> None:
    """Serve the ledger and send ``tries`` invalid codes from one client (loopback)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    server = subprocess.Popen(
        [_exe(), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        for i in range(tries):
            with urllib.request.urlopen(f"{base}/api/v1/verify?code=NOTACODE{i}", timeout=10) as r:
                assert json.load(r)["outcome"] == "invalid"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_invalid_flood_is_listed_for_the_platform(acme_dir: Path) -> None:
    _flood(acme_dir, 20)  # the server's default: 20 invalid verdicts in 10 minutes
    platform = sh(acme_dir, "alerts", "list", "--platform", "--json")
    assert platform.returncode == 0, platform.stderr
    found = json.loads(platform.stdout)
    assert [a["kind"] for a in found] == ["invalid_flood"]
    assert found[0]["details"] == {"client": "127.0.0.1", "invalid_scans": 20}
    assert len(found[0]["evidence_scans"]) == 20
    table = sh(acme_dir, "alerts", "list", "--platform").stdout.splitlines()
    assert table[0].split()[:2] == ["ID", "AT"] and "invalid_flood" in table[1]
    assert "client=127.0.0.1" in table[1] and "{" not in table[1]  # not a Python dict
    # a brand's list stays the brand's
    assert json.loads(sh(acme_dir, "alerts", "list", "--json").stdout) == []


async def test_platform_alerts_are_the_platform_admins(acme_dir: Path) -> None:
    engine = await Engine.open(load(str(acme_dir / "veriseal.toml")))
    try:
        brand = await engine.brand(None)
        org = await engine.accounts.brand_org(brand)
        admin = await engine.accounts.create_user(
            Principal(None),
            contact="a@example.com",
            display_name="A",
            role=Role.BRAND_ADMIN,
            org_id=org.id,
        )
        assert isinstance(admin, User)
        as_brand_admin = await engine.accounts.principal(admin)
        with pytest.raises(Forbidden):
            await engine.scans.platform_alerts(as_brand_admin)
        assert await engine.scans.platform_alerts(Principal(None)) == []
    finally:
        await engine.close()
