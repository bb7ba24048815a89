"""``veriseal verify --jwks``: an offline check says only what public keys can tell.

Driven through the real CLI (click's runner) with a real SQLite ledger and the JWKS file
that ``veriseal keys export-public`` writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from .test_cli import GTIN, setup_brand

JWKS = "acme.jwks.json"


def first_uri(run, tmp_path: Path, *create: str) -> str:  # type: ignore[no-untyped-def]
    run("batch", "create", "--product", GTIN, *create)
    run("batch", "codes", "1", "--format", "uri", "-o", "codes.txt")
    return (tmp_path / "codes.txt").read_text().splitlines()[0]


def test_compact_code_offline_needs_the_online_check(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_brand(run)
    uri = first_uri(run, tmp_path, "--lot", "L1", "--size", "5")
    run("keys", "export-public", "-o", JWKS)
    assert "Genuine" in run("verify", uri)  # it is a genuine code ...
    out = run("verify", uri, "--jwks", JWKS, code=18)  # ... that public keys cannot judge
    assert "Cannot be verified offline" in out and "[needs_online_check]" in out
    assert "check it online" in out
    assert "NOT a genuine code" not in out
    zh = run("--lang", "zh", "verify", uri, "--jwks", JWKS, code=18)
    assert "无法离线验证" in zh and "联网查询" in zh and "假" not in zh
    doc = json.loads(run("verify", uri, "--jwks", JWKS, "--json", code=18))
    assert (doc["outcome"], doc["reason"], doc["code"]) == (
        "needs_online_check",
        "needs_online_check",
        None,
    )
    # an edited compact code cannot be judged offline either: same answer, not "genuine"
    serial = uri.split("/21/")[1].split("?")[0]
    edited = uri.replace(serial, serial[:-1] + ("2" if serial[-1] != "2" else "3"))
    assert "[needs_online_check]" in run("verify", edited, "--jwks", JWKS, code=18)
    assert "[tag_mismatch]" in run("verify", edited, code=1)
    assert "18" in run("verify", "--help")


def test_offline_check_names_a_revoked_key(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_brand(run)
    uri = first_uri(run, tmp_path, "--lot", "S1", "--size", "3", "--profile", "signed")
    run("batch", "manifest", "1", "-o", "m.json")
    run("keys", "rotate")
    run("keys", "revoke", "0", "--yes")
    run("keys", "export-public", "-o", JWKS)
    out = run("verify", uri, "--jwks", JWKS, code=12)
    assert "REVOKED" in out and "[key_revoked]" in out and "acme.0" in out
    assert "unknown_key" not in out
    doc = json.loads((tmp_path / JWKS).read_text())
    assert [k["kid"] for k in doc["keys"]] == ["acme.1"]  # generic JOSE users: no acme.0
    [revoked] = doc["veriseal_revoked_keys"]
    assert revoked["kid"] == "acme.0" and revoked["veriseal_status"] == "revoked"
    assert revoked["revoked_at"]
    zh = run("--lang", "zh", "verify", uri, "--jwks", JWKS, code=12)
    assert "已吊销" in zh and "[key_revoked]" in zh
    # the online check agrees
    assert "[key_revoked]" in run("verify", uri, code=12)
    # a forged code in the revoked key's slot is a forgery, not a "revoked" code
    serial = uri.split("/21/")[1].split("?")[0]
    forged = uri.replace(serial, serial[:-1] + ("1" if serial[-1] != "1" else "2"))
    assert "[signature_mismatch]" in run("verify", forged, "--jwks", JWKS, code=1)
    # the revoked key does not sign anything else valid either (batch manifests)
    assert "[key_not_found]" in run("batch", "check-manifest", "m.json", "--jwks", JWKS, code=3)
    # a JWKS without the revocation list (older export) cannot tell: unknown key
    del doc["veriseal_revoked_keys"]
    (tmp_path / "old.json").write_text(json.dumps(doc))
    assert "[unknown_key]" in run("verify", uri, "--jwks", "old.json", code=1)
