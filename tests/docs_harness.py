"""Run the shell examples of README.md and docs/*.md, so the documentation cannot go stale.

Contract of a document (checked by ``tests/test_docs.py``):

- Every shell block (a fence with the info string ``sh``, ``bash``, ``shell`` or
  ``console``, or an untagged fence whose first line starts with ``$ ``) is preceded,
  on the line right above its fence, by one marker:

  - ``<!-- docs-test: run -->``: executed;
  - ``<!-- docs-test: server -->``: executed while a server runs, started in the
    document's directory before the first such block, with its console output in
    ``server.log``: ``veriseal serve`` of the reader's ledger when the directory has a
    ``veriseal.toml`` by then, else the demo (``veriseal serve --demo``, as
    ``scripts/demo`` runs it);
  - ``<!-- docs-test: skip: REASON -->``: not executed; the reason is required and is
    reported by the test.

  A shell block without a marker, or with a malformed one, is an error: nothing is
  skipped silently.
- A ``sh``/``bash``/``shell`` block is a script, run as written. In a ``console`` block
  (or an untagged one), lines starting with ``$ `` are commands (a trailing ``\\``
  continues one on the next line) and the lines after a command up to the next one are
  its expected output, compared with what the command prints (stdout and stderr), each
  line stripped and with runs of blanks made one space; a line ``...`` stands for any
  number of lines.
- A document's executed blocks run in order, in ONE ``bash`` session (``set -Eeuo
  pipefail``), so a later block sees the files and shell variables of an earlier one,
  as it would for a reader following along. The session starts in a fresh directory that
  looks like the top of a checkout (``.venv`` and ``examples`` are links to the
  project's), with the project's ``.venv/bin`` first on ``PATH`` and every
  ``VERISEAL_*`` variable removed.
- ``127.0.0.1:8080`` and ``localhost:8080`` (the server's default address in the docs)
  are replaced by the address of the demo server, which listens on a free port, and the
  PostgreSQL database names in ``PG_DATABASES`` by names unique to the run (dropped after
  it), so runs in parallel do not meet.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import secrets
import signal
import socket
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

#: Fence info strings whose blocks are shell examples and need a marker.
SHELL_LANGS = frozenset({"sh", "bash", "shell", "console"})
#: Info strings whose body is a transcript (``$ `` commands and their output).
TRANSCRIPT_LANGS = frozenset({"console", ""})
DEFAULT_ADDRESSES = ("127.0.0.1:8080", "localhost:8080")
#: Databases the docs create on the local PostgreSQL server (127.0.0.1, user postgres).
PG_DATABASES = ("veriseal_acme",)

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<body>.*?)\s*-->\s*$")
_BLOCK_TAG = "__DOCS_TEST_BLOCK__"
_FAIL_TAG = "__DOCS_TEST_FAILED__"


class DocFormatError(ValueError):
    """A shell block without a valid marker, or a fence that is never closed."""


@dataclass(frozen=True)
class Block:
    """One fenced shell block: where it is, how it is marked and what it says."""

    doc: str  # the document's path relative to the project, e.g. "docs/printing.md"
    line: int  # 1-based line number of the opening fence
    lang: str  # the fence's info string, "" when untagged
    mode: str  # "run", "server" or "skip"
    reason: str  # why it is skipped ("" unless mode == "skip")
    text: str  # the block's body, dedented

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass
class _Fence:
    line: int
    indent: str
    fence: str
    lang: str
    body: list[str] = field(default_factory=list)


def _fences(text: str) -> list[_Fence]:
    """Every fenced block of a Markdown text (CommonMark: a closing fence is the same
    character, at least as long, with nothing after it)."""
    found: list[_Fence] = []
    current: _Fence | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        m = _FENCE.match(line)
        if current is None:
            if m:
                info = m["info"].strip().split()
                current = _Fence(number, m["indent"], m["fence"], info[0] if info else "")
            continue
        stripped = line.strip()
        closes = (
            m is not None
            and not m["info"].strip()
            and stripped[0] == current.fence[0]
            and len(stripped) >= len(current.fence)
        )
        if closes:
            found.append(current)
            current = None
        else:
            body = line[len(current.indent) :] if line.startswith(current.indent) else line
            current.body.append(body)
    if current is not None:
        raise DocFormatError(f"line {current.line}: the fence opened here is never closed")
    return found


def _is_shell(fence: _Fence) -> bool:
    if fence.lang in SHELL_LANGS:
        return True
    return fence.lang == "" and bool(fence.body) and fence.body[0].startswith("$ ")


def parse_blocks(doc: str, text: str) -> list[Block]:
    """The shell blocks of one Markdown document, in order.

    Raises ``DocFormatError`` naming every shell block whose marker is missing or
    malformed (a skip without a reason, an unknown mode).
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    problems: list[str] = []
    for fence in _fences(text):
        if not _is_shell(fence):
            continue
        above = lines[fence.line - 2] if fence.line >= 2 else ""
        m = _MARKER.match(above)
        where = f"{doc}:{fence.line}"
        if m is None:
            problems.append(
                f"{where}: shell block without a marker on the line above it "
                "(<!-- docs-test: run|server|skip: REASON -->)"
            )
            continue
        mode, _, reason = m["body"].partition(":")
        mode, reason = mode.strip(), reason.strip()
        if mode not in ("run", "server", "skip") or (mode == "skip") != bool(reason):
            problems.append(
                f"{where}: bad marker {above.strip()!r}: want run, server or skip: REASON"
            )
            continue
        body = textwrap.dedent("\n".join(fence.body))
        blocks.append(Block(doc, fence.line, fence.lang, mode, reason, body))
    if problems:
        raise DocFormatError("\n".join(problems))
    return blocks


