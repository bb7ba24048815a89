"""``veriseal serve``: the scan-to-verify server."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import multiprocessing
import os
import shutil
import signal
from collections.abc import Sequence
from pathlib import Path

import click
from aiohttp import web

from veriseal import config as config_mod
from veriseal import demo
from veriseal.catalog.keys import create_key_file
from veriseal.config import Config
from veriseal.console.site import make_site
from veriseal.engine import Engine
from veriseal.errors import ConfigError, ListenFailed, VerisealError
from veriseal.extend.periodic import run_periodic
from veriseal.extend.stream import worker_for
from veriseal.notifications import DeliveryWorker
from veriseal.notifications.settings import NotifySettings
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner
from veriseal_cli.context import Options, pass_opts, run

DEMO_DIR = "veriseal-demo"
UPKEEP_EVERY = 3600.0  # seconds between two ledger.maintain() runs while serving
GC_YOUNG = 50_000  # allocations between young-generation collections while serving
log = logging.getLogger("veriseal.serve")


async def _upkeep(engine: Engine, stop: asyncio.Event, every: float = UPKEEP_EVERY) -> None:
    """``ledger.maintain()`` every ``every`` seconds until ``stop``: a server running
    across a month's end makes the new month's partitions and moves its ids into them
    without a restart (veriseal.ledger.partition_store). A failure is logged and tried
    again at the next turn; partitions are made two months ahead, so an hour's delay
    costs nothing."""
    while not stop.is_set():
        try:
            created = await engine.ledger.maintain()
        except VerisealError:
            log.exception("ledger upkeep failed; trying again in %.0f s", every)
        else:
            if created:
                log.info("ledger partitions created: %s", ", ".join(created))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def _prepare_demo_config(opts: Options, directory: Path, keep: bool) -> None:
    """A self-contained demo folder (config, SQLite ledger, key file) unless a config
    exists. A demo folder left by an earlier run is moved aside to ``<dir>.previous``
    (replacing an older one) unless ``keep``: its ledger remembers the demo codes' scans,
    so the first scan of a new demo would already count as a copied label."""
    path = config_mod.config_path(opts.config)
    if path.exists() or os.environ.get("VERISEAL_DB"):
        return
    path = directory.absolute() / config_mod.DEFAULT_FILE
    opts.config = str(path)
    if directory.exists() and not keep:
        previous = directory.with_name(directory.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        directory.rename(previous)
        click.echo(
            f"Starting a fresh demo; the previous one is in {previous}/ (--keep-demo keeps it)"
            f" / 已重新开始演示，上次的演示数据移至 {previous}/（使用 --keep-demo 保留）"
        )
    if path.exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "veriseal.key"
    if not key.exists():
        create_key_file(key)
    config_mod.write(
        path,
        config_mod.sqlite_url(directory.absolute() / "veriseal.sqlite3"),
        "veriseal.key",
        demo.DEMO_BRAND,
    )
    # the demo has no SMTP server or SMS gateway: text messages (sign-up codes) are
    # printed on the server's console instead
    with path.open("a", encoding="utf-8") as f:
        f.write('[notifications.sms]\nprovider = "console"\n')


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default 8080).")
@click.option(
    "--demo",
    "with_demo",
    is_flag=True,
    help=f"Seed a demo brand (in ./{DEMO_DIR}/ when no config exists) and print codes to scan.",
)
@click.option(
    "--keep-demo",
    is_flag=True,
    help=f"With --demo: keep the ledger of an earlier demo (default: move ./{DEMO_DIR}/ aside).",
)
@click.option(
    "--public-host", help="Host:port that phones use to reach this server (for demo links)."
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(0),
    default=None,
    help="Requests per minute per client address on public routes (0: off; default 120,"
    " or rate_per_minute in the config's [server] section).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Server processes sharing the port (PostgreSQL only: SQLite has one writer).",
)
@click.option(
    "--consumers/--no-consumers",
    default=None,
    help="Run the event stream's consumers in this server (default; or [server] consumers"
    " in the config). --no-consumers: run `veriseal events consume --watch` elsewhere.",
)
@pass_opts
def serve(  # noqa: PLR0913 - one parameter per option
    opts: Options,
    host: str | None,
    port: int | None,
    with_demo: bool,
    keep_demo: bool,
    public_host: str | None,
    rate_limit: float | None,
    workers: int | None,
    consumers: bool | None,
) -> None:
    """Run the scan-to-verify server (GS1 Digital Link resolver + verdict page)."""
    if with_demo:
        _prepare_demo_config(opts, Path(DEMO_DIR), keep_demo)

    async def prepare() -> tuple[Config, str, int, Limits, int, bool]:
        cfg = opts.load()
        bind = host or str(cfg.server.get("host", "127.0.0.1"))
        listen_port = port if port is not None else _config_port(cfg)
        per_minute = (
            rate_limit if rate_limit is not None else cfg.server.get("rate_per_minute", 120)
        )
        limits = Limits(per_minute=float(per_minute), burst=int(cfg.server.get("burst", 60)))
        n = workers if workers is not None else int(cfg.server.get("workers", 1))
        consuming = consumers if consumers is not None else cfg.server.get("consumers", True)
        if not isinstance(consuming, bool):
            raise ConfigError(f"[server] consumers must be true or false, not {consuming!r}")
        if n > 1 and not cfg.db_url.startswith(("postgresql:", "postgres:")):
            raise ConfigError(
                "SQLite has a single writer: serve it with --workers 1, or use PostgreSQL"
                " for several workers"
            )
        if with_demo:
            async with await Engine.open(cfg) as engine:
                resolver = (
                    public_host or f"{'127.0.0.1' if bind == '0.0.0.0' else bind}:{listen_port}"
                )
                await _print_demo(engine, resolver)
            cfg = _demo_config(cfg, resolver)
        return cfg, bind, listen_port, limits, n, consuming

    cfg, bind, listen_port, limits, n, consuming = run(opts, prepare)
    children = [
        multiprocessing.get_context("fork").Process(
            target=_serve_forever, args=(opts, cfg, bind, listen_port, limits, True), daemon=True
        )
        for _ in range(n - 1)
    ]
    for child in children:
        child.start()

    def on_term(_sig: int, _frame: object) -> None:
        # SIGTERM (service managers, tests) stops the workers too, not only this process.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        # returns when SIGTERM / Ctrl+C arrive while serving; a signal during start-up
        # (before the loop handles them) is the handler's KeyboardInterrupt
        _serve_forever(opts, cfg, bind, listen_port, limits, n > 1, announce=n, consume=consuming)
        click.echo("stopped / 已停止")
    except KeyboardInterrupt:
        click.echo("stopped / 已停止")
    finally:
        _stop_workers(children)


def _stop_workers(children: Sequence[multiprocessing.process.BaseProcess]) -> None:
    """SIGTERM every worker, give each 10 s to finish its requests and commit, then kill
    what is still running: a worker stuck in its shutdown must never outlive the parent
    as an orphan holding the port."""
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()


def _demo_config(cfg: Config, resolver: str) -> Config:
    """The demo's links are plain http to this server (linkset and passkeys too); on a
    LAN address browsers drop Secure cookies, so the console's cookies go without."""
    if not cfg.server.get("public_origin"):
        cfg = dataclasses.replace(cfg, server={**cfg.server, "public_origin": f"http://{resolver}"})
    if not _loopback(resolver) and "secure_cookies" not in cfg.section("console"):
        console = {**cfg.section("console"), "secure_cookies": False}
        cfg = dataclasses.replace(cfg, tables={**cfg.tables, "console": console})
        click.echo(
            "The demo console runs over plain http on your network: its cookies are"
            " not Secure (serve it over HTTPS in production)"
            " / 演示后台在局域网上使用明文 http，Cookie 未设 Secure（生产环境请用 HTTPS）"
        )
    return cfg


