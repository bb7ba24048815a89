"""``/console/batches``: the brand's batches and a form to create one; a batch's page
with its activation counts, the activation form, its print jobs and console print runs
(start one, watch it, download its file).

Reading needs ``line.operate`` (factory operators and admins); creating a batch
``batches.write`` (the form shows only to those who hold it). Forms that fail show
their error inline and keep what was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from aiohttp import web

from veriseal.accounts.permissions import Action, allowed
from veriseal.brandops.print_runs import OUTPUTS, RunRequest, shown_state
from veriseal.catalog.batches import BatchRequest
from veriseal.codes.layout import MAX_BATCH_SIZE
from veriseal.console.call import ConsoleCall
from veriseal.console.listing import page_cursor, page_size
from veriseal.console.views.brandpick import brand_params, link, pick_brand, reader
from veriseal.errors import InvalidInput, VerisealError
from veriseal.extend.console import ConsolePage, ConsoleView, Page
from veriseal.lifecycle.index_ranges import make
from veriseal.models import Brand, Profile
from veriseal.printing.templates import KINDS


def _number(form: Any, name: str, label: str, *, default: int | None = None) -> int | None:
    text = str(form.get(name, "") or "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise InvalidInput(f"{label}: a whole number, please")
    return int(text)


def _day(form: Any, name: str) -> dt.date | None:
    text = str(form.get(name, "") or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: a date (YYYY-MM-DD), please") from None


async def _brand(call: ConsoleCall) -> Brand | Page:
    return await pick_brand(call, call.engine.ops.batches.brand)


# -- the list and the create form ----------------------------------------------------------
async def batches(call: ConsoleCall, error: str = "", typed: Any = None, status: int = 200
                  ) -> Page:  # fmt: skip
    picked = await _brand(call)
    if isinstance(picked, Page):
        return picked
    who, desk = reader(call), call.engine.ops.batches
    limit = page_size(call)
    found = await desk.all(who, picked, before_id=page_cursor(call), limit=limit)
    may_create = allowed(who, Action.BATCHES_WRITE)
    params = brand_params(call, picked)
    return Page("batches.html", {
        "brand": picked,
        "batches": found,
        "next_cursor": found[-1].id if len(found) == limit else None,
        "may_create": may_create,
        "products": await desk.products(who, picked) if may_create else [],
        "profiles": [p.value for p in Profile],
        "params": params,
        "detail": lambda batch_id: link(f"/console/batches/{batch_id}", params),
        "create_url": link("/console/batches", params),
        "error": error,
        "typed": typed or {},
        "max_size": MAX_BATCH_SIZE,
    }, status)  # fmt: skip


async def create(call: ConsoleCall) -> Page | web.StreamResponse:
    picked = await _brand(call)
    if isinstance(picked, Page):
        return picked
    form = await call.form()
    try:
        pin = _number(form, "pin_digits", call.t("PIN digits", "验证码位数"), default=0) or 0
        size = _number(form, "size", call.t("Size", "数量"))
        if size is None:
            raise InvalidInput(call.t("say how many codes the batch has", "请填写批次码数量"))
        profile = str(form.get("profile", "compact"))
        if profile not in {p.value for p in Profile}:
            raise InvalidInput(f"profile {profile!r}: compact or signed")
        req = BatchRequest(
            gtin=str(form.get("gtin", "")),
            lot=str(form.get("lot", "")),
            size=size,
            profile=Profile(profile),
            pin_digits=pin,
            production_date=_day(form, "produced"),
            factory=str(form.get("factory", ""))[:100],
            line=str(form.get("line", ""))[:100],
        )
        batch = await call.engine.ops.batches.create(reader(call), picked, req)
    except VerisealError as exc:
        if exc.http_status == 403:
            raise
        return await batches(call, exc.message, dict(form), exc.http_status)
    return call.redirect(
        link(f"/console/batches/{batch.id}", brand_params(call, picked)),
        f"Batch {batch.id} created: {batch.size:,} codes.",
        f"已创建批次 {batch.id}：{batch.size:,} 个码。",
    )


# -- one batch -----------------------------------------------------------------------------
async def batch_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    picked = await _brand(call)
    if isinstance(picked, Page):
        return picked
    who, ops = reader(call), call.engine.ops
    batch_id = call.int_param("id")
    batch = await ops.batches.get(who, picked, batch_id)
    counts = await ops.batches.counts(who, picked, batch_id)
    runs = await ops.prints.runs(who, picked, batch_id)
    jobs = await ops.prints.jobs(who, picked, batch_id)
    params = brand_params(call, picked)
    now = dt.datetime.now(dt.UTC)
    shown = [(r, shown_state(r, now)) for r in runs]
    return Page("batch.html", {
        "brand": picked,
        "batch": batch,
        "counts": counts,
        "runs": shown,
        "jobs": jobs,
        "templates": [tpl for tpl in ops.prints.templates() if tpl.kind in KINDS],
        "outputs": OUTPUTS,
        "live": any(state in ("queued", "rendering") for _, state in shown),
        "base": f"/console/batches/{batch.id}",
        "params": params,
        "q": lambda path: link(path, params),
        "error": error,
    }, status)  # fmt: skip


async def _on_batch(call: ConsoleCall, act: Any) -> Page | web.StreamResponse:
    """Run ``act(brand, form)`` (it returns the flash texts); an error is shown inline."""
    picked = await _brand(call)
    if isinstance(picked, Page):
        return picked
    form = await call.form()
    try:
        en, zh = await act(picked, form)
    except VerisealError as exc:
        if exc.http_status == 403:
            raise
        return await batch_page(call, exc.message, exc.http_status)
    path = f"/console/batches/{call.int_param('id')}"
    return call.redirect(link(path, brand_params(call, picked)), en, zh)


async def activate(call: ConsoleCall) -> Page | web.StreamResponse:
    async def act(brand: Brand, form: Any) -> tuple[str, str]:
        whole = form.get("scope") == "all"
        ranges = None
        if not whole:
            first = _number(form, "first", call.t("From", "起始序号"))
            last = _number(form, "last", call.t("To", "结束序号"), default=first)
            if first is None or last is None:
                raise InvalidInput(call.t("give the first and last index, or choose the whole"
                                          " batch", "请填写起止序号，或选择整批"))  # fmt: skip
            ranges = [make(first, last)]
        change = await call.engine.ops.batches.activate(
            reader(call), brand, call.int_param("id"), ranges, str(form.get("read_point", ""))
        )
        return (
            f"{change.changed:,} codes activated ({change.already:,} were already,"
            f" {change.skipped:,} decommissioned left so).",
            f"已激活 {change.changed:,} 个码（{change.already:,} 个此前已激活，"
            f"{change.skipped:,} 个已作废未激活）。",
        )

    return await _on_batch(call, act)


async def print_labels(call: ConsoleCall) -> Page | web.StreamResponse:
    async def act(brand: Brand, form: Any) -> tuple[str, str]:
        req = RunRequest(
            batch_id=call.int_param("id"),
            template=str(form.get("template", "")),
            first=_number(form, "first", call.t("From", "起始序号")),
            last=_number(form, "last", call.t("To", "结束序号")),
            line=str(form.get("line", "")),
            reprint=form.get("reprint") == "1",
        )
        run = await call.engine.ops.prints.start(reader(call), brand, req)
        return (
            f"Print run {run.id} started: {run.labels:,} labels.",
            f"打印任务 {run.id} 已开始：{run.labels:,} 张标签。",
        )

    return await _on_batch(call, act)


async def download(call: ConsoleCall) -> web.StreamResponse:
    """The finished run's file, streamed from the spool (never a public URL)."""
    picked = await _brand(call)
    if isinstance(picked, Page):
        raise InvalidInput("name the brand")
    got = await call.engine.ops.prints.download(reader(call), picked, call.int_param("run"))
    ascii_name = got.filename.encode("ascii", "replace").decode().replace('"', "_")
    return web.FileResponse(got.path, headers={
        "Content-Type": got.content_type,
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\";"
                               f" filename*=UTF-8''{quote(got.filename)}",
    })  # fmt: skip


A = Action
VIEWS = [
    ConsoleView("GET", "/console/batches", batches, A.LINE_OPERATE),
    ConsoleView("POST", "/console/batches", create, A.BATCHES_WRITE),
    ConsoleView("GET", r"/console/batches/{id:\d+}", batch_page, A.LINE_OPERATE),
    ConsoleView("POST", r"/console/batches/{id:\d+}/activate", activate, A.LINE_OPERATE),
    ConsoleView("POST", r"/console/batches/{id:\d+}/print", print_labels, A.LINE_OPERATE),
    ConsoleView("GET", r"/console/batches/{id:\d+}/print/{run:\d+}/download", download,
                A.LINE_OPERATE),
]  # fmt: skip
PAGES = [
    ConsolePage("/console/batches", "Batches", "生产批次", A.LINE_OPERATE, "codes", 10),
]
