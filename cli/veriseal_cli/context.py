"""Shared CLI plumbing. It lives in :mod:`veriseal.extend.cli`, so that plugins'
commands use it without importing ``veriseal_cli``; the core's commands import it from
here as before."""

from veriseal.extend.cli import (
    BROKEN_PIPE_EXIT,
    INTERNAL_EXIT,
    Options,
    broken_pipe,
    echo_json,
    fail,
    pass_opts,
    run,
    with_context,
    with_engine,
)

__all__ = [
    "BROKEN_PIPE_EXIT",
    "INTERNAL_EXIT",
    "Options",
    "broken_pipe",
    "echo_json",
    "fail",
    "pass_opts",
    "run",
    "with_context",
    "with_engine",
]
