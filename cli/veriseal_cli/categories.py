"""``veriseal categories``: the brand's category tree (see docs/catalogue.md)."""

from __future__ import annotations

import click

from veriseal.engine import Engine
from veriseal.models import Category
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine


@click.group("categories")
def categories() -> None:
    """The category tree of a brand. 品牌的类目树。"""


@categories.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. 以 JSON 输出。")
@pass_opts
def list_(opts: Options, as_json: bool) -> None:
    """List the tree, depth first. 列出类目树。"""

    async def go(engine: Engine) -> None:
        tree = await engine.catalogue.categories.tree(await engine.brand(opts.brand))
        if as_json:
            echo_json([c.to_dict() for c in tree])
            return
        for c in tree:
            indent = "  " * (len(c.chain) - 1)
            english = f" ({c.name_en})" if c.name_en else ""
            click.echo(f"{c.id}\t{indent}{c.name}{english}")

    with_engine(opts, go)


def _show(c: Category) -> None:
    click.echo(f"{c.id}\t{'/'.join(c.path)}")


@categories.command("add")
@click.argument("name")
@click.option("--parent", type=int, default=None, help="Parent id (none: top level). 上级类目。")
@click.option("--name-en", default="", help="English name. 英文名称。")
@pass_opts
def add(opts: Options, name: str, parent: int | None, name_en: str) -> None:
    """Create a category, last among its siblings. 新建类目。"""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        _show(
            await engine.catalogue.categories.create(brand, name, parent_id=parent, name_en=name_en)
        )

    with_engine(opts, go)


@categories.command("rename")
@click.argument("category_id", type=int)
@click.argument("name")
@click.option("--name-en", default=None, help="New English name. 新英文名称。")
@pass_opts
def rename(opts: Options, category_id: int, name: str, name_en: str | None) -> None:
    """Rename a category; its products' paths follow. 重命名类目。"""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        _show(await engine.catalogue.categories.rename(brand, category_id, name, name_en))

    with_engine(opts, go)


@categories.command("move")
@click.argument("category_id", type=int)
@click.option("--parent", type=int, default=None, help="New parent (none: top level). 新上级。")
@click.option("--position", type=int, default=None, help="Place among siblings. 同级位置。")
@pass_opts
def move(opts: Options, category_id: int, parent: int | None, position: int | None) -> None:
    """Move a category under another parent. 移动类目。"""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        _show(await engine.catalogue.categories.move(brand, category_id, parent, position))

    with_engine(opts, go)


@categories.command("reorder")
@click.argument("category_id", type=int)
@click.argument("position", type=int)
@pass_opts
def reorder(opts: Options, category_id: int, position: int) -> None:
    """Put a category at POSITION among its siblings (0 first). 调整同级顺序。"""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        _show(await engine.catalogue.categories.reorder(brand, category_id, position))

    with_engine(opts, go)


@categories.command("delete")
@click.argument("category_id", type=int)
@pass_opts
def delete(opts: Options, category_id: int) -> None:
    """Delete an empty category. 删除空类目。"""

    async def go(engine: Engine) -> None:
        await engine.catalogue.categories.delete(await engine.brand(opts.brand), category_id)

    with_engine(opts, go)
