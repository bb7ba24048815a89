"""The vendored browser libraries are exactly what VENDOR.json records (offline check)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "vendor_assets.py"
VENDOR = ROOT / "src" / "veriseal" / "console" / "static" / "vendor"


def _check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--dir", str(folder)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


def test_committed_files_match_the_manifest() -> None:
    done = _check(VENDOR)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((VENDOR / "VENDOR.json").read_text(encoding="utf-8"))
    entries = manifest["packages"]
    assert {e["package"] for e in entries} == {"htmx.org", "echarts", "zxing-wasm"}
    for entry in entries:
        assert entry["integrity"].startswith("sha512-")
        assert entry["license_files"], entry["package"]
    assert {e["file"] for e in entries} == {
        "htmx.min.js", "echarts.min.js", "zxing-reader.js", "zxing_reader.wasm"
    }  # fmt: skip


def test_a_changed_missing_or_stray_file_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    data = bytearray((copy / "htmx.min.js").read_bytes())
    data[100] ^= 1
    (copy / "htmx.min.js").write_bytes(bytes(data))
    (copy / "zxing-wasm.LICENSE.txt").unlink()
    (copy / "extra.js").write_text("alert(1)")
    done = _check(copy)
    assert done.returncode == 1
    assert "htmx.min.js: content differs" in done.stderr
    assert "zxing-wasm.LICENSE.txt: missing" in done.stderr
    assert "extra.js: not listed" in done.stderr
    assert "echarts.min.js" not in done.stderr
