"""Entry point: ``veriseal`` and its command groups.

The commands are imported lazily (:mod:`veriseal.extend.lazy_commands`): :data:`COMMANDS` says
where each lives and what ``--help`` says of it, and a command's module is imported only
when that command runs, so ``veriseal verify CODE`` starts without the server, the
printing stack or the notifications (issue 20). A new command gets an entry here; a
test checks each summary against the command's docstring.
"""

from __future__ import annotations

import click

from veriseal.extend.lazy_commands import LazyCommand as C
from veriseal_cli.context import Options
from veriseal_cli.plugin_group import PluginGroup

_P = "veriseal_cli."

#: Every core command: name -> where it lives, the first paragraph of its help.
COMMANDS: dict[str, C] = {
    "alerts": C(
        _P + "clones:alerts",
        "Clone alerts raised by scans; --platform: invalid-code floods (the installation's).",
    ),
    "batch": C(
        _P + "batches:batch",
        "Production batches and their codes.",
        extend=(_P + "lifecycle:add_batch_commands",),
    ),
    "brand": C(_P + "setup:brand", "Brands (tenants) in this ledger."),
    "categories": C(_P + "categories:categories", "The category tree of a brand. 品牌的类目树。"),
    "contents": C(_P + "lifecycle:contents", "What PARENT (an SSCC) holds now, as JSON."),
    "dashboard": C(
        _P + "dashboard:dashboard", "The brand dashboard's figures (a daily rollup of the scans)."
    ),
    "events": C(
        _P + "lifecycle:events",
        "The event ledger (activation, decommission, packing).",
        extend=(_P + "stream:add_event_commands",),
    ),
    "init": C(_P + "setup:init", "Create the ledger (if needed) and a brand with its first key."),
    "keys": C(_P + "keys:keys", "The brand's code keys."),
    "ledger": C(
        _P + "ledger_storage:ledger",
        "The ledger's storage: monthly partitions, retention and archives.",
    ),
    "migrate": C(_P + "setup:migrate", "Apply pending ledger schema migrations."),
    "notify": C(
        _P + "notifications:notify", "Notifications: inbox, e-mail, SMS and webhooks. 消息通知。"
    ),
    "pack": C(
        _P + "lifecycle:pack",
        "Record that items (or cases, by SSCC) are inside PARENT (an SSCC).",
    ),
    "plugin": C(_P + "plugin_new:plugin", "Write plugins for Veriseal. 插件开发。"),
    "policy": C(_P + "clones:policy", "Clone-detection policy of the brand or of one product."),
    "print": C(
        _P + "printing:print_cmd",
        "Render labels of batch REF (PDF sheets, ZPL, coder CSV, PNG/SVG images).",
    ),
    "print-jobs": C(
        _P + "printing:print_jobs",
        "List the print jobs of batch REF (reprints name the job they repeat).",
    ),
    "product": C(_P + "products:product", "Products (GTINs) of a brand."),
    "scans": C(_P + "scans:scans", "Recorded scans (the scan ledger)."),
    "serve": C(
        _P + "serve:serve",
        "Run the scan-to-verify server (GS1 Digital Link resolver + verdict page).",
    ),
    "sscc": C(
        _P + "lifecycle:sscc",
        "Serial Shipping Container Codes (GS1 AI 00) for cases and pallets.",
    ),
    "unpack": C(_P + "lifecycle:unpack", "Take items or units out of PARENT (history is kept)."),
    "users": C(
        _P + "users:users",
        "Users, roles, dealer organisations, API tokens, real-name checks, audit log.\n"
        "用户、角色、经销商机构、API 令牌、实名审核与审计日志。",
    ),
    "verify": C(
        _P + "verify:verify",
        "Verify a code: a GS1 Digital Link URI, a GS1 element string or a bare serial.",
    ),
}


@click.group(
    cls=PluginGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config", "config", envvar="VERISEAL_CONFIG", help="Config file (default ./veriseal.toml)."
)
@click.option("--db", help="Ledger URL, overriding the config: a SQLite path or postgresql://...")
@click.option("--brand", envvar="VERISEAL_BRAND", help="Brand to act on (default: the config's).")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Message language / 提示语言.")
@click.version_option(package_name="veriseal")
@click.pass_context
def cli(
    ctx: click.Context, config: str | None, db: str | None, brand: str | None, lang: str | None
) -> None:
    """Veriseal: one item, one code. 防伪防窜货，一物一码。"""
    ctx.obj = Options(config=config, db=db, brand=brand, lang=lang)


def main() -> None:
    cli(prog_name="veriseal")
