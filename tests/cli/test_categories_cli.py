"""``veriseal categories`` and the product detail commands on both backends: the tree
built, changed and refused with coded exits; specs, units, an image and search."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import cli_runner


def test_categories_and_product_details(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = cli_runner(tmp_path, monkeypatch, prefix=["--db", ledger_url])
    run("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    run(
        "product",
        "add",
        "--gtin",
        "9506000134352",
        "--name",
        "明前绿茶",
        "--category",
        "饮料/茶/绿茶",
    )
    run("product", "add", "--gtin", "9506000134369", "--name", "正山小种")
    tree = json.loads(run("categories", "list", "--json"))
    assert [c["path"] for c in tree] == [["饮料"], ["饮料", "茶"], ["饮料", "茶", "绿茶"]]
    tea = tree[1]["id"]
    red = run("categories", "add", "红茶", "--parent", str(tea), "--name-en", "Black tea")
    red_id = int(red.split("\t")[0])
    run("product", "set-category", "9506000134369", str(red_id))
    assert "category_not_empty" in run("categories", "delete", str(red_id), code=4)
    assert "category_cycle" in run(
        "categories", "move", str(tree[0]["id"]), "--parent", str(red_id), code=2
    )
    assert "category_name_invalid" in run("categories", "add", "a/b", code=2)
    assert json.loads(run("categories", "list", "--json"))[3]["name_en"] == "Black tea"
    run("product", "specs", "9506000134352", "净含量=250克", "产地=西湖")
    run("product", "units", "9506000134352", "--case", "12")
    assert "product_detail_invalid" in run(
        "product", "units", "9506000134352", "--case", "1", code=2
    )
    picture = tmp_path / "p.png"
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 0)).save(buf, "PNG")
    picture.write_bytes(buf.getvalue())
    first = run("product", "image-add", "9506000134352", str(picture))
    assert run("product", "image-add", "9506000134352", str(picture)) == first  # stored once
    assert run("product", "search", "西湖").split("\t")[0] == "09506000134352"
    assert run("product", "search", "红茶").split("\t")[0] == "09506000134369"
    assert run("product", "search", "", "--category", str(tea)).count("\n") == 2
