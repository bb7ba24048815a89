"""CLI of dealer orders.

::

    veriseal orders create --user ID --product G --qty N [--product G --qty N ...]
                           --region 440100 --address TEXT       # a priced draft
    veriseal orders submit|cancel ORDER_NO --user ID [--reason TEXT]
    veriseal orders list [--status S] [--user ID] | show ORDER_NO [--json]
    veriseal orders approve ORDER_NO [--note TEXT] | reject ORDER_NO --reason TEXT
    veriseal orders ask ORDER_NO TEXT | reply ORDER_NO TEXT --user ID
    veriseal orders fulfil ORDER_NO [CODE ...] [--items FILE] [--client-id X]
    veriseal orders replace ORDER_NO --return-no R --line GTIN:QTY [--line ...]  # exchange
    veriseal orders stats [--by status|product|dealer|region|day|month] [--since --until]
    veriseal orders expire                       # what `veriseal serve` does every minute

Brand-side commands act as the local operator; dealer-side ones (create, submit,
cancel, reply) act as the dealer user named by ``--user`` (orders are placed by a
dealer's own users)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from veriseal import SYSTEM_PRINCIPAL, InvalidInput, Principal
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_commerce.money import format_amount
from veriseal_commerce.order_stats import GROUPS, StatsQuery, order_stats
from veriseal_commerce.orders import OrderRequest
from veriseal_commerce.orders_store import Order
from veriseal_commerce.service import of

NAME = "commerce"


async def _as(ctx: PluginContext, user_id: int | None) -> Principal:
    """The dealer user ``user_id`` as a principal (the local operator without one)."""
    return await ctx.acting(user_id)


def _line(o: Order) -> str:
    return (f"{o.order_no}\t{o.status}\t{o.payment_status}\t{o.fulfilment_status}\t"
            f"{format_amount(o.total, o.currency)} {o.currency}\torg {o.org_id}")  # fmt: skip


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


_user = click.option(
    "--user", "user_id", type=int, help="Act as this dealer user. 以该经销商用户身份操作。"
)


@click.group()
def orders() -> None:
    """Dealer orders: place, review, ship, statistics (commerce plugin). 经销商订单。"""


@orders.command("create")
@_user
@click.option("--product", "products", multiple=True, required=True, help="GTIN. 商品条码。")
@click.option("--qty", "quantities", type=int, multiple=True, required=True, help="Units. 数量。")
@click.option("--region", required=True, help="Delivery region code. 收货区域代码。")
@click.option("--address", required=True, help="Delivery address. 收货地址。")
@pass_opts
def create(opts: Options, user_id: int | None, products: tuple[str, ...],
           quantities: tuple[int, ...], region: str, address: str) -> None:  # fmt: skip
    """Create a priced draft order. 创建订单草稿（含报价）。"""
    if len(products) != len(quantities):
        raise InvalidInput("give one --qty per --product")

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        request = OrderRequest(list(zip(products, quantities, strict=True)), region, address)
        click.echo(_line(await of(ctx).orders.create(await _as(ctx, user_id), brand, request)))

    with_context(opts, NAME, go)


def _simple(name: str, help_text: str, needs_text: str | None = None) -> None:
    """A command ``orders NAME ORDER_NO [--user] [--text]`` calling one service method."""

    @orders.command(name, help=help_text)
    @click.argument("order_no")
    @_user
    @click.option("--text", "--reason", "--note", "text", default="",
                  required=needs_text is not None, help="Reason or note. 原因或备注。")  # fmt: skip
    @pass_opts
    def command(opts: Options, order_no: str, user_id: int | None, text: str) -> None:
        async def go(ctx: PluginContext) -> None:
            o, who = of(ctx).orders, await _as(ctx, user_id)
            if name == "submit":
                order = await o.submit(who, order_no)
            elif name == "cancel":
                order = await o.cancel(who, order_no, text)
            elif name == "approve":
                order = await o.approve(who, order_no, text)
            else:
                order = await o.reject(who, order_no, text)
            click.echo(_line(order))

        with_context(opts, NAME, go)


_simple("submit", "Submit a draft: checks, prices, payment deadline. 提交订单。")
_simple("cancel", "Cancel an order before approval. 取消订单。")
_simple("approve", "Approve a paid order. 审核通过。")
_simple("reject", "Reject an order with a reason. 驳回订单（需说明原因）。", "reason")


@orders.command("list")
@click.option("--status", default=None, help="Only this status. 仅此状态。")
@_user
@pass_opts
def list_(opts: Options, status: str | None, user_id: int | None) -> None:
    """List orders, newest first. 列出订单。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        for order in await of(ctx).orders.list(await _as(ctx, user_id), brand, status):
            click.echo(_line(order))

    with_context(opts, NAME, go)


