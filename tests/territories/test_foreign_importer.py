"""A foreign importer's enterprise verification (issue 13 part 6): over real HTTP, on
both backends, a Vietnamese importer submits its registration number and document, is
approved, and can then be granted a territory; Chinese credit codes are still checked,
and bad input is a 400 with no row written."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from tests.territories.conftest import World, jpeg, uscc
from tests.territories.test_api_cli import token
from veriseal.accounts.models import SYSTEM, Role
from veriseal.server.app import Limits, make_app
from veriseal_cli.main import cli

IMPORTERS = """code,name,kind,parent,contact,phone,regions,status
VN01,Hanoi Tea Import JSC,distributor,,Nguyen,13800000009,VN,active
GD09,华南新代理,distributor,,张九,13800000010,CN-GD,active
"""


async def rows(w: World) -> int:
    async with w.engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM kyc_submissions")
    assert row is not None
    return int(row["n"])


async def test_vietnamese_importer_is_verified_and_granted(world: World) -> None:
    w, t = world, world.t
    await t.dealers.import_csv(SYSTEM, w.brand.id, IMPORTERS)
    root = await w.engine.accounts.brand_org(w.brand)
    boss = {"Authorization": "Bearer " + await token(w, Role.BRAND_ADMIN, root.id, "b@a.example")}
    vn = {
        "Authorization": "Bearer "
        + await token(w, Role.DISTRIBUTOR, await w.dealer_org("VN01"), "+84912345678")
    }
    gd = {
        "Authorization": "Bearer "
        + await token(w, Role.DISTRIBUTOR, await w.dealer_org("GD09"), "13911119999")
    }
    doc = base64.b64encode(jpeg()).decode()
    good = {"kind": "enterprise", "legal_name": "Hanoi Tea Import JSC", "country": "vn",
            "number": "  0101234567 ", "document_base64": doc}  # fmt: skip
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:
        # bad input: 400, and nothing stored
        for change, code in (
            ({"country": "ZZ"}, "identity_invalid"),  # not an ISO 3166-1 country
            ({"country": "VNM"}, "invalid_input"),  # alpha-2 only
            ({"number": "0101_234567"}, "identity_invalid"),
            ({"number": "9" * 65}, "invalid_input"),
            ({"number": "   "}, "identity_invalid"),
            ({"document_base64": ""}, "invalid_input"),  # the document is required
            ({"document_base64": base64.b64encode(b"not an image").decode()}, "image_invalid"),
            ({"country": "CN"}, "identity_invalid"),  # in China: a credit code, checked
            ({"kind": "person"}, "invalid_input"),  # persons: Chinese resident IDs
        ):
            r = await c.post("/api/v1/kyc", headers=vn, json={**good, **change})
            body = await r.json()
            assert r.status == 400 and body["error"]["code"] == code, (change, body)
        assert await rows(w) == 0
        # a USCC with a wrong check character is still refused; a good one still passes
        bad = uscc(9)[:-1] + ("0" if uscc(9)[-1] != "0" else "1")
        cn = {**good, "country": "CN", "legal_name": "华南新代理有限公司"}
        r = await c.post("/api/v1/kyc", headers=gd, json={**cn, "number": bad})
        assert r.status == 400 and "GB 32100" in (await r.json())["error"]["message"]
        del cn["country"]  # the default: CN
        r = await c.post("/api/v1/kyc", headers=gd, json={**cn, "number": uscc(9)})
        assert r.status == 201 and (await r.json())["country"] == "CN"
        # the importer submits; the brand sees the country in its review queue
        r = await c.post("/api/v1/kyc", headers=vn, json=good)
        sub = await r.json()
        assert r.status == 201, sub
        assert (sub["country"], sub["number"], sub["status"]) == ("VN", "0101**4567", "pending")
        pending = (await (await c.get("/api/v1/kyc/pending", headers=boss)).json())["submissions"]
        assert {p["country"] for p in pending} == {"CN", "VN"}
        assert (await (await c.get(f"/api/v1/kyc/{sub['id']}", headers=boss)).json())[
            "country"
        ] == "VN"
        # not verified yet: no territory
        grant = {"dealer": "VN01", "region": "VN"}
        r = await c.post("/api/v1/territories/grants", headers=boss, json=grant)
        assert (await r.json())["error"]["code"] == "not_verified"
        r = await c.post(f"/api/v1/kyc/{sub['id']}/review", headers=boss,
                         json={"decision": "approve"})  # fmt: skip
        assert (await r.json())["status"] == "approved"
        r = await c.post("/api/v1/territories/grants", headers=boss, json=grant)
        assert r.status == 201 and (await r.json())["region"] == "VN"
    decision = await t.grants.authorize(w.brand.id, "VN01", w.batch.gtin, "VN")
    assert decision.allowed


def test_cli_submits_a_foreign_enterprise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("users", "orgs", "root")
    (tmp_path / "licence.jpg").write_bytes(jpeg())
    ok("users", "add", "+84912345678", "--name", "Nguyen", "--role", "brand_admin", "--org", "1")
    sub = json.loads(ok("users", "kyc", "submit", "1", "--enterprise", "--country", "VN",
                        "--name", "Acme VN", "--number", "0101 234 567",
                        "--document", "licence.jpg"))  # fmt: skip
    assert (sub["country"], sub["number"]) == ("VN", "0101**** 567")  # spaces kept, masked
    assert json.loads(ok("users", "kyc", "pending"))[0]["country"] == "VN"
    bad = run(cli, ["users", "kyc", "submit", "1", "--enterprise", "--country", "XX",
                    "--name", "Acme VN", "--number", "1", "--document", "licence.jpg"])  # fmt: skip
    assert bad.exit_code != 0 and "[identity_invalid]" in bad.output
