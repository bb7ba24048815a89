"""Names of the regions scans store, for people: ``CN-GD`` -> 广东省 / Guangdong.

A scan stores its province as a key (see :class:`veriseal.models.Region`): an ISO 3166-2
code, ``"<country>:<name>"`` where the data has no ISO code, or the bare country code.
China's provincial divisions have Chinese and English names here (:mod:`.china`); other
ISO 3166-2 codes are named from pycountry's ISO 3166-2 table (English or the local
romanisation, one name for both languages); a ``CC:Name`` key is its name. Pure lookups,
no I/O beyond pycountry's bundled tables.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

from veriseal.regions.china import BY_ISO


@lru_cache(maxsize=4096)
def _subdivision(code: str) -> str | None:
    try:
        found = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    except (KeyError, LookupError):
        return None
    return None if found is None else str(found.name)


@lru_cache(maxsize=512)
def _country(code: str) -> str | None:
    found = pycountry.countries.get(alpha_2=code)
    return None if found is None else str(getattr(found, "common_name", found.name))


def province_name(key: str | None, lang: str) -> str:
    """The name of the stored province ``key`` in ``lang`` (``zh`` or ``en``); ``""``
    for None, the key itself when no name is known (never fails)."""
    if not key:
        return ""
    china = BY_ISO.get(key)
    if china is not None:
        return china.name_zh if lang == "zh" else china.name_en
    if ":" in key:
        return key.split(":", 1)[1]
    if "-" in key:
        return _subdivision(key) or key
    return _country(key) or key
