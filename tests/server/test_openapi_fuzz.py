"""Fuzz the JSON API from its OpenAPI document: never a 500, errors always coded."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from veriseal.server import (
    accounts_routes,
    lifecycle_routes,
    messages_routes,
    openapi,
    scans_routes,
)
from veriseal_territories import routes as territories_routes

from .live_process import free_port, start_server, stop_server

# the document as generated from the routes a default server mounts (the core's and the
# bundled territories plugin's): the served one must be exactly this
DOC = json.loads(json.dumps(openapi.document([
    *lifecycle_routes.ROUTES, *accounts_routes.ROUTES, *scans_routes.ROUTES,
    *messages_routes.ROUTES, *territories_routes.ROUTES])))  # fmt: skip
SCHEMA = schemathesis.openapi.from_dict(DOC)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    proc, _ = start_server(tmp, f"sqlite:///{tmp / 'l.sqlite3'}", port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def test_the_document_is_served_and_matches_the_repo(server: str) -> None:
    with urllib.request.urlopen(server + "/openapi.json") as r:
        assert json.loads(r.read()) == DOC
    assert {op.path for op in OPERATIONS} >= {"/api/v1/verify", "/01/{gtin}/21/{serial}"}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_input_gives_a_500(server: str, operation: object) -> None:
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=server, timeout=10)
        assert response.status_code < 500, (case.path, response.text[:300])
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body["error"]["code"], str) and body["error"]["message"]
        elif "json" in response.headers.get("Content-Type", ""):
            case.operation.validate_response(response)

    check()


def test_path_fuzz_beyond_the_document(server: str) -> None:
    """Paths the document does not describe (any junk after /01/) are 4xx or verdicts."""
    for path in (
        "/01/",
        "/01/%00",
        "/01/0950600013435/21/%",
        "/x/01/09506000134352/21/" + "A" * 5000,
        "/01/09506000134352/21/C?17=999999&17=1",
        "/01/09506000134352/10/%E2%80/21/x",
    ):
        try:
            with urllib.request.urlopen(server + path) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status < 500, path
