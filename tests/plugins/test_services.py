"""The service registry and the plugin context, with real engines over real ledgers:
a required service that is missing stops the start-up with a coded, bilingual error; an
optional one answers ``Unavailable``; a provided one is found, typed, by any plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pytest

from veriseal import Engine, hookimpl
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config
from veriseal.extend import PluginContext, Provided, ServiceKey, ServiceMissing, Unavailable
from veriseal.i18n import t


class Greet(Protocol):
    def __call__(self, name: str) -> str: ...


GREET = ServiceKey[Greet]("greeter.greet")
ABSENT = ServiceKey[Greet]("absent.greet")


class Greeter:
    """A plugin providing ``greeter.greet`` and reading its config section."""

    @staticmethod
    @hookimpl
    def provide_services(ctx: PluginContext) -> list[Provided[Any]]:
        salute = str(ctx.config.get("salute", "hello"))
        return [Provided(GREET, lambda name: f"{salute} {name}")]


class NeedsGreeter:
    @staticmethod
    @hookimpl
    def required_services() -> list[ServiceKey[Any]]:
        return [GREET]


class NeedsAbsent:
    @staticmethod
    @hookimpl
    def required_services() -> list[ServiceKey[Any]]:
        return [ABSENT]


def _config(tmp_path: Path, ledger_url: str, **sections: dict[str, Any]) -> Config:
    key = tmp_path / "keys.json"
    create_key_file(key)
    return Config(None, ledger_url, KeySource(key_file=key), plugins=(), plugin_settings=sections)


async def test_a_required_service_is_found_typed(tmp_path: Path, ledger_url: str) -> None:
    config = _config(tmp_path, ledger_url, greeter={"salute": "你好"})
    extra = [("greeter", Greeter()), ("needs", NeedsGreeter())]
    async with await Engine.open(config, extra_plugins=extra) as engine:
        ctx = engine.plugins.context("needs")
        assert ctx.service(GREET)("Li") == "你好 Li"  # config section of the provider
        assert engine.plugins.context("greeter").config == {"salute": "你好"}
        assert ctx.config == {}
        found = ctx.optional(GREET)
        assert not isinstance(found, Unavailable) and found("Wang") == "你好 Wang"
        missing = ctx.optional(ABSENT)
        assert isinstance(missing, Unavailable) and missing.key == "absent.greet"
        assert not missing
        with pytest.raises(ServiceMissing):
            ctx.service(ABSENT)


async def test_a_missing_required_service_stops_the_start(tmp_path: Path, ledger_url: str) -> None:
    config = _config(tmp_path, ledger_url)
    with pytest.raises(ServiceMissing) as caught:
        await Engine.open(config, extra_plugins=[("needs", NeedsAbsent())])
    assert caught.value.code == "service_missing"
    assert "'needs'" in caught.value.message and "'absent.greet'" in caught.value.message
    assert "not enabled" in caught.value.message
    assert t("error.service_missing", "zh") != t("error.service_missing", "en")


async def test_two_providers_of_one_name_conflict(tmp_path: Path, ledger_url: str) -> None:
    config = _config(tmp_path, ledger_url)
    with pytest.raises(Exception) as caught:
        await Engine.open(config, extra_plugins=[("greeter", Greeter()), ("again", Greeter())])
    assert getattr(caught.value, "code", None) == "service_conflict"


def test_service_names_are_checked() -> None:
    with pytest.raises(ValueError):
        ServiceKey[Greet]("no-dot")
    assert GREET.provider == "greeter"
