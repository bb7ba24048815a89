"""The service registry and the plugin context, with real engines over real ledgers:
a required service that is missing stops the start-up with a coded, bilingual error; an
optional one answers ``Unavailable``; a provided one is found, typed, by any plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pytest

from veriseal import SYSTEM_PRINCIPAL, Action, Engine, Forbidden, MessageType, Role, hookimpl
from veriseal.accounts.permissions import MATRIX, actions
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config
from veriseal.extend import (
    Channel,
    ConsolePage,
    MessageTypeSpec,
    Permission,
    PluginContext,
    Provided,
    ServiceKey,
    ServiceMissing,
    Unavailable,
)
from veriseal.extend.manager import PluginInvalid
from veriseal.i18n import t
from veriseal.notifications import message_types


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


class Registrar:
    """A plugin adding to each open registry."""

    @staticmethod
    @hookimpl
    def register_permissions() -> list[Permission]:
        return [Permission(Action("widgets.count"), frozenset({Role.INSPECTOR}), "Count", "计数")]

    @staticmethod
    @hookimpl
    def register_message_types() -> list[MessageTypeSpec]:
        return [MessageTypeSpec(MessageType("widget_news"), "Widget news", "小部件新闻",
                                (Channel.INBOX, Channel.EMAIL), broadcast=True)]  # fmt: skip

    @staticmethod
    @hookimpl
    def register_error_codes() -> dict[str, tuple[str, str]]:
        return {"widget_jammed": ("Widget jammed", "小部件卡住了")}

    @staticmethod
    @hookimpl
    def register_console_pages() -> list[ConsolePage]:
        page = ConsolePage(
            "/console/widgets", "Widgets", "小部件", Action("widgets.count"), "tools"
        )
        return [page]


async def test_plugins_fill_the_open_registries(tmp_path: Path, ledger_url: str) -> None:
    config = _config(tmp_path, ledger_url)
    async with await Engine.open(config, extra_plugins=[("widgets", Registrar())]) as engine:
        ctx = engine.plugins.context("widgets")
        assert MATRIX[Action("widgets.count")] == {Role.INSPECTOR}
        with pytest.raises(Forbidden):  # the operator is a platform admin: not an inspector
            ctx.require(SYSTEM_PRINCIPAL, Action("widgets.count"))
        assert ctx.allowed(SYSTEM_PRINCIPAL, Action.USERS_MANAGE)
        assert Action("widgets.count") in actions()
        assert t("error.widget_jammed", "zh") == "小部件卡住了"
        assert message_types.default_channels(MessageType("widget_news")) == (
            Channel.INBOX,
            Channel.EMAIL,
        )
        assert message_types.broadcastable(MessageType("widget_news"))
        [entry] = [p for p in engine.plugins.console.pages() if p.shown_to(Role.INSPECTOR)]
        assert (entry.menu_group, entry.path, entry.title_zh) == (
            "tools", "/console/widgets", "小部件"
        )  # fmt: skip
        assert not entry.shown_to(Role.BRAND_ADMIN)  # the role does not hold the action


async def test_a_clashing_registration_stops_the_start(tmp_path: Path, ledger_url: str) -> None:
    class Clash:
        @staticmethod
        @hookimpl
        def register_permissions() -> list[Permission]:  # users.manage belongs to the core
            return [Permission(Action("users.manage"), frozenset({Role.CONSUMER}))]

    with pytest.raises(PluginInvalid):
        await Engine.open(_config(tmp_path, ledger_url), extra_plugins=[("clash", Clash())])
