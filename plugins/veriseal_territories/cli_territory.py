"""``veriseal territory regions ...``: the region tree and custom sales regions.

::

    veriseal territory regions list [CODE]           # countries, or the children of CODE
    veriseal territory regions show CODE             # a region and its parents (JSON)
    veriseal territory regions locate LAT LON        # offline reverse geocoding
    veriseal territory regions add-custom NAME FILE  # a GeoJSON polygon sales region
    veriseal territory regions custom [NAME]         # list them, or show one
    veriseal territory regions contains NAME LAT LON [--buffer-km K]

Grants, dealers, shipments and diversion commands are in :mod:`.cli_dealers`
(``territory`` gains grant/revoke/list from there: :mod:`.commands` declares the groups).
The CLI runs on the core's public API and shared CLI plumbing only.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, run, with_context
from veriseal_territories.custom import CustomRegionStore, GeoJsonInvalid
from veriseal_territories.hierarchy import default_hierarchy

NAME = "territories"  # the plugin whose context the commands use


@click.group()
def territory() -> None:
    """Sales territories and authorizations (territories plugin). 销售区域与授权。"""


@territory.group()
def regions() -> None:
    """Administrative regions (ISO 3166, GB/T 2260) and custom sales regions."""


@regions.command("list")
@click.argument("code", required=False)
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, code: str | None, as_json: bool) -> None:
    """Countries, or the regions directly under CODE (a country or a province)."""

    async def go() -> None:
        h = default_hierarchy()
        nodes = h.children(code) if code else h.countries()
        if as_json:
            echo_json([n.to_dict() for n in nodes])
            return
        for n in nodes:
            extra = f"\tGB/T 2260 {n.gb2260}" if n.gb2260 else ""
            click.echo(f"{n.code}\t{n.name}\t{len(n.children)}{extra}")

    run(opts, go)


@regions.command("show")
@click.argument("code")
@pass_opts
def show(opts: Options, code: str) -> None:
    """A region (ISO 3166-1/-2, GB/T 2260, or PROVINCE/CITY code) with its parents."""

    async def go() -> None:
        echo_json([n.to_dict() for n in default_hierarchy().ancestors(code)])

    run(opts, go)


@regions.command("locate")
@click.argument("lat", type=click.FloatRange(-90, 90))
@click.argument("lon", type=click.FloatRange(-180, 180))
@pass_opts
def locate(opts: Options, lat: float, lon: float) -> None:
    """Resolve a point to its administrative areas (by boundary) and nearest place."""

    async def go() -> None:
        echo_json(default_hierarchy().locate(lat, lon))

    run(opts, go)


@regions.command("add-custom")
@click.argument("name")
@click.argument("geojson", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_opts
def add_custom(opts: Options, name: str, geojson: Path) -> None:
    """Define (or redefine) a custom sales region from a GeoJSON polygon file."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        try:
            text = geojson.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GeoJsonInvalid(f"cannot read {geojson}: {exc}") from None
        region = await CustomRegionStore(ctx.db).put(brand.id, name, text)
        echo_json(region.to_dict())

    with_context(opts, NAME, go)


@regions.command("custom")
@click.argument("name", required=False)
@pass_opts
def custom(opts: Options, name: str | None) -> None:
    """List the brand's custom regions, or show one."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        store = CustomRegionStore(ctx.db)
        if name:
            echo_json((await store.get(brand.id, name)).to_dict())
        else:
            echo_json([r.to_dict() for r in await store.regions(brand.id)])

    with_context(opts, NAME, go)


@regions.command("contains")
@click.argument("name")
@click.argument("lat", type=click.FloatRange(-90, 90))
@click.argument("lon", type=click.FloatRange(-180, 180))
@click.option("--buffer-km", type=click.FloatRange(0), default=0.0, show_default=True)
@pass_opts
def contains(opts: Options, name: str, lat: float, lon: float, buffer_km: float) -> None:
    """Whether a point lies in a custom region (exit status 0 if it does, 1 if not)."""

    async def go(ctx: PluginContext) -> bool:
        brand = await ctx.brand(opts.brand)
        region = await CustomRegionStore(ctx.db).get(brand.id, name)
        inside = region.contains(lat, lon, buffer_km)
        click.echo(json.dumps({"region": name, "inside": inside}))
        return inside

    if not with_context(opts, NAME, go):
        raise SystemExit(1)
