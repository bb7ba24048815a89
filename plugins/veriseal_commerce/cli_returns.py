"""``veriseal returns ...``: return and exchange requests from the command line.

::

    veriseal returns open ORDER_NO --user ID --kind return|exchange --reason CODE
                          [--detail TEXT] [--opened GTIN ...]
                          [--code C ...] [--codes-file FILE|-]   # else codes on stdin
    veriseal returns list [--status S] [--user ID] | show RETURN_NO [--json]
    veriseal returns approve NO [--code C ...] [--note] | reject NO --reason TEXT
    veriseal returns ask NO --question TEXT | answer NO --body TEXT --user ID
    veriseal returns post NO --body TEXT | cancel NO --user ID | photo NO FILE --user ID
    veriseal returns receive NO --code C ... [--warehouse W] [--client-id X]
    veriseal returns inspect NO --accept C ... --reject C ... [--reason TEXT]
    veriseal returns scrap NO --code C ... --reason TEXT | send-back NO --code C ...
    veriseal returns refund NO | exchange NO | settle NO --note TEXT
    veriseal returns settings [--window-days N] [--no-return GTIN ...]
                              [--sealed-only GTIN ...] [--reasons-file reasons.json]
    veriseal returns alerts | stats [--since --until]

Brand-side commands act as the local operator unless ``--user`` names a person (the
services check that person's role and brand); the dealer's steps (open, answer, cancel,
photo) need ``--user``: a request is made by one of the dealer's own users. Every
refusal is the service's coded error, printed in the chosen language with its code and
the error's exit code (2 bad input, 3 not found, 4 conflict, ...); nothing changes."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from veriseal import InvalidInput, Principal
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_commerce.money import format_amount
from veriseal_commerce.returns import MAX_PHOTO, PHOTO_TYPES, ReturnAsk, ReturnView
from veriseal_commerce.returns_states import ReturnStatus, allowed_actions
from veriseal_commerce.returns_stats import stats as return_stats
from veriseal_commerce.returns_store import ReturnRequest
from veriseal_commerce.service import of

NAME = "commerce"
R = TypeVar("R")
#: Statistics without ``--since``: every order since this day.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


async def _as(ctx: PluginContext, user_id: int | None) -> Principal:
    """The user ``user_id`` as a principal (the local operator without one)."""
    return await ctx.acting(user_id)


def _line(r: ReturnRequest) -> str:
    units = sum(ln.quantity for ln in r.lines)
    return f"{r.return_no}\t{r.status}\t{r.kind}\t{r.order_no}\t{units} units / 件\torg {r.org_id}"


def _done(r: ReturnRequest, as_json: bool) -> None:
    if as_json:
        echo_json(r.to_dict())
    else:
        click.echo(_line(r))


def _when(text: str | None, default: dt.datetime) -> dt.datetime:
    if not text:
        return default
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text[:40]!r} is not a date (YYYY-MM-DD) / 日期格式无效") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _codes(codes: Sequence[str], files: Sequence[IO[str]], *, stdin: bool = False) -> list[str]:
    """Codes from ``--code`` options and ``--codes-file`` files (``-``: standard input),
    one a line; with neither and ``stdin``, standard input when it is not a terminal."""
    out = list(codes)
    sources = list(files)
    if not out and not sources and stdin and not sys.stdin.isatty():
        sources.append(sys.stdin)
    for f in sources:
        try:
            out += [ln for ln in f.read().splitlines() if ln.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read the codes: {exc} / 无法读取防伪码") from None
    return out


def _gather(cls: type[Any], into: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Hand click's keyword arguments named like ``cls``'s fields to the command as one
    ``cls`` instance named ``into`` (goes right below the options it gathers)."""
    names = [f.name for f in fields(cls)]

    def decorate(f: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(f)
        def gathered(*args: Any, **kwargs: Any) -> R:
            kwargs[into] = cls(**{name: kwargs.pop(name) for name in names})
            return f(*args, **kwargs)

        return gathered

    return decorate


_user = click.option("--user", "user_id", type=click.IntRange(1),
                     help="Act as this user. 以该用户身份操作。")  # fmt: skip
_json = click.option("--json", "as_json", is_flag=True, help="JSON output. 以 JSON 输出。")
_code = click.option("--code", "codes", multiple=True, help="A unit's code. 商品防伪码。")
_file = click.option("--codes-file", "files", multiple=True,
                     type=click.File("r", encoding="utf-8"),
                     help="Codes one a line ('-': stdin). 防伪码文件，每行一个。")  # fmt: skip
_client = click.option("--client-id", default=None, help="Makes a retry a replay. 重试幂等标识。")


@click.group()
def returns() -> None:
    """Returns and exchanges: request, review, the goods' way back, refunds (commerce
    plugin). 退换货：申请、审核、退货入库、退款与换货。"""


@dataclass(frozen=True)
class _OpenForm:
    kind: str
    reason: str
    detail: str
    opened: tuple[str, ...]
    codes: tuple[str, ...]
    files: tuple[IO[str], ...]
    client_id: str | None


@returns.command("open")
@click.argument("order_no")
@click.option("--kind", type=click.Choice(["return", "exchange"]), default="return",
              show_default=True, help="Return or exchange. 退货或换货。")  # fmt: skip
@click.option("--reason", required=True, help="One of the brand's reason codes. 退换货原因代码。")
@click.option("--detail", default="", help="What happened (required for 'other'). 详细说明。")
@click.option("--opened", multiple=True, help="A GTIN whose units were opened. 已拆封的商品条码。")
@_code
@_file
@_client
@_gather(_OpenForm, "form")
@_user
@_json
@pass_opts
def open_(opts: Options, order_no: str, form: _OpenForm, user_id: int | None,
          as_json: bool) -> None:  # fmt: skip
    """Ask to return or exchange units of a delivered order, each by its code (codes from
    --code, --codes-file or standard input). 按防伪码申请退换货。"""

    async def go(ctx: PluginContext) -> None:
        entries = _codes(form.codes, form.files, stdin=True)
        ask = ReturnAsk(order_no, form.kind, form.reason, entries, form.detail, form.opened,
                        form.client_id)  # fmt: skip
        _done(await of(ctx).returns.open(await _as(ctx, user_id), ask), as_json)

    with_context(opts, NAME, go)


@returns.command("list")
@click.option("--status", type=click.Choice([str(s) for s in ReturnStatus]), default=None,
              help="Only this status. 仅此状态。")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@_user
@_json
@pass_opts
def list_(opts: Options, status: str | None, limit: int, user_id: int | None,
          as_json: bool) -> None:  # fmt: skip
    """Requests, newest first (a dealer: its subtree's). 列出退换货申请。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).returns.listing(await _as(ctx, user_id), brand, status, limit)
        if as_json:
            echo_json([r.to_dict() for r in found])
            return
        for r in found:
            click.echo(_line(r))

    with_context(opts, NAME, go)


def _render(view: ReturnView) -> None:
    r = view.request
    click.echo(_line(r))
    click.echo(f"reason / 原因: {r.reason}" + (f" — {r.detail}" if r.detail else ""))
    if r.refunded:
        click.echo(f"refunded / 已退款: {format_amount(r.refunded, 'CNY')}")
    if r.replacement_no:
        click.echo(f"replacement order / 换货订单: {r.replacement_no}")
    nexts = ", ".join(str(a) for a in allowed_actions(ReturnStatus(r.status))) or "-"
    click.echo(f"next / 可执行: {nexts}")
    click.echo("lines / 明细:")
    for ln in r.lines:
        approved = "-" if ln.approved is None else str(ln.approved)
        opened = " opened/已拆封" if ln.opened else ""
        click.echo(f"  {ln.gtin}\t{ln.name}\tasked {ln.quantity}\tapproved {approved}{opened}")
    click.echo("units / 商品:")
    for u in r.units:
        where = f"\t{u.receipt_no}" if u.receipt_no else ""
        click.echo(f"  {u.code}\t{u.gtin}\t{u.status}{where}")
    click.echo("timeline / 记录:")
    for e in view.events:
        note = f"\t{e.note}" if e.note else ""
        click.echo(f"  {e.at:%Y-%m-%d %H:%M}\t{e.action}\t{e.from_status} -> {e.to_status}"
                   f"\t{e.actor}{note}")  # fmt: skip
    click.echo("thread / 留言:")
    for m in view.messages:
        click.echo(f"  {m.at:%Y-%m-%d %H:%M}\t{m.side}\t{m.author}\t{m.body}")
    for photo_id, content_type, filename in view.photos:
        click.echo(f"photo / 照片 {photo_id}\t{content_type}\t{filename}")


@returns.command("show")
@click.argument("return_no")
@_user
@_json
@pass_opts
def show(opts: Options, return_no: str, user_id: int | None, as_json: bool) -> None:
    """A request: units, timeline, thread, photos. 退换货申请详情。"""

    async def go(ctx: PluginContext) -> None:
        view = await of(ctx).returns.view(await _as(ctx, user_id), return_no)
        if as_json:
            echo_json(view.to_dict())
        else:
            _render(view)

    with_context(opts, NAME, go)


@returns.command("approve")
@click.argument("return_no")
@_code
@_file
@click.option("--note", default="", help="A note for the dealer. 备注。")
@_user
@_json
@pass_opts
def approve(opts: Options, return_no: str, codes: tuple[str, ...], files: tuple[IO[str], ...],
            note: str, user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Approve every unit, or only the named ones (the others are declined).
    批准全部或部分商品（未列出的不予退换）。"""

    async def go(ctx: PluginContext) -> None:
        named = _codes(codes, files)
        who = await _as(ctx, user_id)
        r = await of(ctx).returns.approve(who, return_no, named if named else None, note)
        _done(r, as_json)

    with_context(opts, NAME, go)


def _text_command(name: str, option: str, help_text: str, *, required: bool = True) -> None:
    """``returns NAME RETURN_NO --OPTION TEXT`` calling one service method."""

    @returns.command(name, help=help_text)
    @click.argument("return_no")
    @click.option(f"--{option}", "text", default="", required=required,
                  help="The text. 内容。")  # fmt: skip
    @_user
    @_json
    @pass_opts
    def command(opts: Options, return_no: str, text: str, user_id: int | None,
                as_json: bool) -> None:  # fmt: skip
        async def go(ctx: PluginContext) -> None:
            c, who = of(ctx), await _as(ctx, user_id)
            if name == "post":
                m = await c.returns.post(who, return_no, text)
                if as_json:
                    echo_json(m.to_dict())
                else:
                    click.echo(f"{m.side}\t{m.author}\t{m.body}")
                return
            if name == "reject":
                r = await c.returns.reject(who, return_no, text)
            elif name == "ask":
                r = await c.returns.ask(who, return_no, text)
            elif name == "answer":
                r = await c.returns.answer(who, return_no, text)
            elif name == "cancel":
                r = await c.returns.cancel(who, return_no, text)
            elif name == "settle":
                r = await c.resolution.settle(who, return_no, text)
            else:
                r = await c.resolution.refund(who, return_no, text)
            _done(r, as_json)

        with_context(opts, NAME, go)


_text_command("reject", "reason", "Refuse the request with a reason. 驳回申请（需说明原因）。")
_text_command("ask", "question", "Ask the dealer a question. 向经销商提问。")
_text_command("answer", "body", "The dealer answers the question (--user). 经销商回答提问。")
_text_command("post", "body", "A message on the thread, status unchanged. 留言。")
_text_command("cancel", "reason", "The dealer withdraws the request (--user). 撤销申请。",
              required=False)  # fmt: skip
_text_command("refund", "note", "Refund the units that passed inspection (once per return)."
              " 退还检验合格商品的货款（每个退货单只退一次）。", required=False)  # fmt: skip
_text_command("settle", "note", "Close a return none of whose units passed inspection."
              " 无合格商品时结案。")  # fmt: skip


@returns.command("exchange")
@click.argument("return_no")
@_user
@_json
@pass_opts
def exchange(opts: Options, return_no: str, user_id: int | None, as_json: bool) -> None:
    """A replacement order for the units that passed inspection, at the original prices
    (once per return). 为检验合格的商品生成换货订单（每个退货单一次）。"""

    async def go(ctx: PluginContext) -> None:
        _done(await of(ctx).resolution.exchange(await _as(ctx, user_id), return_no), as_json)

    with_context(opts, NAME, go)


@returns.command("photo")
@click.argument("return_no")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_user
@pass_opts
def photo(opts: Options, return_no: str, file: Path, user_id: int | None) -> None:
    """Add a photo of the goods (PNG or JPEG, at most 5 MB; the dealer, --user).
    上传商品照片。"""

    async def go(ctx: PluginContext) -> None:
        try:
            with file.open("rb") as f:
                data = f.read(MAX_PHOTO + 1)
        except OSError as exc:
            raise InvalidInput(f"cannot read {file.name}: {exc} / 无法读取文件") from None
        kind = next((t for t, magic in PHOTO_TYPES.items() if data.startswith(magic)), "")
        who = await _as(ctx, user_id)
        photo_id = await of(ctx).returns.add_photo(who, return_no, kind, file.name, data)
        click.echo(f"photo {photo_id} / 照片 {photo_id}")

    with_context(opts, NAME, go)


@returns.command("receive")
@click.argument("return_no")
@_code
@_file
@click.option("--warehouse", default=None, help="Warehouse code (default: the brand's). 仓库代码。")
@_client
@_user
@_json
@pass_opts
def receive(opts: Options, return_no: str, codes: tuple[str, ...], files: tuple[IO[str], ...],
            warehouse: str | None, client_id: str | None, user_id: int | None,
            as_json: bool) -> None:  # fmt: skip
    """Scan returned units in: into the warehouse's quarantine for inspection.
    扫码收货：退回商品进入待检区。"""

    async def go(ctx: PluginContext) -> None:
        entries = _codes(codes, files, stdin=True)
        who = await _as(ctx, user_id)
        r = await of(ctx).return_goods.receive(who, return_no, entries, warehouse=warehouse,
                                               client_id=client_id)  # fmt: skip
        _done(r, as_json)

    with_context(opts, NAME, go)


@returns.command("inspect")
@click.argument("return_no")
@click.option("--accept", "accepted", multiple=True, help="A unit that passed. 合格商品码。")
@click.option("--reject", "rejected", multiple=True, help="A unit that failed. 不合格商品码。")
@click.option("--reason", default="", help="Why units failed. 不合格原因。")
@_client
@_user
@_json
@pass_opts
def inspect(opts: Options, return_no: str, accepted: tuple[str, ...], rejected: tuple[str, ...],
            reason: str, client_id: str | None, user_id: int | None,
            as_json: bool) -> None:  # fmt: skip
    """Decide received units: accepted back to stock, rejected aside. 质检退回商品。"""

    async def go(ctx: PluginContext) -> None:
        r = await of(ctx).return_goods.inspect(
            await _as(ctx, user_id), return_no, accepted=accepted, rejected=rejected,
            reason=reason, client_id=client_id,
        )  # fmt: skip
        _done(r, as_json)

    with_context(opts, NAME, go)


@returns.command("scrap")
@click.argument("return_no")
@_code
@_file
@click.option("--reason", required=True, help="Why they are destroyed. 报废原因。")
@_client
@_user
@_json
@pass_opts
def scrap(opts: Options, return_no: str, codes: tuple[str, ...], files: tuple[IO[str], ...],
          reason: str, client_id: str | None, user_id: int | None,
          as_json: bool) -> None:  # fmt: skip
    """Scrap rejected units: codes decommissioned, goods out of stock. 报废不合格商品。"""

    async def go(ctx: PluginContext) -> None:
        entries = _codes(codes, files)
        r = await of(ctx).return_goods.scrap(await _as(ctx, user_id), return_no, entries,
                                             reason=reason, client_id=client_id)  # fmt: skip
        _done(r, as_json)

    with_context(opts, NAME, go)


@returns.command("send-back")
@click.argument("return_no")
@_code
@_file
@click.option("--note", default="", help="A note for the dealer. 备注。")
@_client
@_user
@_json
@pass_opts
def send_back(opts: Options, return_no: str, codes: tuple[str, ...], files: tuple[IO[str], ...],
              note: str, client_id: str | None, user_id: int | None,
              as_json: bool) -> None:  # fmt: skip
    """Ship rejected units back to the dealer. 将不合格商品退回经销商。"""

    async def go(ctx: PluginContext) -> None:
        entries = _codes(codes, files)
        r = await of(ctx).return_goods.send_back(await _as(ctx, user_id), return_no, entries,
                                                 note=note, client_id=client_id)  # fmt: skip
        _done(r, as_json)

    with_context(opts, NAME, go)


def _reasons(path: Path | None) -> list[dict[str, Any]] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc} / 无法读取原因文件") from None
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise InvalidInput('reasons: a JSON list of {"code", "en", "zh"} / 原因须为 JSON 列表')
    return data


