"""Print templates: TOML files (data, not code) found in template directories.

Lookup order: the brand's directories from the config (``[printing] template_dirs``, in
order), then the shipped templates. A template is ``<name>.toml``; the first file with
the name wins, so a brand can override a shipped template. Every template has ``kind``
(``pdf``, ``zpl``, ``csv`` or ``image``) and ``description``; the other keys depend on
the kind (see docs/printing.md and the shipped files).

The shipped templates live in the repository's top-level ``printer_templates/`` folder,
the one place they are edited. The build (``setup.py``) copies that folder into the
wheel as ``veriseal/printing/builtin_templates/``; nothing is copied in the source tree,
so the two cannot drift. :data:`BUILTIN_DIR` is the checkout's folder when running from a
source checkout (``src/`` layout, editable installs), else the packaged copy.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veriseal.printing.errors import PrintTemplateInvalid, PrintTemplateNotFound

KINDS = ("pdf", "zpl", "csv", "image")
#: Where the build puts the shipped templates inside the installed package.
PACKAGED_DIR = Path(__file__).resolve().parent / "builtin_templates"


def _builtin_dir() -> Path:
    here = Path(__file__).resolve()
    checkout = here.parents[3] / "printer_templates"
    if here.parents[2].name == "src" and checkout.is_dir():
        return checkout  # a source checkout: edits show at once, no build step needed
    return PACKAGED_DIR


#: The shipped templates.
BUILTIN_DIR = _builtin_dir()


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    kind: str
    description: str
    data: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        """A dotted key (``"page.columns"``), or ``default``."""
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def require(self, key: str, kind: type | tuple[type, ...]) -> Any:
        value = self.get(key)
        if value is None or isinstance(value, bool) or not isinstance(value, kind):
            raise PrintTemplateInvalid(
                f"template {self.name} ({self.path}): '{key}' is missing or not a"
                f" {getattr(kind, '__name__', kind)}"
            )
        return value

    def number(self, key: str, default: float | None = None) -> float:
        value = self.get(key, default)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            raise PrintTemplateInvalid(f"template {self.name}: '{key}' must be a number")
        return float(value)


def search_path(dirs: Sequence[Path] = ()) -> list[Path]:
    return [*dirs, BUILTIN_DIR]


def load(path: Path) -> Template:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PrintTemplateInvalid(f"cannot read template {path}: {exc}") from None
    kind = data.get("kind")
    if kind not in KINDS:
        raise PrintTemplateInvalid(f"template {path}: kind must be one of {', '.join(KINDS)}")
    return Template(path.stem, path, kind, str(data.get("description", "")), data)


def find(name: str, dirs: Sequence[Path] = ()) -> Template:
    """The template called ``name``. ``PrintTemplateNotFound`` lists what exists."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise PrintTemplateNotFound(f"{name!r} is not a template name")
    for folder in search_path(dirs):
        path = folder / f"{name}.toml"
        if path.is_file():
            return load(path)
    known = ", ".join(t.name for t in available(dirs)) or "none"
    raise PrintTemplateNotFound(f"no template {name!r}; available: {known}")


def available(dirs: Sequence[Path] = ()) -> list[Template]:
    """Every template on the search path (the first of each name), sorted by name."""
    found: dict[str, Template] = {}
    for folder in search_path(dirs):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            if path.stem not in found:
                found[path.stem] = load(path)
    return sorted(found.values(), key=lambda t: t.name)
