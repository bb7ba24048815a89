"""Option groups: several click options handed to a command as one frozen dataclass.

A command with a dozen options would otherwise take a dozen parameters and pass them on
one by one. :func:`gather` collects the options named like a dataclass's fields into one
instance, so the command body reads ``labels.first`` and hands ``labels`` on whole::

    @click.command()
    @click.option("--from", "first", type=int)
    @click.option("--to", "last", type=int)
    @gather(Span, into="span")
    def cmd(span: Span) -> None: ...

``gather`` goes below the ``click.option`` decorators of its fields (it wraps the
function they decorate), and click's parameter names must equal the field names.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

R = TypeVar("R")


def gather(cls: type[Any], into: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Replace the keyword arguments named like ``cls``'s fields by one ``cls`` instance.

    ``cls`` is a dataclass; the command receives it as the keyword argument ``into``.
    Fields with no matching argument keep their dataclass default (a missing field with
    no default is a programming error and raises ``TypeError`` on the first call).
    """
    names = [f.name for f in dataclasses.fields(cls)]

    def decorate(fn: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            values = {name: kwargs.pop(name) for name in names if name in kwargs}
            kwargs[into] = cls(**values)
            return fn(*args, **kwargs)

        return wrapper

    return decorate