# -- turning blocks into one bash session ---------------------------------------------------
@dataclass(frozen=True)
class _Step:
    command: str
    expected: list[str]


def transcript_steps(text: str) -> list[_Step]:
    """Commands and expected outputs of a ``console`` transcript."""
    steps: list[_Step] = []
    command: list[str] | None = None
    expected: list[str] = []
    for line in text.splitlines():
        if command is not None and command[-1].endswith("\\"):
            command.append(line)
            continue
        if line.startswith("$ "):
            if command is not None:
                steps.append(_Step("\n".join(command), expected))
            command, expected = [line[2:]], []
        elif command is not None:
            expected.append(line)
        elif line.strip():
            raise DocFormatError(f"output before the first command: {line!r}")
    if command is not None:
        steps.append(_Step("\n".join(command), expected))
    return steps


def normalise(line: str) -> str:
    """One output line as compared: stripped, runs of blanks made one space."""
    return " ".join(line.split())


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` matches ``expected`` line by line (normalised; blank lines
    ignored; ``...`` matches any number of lines)."""
    want = [normalise(x) for x in expected if x.strip()]
    got = [normalise(x) for x in actual if x.strip()]

    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(got)
        if want[i] == "...":
            return any(match(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and got[j] == want[i] and match(i + 1, j + 1)

    return match(0, 0)


def _heredoc(text: str, tag: str) -> str:
    assert tag not in text.splitlines()
    return f"<<'{tag}'\n{text}\n{tag}\n"


def _transcript_script(block: Block, index: int) -> str:
    """Bash for a console transcript: run each command, capture, compare."""
    parts = []
    for n, step in enumerate(transcript_steps(block.text)):
        out = f'"$__docs_dir/out.{index}.{n}"'
        parts.append(
            f"__docs_capture={out}\n{{\n{step.command}\n}} > {out} 2>&1\n"
            f"__docs_capture=\ncat {out}\n"
        )
        if any(x.strip() for x in step.expected):
            expected = "\n".join(step.expected)
            parts.append(
                f'"$__docs_python" "$__docs_dir/compare.py" {out} "$__docs_tests" '
                + _heredoc(expected, f"__DOCS_EXPECTED_{index}_{n}__")
            )
    return "".join(parts)


_PRELUDE = r"""
set -Eeuo pipefail
__docs_capture=
trap '__docs_rc=$?; [ -z "$__docs_capture" ] || cat "$__docs_capture"
      printf "\n%s %s\t%s\n" "__FAIL__" "$__docs_rc" "$BASH_COMMAND"' ERR
__docs_server_pid=
__docs_start_server() {
  [ -n "$__docs_server_pid" ] && return 0
  if [ -f veriseal.toml ]; then set -- ; else set -- --demo; fi
  veriseal serve "$@" --port "$__docs_port" > server.log 2>&1 &
  __docs_server_pid=$!
  for _ in $(seq 150); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$__docs_port/openapi.json" 2>/dev/null; then
      return 0
    fi
    kill -0 "$__docs_server_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "the demo server did not start:"; cat server.log; return 1
}
__docs_stop_server() {
  if [ -n "$__docs_server_pid" ]; then
    kill "$__docs_server_pid" 2>/dev/null || true
    wait "$__docs_server_pid" 2>/dev/null || true
  fi
}
trap __docs_stop_server EXIT
""".replace("__FAIL__", _FAIL_TAG)

_COMPARE = r"""
import sys
sys.path.insert(0, sys.argv[2])
from docs_harness import output_matches
actual = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
expected = sys.stdin.read().splitlines()
if not output_matches(expected, actual):
    print("output differs from the document's; expected:")
    print("\n".join(expected))
    sys.exit(1)
"""


def session_script(blocks: list[Block], port: int, databases: dict[str, str]) -> str:
    """One bash script running the executed blocks in order (see the module docstring);
    ``databases`` maps the docs' database names to the run's."""
    parts = [_PRELUDE]
    for index, block in enumerate(blocks):
        if block.mode == "skip":
            continue
        text = block.text
        for address in DEFAULT_ADDRESSES:
            text = text.replace(address, f"127.0.0.1:{port}")
        for name, unique in databases.items():
            text = re.sub(rf"\b{name}\b", unique, text)
        parts.append(f"printf '\\n%s %s\\n' {_BLOCK_TAG} {index}\n")
        if block.mode == "server":
            parts.append("__docs_start_server\n")
        if block.lang in TRANSCRIPT_LANGS:
            parts.append(_transcript_script(dataclasses.replace(block, text=text), index))
        else:
            parts.append(text + "\n")
    parts.append(f"printf '\\n%s done\\n' {_BLOCK_TAG}\n")
    return "".join(parts)


@dataclass(frozen=True)
class SessionResult:
    ok: bool
    message: str  # on failure: the document, block line, command and output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session_env(venv_bin: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    env["LC_ALL"] = env["LANG"] = "C.UTF-8"
    return env


def run_session(
    blocks: list[Block], project: Path, workdir: Path, harness_dir: Path, timeout: float = 600
) -> SessionResult:
    """Run a document's blocks in ``workdir`` (fresh, empty); ``harness_dir`` holds the
    harness's own files, outside the reader's directory."""
    venv = project / ".venv"
    for name, target in ((".venv", venv), ("examples", project / "examples")):
        (workdir / name).symlink_to(target, target_is_directory=True)
    (harness_dir / "compare.py").write_text(_COMPARE, encoding="utf-8")
    port = free_port()
    run_id = secrets.token_hex(4)
    databases = {name: f"{name}_{run_id}" for name in PG_DATABASES}
    script = harness_dir / "session.sh"
    script.write_text(session_script(blocks, port, databases), encoding="utf-8")
    env = session_env(venv / "bin")
    env["__docs_port"] = str(port)
    env["__docs_dir"] = str(harness_dir)
    env["__docs_python"] = str(venv / "bin" / "python")
    env["__docs_tests"] = str(Path(__file__).parent)
    proc = subprocess.Popen(
        ["bash", str(script)],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: a stuck session is ended whole
    )
    try:
        raw, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raw, _ = proc.communicate()
        timed_out = True
    finally:
        # a server or other background job the session left behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        for unique in databases.values():
            subprocess.run(
                ["dropdb", "--if-exists", "--force", "-h", "127.0.0.1", "-U", "postgres", unique],
                env=env,
                capture_output=True,
                check=False,
                timeout=60,
            )
    return _judge(blocks, raw.decode("utf-8", "replace"), proc.returncode, timed_out, timeout)


def _judge(
    blocks: list[Block], output: str, returncode: int, timed_out: bool, timeout: float
) -> SessionResult:
    """Split the session's output at the block tags and name the block that failed."""
    pieces = output.split(f"\n{_BLOCK_TAG} ")
    last_index: int | None = None
    last_output = pieces[0]
    for piece in pieces[1:]:
        head, _, rest = piece.partition("\n")
        if head == "done" and returncode == 0 and not timed_out:
            return SessionResult(True, "")
        if head.isdigit():
            last_index, last_output = int(head), rest
    failed_command = ""
    if f"\n{_FAIL_TAG} " in last_output:
        last_output, _, tail = last_output.partition(f"\n{_FAIL_TAG} ")
        failed_command = tail.split("\n", 1)[0]
    if last_index is None:
        return SessionResult(False, f"the session failed before the first block:\n{output}")
    block = blocks[last_index]
    status, _, command = failed_command.partition("\t")
    why = f"timed out after {timeout:.0f} s" if timed_out else f"exit status {status or returncode}"
    return SessionResult(
        False,
        f"{block.where}: block failed ({why})\n"
        f"command: {command or '?'}\n"
        f"--- block ---\n{block.text}\n--- output ---\n{last_output.strip()}",
    )
