"""Administrative regions as a tree: country -> province -> city.

Built once from the core's offline place data (``veriseal.default_resolver()``), so the
tree holds exactly the regions a scan can be resolved to. Codes:

- a country: ISO 3166-1 alpha-2 (``"CN"``);
- a province: its key as stored with scans (:class:`veriseal.Region`): ISO 3166-2
  (``"CN-GD"``), or ``"<country>:<name>"`` where the data has no ISO code; in China its
  GB/T 2260 code (``"440000"``) finds it too;
- a city: ``"<province>/<name>"`` (``"CN-GD/Guangzhou"``): GeoNames gives no standard
  city code, and a name is unique within its province for all practical purposes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from veriseal import CHINA_PROVINCES, NotFound, Region, RegionResolver, register_messages

register_messages(
    {"error.region_not_found": ("Region not found", "未找到该地区")},
)


class RegionNotFound(NotFound):
    code = "region_not_found"


@dataclass(frozen=True)
class Node:
    """One region of the tree."""

    kind: str  # "country" | "province" | "city"
    code: str
    name: str
    parent: str | None  # the parent's code
    gb2260: str | None = None  # China's provinces (and Taiwan, Hong Kong, Macao)
    children: list[str] = field(default_factory=list, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "parent": self.parent,
            "gb2260": self.gb2260,
            "children": len(self.children),
        }


_ZH = {p.iso: p.name_zh for p in CHINA_PROVINCES}
_GB = {p.gb2260: p.iso for p in CHINA_PROVINCES}
_COUNTRY_GB = {"TW": "710000", "HK": "810000", "MO": "820000"}


class Hierarchy:
    """The region tree; every lookup is a dict access."""

    def __init__(self, resolver: RegionResolver) -> None:
        self._nodes: dict[str, Node] = {}
        for d in resolver.divisions:
            country = self._ensure(Node("country", d.country, d.country, None,
                                        _COUNTRY_GB.get(d.country)))  # fmt: skip
            key = d.key
            if key != d.country and key not in self._nodes:
                name = f"{d.name} / {_ZH[key]}" if key in _ZH else d.name
                gb = next((g for g, iso in _GB.items() if iso == key), None)
                self._add(Node("province", key, name, country.code, gb))
        division_keys = [d.key for d in resolver.divisions]
        for name, div in zip(resolver.names, resolver.division.tolist(), strict=True):
            parent = division_keys[div]
            code = f"{parent}/{name}"
            if code not in self._nodes:
                self._add(Node("city", code, name, parent))

    def _ensure(self, node: Node) -> Node:
        return self._nodes.get(node.code) or self._add(node)

    def _add(self, node: Node) -> Node:
        self._nodes[node.code] = node
        if node.parent is not None:
            self._nodes[node.parent].children.append(node.code)
        return node

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, code: str) -> Node:
        """The region with this code (ISO, province key, city code, or GB/T 2260).
        ``RegionNotFound`` otherwise."""
        code = code.strip()
        found = self._nodes.get(_GB.get(code, code)) or self._nodes.get(code.upper())
        if found is None:
            raise RegionNotFound(f"no region {code!r} (try an ISO code such as CN-GD)")
        return found

    def countries(self) -> list[Node]:
        return sorted((n for n in self._nodes.values() if n.kind == "country"),
                      key=lambda n: n.code)  # fmt: skip

    def children(self, code: str) -> list[Node]:
        return [self._nodes[c] for c in sorted(self.get(code).children)]

    def ancestors(self, code: str) -> list[Node]:
        """The region and its parents, the region first."""
        chain = [self.get(code)]
        while chain[-1].parent is not None:
            chain.append(self._nodes[chain[-1].parent])
        return chain

    def contains(self, ancestor: str, region: Region) -> bool:
        """Whether a resolved scan region lies in the region ``ancestor`` (or is it)."""
        target = self.get(ancestor).code
        city = f"{region.province}/{region.city}"
        return target in (region.country, region.province, city)


@functools.lru_cache(maxsize=1)  # one hierarchy, built on first use
def default_hierarchy() -> Hierarchy:
    """The hierarchy over the bundled place data (built once: it loads the data set)."""
    from veriseal import default_resolver  # noqa: PLC0415

    return Hierarchy(default_resolver())
