"""Vendor the console's browser libraries from the npm registry, reproducibly.

Run by a maintainer when a pin below changes (needs ``npm`` and the network)::

    .venv/bin/python scripts/vendor_assets.py           # fetch, verify, extract, write
    .venv/bin/python scripts/vendor_assets.py --check   # offline: re-hash the committed files

For each pin, ``npm view <pkg>@<ver>`` gives the tarball's ``dist.integrity`` (an SRI
sha512 the registry publishes); ``npm pack <pkg>@<ver>`` fetches the tarball into a
temporary folder; the script hashes the tarball ITSELF and refuses it unless the hash
matches (npm's cache check is not relied on). Then only the runtime file and the licence
texts are copied, byte for byte, into ``src/veriseal/console/static/vendor/``, and
``VENDOR.json`` records, per package: package, version, file, sha256, size, license,
integrity, the tarball member it came from, and the licence files (with their hashes).

``--check`` needs neither npm nor the network: every file VENDOR.json names must exist
with its sha256 and size, and the folder must hold nothing else (tests/console runs it).
Exit status 0 when all is well, 1 with one line per problem otherwise.

Why these packages (see also the commit that added this script):

- ``htmx.org`` 2.0.x (the maintained 2 line; npm's "latest" is 4): the console's base
  template is written for 2 (its ``htmx-config`` meta keys ``includeIndicatorStyles``,
  ``allowEval``, ``allowScriptTags``, ``selfRequestsOnly``, and ``hx-headers`` on
  ``<body>`` reaching every request by inheritance, which 4 makes opt-in). With that
  config it injects no ``<style>`` and evaluates nothing, so the strict CSP holds
  (tests/console/test_htmx.py checks both on the real console in Chromium).
- ``echarts``: charts and the province map (``static/charts.js``); the full build because
  it holds the map series, visualMap and both the zh and en locales.
- ``zxing-wasm``: the camera scanner (``static/scan.js``) decodes QR and DataMatrix
  with zxing-cpp compiled to WebAssembly (its ``reader`` build: the IIFE script, global
  ``ZXingWASM``, and ``zxing_reader.wasm``, which scan.js points the loader at, so nothing
  is fetched from a CDN). It replaced ``@zxing/library`` 0.23.0 (pure JavaScript), which
  failed to find about one clean, axis-aligned QR code of our printed links in ten
  (masks 2 and 5 mostly; upstream zxing-js/library#653, open) while zxing-cpp, zbar and
  the Java ZXing read them all. WebAssembly needs ``'wasm-unsafe-eval'`` in the
  console's ``script-src`` (compiling wasm only; JavaScript ``eval`` stays refused).
  zxing-cpp itself is Apache-2.0; the package ships its own MIT licence only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "veriseal" / "console" / "static" / "vendor"
MANIFEST = "VENDOR.json"


@dataclass(frozen=True)
class Pin:
    """One package: its runtime file (tarball member -> vendored name) and licence texts."""

    package: str
    version: str
    member: str  # inside the tarball, without the leading "package/"
    file: str  # the vendored name
    license: str  # SPDX id
    licenses: tuple[tuple[str, str], ...]  # (tarball member, vendored name)
    declared: str = ""  # package.json's "license" when it is not the SPDX id itself

    def check_declared(self, package_json: bytes) -> None:
        """Stop if the package's own licence field changed: a new licence needs a look."""
        declared = json.loads(package_json).get("license")
        if declared != (self.declared or self.license):
            raise SystemExit(f"{self.package}@{self.version}: declares licence {declared!r}")


