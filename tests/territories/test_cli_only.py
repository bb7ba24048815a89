"""A CLI-only brand owner authorizes a dealer from scratch: import the dealers, add the
dealer's user, submit and approve its enterprise verification (users kyc), grant a
category. Click's runner over a real SQLite ledger."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.territories.conftest import DEALERS_CSV, GTIN, jpeg, uscc

Run = Callable[..., str]


def _dealer_user(run: Run, tmp_path: Path) -> int:
    run("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    run("product", "add", "--gtin", GTIN, "--name", "Green tea", "--category", "Beverages/Tea")
    (tmp_path / "dealers.csv").write_text(DEALERS_CSV, encoding="utf-8")
    run("dealers", "import", "dealers.csv")
    [line] = [x for x in run("users", "orgs", "tree").splitlines() if "华南总代" in x]
    org_id = line.split()[0]
    user = json.loads(
        run(
            "users",
            "add",
            "13900000001",
            "--name",
            "张三",
            "--role",
            "distributor",
            "--org",
            org_id,
        )
    )
    return int(user["id"])


def _submit(run: Run, user_id: int, *extra: str) -> dict[str, object]:
    args = ["users", "kyc", "submit", str(user_id), "--document", "doc.jpg", *extra]
    return dict(json.loads(run(*args)))


def test_kyc_by_cli_then_grant(run: Run, tmp_path: Path) -> None:
    user_id = _dealer_user(run, tmp_path)
    (tmp_path / "doc.jpg").write_bytes(jpeg())
    sub = _submit(run, user_id, "--enterprise", "--name", "华南总代有限公司", "--number", uscc(1))
    assert sub["status"] == "pending" and sub["kind"] == "enterprise"
    assert "[not_verified]" in run("territory", "grant", "GD01", "--region", "CN-GD", code=11)
    approved = json.loads(run("users", "kyc", "approve", str(sub["id"])))
    assert approved["status"] == "approved"
    granted = json.loads(run("territory", "grant", "GD01", "--region", "CN-GD"))
    assert granted["product"] == "*"


def test_kyc_reject_needs_a_reason_and_person_checks(run: Run, tmp_path: Path) -> None:
    user_id = _dealer_user(run, tmp_path)
    (tmp_path / "doc.jpg").write_bytes(jpeg())
    sub = _submit(run, user_id, "--person", "--name", "张三", "--number", "11010519491231002X")
    assert sub["kind"] == "person"
    assert "Missing option '--reason'" in run("users", "kyc", "reject", str(sub["id"]), code=2)
    rejected = json.loads(run("users", "kyc", "reject", str(sub["id"]), "--reason", "模糊"))
    assert rejected["status"] == "rejected"
    args = ["users", "kyc", "submit", str(user_id), "--document", "doc.jpg", "--name", "x"]
    assert "--person or --enterprise" in run(*args, "--number", "1", code=2)


def test_grant_of_an_unknown_category_is_refused(run: Run, tmp_path: Path) -> None:
    user_id = _dealer_user(run, tmp_path)
    (tmp_path / "doc.jpg").write_bytes(jpeg())
    sub = _submit(run, user_id, "--enterprise", "--name", "华南总代有限公司", "--number", uscc(1))
    run("users", "kyc", "approve", str(sub["id"]))
    grant = ["territory", "grant", "GD01", "--region", "CN-GD", "--product"]
    assert "[category_not_found]" in run(*grant, "category:Nonexistent/Thing", code=3)
    assert json.loads(run("territory", "list", "--json")) == []  # nothing written
    assert json.loads(run(*grant, "category:Beverages"))["product"] == "category:Beverages"
    assert json.loads(run(*grant, "category:Beverages/Tea"))["product"] == "category:Beverages/Tea"