def _loopback(host_port: str) -> bool:
    """Whether ``host:port`` names this machine (browsers treat it as a secure origin)."""
    host = host_port.rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


def _config_port(cfg: Config) -> int:
    """``[server] port`` of the config, checked like the ``--port`` option."""
    value = cfg.server.get("port", 8080)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(f"[server] port must be a number in 1..65535, not {value!r}")
    return value


async def _print_demo(engine: Engine, resolver: str) -> None:
    codes = await demo.seed(engine, resolver)
    # Production labels carry https:// links to the brand's resolver behind TLS; demo
    # links point at THIS server (plain HTTP, the host asked for now), whatever resolver
    # the demo brand was created with on an earlier run.
    links = [f"http://{resolver}/01/" + c.uri.split("/01/", 1)[1] for c in codes]
    label = demo.write_label(links[0], Path(DEMO_DIR) / "demo-label.png", demo.DEMO_PRODUCT)
    click.echo("Demo codes / 演示码 (open in a browser, or scan the label):")
    for c, uri in zip(codes, links, strict=True):
        extra = f"   PIN / 验证码: {c.pin}" if c.pin else ""
        click.echo(f"  [{c.lot}, {c.profile}] {uri}{extra}")
    click.echo(f"Demo label / 演示标签: {label.absolute()}")
    click.echo(f"Scan [{codes[0].lot}] with a phone / 用手机扫描 [{codes[0].lot}]:")
    click.echo(demo.terminal_qr(links[0]), nl=False)
    pin_code = next(((c, uri) for c, uri in zip(codes, links, strict=True) if c.pin), None)
    if pin_code is not None and pin_code[0].pin:
        path = Path(DEMO_DIR) / "demo-label-pin.png"
        demo.write_label(pin_code[1], path, demo.DEMO_PRODUCT, len(pin_code[0].pin))
        click.echo(f"Demo label with a PIN / 带验证码的演示标签: {path.absolute()}")
    await _print_console_users(engine, resolver)


