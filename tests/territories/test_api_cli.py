"""The HTTP API over real loopback HTTP with API tokens, and the CLI end to end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from tests.territories.conftest import DEALERS_CSV, GTIN, World, drain
from veriseal.accounts.models import SYSTEM, Role
from veriseal.server.app import Limits, make_app
from veriseal_cli.main import cli


async def token(w: World, role: Role, org_id: int, contact: str) -> str:
    user = await w.engine.accounts.create_user(
        SYSTEM, contact=contact, display_name=contact, role=role, org_id=org_id
    )
    text, _ = await w.engine.accounts.create_token(
        await w.engine.accounts.principal(user), "t", ["*"]
    )
    return text


async def test_api(network: World) -> None:
    w = network
    root = await w.engine.accounts.brand_org(w.brand)
    boss = {
        "Authorization": "Bearer " + await token(w, Role.BRAND_ADMIN, root.id, "b@acme.example")
    }
    zj = {
        "Authorization": "Bearer "
        + await token(w, Role.DISTRIBUTOR, await w.dealer_org("ZJ01"), "13911110000")
    }
    base = "/api/v1/territories"
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:
        assert (await c.get(f"{base}/grants")).status == 401
        r = await c.post(f"{base}/grants", headers=zj, json={"dealer": "ZJ01", "region": "CN-SH"})
        assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"
        r = await c.post(
            f"{base}/grants", headers=boss, json={"dealer": "GZ-R1", "region": "CN-GD/Guangzhou"}
        )
        assert (await r.json())["error"]["code"] == "not_verified"
        r = await c.post(
            f"{base}/grants",
            headers=boss,
            json={"dealer": "ZJ01", "product": f"gtin:{GTIN}", "region": "310000"},
        )
        assert r.status == 201 and (await r.json())["region"] == "CN-SH"
        q = {"dealer": "ZJ01", "product": GTIN, "region": "CN-GD"}
        body = await (await c.get(f"{base}/authorize", headers=zj, params=q)).json()
        assert (body["allowed"], body["reason"]) == (False, "outside_territory")
        body = await (
            await c.post(f"{base}/authorize", headers=zj, json={**q, "region": "CN-SH"})
        ).json()
        assert body["allowed"] is True
        r = await c.get(f"{base}/authorize", headers=zj, params={**q, "dealer": "GD01"})
        assert r.status == 403  # a dealer asks about itself only
        # shipments: the brand ships to ZJ01; ZJ01's handheld syncs its receipt twice
        items = w.codes(0, 5)
        r = await c.post(f"{base}/shipments", headers=boss, json={"to": "ZJ01", "items": items})
        assert r.status == 201 and (await r.json())["items"] == 5
        ops = {
            "operations": [
                {"client_id": "z-1", "kind": "in", "items": items},
                {"client_id": "z-2", "kind": "in", "items": ["junk"]},
            ]
        }
        first = (await (await c.post(f"{base}/sync", headers=zj, json=ops)).json())["results"]
        assert first[0]["ok"] and first[0]["received"] == 5 and not first[0]["replayed"]
        assert first[1]["error"]["code"] == "item_unknown"
        second = (await (await c.post(f"{base}/sync", headers=zj, json=ops)).json())["results"]
        assert second[0]["replayed"] is True
        holder = await (
            await c.get(f"{base}/holder", headers=boss, params={"code": items[0]})
        ).json()
        assert holder["holder"]["code"] == "ZJ01" and holder["state"] == "received"
        # two consumers open the printed links in Guangzhou, outside ZJ01's territory:
        # two units of one consignment, two witnesses (one alone is never proof)
        for n, item in enumerate(items[1:3]):
            c.session.cookie_jar.clear()
            r = await c.get(
                "/" + item.split("/", 3)[3],
                params={"lat": "23.1291", "lon": "113.2644", "acc": "15"},
                headers={"Accept": "application/json", "Cookie": f"vs_device=phone{n}"},
            )
            assert (await r.json())["outcome"] == "genuine"
        await drain(w.engine)  # the diversion check runs on the event stream, off the request
        alerts = (await (await c.get(f"{base}/diversion/alerts", headers=boss)).json())["alerts"]
        csv_text = await (
            await c.get(f"{base}/diversion/alerts", headers=boss, params={"format": "csv"})
        ).text()
        assert csv_text.startswith("id,at,state")
        [alert] = alerts
        assert alert["evidence"]["holder"]["code"] == "ZJ01" and alert["province"] == "CN-GD"
        assert alert["level"] == "suspected" and alert["items"] == 2
        assert len({u["by"]["actor"] for u in alert["evidence"]["units"]}) == 2  # witnesses
        assert f"\n{alert['id']}," in csv_text
        url = f"{base}/diversion/alerts/{alert['id']}/transition"
        r = await c.post(url, headers=boss, json={"to": "investigating", "note": "asking ZJ01"})
        assert (await r.json())["state"] == "investigating"
        r = await c.post(url, headers=zj, json={"to": "dismissed", "note": "no"})
        assert r.status == 403
        ranked = await (
            await c.get(
                f"{base}/diversion/scan",
                headers=boss,
                params={"since": (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()},
            )
        ).json()
        assert [(d["dealer"], d["outside_units"]) for d in ranked["dealers"]] == [("ZJ01", 2)]
        tree = await (await c.get(f"{base}/dealers", headers=zj)).json()
        assert [n["dealer"]["code"] for n in tree["dealers"]] == ["ZJ01"]  # its subtree only
        assert tree["next_cursor"] is None


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", GTIN, "--name", "Green tea", "--category", "Beverages/Tea")
    ok("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "100")
    (tmp_path / "dealers.csv").write_text(DEALERS_CSV + "BAD,,,,,,,\n", encoding="utf-8")
    bad = run(cli, ["dealers", "import", "dealers.csv"])
    assert bad.exit_code != 0 and "line 5" in bad.output and "[csv_invalid]" in bad.output
    assert "created 3" in ok("dealers", "import", "dealers.csv", "--skip-bad")
    assert "  GD01 华南总代 [distributor] CN-GD active" in ok("dealers", "tree")
    refused = run(cli, ["territory", "grant", "GD01", "--region", "CN-GD"])
    assert refused.exit_code != 0 and "[not_verified]" in refused.output
    out = run(cli, ["territory", "authorize", "GD01", GTIN, "--region", "CN-GD"])
    assert out.exit_code == 1 and json.loads(out.output)["reason"] == "no_grant"
    out = json.loads(ok("shipments", "out", "--to", "GD01", "--items", str(_codes(tmp_path))))
    assert out["territory_check"]["skipped"] == "no_grants"  # no territories granted yet
    assert json.loads(ok("shipments", "policy")) == {"check": "flag", "warehouse_check": "refuse"}
    assert json.loads(ok("shipments", "policy", "--check", "refuse"))["check"] == "refuse"
    assert run(cli, ["shipments", "policy", "--check", "never"]).exit_code != 0
    holder = json.loads(ok("shipments", "holder", _codes(tmp_path).read_text().split()[0]))
    assert holder["holder"]["code"] == "GD01" and holder["state"] == "in_transit"
    first = _codes(tmp_path).read_text().split()[0]
    half = run(cli, ["shipments", "in", "--at", "GD01", first, "--lat", "23.13"])
    assert half.exit_code != 0 and "[shipment_invalid]" in half.output  # a lat needs a lon
    scan_in = ["shipments", "in", "--at", "GD01", first, "--client-id", "hh-9", "--note", "dock"]
    scan_in += ["--lat", "23.13", "--lon", "113.26", "--accuracy-m", "20"]
    got = json.loads(ok(*scan_in))
    assert (got["received"], got["items"], got["replayed"]) == (1, 1, False)
    assert json.loads(ok(*scan_in))["replayed"]  # the same client id: replayed
    assert json.loads(ok("shipments", "list"))[-1]["client_id"] == "hh-9"
    assert json.loads(ok("shipments", "holder", first))["state"] == "received"
    assert json.loads(ok("diversion", "tolerance", "--buffer-km", "12"))["buffer_km"] == 12
    assert "rank\tdealer" in ok("diversion", "scan", "--since", "1d")
    ok("diversion", "export", "-o", "alerts.csv")
    assert (tmp_path / "alerts.csv").read_text(encoding="utf-8-sig").startswith("id,at,state")


def _codes(tmp: Path) -> Path:
    path = tmp / "codes.txt"
    if not path.exists():
        result = CliRunner().invoke(
            cli, ["batch", "codes", "1", "--format", "uri", "--to", "9", "-o", str(path)]
        )
        assert result.exit_code == 0, result.output
    return path
