"""Attackers sending unstorable codes cannot fail honest clients' scans.

A real server over each backend; 16 honest clients verify a genuine code while 2
attackers send codes holding NUL (``/api/v1/verify?code=C00%00N``, unauthenticated)
and lone surrogates (a handheld upload). Honest scans share group commits with the
attackers'; every honest request must get 200 with a genuine verdict, and every
acknowledged scan must be in the ledger. The attackers get a normal verdict, and their
attempts are on record (escaped).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp

from veriseal.models import ClonePolicy, ScanQuery

from .conftest import Api

HONEST_CLIENTS = 16
ATTACKERS = 2
REQUESTS_EACH = 20


async def _run(
    api: Api, attackers: int, attacks: list[tuple[int, Any]]
) -> tuple[list[int], int, list[dict[str, Any]]]:
    """Honest clients (and ``attackers``) until the honest ones made their requests;
    the acknowledged honest scan ids, the honest requests made, the failures seen.
    The attackers' answers go to ``attacks`` as (status, outcome or body)."""
    genuine = next(c for c in api.codes if c.pin is None)
    acked: list[int] = []
    failures: list[dict[str, Any]] = []
    done = asyncio.Event()
    serial = itertools.count()

    async def honest(session: aiohttp.ClientSession) -> None:
        for _ in range(REQUESTS_EACH):
            async with session.get(
                api.base + "/api/v1/verify", params={"code": genuine.uri}
            ) as resp:
                body = await resp.json()
            if resp.status == 200 and body.get("outcome") == "genuine":
                acked.append(int(body["scan"]["id"]))
            else:
                failures.append({"status": resp.status, "body": body})

    async def attacker(session: aiohttp.ClientSession) -> None:
        headers = {"Authorization": f"Bearer {api.brand_admin_token}"}
        while not done.is_set():
            async with session.get(
                api.base + "/api/v1/verify", params={"code": "C00\x00N"}
            ) as resp:
                body = await resp.json()
                attacks.append((resp.status, body.get("outcome", body)))
            upload = {"scans": [{"code": "\ud800X", "client_scan_id": f"atk-{next(serial)}"}]}
            async with session.post(
                api.base + "/api/v1/scans", json=upload, headers=headers
            ) as resp:
                body = await resp.json()
                # the typed edge refuses a body with a lone surrogate before any scan
                # is formed: a 400 for the uploader, nothing for the group commit
                answer = body["results"][0]["outcome"] if resp.status == 200 else (
                    body["error"]["code"])  # fmt: skip
                attacks.append((resp.status, answer))

    async with aiohttp.ClientSession() as session:
        attacking = [asyncio.create_task(attacker(session)) for _ in range(attackers)]
        await asyncio.sleep(0.05 if attackers else 0)  # the attack is under way first
        await asyncio.gather(*(honest(session) for _ in range(HONEST_CLIENTS)))
        done.set()
        await asyncio.gather(*attacking)
    return acked, HONEST_CLIENTS * REQUESTS_EACH, failures


async def test_honest_scans_succeed_under_an_unstorable_text_attack(api: Api) -> None:
    brand = await api.engine.brand(None)
    # the same code verified hundreds of times stays "genuine": no clone rule in the way
    await api.engine.ledger.set_clone_policy(brand.id, None, ClonePolicy(None, None, None))
    rates = {}
    acked_all: list[int] = []
    attacks: list[tuple[int, Any]] = []
    failed: list[dict[str, Any]] = []
    for attackers in (0, ATTACKERS):
        acked, made, failures = await _run(api, attackers, attacks)
        rates[attackers] = len(acked) / made
        acked_all += acked
        failed += failures
    print(
        f"\n{api.engine.ledger.dialect}: honest success rate {rates[0]:.3f} alone,"
        f" {rates[ATTACKERS]:.3f} under attack ({len(attacks)} attack requests)"
    )
    assert failed == [], f"{len(failed)} honest requests failed: {failed[:3]}"
    # the verify attacker got what any fake code gets, a verdict; the uploader a 400
    assert attacks and set(attacks) == {(200, "invalid"), (400, "invalid_input")}, set(attacks)
    stored = {
        s.id for s in await api.engine.ledger.list_scans(brand.id, ScanQuery(limit=1_000_000))
    }
    assert set(acked_all) <= stored, "an acknowledged scan is missing from the ledger"
    fakes = {
        s.scan.code for s in await api.engine.ledger.list_scans(None, ScanQuery(limit=1_000_000))
    }
    assert "C00\\x00N" in fakes  # the attempt is on record, escaped
