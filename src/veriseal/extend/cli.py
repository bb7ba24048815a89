"""CLI plumbing shared by the core's commands and the plugins': global options, running
async services, rendering errors (``veriseal_cli`` re-uses it; plugins import it from
:mod:`veriseal.extend`).

Every command body runs inside :func:`run`, which turns a ``VerisealError`` into a
message (English or Chinese, with the stable code) and the error's exit code, and any
other exception into a one-line internal-error message: no traceback reaches a user
unless ``VERISEAL_DEBUG=1``.

Exit codes: 0 success; 1 a generic error; 2 bad usage or input (click's usage errors
and ``InvalidInput``); 3-11 the coded error classes (see each class's ``exit_code``);
70 an internal error (``EX_SOFTWARE``); 71 the operating system refused a resource,
e.g. a port in use (``EX_OSERR``, :class:`~veriseal.errors.ListenFailed`); 141 the
reader of standard output went away (a pipe into ``head``): 128 + SIGPIPE, what a
shell reports for a Unix tool killed by it, and nothing is printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from veriseal.errors import InvalidInput, VerisealError
from veriseal.i18n import t

if TYPE_CHECKING:
    # Imported where they are used: a command that opens no ledger (``veriseal verify
    # --jwks``, ``--help``) must not pay for the engine and the ledger drivers (issue 20).
    from veriseal import config as config_mod
    from veriseal.engine import Engine
    from veriseal.extend.context import PluginContext

T = TypeVar("T")
INTERNAL_EXIT = 70  # EX_SOFTWARE
BROKEN_PIPE_EXIT = 128 + 13  # 128 + SIGPIPE, as a shell reports `tool | head`


@dataclass
class Options:
    """The ``veriseal`` command's global options (``--config``, ``--db``, ``--brand``,
    ``--lang``), passed to every command by :data:`pass_opts`."""

    config: str | None
    db: str | None
    brand: str | None
    lang: str | None

    def load(self) -> config_mod.Config:
        from veriseal import config as config_mod  # noqa: PLC0415 (see the imports)

        return config_mod.load(self.config, self.db)


def _loop_factory(fast: bool) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when ``fast`` and uvloop imports (not on Windows), else None
    (asyncio's default loop). Imported here, not at the top: most commands never serve."""
    if not fast:
        return None
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return None
    return uvloop.new_event_loop


def fail(error: VerisealError, lang: str | None) -> NoReturn:
    """Print ``error`` (translated title, code, detail) and exit with its exit code."""
    title = t(f"error.{error.code}", lang)
    click.echo(f"{title} [{error.code}]: {error.message}", err=True)
    sys.exit(error.exit_code)


def run(opts: Options, body: Callable[[], Awaitable[T]], *, fast_loop: bool = False) -> T:
    """Run an async command body with coded-error handling (see module docstring).

    ``fast_loop``: run it on uvloop's event loop where uvloop is installed (the server:
    measured 13-15% less CPU per verification, benchmarks/bench_http.py); else, and
    for every other command, on asyncio's own loop."""
    try:
        with asyncio.Runner(loop_factory=_loop_factory(fast_loop)) as runner:
            return runner.run(body())  # type: ignore[arg-type]
    except VerisealError as exc:
        fail(exc, opts.lang)
    except BrokenPipeError:
        broken_pipe()
    except OverflowError as exc:
        # The bounded option types (veriseal_cli.params) refuse out-of-range numbers
        # first; this catches one that a plugin's command let through to the driver.
        fail(InvalidInput(f"a number is out of range: {exc}"), opts.lang)
    except (KeyboardInterrupt, click.exceptions.Exit, SystemExit):
        raise
    except click.ClickException:
        raise
    except Exception as exc:  # the last line of defence: users see no traceback
        if os.environ.get("VERISEAL_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"{t('error.internal', opts.lang)} [internal]: {type(exc).__name__}: {exc}"
            " (set VERISEAL_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(INTERNAL_EXIT)


def broken_pipe() -> NoReturn:
    """Exit quietly because standard output's reader is gone (``veriseal ... | head``).

    As the Python documentation advises for SIGPIPE: point standard output at
    ``/dev/null`` first, so the interpreter's final flush of what is still buffered
    does not fail again on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(BROKEN_PIPE_EXIT)


def with_engine(opts: Options, body: Callable[[Engine], Awaitable[T]]) -> T:
    """Open the configured engine, run ``body`` with it, close it."""

    from veriseal.engine import Engine  # noqa: PLC0415 (see the imports)

    async def go() -> T:
        engine = await Engine.open(opts.load())
        try:
            return await body(engine)
        finally:
            await engine.close()

    return run(opts, go)


def with_context(opts: Options, plugin: str, body: Callable[[PluginContext], Awaitable[T]]) -> T:
    """Open the configured engine, run ``body`` with the enabled plugin ``plugin``'s
    context (``plugin_not_found`` when it is not enabled), close the engine."""

    async def go(engine: Engine) -> T:
        return await body(engine.plugins.context(plugin))

    return with_engine(opts, go)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Chinese as it is, times as ISO 8601 text)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


#: Decorator passing the command's :class:`Options` (set by the ``veriseal`` group).
pass_opts = click.make_pass_decorator(Options)