def _changes(rules: _Rules) -> dict[str, Any]:
    """The keyword arguments of ``set_settings`` for what the options change (none: show)."""
    if (rules.clear_no_return and rules.no_return) or (
        rules.clear_sealed_only and rules.sealed_only
    ):
        raise InvalidInput("a list is either cleared or given / 列表不能同时清空和设置")
    change: dict[str, Any] = {
        "window_days": rules.window_days,
        "no_return": [] if rules.clear_no_return else (list(rules.no_return) or None),
        "sealed_only": [] if rules.clear_sealed_only else (list(rules.sealed_only) or None),
        "reasons": _reasons(rules.reasons_file),
    }
    return {k: v for k, v in change.items() if v is not None}


@dataclass(frozen=True)
class _Rules:
    window_days: int | None
    no_return: tuple[str, ...]
    sealed_only: tuple[str, ...]
    clear_no_return: bool
    clear_sealed_only: bool
    reasons_file: Path | None


@returns.command("settings")
@click.option(
    "--window-days",
    type=click.IntRange(0, 3650),
    default=None,
    help="Days after delivery a return may be asked. 收货后可申请退换货的天数。",
)
@click.option("--no-return", multiple=True, help="A GTIN that cannot be returned. 不可退换的商品。")
@click.option(
    "--sealed-only", multiple=True, help="A GTIN returned only unopened. 拆封后不可退的商品。"
)
@click.option(
    "--clear-no-return", is_flag=True, help="Every product may be returned. 清空不可退列表。"
)
@click.option(
    "--clear-sealed-only", is_flag=True, help="Clear the unopened-only list. 清空拆封不可退列表。"
)
@click.option(
    "--reasons-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='JSON: [{"code", "en", "zh"}, ...]. 原因列表文件。',
)
@_gather(_Rules, "rules")
@_user
@_json
@pass_opts
def settings(opts: Options, rules: _Rules, user_id: int | None, as_json: bool) -> None:
    """Show the brand's return rules, or change the ones given. 查看或修改退换货规则。"""

    async def go(ctx: PluginContext) -> None:
        brand, who = await ctx.brand(opts.brand), await _as(ctx, user_id)
        svc = of(ctx).returns
        change = _changes(rules)
        s = await (svc.set_settings(who, brand, **change) if change else svc.settings(who, brand))
        if as_json:
            echo_json(s.to_dict())
            return
        click.echo(f"window / 期限: {s.window_days} days / 天")
        click.echo(f"no return / 不可退: {' '.join(sorted(s.no_return)) or '-'}")
        click.echo(f"sealed only / 拆封不可退: {' '.join(sorted(s.sealed_only)) or '-'}")
        for r in s.reasons:
            click.echo(f"reason\t{r.code}\t{r.zh}\t{r.en}")

    with_context(opts, NAME, go)


