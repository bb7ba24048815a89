"""Signed batches through every shipped template, with and without expiry and PIN, read
back by barcode readers: a signed URI's signature is its first query parameter when the
product has no shelf life (``?s=``) and follows the expiry otherwise (``?17=...&s=``)."""

from __future__ import annotations

import csv
import io

import pypdfium2 as pdfium
import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal.codes import digital_link, signed
from veriseal.engine import Engine
from veriseal.models import Brand, Profile
from veriseal.printing import job, templates
from veriseal.printing.errors import PrintTemplateUnsuitable
from veriseal.printing.records import BatchSource, query_value_at
from veriseal.printing.render_base import Sink

from .conftest import GTIN, GTIN_NO_EXPIRY, make_source
from .readback import read_back

TEMPLATES = [t.name for t in templates.available()]


def _render(source: BatchSource, name: str, start: int, stop: int) -> bytes:
    out = io.BytesIO()
    renderer = job.renderer_for(templates.find(name), source)
    sink = Sink.for_zip(out) if renderer.named_files else Sink.for_stream(out)
    job.run(renderer, source, start, stop, sink)
    sink.close()
    return out.getvalue()


def _datamatrix(name: str) -> bool:
    tpl = templates.find(name)
    return "datamatrix" in (tpl.get("symbol"), tpl.get("symbol.type"))


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("pin", [0, 6], ids=["no-pin", "pin"])
@pytest.mark.parametrize("gtin", [GTIN, GTIN_NO_EXPIRY], ids=["expiry", "no-expiry"])
@pytest.mark.parametrize("name", TEMPLATES)
async def test_signed_batch_through_every_template(
    engine: Engine, brand: Brand, name: str, gtin: str, pin: int
) -> None:
    source = await make_source(engine, brand, Profile.SIGNED, pin, 5, gtin=gtin)
    chunk = next(iter(source.chunks(1, 5)))
    uris = [bytes(r).decode() for r in chunk.field("uri")]
    assert ("?17=" in uris[0]) == (gtin == GTIN)  # both query layouts are covered
    if _datamatrix(name):  # element strings cannot carry the signature: a clean refusal
        with pytest.raises(PrintTemplateUnsuitable):
            job.renderer_for(templates.find(name), source)
        return
    data = _render(source, name, 1, 5)
    if templates.find(name).kind == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("ascii"))))
        assert [r["uri"] for r in rows] == uris
        assert all(len(r["pin"]) == pin and r["gs1"] == "" for r in rows)
        return
    items = read_back(data, name)
    assert sorted(text for item in items for text in item) == sorted(uris)
    if templates.find(name).kind != "pdf":  # one symbol per file or label, in order
        assert items == [[uri] for uri in uris]
    else:  # no "EXP" caption without a date
        text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data))
        assert ("EXP" in text) == (gtin == GTIN)
    for uri in uris:
        link = digital_link.parse(uri)
        assert (link.expiry is None) == (gtin == GTIN_NO_EXPIRY)
        assert [k for k, _ in link.extra] == [signed.SIGNATURE_PARAM]


_PCHAR = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=8)


@given(
    before=st.lists(st.tuples(st.text("0123456789", min_size=2, max_size=4), _PCHAR), max_size=3),
    after=st.lists(st.tuples(st.sampled_from(["x", "linkType", "ss"]), _PCHAR), max_size=2),
    value=_PCHAR,
    fragment=st.sampled_from(["", "#s=frag"]),
)
def test_query_value_at_finds_the_parameter_wherever_it_is(
    before: list[tuple[str, str]], after: list[tuple[str, str]], value: str, fragment: str
) -> None:
    params = [*before, ("s", value), *after]
    uri = "https://id.example/01/09506000134352/21/ABC?" + "&".join(f"{k}={v}" for k, v in params)
    at = query_value_at(uri + fragment, "s")
    assert uri[at : at + len(value)] == value and uri[at - 3 : at] in ("?s=", "&s=")


@pytest.mark.parametrize("uri", ["https://h/01/1/21/s", "https://h/21/x?ss=1&s", "https://h/x#s=1"])
def test_query_value_at_refuses_uris_without_it(uri: str) -> None:
    with pytest.raises(ValueError):
        query_value_at(uri, "s")
