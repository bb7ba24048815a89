"""Shared pieces of the inventory CLI: acting as a user, parsing lines and times."""

from __future__ import annotations

import datetime as dt

import click

from veriseal import InvalidInput, Principal
from veriseal.extend import PluginContext
from veriseal_inventory.models import StockLine
from veriseal_inventory.stock import parse_line

NAME = "inventory"  # the plugin whose context the commands use

user_option = click.option(
    "--user", "user_id", type=int,
    help="Act as this user (default: the local operator). 以该用户身份操作（默认本机管理员）。",
)  # fmt: skip


async def acting(ctx: PluginContext, user_id: int | None) -> Principal:
    """The user ``user_id`` as a principal (the local operator without one)."""
    return await ctx.acting(user_id)


def lines_of(texts: tuple[str, ...]) -> list[StockLine]:
    """``GTIN:QTY[:LOT]`` arguments as lines."""
    return [parse_line(t) for t in texts]


def when(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time (UTC when it names no zone), or None."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time (YYYY-MM-DDTHH:MM)") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