async def _print_console_users(engine: Engine, resolver: str) -> None:
    """The console's address and the demo users' sign-in (new passwords, shown once and
    kept in a private file of the demo folder)."""
    users = await demo.seed_people(engine)
    await demo.seed_verifications(engine)
    await engine.plugins.seed_demo(await engine.brands.get(demo.DEMO_BRAND))
    fresh = [u for u in users if u.password]
    click.echo(f"Web console / 管理后台: http://{resolver}/console/")
    if fresh:
        lines = [f"{u.login}  {u.password}  ({u.role})" for u in fresh]
        config_mod.write_private(Path(DEMO_DIR) / "console-users.txt", "\n".join(lines) + "\n")
        click.echo("Sign in as / 登录账号 (password / 密码):")
        for line in lines:
            click.echo(f"  {line}")
    else:
        click.echo(f"Demo sign-ins / 演示账号: {Path(DEMO_DIR) / 'console-users.txt'}")
    click.echo(
        "Consumers sign up at /console/signup (the code is printed here)"
        " / 消费者在 /console/signup 注册（验证码打印在此）"
    )


def _serve_forever(
    opts: Options,
    cfg: Config,
    bind: str,
    port: int,
    limits: Limits,
    reuse_port: bool,
    announce: int = 0,
    consume: bool = True,
) -> None:
    """One server process: its own engine, group committer and connections. The first
    process (``announce`` = the worker count) says so once it is listening and, unless
    ``consume`` is false, runs the event stream's consumers."""

    async def go() -> None:
        engine = await Engine.open(cfg)
        runner = ApiRunner(make_site(engine, limits), access_log=None)
        stop = asyncio.Event()
        # SIGTERM and Ctrl+C end the wait below from inside the loop. A KeyboardInterrupt
        # raised by a signal handler lands wherever the loop happens to be (in a database
        # driver's reply callback, say), and the shutdown then waited forever on a reply
        # that callback never delivered (seen as a worker pool that would not stop).
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        delivery = asyncio.create_task(_deliver_until(stop, engine, cfg))
        # The event stream's consumers (diversion checks, ...) in the first process only:
        # off the request path, in their own tasks; more processes would only queue on
        # the consumers' cursor locks. --no-consumers: another process runs them (`veriseal
        # events consume --watch`), so a fleet of servers answers scans and one box reacts.
        consuming = (
            asyncio.create_task(worker_for(engine).run(stop)) if announce and consume else None
        )
        # plugins' periodic work (expiring unpaid orders, ...), in the first process too
        periodic = (
            asyncio.create_task(run_periodic(engine.plugins.periodic(), stop)) if announce else None
        )
        # the ledger's monthly partitions, made ahead (PostgreSQL), in the first process too
        upkeep = asyncio.create_task(_upkeep(engine, stop)) if announce else None
        try:
            await runner.setup()
            try:
                await web.TCPSite(runner, bind, port, reuse_port=reuse_port or None).start()
            except OSError as exc:  # in use, not this machine's address, privileged
                raise ListenFailed(
                    f"{bind}:{port}: {exc.strerror or exc}"
                    f" / 无法监听 {bind}:{port}（端口已被占用或地址不可用）",
                    host=bind,
                    port=port,
                ) from None
            # Everything loaded so far lives as long as the server: keep it out of the
            # collector's full passes, which otherwise stalled the loop for ~50 ms now
            # and then under load (measured as the verify endpoint's p99).
            gc.freeze()
            # A request allocates a few hundred objects, nearly all freed by reference
            # counting; the collector's default young-generation pass every 700
            # allocations cost ~8% of a verification's CPU (measured, issue 20). Every
            # 50,000 allocations still bounds garbage cycles to a few MB.
            gc.set_threshold(GC_YOUNG, 50, 100)
            if announce:
                click.echo(
                    f"Serving on http://{bind}:{port}/ with {announce} worker(s)"
                    "  (Ctrl+C to stop / 按 Ctrl+C 停止)"
                )
                if not consume:
                    click.echo(
                        "Event consumers are not run here: run `veriseal events consume"
                        " --watch` / 本服务不运行事件消费者：请另行运行"
                        " `veriseal events consume --watch`"
                    )
            await stopping.wait()
        finally:
            stop.set()
            await runner.cleanup()  # answers in flight first, then commits queued scans
            # on SIGTERM asyncio cancels every task at once, this one included: the
            # ledger must still be closed (queued scans committed, threads released)
            with contextlib.suppress(asyncio.CancelledError):
                await delivery
            for task in (consuming, periodic, upkeep):
                if task is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await engine.close()

    run(opts, go, fast_loop=bool(cfg.server.get("uvloop", True)))


async def _deliver_until(stop: asyncio.Event, engine: Engine, cfg: Config) -> None:
    """Send what the notification outbox holds (codes, notices) while the server runs.
    A failing pass is logged and retried: the outbox keeps every message meanwhile."""
    settings = NotifySettings.load(cfg.path)
    senders = settings.senders(
        engine.notifier.contacts, push=engine.notifier.push, keyring=engine.keyring
    )
    worker = DeliveryWorker(engine.ledger, senders, settings.worker_options())
    while not stop.is_set():
        try:
            await worker.run(stop)
        except VerisealError as exc:
            log.warning("notification delivery paused: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)
