"""The README's and the docs' shell examples run, in order, in a fresh directory.

How a document marks its blocks and how they are run: ``tests/docs_harness.py``. A
document whose shell block has no marker fails here; every skipped block is reported as
a skipped test with its reason (``pytest -ra`` lists them).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.docs_harness import (
    Block,
    DocFormatError,
    output_matches,
    parse_blocks,
    run_session,
    transcript_steps,
)

PROJECT = Path(__file__).resolve().parent.parent
DOCS = sorted([PROJECT / "README.md", *(PROJECT / "docs").glob("*.md")])


def _name(path: Path) -> str:
    return path.relative_to(PROJECT).as_posix()


def _blocks(path: Path) -> list[Block]:
    return parse_blocks(_name(path), path.read_text(encoding="utf-8"))


def _all_blocks() -> list[Block]:
    out: list[Block] = []
    for path in DOCS:
        with contextlib.suppress(DocFormatError):  # test_every_shell_block_is_marked says
            out.extend(_blocks(path))
    return out


@pytest.mark.parametrize("path", DOCS, ids=_name)
def test_every_shell_block_is_marked(path: Path) -> None:
    problems = ""
    try:
        _blocks(path)
    except DocFormatError as exc:
        problems = str(exc)
    if problems:
        pytest.fail(problems, pytrace=False)


@pytest.mark.parametrize(
    "block",
    [b for b in _all_blocks() if b.mode == "skip"],
    ids=lambda b: b.where,
)
def test_skipped_block(block: Block) -> None:
    """One skipped test per block the docs mark as not runnable, with the docs' reason."""
    pytest.skip(f"{block.where}: {block.reason}")


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [p for p in DOCS if any(b.mode != "skip" for b in _all_blocks() if b.doc == _name(p))],
    ids=_name,
)
def test_document_blocks_run(path: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "reader"
    harness = tmp_path / "harness"
    workdir.mkdir()
    harness.mkdir()
    result = run_session(_blocks(path), PROJECT, workdir, harness)
    if not result.ok:
        pytest.fail(result.message, pytrace=False)


# -- the harness itself ---------------------------------------------------------------------
MARKED = """\
Intro.

<!-- docs-test: run -->
```sh
echo one
```

<!-- docs-test: skip: needs a phone -->
```console
$ veriseal users orgs tree
1   Acme  (brand)
```

```python
print("not a shell block: no marker needed")
```
"""


def test_parser_reads_markers_modes_and_line_numbers() -> None:
    blocks = parse_blocks("x.md", MARKED)
    assert [(b.line, b.lang, b.mode, b.reason) for b in blocks] == [
        (4, "sh", "run", ""),
        (9, "console", "skip", "needs a phone"),
    ]
    assert blocks[0].text == "echo one"


@pytest.mark.parametrize(
    "text",
    [
        "```sh\necho unmarked\n```\n",
        "<!-- docs-test: skip -->\n```sh\necho no reason\n```\n",
        "<!-- docs-test: maybe -->\n```bash\necho bad mode\n```\n",
        "<!-- docs-test: run -->\n\n```sh\necho marker not right above\n```\n",
        "```\n$ veriseal --help\n```\n",
        "<!-- docs-test: run -->\n```sh\necho never closed\n",
    ],
)
def test_parser_refuses_unmarked_or_badly_marked_blocks(text: str) -> None:
    with pytest.raises(DocFormatError):
        parse_blocks("x.md", text)


def test_transcript_steps_and_output_matching() -> None:
    steps = transcript_steps("$ a \\\n  --long\nout 1\nout   2\n$ b\n")
    assert [(s.command, s.expected) for s in steps] == [
        ("a \\\n  --long", ["out 1", "out   2"]),
        ("b", []),
    ]
    assert output_matches(["1   Acme  (brand)"], ["1\tAcme\t(brand)"])
    assert output_matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert output_matches(["a", "...", "b"], ["a", "b"])
    assert not output_matches(["a", "b"], ["a", "b", "c"])
    assert not output_matches(["a"], ["b"])


def _session(tmp_path: Path, text: str) -> tuple[bool, str]:
    (tmp_path / "w").mkdir()
    (tmp_path / "h").mkdir()
    result = run_session(parse_blocks("t.md", text), PROJECT, tmp_path / "w", tmp_path / "h")
    return result.ok, result.message


def test_session_carries_state_and_names_the_failing_block(tmp_path: Path) -> None:
    ok, message = _session(
        tmp_path,
        "<!-- docs-test: run -->\n```sh\nX=41; echo hi > f.txt\n```\n\n"
        "<!-- docs-test: skip: not here -->\n```sh\nexit 9\n```\n\n"
        '<!-- docs-test: run -->\n```sh\n[ "$(cat f.txt)" = hi ]\n'
        'echo "X is $X"\ntest "$X" -eq 42\necho unreachable\n```\n',
    )
    assert not ok
    assert message.startswith("t.md:12: block failed (exit status 1)")
    assert 'command: test "$X" -eq 42' in message
    assert "X is 41" in message and "unreachable" not in message.split("--- output ---")[1]


def test_session_checks_transcript_output(tmp_path: Path) -> None:
    ok, message = _session(
        tmp_path,
        "<!-- docs-test: run -->\n```console\n"
        "$ printf 'a\\tb\\n'\na b\n$ echo real\nwritten\n```\n",
    )
    assert not ok
    assert message.startswith("t.md:2: block failed")
    assert "real" in message and "written" in message


def test_session_passes_and_clears_veriseal_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERISEAL_DB", "postgresql://nowhere/x")
    ok, message = _session(
        tmp_path,
        "<!-- docs-test: run -->\n```sh\n"
        'test -z "${VERISEAL_DB:-}"\ntest "$(command -v veriseal)" = "$PWD/.venv/bin/veriseal" '
        '|| test "$(dirname "$(command -v veriseal)")" -ef .venv/bin\n```\n',
    )
    assert ok, message
