"""Every human-facing text exists in English and Simplified Chinese."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import veriseal
import veriseal_cli
from veriseal import errors
from veriseal.extend.manager import BUNDLED, installed, load
from veriseal.i18n import bilingual, keys, language, register, t
from veriseal.scanning.verification import REASONS, Outcome


def _import_everything() -> None:
    """Import every module of the core, the CLI and the bundled plugins, and load the
    bundled plugins, so errors and messages they define (and register, at import time
    or through the ``register_error_codes`` hook) are all seen below."""
    load(BUNDLED)
    plugins = [importlib.import_module(ep.value.split(":")[0].split(".")[0])
               for name, ep in installed().items() if name in BUNDLED]  # fmt: skip
    for package in (veriseal, veriseal_cli, *plugins):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)


_import_everything()


def all_error_codes() -> set[str]:
    found: set[str] = set()
    todo: list[type[errors.VerisealError]] = [errors.VerisealError]
    while todo:
        cls = todo.pop()
        found.add(cls.code)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize(
    "key",
    sorted(
        [f"reason.{r}" for r in REASONS]
        + [f"outcome.{o}" for o in Outcome]
        + [f"error.{c}" for c in all_error_codes()]
    ),
)
def test_text_in_both_languages(key: str) -> None:
    assert key in keys()
    en, zh = t(key, "en", brand="B", expiry="E"), t(key, "zh", brand="B", expiry="E")
    assert en and zh and en != zh
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), zh


def test_language_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERISEAL_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert language() == "zh"
    monkeypatch.setenv("VERISEAL_LANG", "en")
    assert language() == "en"
    assert language("zh") == "zh"
    assert bilingual("outcome.genuine") == "Genuine / 正品"


def test_register_refuses_a_clash() -> None:
    register({"outcome.genuine": ("Genuine", "正品")})  # the same text again: harmless
    with pytest.raises(ValueError, match=r"outcome\.genuine"):
        register({"outcome.genuine": ("Real", "真")})
