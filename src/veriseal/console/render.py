"""Templates: one Jinja2 environment for the core's templates and every plugin's.

Autoescaping is on for everything; ``StrictUndefined`` turns a misspelt variable into
an error the page tests see, not an empty cell a user sees. The core's templates are in
``veriseal/console/templates``; a plugin's are in ``<package>/pages/`` and are named
``"<package>/<file>.html"``.

Dates are shown in the reader's time zone and numbers and money in their locale
(Babel's CLDR data): ``|dt``, ``|date``, ``|num``, ``|money(currency)``.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import jinja2
from babel import dates, numbers
from markupsafe import Markup, escape

from veriseal.i18n import ZH
from veriseal.i18n import t as message

LOCALES = {ZH: "zh_CN", "en": "en"}


def environment(packages: Iterable[str]) -> jinja2.Environment:
    """The environment for the core and the plugin ``packages`` (each with ``pages/``)."""
    prefixed: dict[str, jinja2.BaseLoader] = {
        pkg: jinja2.PackageLoader(pkg, "pages") for pkg in sorted(set(packages))
    }
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader("veriseal.console", "templates"), jinja2.PrefixLoader(prefixed)]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_filters(env)
    return env


@functools.cache
def _locale(lang: str) -> str:
    return LOCALES.get(lang, "en")


def as_time(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


class Formats:
    """The filters of one reader (language and time zone)."""

    def __init__(self, lang: str, tz: zoneinfo.ZoneInfo) -> None:
        self.lang = lang
        self.locale = _locale(lang)
        self.tz = tz

    def dt(self, value: object) -> str:
        when = as_time(value)
        if when is None:
            return "" if value is None else str(value)
        return dates.format_datetime(when.astimezone(self.tz), "medium", locale=self.locale)

    def date(self, value: object) -> str:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dates.format_date(value, "medium", locale=self.locale)
        when = as_time(value)
        if when is None:
            return "" if value is None else str(value)
        return dates.format_date(when.astimezone(self.tz).date(), "medium", locale=self.locale)

    def num(self, value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return "" if value is None else str(value)
        return numbers.format_decimal(value, locale=self.locale)

    def money(self, minor: object, currency: str = "CNY") -> str:
        """Integer minor units (fen) of ``currency`` in the reader's locale."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            return "" if minor is None else str(minor)
        digits = numbers.get_currency_precision(currency)
        amount = Decimal(minor).scaleb(-digits)
        return numbers.format_currency(amount, currency, locale=self.locale)

    def outcome(self, value: object) -> str:
        return message(f"outcome.{value}", self.lang)


def render(env: jinja2.Environment, template: str, context: Mapping[str, Any],
           formats: Formats) -> str:  # fmt: skip
    """Render ``template`` with ``context`` and the reader's filters."""
    return env.get_template(template).render({**context, "_fmt": formats})


def install_filters(env: jinja2.Environment) -> None:
    """Filters that read the reader's :class:`Formats` from the render context."""

    def bind(name: str) -> Any:
        @jinja2.pass_context
        def apply(ctx: jinja2.runtime.Context, value: object, *args: Any) -> str:
            return str(getattr(ctx["_fmt"], name)(value, *args))

        return apply

    for name in ("dt", "date", "num", "money", "outcome"):
        env.filters[name] = bind(name)


def hidden_input(name: str, value: str) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(name, value)


__all__ = ["Formats", "environment", "escape", "hidden_input", "install_filters", "render"]
