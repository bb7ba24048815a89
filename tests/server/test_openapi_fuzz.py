"""Fuzz the JSON API from the document it serves: never a 500, errors always coded.

The server is a real ``veriseal serve --demo`` process. Every operation of the served
``/openapi.json`` is fuzzed anonymously and with the tokens of several roles (brand
admin, distributor, consumer, and a handheld's ``scans.record`` token), so inputs reach
the services and not just the sign-in check.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from veriseal.accounts.models import SYSTEM, OrgKind, Role
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.engine import Engine

from .live_process import free_port, start_server, stop_server

#: Routes that end the caller's own session or credentials: fuzzed anonymously only,
#: or the tokens under test would be revoked half-way.
SELF_ENDING = {("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/tokens/{token}")}
EXAMPLES = int(os.environ.get("VERISEAL_FUZZ_EXAMPLES", "30"))


async def _tokens(ledger: str, key: Path) -> dict[str, str]:
    """Users of several roles in the demo brand, and a token each."""
    engine = await Engine.open(Config(None, ledger, KeySource(key_file=key)))
    try:
        root = await engine.accounts.brand_org(await engine.brand(None))
        dealer = await engine.accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR, "华东")
        tokens = {}
        for name, role, org in (
            ("brand_admin", Role.BRAND_ADMIN, root.id),
            ("distributor", Role.DISTRIBUTOR, dealer.id),
            ("consumer", Role.CONSUMER, None),
        ):
            user = await engine.accounts.create_user(
                SYSTEM, contact=f"{name}@demo.example", display_name=name, role=role,
                org_id=org, password="fuzzing is caring 2026",
            )  # fmt: skip
            tokens[name] = (await engine.accounts.create_token(SYSTEM, name, ["*"], None, user.id))[
                0
            ]
            if name == "distributor":
                tokens["handheld"] = (
                    await engine.accounts.create_token(SYSTEM, "h", ["scans.record"], None, user.id)
                )[0]
        return tokens
    finally:
        await engine.close()


class Served:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base = base
        self.tokens = tokens
        with urllib.request.urlopen(base + "/openapi.json") as r:
            self.doc = json.loads(r.read())
        schema = schemathesis.openapi.from_dict(self.doc)
        self.operations = [result.ok() for result in schema.get_all_operations()]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    ledger = f"sqlite:///{tmp / 'l.sqlite3'}"
    proc, _ = start_server(tmp, ledger, port)
    try:
        tokens = asyncio.run(_tokens(ledger, tmp / "k.key"))
        yield Served(f"http://127.0.0.1:{port}", tokens)
    finally:
        stop_server(proc)


def test_every_route_is_documented(served: Served) -> None:
    paths = set(served.doc["paths"])
    assert {"/api/v1/verify", "/01/{gtin}/21/{serial}", "/api/v1/tokens"} <= paths
    assert "/api/v1/territories/grants" in paths  # plugins' routes too
    assert all(op.get("operationId") for p in served.doc["paths"].values() for op in p.values())


#: Routes a payment provider calls: a refusal is answered in the provider's own format
#: (WeChat Pay's ``{"code": "FAIL", "message": ...}``, Alipay's literal ``fail``), which
#: the provider reads to retry, not in the API's error format.
PROVIDER_ANSWERS = {("POST", "/api/v1/commerce/payments/notify/{provider}")}


def _provider_refusal(text: str) -> None:
    if text == "fail":
        return
    body = json.loads(text)
    assert body["code"] == "FAIL" and isinstance(body["message"], str), text[:300]


def _fuzz(served: Served, who: str | None) -> list[str]:
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {served.tokens[who]}"} if who else {}
    for operation in served.operations:
        if who and (operation.method.upper(), operation.path) in SELF_ENDING:
            continue

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=served.base, headers=headers, timeout=10)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            if response.status_code >= 400 and response.content:
                if (case.method.upper(), case.operation.path) in PROVIDER_ANSWERS:
                    _provider_refusal(response.text)
                    return
                body = response.json()
                assert isinstance(body["error"]["code"], str) and body["error"]["message"]

        try:
            check()
        except AssertionError as exc:
            failures.append(f"{operation.label}: {str(exc)[:400]}")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("who", [None, "brand_admin", "distributor", "consumer", "handheld"])
def test_no_input_gives_a_500(served: Served, who: str | None) -> None:
    failures = _fuzz(served, who)
    assert not failures, "\n".join(failures)


def test_path_fuzz_beyond_the_document(served: Served) -> None:
    """Paths the document does not describe (any junk after /01/) are 4xx or verdicts."""
    for path in (
        "/01/",
        "/01/%00",
        "/01/0950600013435/21/%",
        "/x/01/09506000134352/21/" + "A" * 5000,
        "/01/09506000134352/21/C?17=999999&17=1",
        "/01/09506000134352/10/%E2%80/21/x",
        "/api/v1/users/99999999999999999999",
        "/api/v1/batches/%C2%B2/activate",
    ):
        try:
            with urllib.request.urlopen(served.base + path) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status < 500, path
