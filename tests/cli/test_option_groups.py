"""option_groups.gather: click options arrive as one frozen dataclass, the rest as given."""

from __future__ import annotations

from dataclasses import dataclass

import click
from click.testing import CliRunner

from veriseal_cli.option_groups import gather


@dataclass(frozen=True)
class Span:
    first: int
    last: int | None = None


def test_options_named_like_the_fields_arrive_as_one_instance() -> None:
    got: list[object] = []

    @click.command()
    @click.option("--from", "first", type=int, required=True)
    @click.option("--to", "last", type=int)
    @click.option("--json", "as_json", is_flag=True)
    @gather(Span, into="span")
    def cmd(span: Span, as_json: bool) -> None:
        got.append((span, as_json))

    result = CliRunner().invoke(cmd, ["--from", "3", "--to", "9", "--json"])
    assert result.exit_code == 0, result.output
    assert got == [(Span(3, 9), True)]
    CliRunner().invoke(cmd, ["--from", "1"])
    assert got[-1] == (Span(1, None), False)
    assert "--from" in CliRunner().invoke(cmd, ["--help"]).output  # the options stay visible