@returns.command("alerts")
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@_user
@_json
@pass_opts
def alerts(opts: Options, limit: int, user_id: int | None, as_json: bool) -> None:
    """Suspicious units met on returns: fakes, units shipped elsewhere, returned twice.
    退货异常：假码、非本单商品、重复退货。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).returns.alerts(await _as(ctx, user_id), brand, limit)
        if as_json:
            echo_json([a.to_dict() for a in found])
            return
        for a in found:
            order_no = a.evidence.get("order_no", a.order_id)
            click.echo(f"{a.at:%Y-%m-%d %H:%M}\t{a.kind}\t{a.code}\torder {order_no}"
                       f"\torg {a.org_id}\t{a.actor}")  # fmt: skip

    with_context(opts, NAME, go)


@returns.command("stats")
@click.option("--since", default=None, help="Orders from this date (UTC). 起始日期。")
@click.option("--until", default=None, help="Orders before this date (UTC). 截止日期（不含）。")
@_user
@_json
@pass_opts
def stats(opts: Options, since: str | None, until: str | None, user_id: int | None,
          as_json: bool) -> None:  # fmt: skip
    """Return rates by product and dealer, units by reason and month. 退货率统计。"""

    async def go(ctx: PluginContext) -> None:
        start = _when(since, EPOCH)
        end = _when(until, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
        brand = await ctx.brand(opts.brand)
        found = await return_stats(ctx, await _as(ctx, user_id), brand, start, end)
        if as_json:
            echo_json(found.to_dict())
            return

        def rate(x: float | None) -> str:
            return "-" if x is None else f"{x:.1%}"

        t = found.total
        click.echo(f"all / 全部\t{t.returned}/{t.delivered}\t{rate(t.rate)}")
        for r in found.by_product:
            click.echo(f"product\t{r.key}\t{r.returned}/{r.delivered}\t{rate(r.rate)}")
        for r in found.by_dealer:
            click.echo(f"dealer\torg {r.key}\t{r.returned}/{r.delivered}\t{rate(r.rate)}")
        for k, n in found.by_reason.items():
            click.echo(f"reason\t{k}\t{n}")
        for k, n in found.by_month.items():
            click.echo(f"month\t{k}\t{n}")

    with_context(opts, NAME, go)