PINS = (
    Pin("htmx.org", "2.0.11", "dist/htmx.min.js", "htmx.min.js", "0BSD",
        (("LICENSE", "htmx.LICENSE.txt"),)),
    Pin("echarts", "6.1.0", "dist/echarts.min.js", "echarts.min.js", "Apache-2.0",
        (("LICENSE", "echarts.LICENSE.txt"), ("NOTICE", "echarts.NOTICE.txt"),
         ("licenses/LICENSE-d3", "echarts.LICENSE-d3.txt"))),
    Pin("zxing-wasm", "3.1.8", "dist/iife/reader/index.js", "zxing-reader.js", "MIT",
        (("LICENSE", "zxing-wasm.LICENSE.txt"),)),
    Pin("zxing-wasm", "3.1.8", "dist/reader/zxing_reader.wasm", "zxing_reader.wasm", "MIT",
        (("LICENSE", "zxing-wasm.LICENSE.txt"),)),
)  # fmt: skip


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sri_sha512(data: bytes) -> str:
    """The Subresource Integrity form npm publishes as ``dist.integrity``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def npm_json(*args: str) -> object:
    out = subprocess.run(
        ["npm", *args, "--json"], check=True, capture_output=True, text=True, timeout=300
    ).stdout
    return json.loads(out)


def fetch(pin: Pin, tmp: Path) -> tuple[bytes, str]:
    """The package tarball's bytes, verified against the registry's sha512 integrity."""
    spec = f"{pin.package}@{pin.version}"
    integrity = npm_json("view", spec, "dist.integrity")
    if not isinstance(integrity, str) or not integrity.startswith("sha512-"):
        raise SystemExit(f"{spec}: the registry gives no sha512 integrity ({integrity!r})")
    packed = npm_json("pack", spec, "--pack-destination", str(tmp))
    if not isinstance(packed, list) or len(packed) != 1 or not isinstance(packed[0], dict):
        raise SystemExit(f"{spec}: unexpected `npm pack` output {packed!r}")
    tarball = (tmp / str(packed[0]["filename"])).read_bytes()
    got = sri_sha512(tarball)
    if got != integrity:
        raise SystemExit(f"{spec}: tarball sha512 {got} != registry integrity {integrity}")
    return tarball, integrity


def member(tar: tarfile.TarFile, name: str) -> bytes:
    """One regular file of an npm tarball (every member lies under ``package/``)."""
    info = tar.getmember(f"package/{name}")
    handle = tar.extractfile(info) if info.isfile() else None
    if handle is None:
        raise SystemExit(f"package/{name} is not a regular file")
    return handle.read()


def vendor(dest: Path) -> list[dict[str, object]]:
    """Fetch and write every pin into ``dest`` (emptied first); the manifest entries."""
    entries: list[dict[str, object]] = []
    files: dict[str, bytes] = {}
    fetched: dict[str, tuple[bytes, str]] = {}  # one download per package@version
    with tempfile.TemporaryDirectory(prefix="veriseal-vendor-") as tmp:
        for pin in PINS:
            spec = f"{pin.package}@{pin.version}"
            if spec not in fetched:
                fetched[spec] = fetch(pin, Path(tmp))
            tarball, integrity = fetched[spec]
            with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
                pin.check_declared(member(tar, "package.json"))
                runtime = member(tar, pin.member)
                notices = [(n, member(tar, m)) for m, n in pin.licenses]
            files[pin.file] = runtime
            files.update(notices)
            entries.append({
                "package": pin.package,
                "version": pin.version,
                "file": pin.file,
                "sha256": sha256(runtime),
                "size": len(runtime),
                "license": pin.license,
                "integrity": integrity,
                "source": f"{pin.package}@{pin.version}:package/{pin.member}",
                "license_files": [
                    {"file": n, "sha256": sha256(b), "size": len(b)} for n, b in notices
                ],
            })  # fmt: skip
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, data in files.items():
        (dest / name).write_bytes(data)
    text = json.dumps({"packages": entries}, indent=2, ensure_ascii=False) + "\n"
    (dest / MANIFEST).write_text(text, encoding="utf-8")
    return entries


def _expected(entries: list[dict[str, Any]]) -> tuple[dict[str, tuple[str, int]], list[str]]:
    """File name -> (sha256, size) of every file the manifest lists; its own problems."""
    problems: list[str] = []
    expected: dict[str, tuple[str, int]] = {}
    pinned = {(p.package, p.version) for p in PINS}
    for e in entries:
        if (e.get("package"), e.get("version")) not in pinned:
            problems.append(f"{e.get('package')}@{e.get('version')}: not a pin of this script")
        if not e.get("license_files"):
            problems.append(f"{e.get('package')}: no licence text vendored")
        for item in [e, *e.get("license_files", [])]:
            expected[item["file"]] = (item["sha256"], item["size"])
    if {p.package for p in PINS} != {e.get("package") for e in entries}:
        problems.append("VENDOR.json does not list exactly the pinned packages")
    return expected, problems


def check(dest: Path) -> list[str]:
    """Problems with the vendored files against VENDOR.json (empty: all is well)."""
    manifest = dest / MANIFEST
    if not manifest.is_file():
        return [f"{manifest}: missing (run scripts/vendor_assets.py)"]
    try:
        expected, problems = _expected(json.loads(manifest.read_text(encoding="utf-8"))["packages"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return [f"{manifest}: unreadable ({exc!r})"]
    for name, (digest, size) in sorted(expected.items()):
        path = dest / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        data = path.read_bytes()
        if len(data) != size or sha256(data) != digest:
            problems.append(f"{name}: content differs from VENDOR.json (sha256 {sha256(data)})")
    extra = {p.name for p in dest.iterdir()} - set(expected) - {MANIFEST}
    problems.extend(f"{name}: not listed in VENDOR.json" for name in sorted(extra))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="offline: re-hash the files")
    parser.add_argument("--dir", type=Path, default=VENDOR, help="the vendor folder")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.dir)
        for line in problems:
            print(line, file=sys.stderr)
        if not problems:
            print(f"{args.dir}: every vendored file matches {MANIFEST}")
        return 1 if problems else 0
    for e in vendor(args.dir):
        print(f"{e['package']}@{e['version']} -> {e['file']} ({e['size']} bytes, {e['license']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
