"""``veriseal payments ...``: finance's commands and the sandbox.

::

    veriseal payments list                      # the brand's payments, newest first
    veriseal payments show ID                   # a payment and its ledger (JSON)
    veriseal payments transfers                 # offline transfers waiting for finance
    veriseal payments confirm ID BANK_REF       # the transfer is on the bank statement
    veriseal payments reject ID REASON          # it is not
    veriseal payments refund ID NO AMOUNT       # refund NO (idempotent) of ID's order
    veriseal payments poll                      # ask providers about unpaid payments
    veriseal payments sandbox --port N          # the stand-in WeChat Pay / Alipay
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from veriseal import SYSTEM_PRINCIPAL
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_commerce.money import parse_amount
from veriseal_commerce.payments import RefundAsk
from veriseal_commerce.service import of

if TYPE_CHECKING:
    from aiohttp import web

NAME = "commerce"


@click.group()
def payments() -> None:
    """Payments: transfers, online providers, refunds (commerce plugin). 付款、转账与退款。"""


@payments.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@pass_opts
def list_(opts: Options, limit: int) -> None:
    """The brand's payments, newest first. 列出品牌的付款记录。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        rows = await of(ctx).payments.payments(SYSTEM_PRINCIPAL, brand.id, limit=limit)
        echo_json([p.to_dict() for p in rows])

    with_context(opts, NAME, go)


@payments.command("show")
@click.argument("payment_id", type=click.IntRange(1))
@pass_opts
def show(opts: Options, payment_id: int) -> None:
    """A payment and its ledger. 查看一笔付款及其流水。"""

    async def go(ctx: PluginContext) -> None:
        p, events = await of(ctx).payments.get(SYSTEM_PRINCIPAL, payment_id)
        echo_json({**p.to_dict(), "events": [e.to_dict() for e in events]})

    with_context(opts, NAME, go)


@payments.command("transfers")
@pass_opts
def transfers(opts: Options) -> None:
    """Offline transfers waiting for finance. 待财务确认的线下转账。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        rows = await of(ctx).payments.transfers(SYSTEM_PRINCIPAL, brand.id)
        echo_json([p.to_dict() for p in rows])

    with_context(opts, NAME, go)


@payments.command("confirm")
@click.argument("payment_id", type=click.IntRange(1))
@click.argument("bank_reference")
@pass_opts
def confirm(opts: Options, payment_id: int, bank_reference: str) -> None:
    """Confirm a transfer with the bank reference. 按银行流水号确认转账。"""

    async def go(ctx: PluginContext) -> None:
        s = await of(ctx).payments.confirm_transfer(SYSTEM_PRINCIPAL, payment_id, bank_reference)
        echo_json(s.to_dict())

    with_context(opts, NAME, go)


@payments.command("reject")
@click.argument("payment_id", type=click.IntRange(1))
@click.argument("reason")
@pass_opts
def reject(opts: Options, payment_id: int, reason: str) -> None:
    """Reject a transfer with a reason. 驳回转账并说明原因。"""

    async def go(ctx: PluginContext) -> None:
        await of(ctx).payments.reject_transfer(SYSTEM_PRINCIPAL, payment_id, reason)
        click.echo(f"rejected {payment_id}")

    with_context(opts, NAME, go)


@payments.command("refund")
@click.argument("payment_id", type=click.IntRange(1))
@click.argument("out_refund_no")
@click.argument("amount")
@click.option("--reason", default="")
@pass_opts
def refund(opts: Options, payment_id: int, out_refund_no: str, amount: str, reason: str) -> None:
    """Refund AMOUNT (e.g. 12.50) of the payment's order under OUT_REFUND_NO.
    退款（同一退款单号只退一次）。"""

    async def go(ctx: PluginContext) -> None:
        svc = of(ctx).payments
        p, _ = await svc.get(SYSTEM_PRINCIPAL, payment_id)
        ask = RefundAsk(out_refund_no, parse_amount(amount, p.currency), reason)
        echo_json((await svc.refund(SYSTEM_PRINCIPAL, p.order_id, ask)).to_dict())

    with_context(opts, NAME, go)


@payments.command("poll")
@pass_opts
def poll(opts: Options) -> None:
    """Ask the providers about payments with no notification yet. 主动查询未收到通知的付款。"""

    async def go(ctx: PluginContext) -> None:
        echo_json(await of(ctx).payments.poll())

    with_context(opts, NAME, go)


@payments.command("sandbox")
@click.option("--port", type=click.IntRange(1, 65535), default=8900)
@click.option("--host", default="127.0.0.1")
@click.option(
    "--keys",
    "keys_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("sandbox-keys"),
    show_default=True,
)
@click.option("--notify-base-url", default="http://127.0.0.1:8000")
@click.option("--time-scale", type=click.FloatRange(0.0001, 100), default=1.0)
@click.option("--duplicates", type=click.IntRange(1, 10), default=1)
def sandbox(host: str, port: int, keys_dir: Path, notify_base_url: str, time_scale: float,
            duplicates: int) -> None:  # fmt: skip
    """Serve the stand-in WeChat Pay / Alipay for a demo; prints the settings to paste
    into veriseal.toml. 启动模拟支付服务（演示用）。"""
    from veriseal_commerce.sandbox.keys import KeySet  # noqa: PLC0415
    from veriseal_commerce.sandbox.server import (  # noqa: PLC0415
        Sandbox,
        make_sandbox_app,
        settings_toml,
    )

    keys = KeySet.load_or_create(keys_dir)
    base = f"http://{host}:{port}"
    click.echo(settings_toml(str(keys_dir.resolve()), base, notify_base_url))
    box = Sandbox(keys, time_scale=time_scale, duplicates=duplicates)
    asyncio.run(_serve(make_sandbox_app(box), host, port))


async def _serve(app: web.Application, host: str, port: int) -> None:
    from aiohttp import web as w  # noqa: PLC0415 (server only)

    runner = w.AppRunner(app)
    await runner.setup()
    await w.TCPSite(runner, host, port).start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
