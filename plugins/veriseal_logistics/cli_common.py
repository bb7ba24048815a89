"""Shared pieces of the logistics CLI: acting as a user, the language of messages."""

from __future__ import annotations

from typing import Any

import click

from veriseal import Principal
from veriseal.extend import Options, PluginContext
from veriseal_logistics.statuses import LABELS, Status

NAME = "logistics"  # the plugin whose context the commands use

user_option = click.option(
    "--user", "user_id", type=int,
    help="Act as this user (default: the local operator). 以该用户身份操作（默认本机管理员）。",
)  # fmt: skip
json_option = click.option("--json", "as_json", is_flag=True, help="As JSON. 以 JSON 输出。")


async def acting(ctx: PluginContext, user_id: int | None) -> Principal:
    """The user ``user_id`` as a principal (the local operator without one)."""
    return await ctx.acting(user_id)


def zh(opts: Options) -> bool:
    return (opts.lang or "").lower().startswith("zh")


def say(opts: Options, en: str, cn: str) -> str:
    """The message in the command's language (``--lang zh``: Chinese)."""
    return cn if zh(opts) else en


def label(opts: Options, status: Status) -> str:
    en, cn = LABELS[status]
    return cn if zh(opts) else en


def count(value: Any) -> int:
    """A number of things, whether the service returned them or their count."""
    return value if isinstance(value, int) else len(value)
