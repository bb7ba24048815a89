"""CLI of inbound receipts and their inspection.

::

    veriseal inbound receive WAREHOUSE GTIN:QTY[:LOT] ... [--supplier S] [--note N]
                             [--release] [--client-id X] [--json]
    veriseal inbound list [--status open|done] [--warehouse W] [--json]
    veriseal inbound show RECEIPT [--aql A] [--level L] [--json]   # with each plan
    veriseal inbound inspect RECEIPT LINE --defects N
                             --decision accept_all|reject_all|accept_part
                             [--accepted N --rejected N] [--reason R] [--aql A] [--level L]
    veriseal inbound release RECEIPT          # lines needing no inspection -> stock
    veriseal inbound setting GTIN --required/--not-required [--aql A] [--level L]
    veriseal inbound settings
    veriseal inbound plan LOT_SIZE AQL [--level L]   # ISO 2859-1, no ledger needed

Commands act as the local operator unless ``--user`` names a user."""

from __future__ import annotations

from typing import Any

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_inventory import sampling
from veriseal_inventory.cli_common import NAME, acting, lines_of, user_option
from veriseal_inventory.inbound_errors import InboundInvalid
from veriseal_inventory.inbound_models import (
    DecisionKind,
    InspectRequest,
    LineStatus,
    ReceiptView,
)
from veriseal_inventory.service import of

_DECISIONS = [str(d) for d in DecisionKind if d is not DecisionKind.RELEASE]
_json = click.option("--json", "as_json", is_flag=True, help="JSON output. 以 JSON 输出。")


@click.group()
def inbound() -> None:
    """Inbound receipts and inspection (inventory plugin). 入库单与入库质检。"""


def _echo(view: ReceiptView, plans: dict[int, sampling.Plan] | None = None) -> None:
    r = view.receipt
    click.echo(f"{r.receipt_no}\t{r.status}\twh {r.warehouse_id}\t{r.supplier}")
    if r.reference or r.kind != "inbound":
        kind = "returned goods / 退货" if r.kind == "return" else r.kind
        click.echo(f"  reference / 单据: {r.reference or '-'}\t{kind}")
    for line in view.lines:
        need = "inspect / 需质检" if line.required else "no inspection / 免检"
        text = (f"  {line.line_no}\t{line.gtin}\t{line.lot or '-'}\t{line.quantity}\t"
                f"{line.status}\t{need}")  # fmt: skip
        found = view.inspections.get(line.id)
        if found is not None:
            text += f"\t{found.decision} +{found.accepted} / -{found.rejected}"
            if found.sample_size is not None:
                text += (f" (n {found.sample_size}, Ac {found.accept_no}, Re {found.reject_no},"
                         f" defects {found.defects})")  # fmt: skip
        elif plans and line.id in plans:
            p = plans[line.id]
            text += (f"\tplan / 抽样方案: AQL {p.aql} {p.level} {p.code_letter}"
                     f" n {p.sample_size} Ac {p.accept} Re {p.reject}"
                     f"{' (100%)' if p.full else ''}")  # fmt: skip
        click.echo(text)


@inbound.command("receive")
@click.argument("warehouse")
@click.argument("lines", nargs=-1, required=True)
@click.option("--supplier", default="", help="Supplier. 供应商。")
@click.option("--note", default="", help="Note. 备注。")
@click.option("--release", is_flag=True,
              help="Move lines needing no inspection to stock now. 免检行直接入库。")  # fmt: skip
@click.option("--client-id", help="Makes a retry safe. 重试安全标识。")
@user_option
@_json
@pass_opts
def receive(opts: Options, /, warehouse: str, lines: tuple[str, ...], **o: Any) -> None:
    """Receive goods into quarantine (GTIN:QTY[:LOT]). 收货入待检区。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        view = await of(ctx).inbound.receive(
            await acting(ctx, o["user_id"]), brand, warehouse, lines_of(lines),
            supplier=o["supplier"], note=o["note"], client_id=o["client_id"],
            release=o["release"],
        )  # fmt: skip
        echo_json(view.to_dict()) if o["as_json"] else _echo(view)

    with_context(opts, NAME, go)


@inbound.command("list")
@click.option("--status", type=click.Choice(["open", "done"]))
@click.option("--warehouse", help="Warehouse code. 仓库编码。")
@click.option("--limit", type=click.IntRange(1, 500), default=50)
@user_option
@_json
@pass_opts
def list_receipts(opts: Options, status: str | None, warehouse: str | None, limit: int,
                  user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Receipts, newest first. 入库单列表。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).inbound.list(await acting(ctx, user_id), brand, status=status,
                                           warehouse_ref=warehouse, limit=limit)  # fmt: skip
        if as_json:
            echo_json([r.to_dict() for r in found])
            return
        for r in found:
            click.echo(f"{r.receipt_no}\t{r.status}\twh {r.warehouse_id}\t"
                       f"{r.created_at:%Y-%m-%d %H:%M}\t{r.supplier}")  # fmt: skip

    with_context(opts, NAME, go)


@inbound.command("show")
@click.argument("receipt")
@click.option("--aql", help="Show plans at this AQL. 按此 AQL 显示抽样方案。")
@click.option("--level", help="Inspection level (I, II, III, S-1..S-4). 检验水平。")
@user_option
@_json
@pass_opts
def show(opts: Options, receipt: str, aql: str | None, level: str | None, user_id: int | None,
         as_json: bool) -> None:  # fmt: skip
    """A receipt, with the plan of each line awaiting inspection. 入库单详情与抽样方案。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        who = await acting(ctx, user_id)
        svc = of(ctx).inbound
        view = await svc.get(who, brand, receipt)
        plans = {x.id: await svc.plan(who, brand, receipt, x.line_no, aql, level)
                 for x in view.lines if x.status is LineStatus.AWAITING}  # fmt: skip
        if as_json:
            body = view.to_dict()
            for line, x in zip(body["lines"], view.lines, strict=True):
                line["plan"] = plans[x.id].to_dict() if x.id in plans else None
            echo_json(body)
        else:
            _echo(view, plans)

    with_context(opts, NAME, go)


