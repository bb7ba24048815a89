"""``veriseal report dealers`` and ``veriseal report consumers``: dealer habits, RFM
segments and consumer scan behaviour from the shell (``analytics.view``).

::

    veriseal report dealers [--period 90d] [--segments] [--json]
    veriseal report consumers [--period 30d] [--json]

``--segments`` prints the RFM segments (default period 365d) instead of the habits.
:func:`register` adds both to the ``report`` group (cli_report.py)."""

from __future__ import annotations

from typing import Any

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_analytics.behaviour import behaviour_of
from veriseal_analytics.cli_report import json_option, user_option
from veriseal_analytics.service import period_in

NAME = "analytics"
_WEEKDAYS = (
    ("Mon", "一"),
    ("Tue", "二"),
    ("Wed", "三"),
    ("Thu", "四"),
    ("Fri", "五"),
    ("Sat", "六"),
    ("Sun", "日"),
)


def _money(v: float | None) -> str:
    return "-" if v is None else f"{v / 100:,.2f}"


def _num(v: float | None, fmt: str = ",.1f") -> str:
    return "-" if v is None else format(v, fmt)


def _print_dealers(got: dict[str, Any], zh: bool) -> None:
    click.echo(
        f"{got['period']['from']} .. {got['period']['to']}  "
        + (f"订单 {got['orders']:,}" if zh else f"{got['orders']:,} orders")
    )
    head = (
        ("经销商", "订单", "每30天", "件/单", "金额/单", "最近", "沉睡")
        if zh
        else ("Dealer", "Orders", "Per 30d", "Units/ord", "Value/ord", "Days since", "Dormant")
    )
    click.echo(
        f"{head[0]:<24}{head[1]:>8}{head[2]:>9}{head[3]:>11}{head[4]:>14}{head[5]:>11}  {head[6]}"
    )
    for d in got["dealers"]:
        mark = ("是" if zh else "yes") if d["dormant"] else ""
        click.echo(
            f"{d['name'][:23]:<24}{d['orders']:>8,}{d['orders_per_30d']:>9.2f}"
            f"{_num(d['median_units']):>11}{_money(d['median_value']):>14}"
            f"{d['days_since']:>11}  {mark}"
        )
    hours = [sum(row[h] for row in got["heat"]) for h in range(24)]
    days = [sum(row) for row in got["heat"]]
    click.echo(
        ("下单时段：" if zh else "Ordering hours: ")
        + " ".join(f"{h}:{n}" for h, n in enumerate(hours) if n)
    )
    click.echo(
        ("下单星期：" if zh else "Weekdays: ")
        + " ".join(f"{_WEEKDAYS[i][1 if zh else 0]}:{n}" for i, n in enumerate(days) if n)
    )


def _print_segments(got: dict[str, Any], zh: bool) -> None:
    click.echo(
        f"{got['period']['from']} .. {got['period']['to']}  "
        + (f"经销商 {got['dealers']:,}" if zh else f"{got['dealers']:,} dealers")
    )
    for seg in got["segments"]:
        click.echo(f"{seg['name']:<16}{seg['count']:>6}   {seg['when']}")
        for d in seg["dealers"]:
            click.echo(
                f"    {d['name'][:28]:<30} R{d['r']} F{d['f']} M{d['m']}"
                f"  {d['recency']:>4}d {d['frequency']:>5,} {_money(d['monetary']):>14}"
            )


def _print_consumers(got: dict[str, Any], zh: bool) -> None:
    rate = got["conversion_rate"]
    rows = [
        ("Consumer scans", "消费者扫码", f"{got['scans']:,}"),
        ("Devices", "设备数", f"{got['devices']:,}"),
        ("Repeat devices", "重复扫码设备", f"{got['repeat_devices']:,}"),
        ("Signed-in users", "登录用户", f"{got['users']:,}"),
        ("Repeat users", "重复扫码用户", f"{got['repeat_users']:,}"),
        (
            "Registered after a scan",
            "扫码后注册",
            f"{got['converted_devices']:,}"
            f" / {got['anonymous_devices']:,}" + ("" if rate is None else f" ({rate:.1%})"),
        ),
    ]
    click.echo(f"{got['period']['from']} .. {got['period']['to']}")
    for en, cn, value in rows:
        click.echo(f"  {(cn if zh else en):<26}{value:>20}")
    if got["truncated"]:
        click.echo(
            "（只读取了前 {:,} 条扫码）".format(got["read"])
            if zh
            else f"(only the first {got['read']:,} scans were read)",
            err=True,
        )


def register(group: click.Group) -> None:
    """Add ``dealers`` and ``consumers`` to the ``report`` group."""

    @group.command("dealers")
    @click.option(
        "--period",
        default=None,
        help="Default 90d (365d with --segments). 统计周期（默认 90d，分群 365d）。",
    )
    @click.option("--segments", is_flag=True, help="RFM segments. RFM 客户分群。")
    @user_option
    @json_option
    @pass_opts
    def dealers(
        opts: Options, period: str | None, segments: bool, user_id: int | None, as_json: bool
    ) -> None:
        """Dealer ordering habits or RFM segments. 经销商下单行为或 RFM 分群。"""
        zh = (opts.lang or "").lower().startswith("zh")

        async def go(ctx: PluginContext) -> None:
            brand = await ctx.brand(opts.brand)
            who = await ctx.acting(user_id)
            p = period_in(ctx, period or ("365d" if segments else "90d"))
            b, lang = behaviour_of(ctx), "zh" if zh else "en"
            got = await (b.segments if segments else b.dealers)(who, brand, p, lang)
            if as_json:
                echo_json(got)
            elif segments:
                _print_segments(got, zh)
            else:
                _print_dealers(got, zh)

        with_context(opts, NAME, go)

    @group.command("consumers")
    @click.option(
        "--period",
        default="30d",
        show_default=True,
        help="30d, mtd, ytd, 2026-11, 2026 or FROM..TO. 统计周期。",
    )
    @user_option
    @json_option
    @pass_opts
    def consumers(opts: Options, period: str, user_id: int | None, as_json: bool) -> None:
        """Consumer scans, repeat scanners, registration after a scan.
        消费者扫码、重复扫码与扫码后注册。"""
        zh = (opts.lang or "").lower().startswith("zh")

        async def go(ctx: PluginContext) -> None:
            brand = await ctx.brand(opts.brand)
            got = await behaviour_of(ctx).consumers(
                await ctx.acting(user_id), brand, period_in(ctx, period)
            )
            if as_json:
                echo_json(got)
            else:
                _print_consumers(got, zh)

        with_context(opts, NAME, go)
