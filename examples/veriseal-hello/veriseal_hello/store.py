"""All the SQL of the hello plugin, over its own tables only (``hello_*``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from veriseal.extend import Database, Tx
from veriseal_hello.models import Sighting


class HelloStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def counts(self) -> dict[str, int]:
        """Scans counted, by country (``""``: no location)."""
        async with self.db.read() as tx:
            rows = await tx.fetch(
                "SELECT country, COUNT(*) AS n FROM hello_scan_counts"
                " GROUP BY country ORDER BY country"
            )
        return {r["country"]: int(r["n"]) for r in rows}

    async def countries(self, brand_id: int) -> list[str]:
        """The countries the brand's codes were scanned in, first seen first."""
        async with self.db.read() as tx:
            rows = await tx.fetch(
                "SELECT country FROM hello_countries WHERE brand_id = ? ORDER BY first_scan_id",
                brand_id,
            )
        return [r["country"] for r in rows]

    async def unknown(self, pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
        """The (brand, country) pairs not seen yet (a read, before the consumer's
        transaction: the transaction decides again)."""
        async with self.db.read() as tx:
            return {p for p in set(pairs) if not await _known(tx, *p)}

    async def record(self, tx: Tx, sightings: Sequence[Sighting]) -> list[Sighting]:
        """In the consumer's ``tx``: count each scan once (a scan seen again is a no-op)
        and return the sightings that put a brand in a country for the first time."""
        first: list[Sighting] = []
        for s in sightings:
            values = {"scan_id": s.scan_id, "country": s.country}
            await tx.upsert("hello_scan_counts", values, ["scan_id"], update=())
            if s.brand_id is None or not s.country or await _known(tx, s.brand_id, s.country):
                continue
            await tx.execute(
                "INSERT INTO hello_countries (brand_id, country, first_scan_id) VALUES (?, ?, ?)",
                s.brand_id,
                s.country,
                s.scan_id,
            )
            first.append(s)
        return first


async def _known(tx: Tx, brand_id: int, country: str) -> bool:
    row = await tx.fetchrow(
        "SELECT 1 AS known FROM hello_countries WHERE brand_id = ? AND country = ?",
        brand_id,
        country,
    )
    return row is not None