@inbound.command("inspect")
@click.argument("receipt")
@click.argument("line", type=click.IntRange(1, 500))
@click.option("--decision", required=True, type=click.Choice(_DECISIONS),
              help="accept_all / reject_all / accept_part. 全部 / 拒收 / 部分接收。")  # fmt: skip
@click.option("--defects", type=click.IntRange(0), required=True,
              help="Defects found in the sample. 样本中的不合格数。")  # fmt: skip
@click.option("--accepted", type=click.IntRange(0), help="accept_part: accepted. 合格数。")
@click.option("--rejected", type=click.IntRange(0), help="accept_part: rejected. 不合格数。")
@click.option("--reason", default="", help="Required for rejects. 拒收原因（必填）。")
@click.option("--aql", help="AQL (default: the product's). 接收质量限。")
@click.option("--level", help="Inspection level (default: the product's). 检验水平。")
@user_option
@_json
@pass_opts
def inspect(opts: Options, /, receipt: str, line: int, **o: Any) -> None:
    """Decide a line after sampling. 质检判定。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        req = InspectRequest(DecisionKind(o["decision"]), o["defects"], o["aql"], o["level"],
                             o["accepted"], o["rejected"], o["reason"])  # fmt: skip
        view = await of(ctx).inbound.inspect(await acting(ctx, o["user_id"]), brand, receipt,
                                             line, req)  # fmt: skip
        echo_json(view.to_dict()) if o["as_json"] else _echo(view)

    with_context(opts, NAME, go)


@inbound.command("release")
@click.argument("receipt")
@user_option
@pass_opts
def release(opts: Options, receipt: str, user_id: int | None) -> None:
    """Move the lines needing no inspection to stock. 免检行入库。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        _echo(await of(ctx).inbound.release(await acting(ctx, user_id), brand, receipt))

    with_context(opts, NAME, go)


@inbound.command("setting")
@click.argument("gtin")
@click.option("--required/--not-required", required=True,
              help="Inspection required before sale. 销售前是否必须质检。")  # fmt: skip
@click.option("--aql", help="Default AQL. 默认接收质量限。")
@click.option("--level", help="Default inspection level. 默认检验水平。")
@user_option
@pass_opts
def setting(opts: Options, gtin: str, required: bool, aql: str | None, level: str | None,
            user_id: int | None) -> None:  # fmt: skip
    """Set a product's inspection requirement. 设置商品的入库质检要求。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        s = await of(ctx).inbound.set_setting(await acting(ctx, user_id), brand, gtin,
                                              required=required, aql=aql, level=level)  # fmt: skip
        click.echo(f"{s.gtin}\t{'required' if s.required else 'not required'}\t"
                   f"AQL {s.aql}\t{s.level}")  # fmt: skip

    with_context(opts, NAME, go)


@inbound.command("settings")
@user_option
@pass_opts
def settings(opts: Options, user_id: int | None) -> None:
    """Products' inspection settings. 商品质检设置。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        for s in await of(ctx).inbound.settings(await acting(ctx, user_id), brand):
            click.echo(f"{s.gtin}\t{'required' if s.required else 'not required'}\t"
                       f"AQL {s.aql}\t{s.level}")  # fmt: skip

    with_context(opts, NAME, go)


@inbound.command("plan")
@click.argument("lot_size", type=int)
@click.argument("aql")
@click.option("--level", default=sampling.DEFAULT_LEVEL, show_default=True)
@_json
def plan(lot_size: int, aql: str, level: str, as_json: bool) -> None:
    """The ISO 2859-1 normal single sampling plan of a lot. 计数抽样方案（正常检验一次抽样）。"""
    try:
        p = sampling.plan(lot_size, aql, level)
    except InboundInvalid as exc:
        raise click.ClickException(f"{exc.message} [{exc.code}]") from None
    if as_json:
        echo_json(p.to_dict())
        return
    moved = f" -> {p.code_letter}" if p.code_letter != p.table_letter else ""
    full = " (100%)" if p.full else ""
    click.echo(f"lot {p.lot_size}  AQL {p.aql}  level {p.level}  letter {p.table_letter}"
               f"{moved}  n {p.sample_size}{full}  Ac {p.accept}  Re {p.reject}")  # fmt: skip
