"""The SDK is documented: every ``veriseal.extend.__all__`` name has an entry in
docs/plugins.md, and nothing documented there is missing from the SDK."""

from __future__ import annotations

import re
from pathlib import Path

import veriseal.extend as sdk

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def documented() -> set[str]:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("## The SDK: `veriseal.extend`")
    end = text.index("\n## ", start + 1)
    return set(re.findall(r"^- \*\*`(\w+)`\*\*", text[start:end], flags=re.MULTILINE))


def test_every_sdk_name_is_documented() -> None:
    assert documented() == set(sdk.__all__)


def test_every_sdk_name_resolves() -> None:
    assert sorted(dir(sdk)) == sorted(sdk.__all__)
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None, name
    try:
        sdk.not_an_sdk_name  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("unknown names must raise AttributeError")
