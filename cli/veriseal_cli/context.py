"""Shared CLI plumbing: global options, running async services, rendering errors.

Every command body runs inside :func:`run`, which turns a ``VerisealError`` into a
message (English or Chinese, with the stable code) and the error's exit code, and any
other exception into a one-line internal-error message: no traceback reaches a user
unless ``VERISEAL_DEBUG=1``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import click

from veriseal import config as config_mod
from veriseal.engine import Engine
from veriseal.errors import VerisealError
from veriseal.i18n import t

T = TypeVar("T")
INTERNAL_EXIT = 70  # EX_SOFTWARE


@dataclass
class Options:
    config: str | None
    db: str | None
    brand: str | None
    lang: str | None

    def load(self) -> config_mod.Config:
        return config_mod.load(self.config, self.db)


def fail(error: VerisealError, lang: str | None) -> NoReturn:
    title = t(f"error.{error.code}", lang)
    click.echo(f"{title} [{error.code}]: {error.message}", err=True)
    sys.exit(error.exit_code)


def run(opts: Options, body: Callable[[], Awaitable[T]]) -> T:
    """Run an async command body with coded-error handling (see module docstring)."""
    try:
        return asyncio.run(body())  # type: ignore[arg-type]
    except VerisealError as exc:
        fail(exc, opts.lang)
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


def with_engine(opts: Options, body: Callable[[Engine], Awaitable[T]]) -> T:
    """Open the configured engine, run ``body`` with it, close it."""

    async def go() -> T:
        engine = await Engine.open(opts.load())
        try:
            return await body(engine)
        finally:
            await engine.close()

    return run(opts, go)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


pass_opts = click.make_pass_decorator(Options)
