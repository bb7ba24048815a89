"""Administrative regions as a tree, on the core's boundaries (:mod:`veriseal.regions`).

country -> first-level division -> (China) prefecture-level city -> county. Codes:

- a country: ISO 3166-1 alpha-2 (``"CN"``; Hong Kong, Macao, Taiwan are ``HK``, ``MO``,
  ``TW``, found by their GB/T 2260 codes ``810000``, ``820000``, ``710000`` too);
- a first-level division: ISO 3166-2 (``"CN-GD"``, ``"VN-HN"``), or ``"<country>:<name>"``
  where no ISO code is known; in China its GB/T 2260 code (``"440000"``) finds it too;
- China: a prefecture-level city (地级市) ``"440300"``, a county or district ``"440305"``
  (GB/T 2260);
- legacy city codes ``"<province>/<GeoNames name>"`` (what grants named before the
  boundaries): in China an ALIAS of the administrative city containing that GeoNames place
  (``CN-GD/Shenzhen`` is ``440300``: existing grants now mean the whole 地级市); elsewhere
  an APPROXIMATE place node: a scan is in it when its nearest populated place is that
  place (nearest-place semantics, as before), not by any boundary. Such nodes are found
  by code but not listed among their parent's children;
- legacy province keys of the nearest-place era (``DE:Bavaria``) that the boundaries do
  not have: an approximate alias of the area holding most of that division's places.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field

from veriseal import AdminArea, Boundaries, Region, RegionNotFound, RegionResolver

__all__ = ["Hierarchy", "Node", "RegionNotFound", "default_hierarchy"]

_KINDS = ("country", "province", "city", "county")


@dataclass(frozen=True)
class Node:
    """One region of the tree."""

    kind: str  # "country" | "province" | "city" | "county" | "place" (approximate, legacy)
    code: str
    name: str  # local name, with the English one where it differs: "广东省 / Guangdong"
    parent: str | None  # the parent's code
    gb2260: str | None = None  # China (and Taiwan, Hong Kong, Macao)
    children: list[str] = field(default_factory=list, compare=False, repr=False)
    name_local: str = ""
    name_en: str = ""

    def label(self, lang: str) -> str:
        """The name in the reader's language: the local name for ``zh`` (Chinese in
        China, the local name abroad), else the English one."""
        if lang == "zh":
            return self.name_local or self.name
        return self.name_en or self.name_local or self.name

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "name_local": self.name_local,
            "name_en": self.name_en,
            "parent": self.parent,
            "gb2260": self.gb2260,
            "children": len(self.children),
        }


def _node(a: AdminArea, children: list[str]) -> Node:
    shown = a.name if a.name == a.name_en or not a.name_en else f"{a.name} / {a.name_en}"
    return Node(_KINDS[a.level], a.code, shown, a.parent, a.gb2260, children, a.name, a.name_en)


class Hierarchy:
    """The region tree: the boundaries' areas, and the legacy place codes outside China."""

    def __init__(self, boundaries: Boundaries, places: RegionResolver) -> None:
        self.boundaries = boundaries
        self._places = places
        kids: dict[str, list[str]] = {}
        for a in boundaries.areas:
            if a.parent is not None:
                kids.setdefault(a.parent, []).append(a.code)
        self._nodes = {a.code: _node(a, sorted(kids.get(a.code, []))) for a in boundaries.areas}
        # legacy "<province key>/<name>" outside China -> that GeoNames place's row
        self._legacy: dict[str, int] = {}
        keys = [d.key for d in places.divisions]
        countries = [d.country for d in places.divisions]
        for i, (name, div) in enumerate(zip(places.names, places.division.tolist(), strict=True)):
            if countries[div] != "CN":
                self._legacy.setdefault(f"{keys[div]}/{name}", i)
        self._place_nodes: dict[str, Node] = {}
        self._aliases: dict[str, str] | None = None  # built on the first unknown code

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, code: str) -> Node:
        """The region with this code (ISO, GB/T 2260, ``CC:name`` key, legacy
        ``<province>/<name>`` city code). ``RegionNotFound`` otherwise."""
        try:
            return self._nodes[self.boundaries.area(code).code]
        except RegionNotFound:
            alias = self._division_alias(code.strip())
            node = self._nodes.get(alias) if alias else self._place(code.strip())
            if node is None:
                raise
            return node

    def _division_alias(self, key: str) -> str | None:
        """A GeoNames province key stored before the boundaries (``DE:Bavaria``) -> the
        area holding most of that division's places (``DE-BY``), or its country when no
        polygon holds any (a tiny island): an approximate alias."""
        if self._aliases is None:
            div = self._places.division
            leaf = self.boundaries.leaf_many(self._places.lat, self._places.lon)
            votes: dict[str, dict[str, int]] = {}
            for d, j in zip(div.tolist(), leaf.tolist(), strict=True):
                chain = self.boundaries.chain_of_leaf(j)
                if chain:
                    area = chain[min(1, len(chain) - 1)].code
                    tally = votes.setdefault(self._places.divisions[d].key, {})
                    tally[area] = tally.get(area, 0) + 1
            self._aliases = {k: max(t, key=t.__getitem__) for k, t in votes.items()}
            for d in self._places.divisions:  # no place inside any polygon: its country
                if d.key not in self._aliases and d.country in self._nodes:
                    self._aliases[d.key] = d.country
        return self._aliases.get(key)

    def _place(self, code: str) -> Node | None:
        """The approximate node of a legacy city code outside China (built on demand)."""
        if code in self._place_nodes:
            return self._place_nodes[code]
        row = self._legacy.get(code)
        if row is None:
            head, _, tail = code.partition("/")
            row = self._legacy.get(f"{head.upper()}/{tail}")
            if row is None:
                return None
            code = f"{head.upper()}/{tail}"
        lat, lon = float(self._places.lat[row]), float(self._places.lon[row])
        chain = self.boundaries.chain_of_leaf(self.boundaries.leaf_at(lat, lon))
        div = self._places.divisions[int(self._places.division[row])]
        parent = chain[-1].code if chain else (div.iso or div.country)
        if parent not in self._nodes:
            return None
        name = self._places.names[row]
        node = Node("place", code, name, parent, None, [], name, name)
        self._place_nodes[code] = node
        return node

    def approximate(self, code: str) -> bool:
        """Whether ``code`` is a legacy place outside China: no polygon, nearest-place
        semantics (never evidence that a point is outside it)."""
        return self.get(code).kind == "place"

    def countries(self) -> list[Node]:
        return sorted((n for n in self._nodes.values() if n.kind == "country"),
                      key=lambda n: n.code)  # fmt: skip

    def children(self, code: str) -> list[Node]:
        return [self._nodes[c] for c in self.get(code).children]

    def ancestors(self, code: str) -> list[Node]:
        """The region and its parents, the region first."""
        chain = [self.get(code)]
        while chain[-1].parent is not None:
            chain.append(self._nodes[chain[-1].parent])
        return chain

    def label(self, code: str, lang: str) -> str:
        """``深圳市 · 广东省`` / ``Shenzhen · Guangdong``: the region and its parents
        below the country (the country alone for a country), in the reader's language;
        a custom region or an unknown code as it is written."""
        if code.startswith("custom:"):
            return code[7:]
        try:
            chain = self.ancestors(code)
        except RegionNotFound:
            return code
        shown = chain[:-1] if len(chain) > 1 else chain
        return " · ".join(n.label(lang) for n in shown)

    def search(self, text: str, limit: int = 20) -> list[Node]:
        """Regions a picker offers for ``text``: the region with that code (ISO 3166,
        GB/T 2260, a legacy city code) first, then those whose local or English name
        contains it (case-insensitive), exact names before prefixes before the rest,
        countries before provinces before cities before counties. At most ``limit``;
        empty for blank text. Approximate legacy places are found by code only."""
        query = " ".join(text.split()).casefold()
        if not query or limit <= 0:
            return []
        found: list[Node] = []
        with contextlib.suppress(RegionNotFound):
            found.append(self.get(text.strip()))
        ranked: list[tuple[int, int, str, Node]] = []
        for node in self._nodes.values():
            names = {node.name_local.casefold(), node.name_en.casefold()} - {""}
            if any(query == n for n in names):
                rank = 0
            elif any(n.startswith(query) for n in names):
                rank = 1
            elif any(query in n for n in names):
                rank = 2
            else:
                continue
            ranked.append((rank, _KINDS.index(node.kind), node.code, node))
        seen = {n.code for n in found}
        for *_, node in sorted(ranked, key=lambda r: r[:3]):
            if len(found) >= limit:
                break
            if node.code not in seen:
                seen.add(node.code)
                found.append(node)
        return found[:limit]

    def locate(self, lat: float, lon: float) -> dict[str, object]:
        """What ``regions locate`` shows: the resolved Region, the administrative chain
        (finest first, as :meth:`ancestors`) with the distance to its finest border, and
        the nearest populated place (human-facing, approximate)."""
        placement = self.boundaries.locate(lat, lon)
        region = self._places.resolve(lat, lon)
        near = self._places.nearest(lat, lon)
        return {
            "region": None if region is None else {
                "country": region.country, "province": region.province, "city": region.city,
                "gb2260": region.gb2260, "city_code": region.city_code,
                "county_code": region.county_code,
            },
            "by": "boundary" if placement.chain else ("nearest_place" if region else None),
            "border_km": round(placement.border_km, 3),
            "nearest_place": None if near is None else {
                "name": self._places.names[near.place_index],
                "km": round(near.distance_km, 2),
            },
            "chain": [self._nodes[a.code].to_dict() for a in reversed(placement.chain)],
        }  # fmt: skip

    def codes_of(self, region: Region) -> set[str]:
        """Every hierarchy code a resolved scan region lies in: its finest known area and
        that area's ancestors; for a Region stored before city codes existed, in China, the
        city its legacy ``<province>/<city>`` code aliases; elsewhere the legacy place code
        (approximate nodes match by nearest place)."""
        codes = {region.country, region.province}
        legacy = f"{region.province}/{region.city}"
        finest = region.county_code or region.city_code
        if finest is None and region.country == "CN" and region.city:
            try:
                finest = self.boundaries.area(legacy).code
            except RegionNotFound:
                finest = None
        for code in (finest, region.province, self._division_alias(region.province),
                     region.country):  # fmt: skip
            if code is None:
                continue
            try:
                codes.update(a.code for a in self.boundaries.ancestors(code))
                break
            except RegionNotFound:
                continue
        if region.country != "CN":
            codes.add(legacy)
        return codes

    def contains(self, ancestor: str, region: Region) -> bool:
        """Whether a resolved scan region lies in the region ``ancestor`` (or is it).

        Administrative areas contain by boundary (the Region's codes were resolved by
        containment); a legacy place node outside China contains the scans whose nearest
        populated place it is (approximate)."""
        target = self.get(ancestor)
        codes = self.codes_of(region)
        if target.kind != "place":
            return target.code in codes
        # the scan's nearest place bears the name, in the area holding that place (a scan
        # stored before the boundaries carries the legacy code itself)
        same_place = region.city == target.name_local and target.parent in codes
        return same_place or target.code in codes


@functools.lru_cache(maxsize=1)  # one hierarchy, built on first use
def default_hierarchy() -> Hierarchy:
    """The hierarchy over the bundled boundaries and place data (built once)."""
    from veriseal import default_resolver  # noqa: PLC0415

    resolver = default_resolver()
    assert resolver.boundaries is not None  # the default resolver always has them
    return Hierarchy(resolver.boundaries, resolver)