@orders.command("show")
@click.argument("order_no")
@_user
@pass_opts
def show(opts: Options, order_no: str, user_id: int | None) -> None:
    """An order with its lines, timeline and messages (JSON). 订单详情。"""

    async def go(ctx: PluginContext) -> None:
        echo_json((await of(ctx).orders.view(await _as(ctx, user_id), order_no)).to_dict())

    with_context(opts, NAME, go)


def _post(name: str, help_text: str) -> None:
    @orders.command(name, help=help_text)
    @click.argument("order_no")
    @click.argument("text")
    @_user
    @pass_opts
    def command(opts: Options, order_no: str, text: str, user_id: int | None) -> None:
        async def go(ctx: PluginContext) -> None:
            m = await of(ctx).orders.post(await _as(ctx, user_id), order_no, text)
            click.echo(f"{m.side}\t{m.body}")

        with_context(opts, NAME, go)


_post("ask", "Ask the dealer a question on the order. 就订单向经销商提问。")
_post("reply", "Answer on the order's thread (--user: the dealer). 回复订单留言。")


@orders.command("fulfil")
@click.argument("order_no")
@click.argument("codes", nargs=-1)
@click.option("--items", "files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of scanned codes, one a line. 扫码文件，每行一个。")  # fmt: skip
@click.option("--client-id", default=None, help="Makes a retry a replay. 重试幂等标识。")
@pass_opts
def fulfil(opts: Options, order_no: str, codes: tuple[str, ...], files: tuple[Path, ...],
           client_id: str | None) -> None:  # fmt: skip
    """Ship an approved order by scanning items, cases or pallets. 扫码发货。"""
    entries = list(codes)
    for f in files:
        try:
            entries += [t for t in f.read_text(encoding="utf-8").splitlines() if t.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {f}: {exc}") from None

    async def go(ctx: PluginContext) -> None:
        order = await of(ctx).fulfilment.ship(SYSTEM_PRINCIPAL, order_no, entries, client_id)
        click.echo(_line(order))

    with_context(opts, NAME, go)


def _gtin_qty(text: str) -> tuple[str, int]:
    """``GTIN:QTY`` (``invalid_input`` otherwise; the service checks the values)."""
    gtin, sep, qty = text.partition(":")
    if not sep or not gtin.strip() or not qty.strip().isdigit():
        raise InvalidInput(f"{text!r}: a line is GTIN:QTY / 格式应为 商品条码:数量")
    return gtin.strip(), int(qty)


@orders.command("replace")
@click.argument("order_no")
@click.option("--return-no", required=True, help="The return approving it. 退货单号。")
@click.option("--line", "lines", multiple=True, required=True,
              help="GTIN:QTY to exchange (repeatable). 换货商品条码:数量（可重复）。")  # fmt: skip
@pass_opts
def replace(opts: Options, order_no: str, return_no: str, lines: tuple[str, ...]) -> None:
    """Exchange returned goods of an order: an approved replacement order at the
    original's net unit prices, nothing due (the same return number gives the same
    order). 换货：按原订单实付单价生成已审核的换货订单，无需付款。"""

    async def go(ctx: PluginContext) -> None:
        parsed = [_gtin_qty(t) for t in lines]  # here: a refusal becomes a message
        order = await of(ctx).orders.replace(SYSTEM_PRINCIPAL, order_no, return_no, parsed)
        click.echo(f"{_line(order)}\treplaces {order.replaces}")

    with_context(opts, NAME, go)


@orders.command("stats")
@click.option("--by", type=click.Choice(GROUPS), default="status", show_default=True,
              help="Group by. 分组方式。")  # fmt: skip
@click.option("--since", default=None, help="From this date (UTC). 起始日期。")
@click.option("--until", default=None, help="Before this date (UTC). 截止日期（不含）。")
@click.option("--json", "as_json", is_flag=True, help="JSON output. 以 JSON 输出。")
@pass_opts
def stats(opts: Options, by: str, since: str | None, until: str | None, as_json: bool) -> None:
    """Order count, units and amount by status, product, dealer, region or period.
    订单数量与金额统计。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        q = StatsQuery(brand.id, by, _when(since), _when(until))
        rows = await order_stats(ctx, SYSTEM_PRINCIPAL, q)
        if as_json:
            echo_json([r.to_dict() for r in rows])
            return
        for r in rows:
            click.echo(f"{r.key}\t{r.orders}\t{r.units}\t"
                       f"{format_amount(r.amount, r.currency)} {r.currency}")  # fmt: skip

    with_context(opts, NAME, go)


@orders.command("expire")
@pass_opts
def expire(opts: Options) -> None:
    """Expire submitted orders unpaid past their deadline. 使超过付款期限的订单失效。"""

    async def go(ctx: PluginContext) -> None:
        done = await of(ctx).orders.expire()
        for order_no in done:
            click.echo(order_no)
        click.echo(f"{len(done)} expired / 已失效 {len(done)} 单")

    with_context(opts, NAME, go)
