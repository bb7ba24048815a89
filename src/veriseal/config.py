"""Configuration: a TOML file (``veriseal.toml``) overridden by environment variables.

Lookup of the file: the ``--config`` option, else ``$VERISEAL_CONFIG``, else
``./veriseal.toml``. Relative paths inside the file are relative to the file's folder.

::

    [ledger]
    url = "sqlite:///srv/veriseal/veriseal.sqlite3"   # or "postgresql://user@host/db"

    [keys]
    key_file = "veriseal.key"     # or leave it out and set VERISEAL_PASSPHRASE
    rotate_after_days = 365       # the console flags an active key older than this

    [brand]
    default = "acme"              # the brand commands act on when --brand is not given

    [server]
    host = "127.0.0.1"
    port = 8080
    report_contact = "mailto:quality@acme.example"  # or tel:/https:, on warning verdicts

    [printing]
    template_dirs = ["labels"]    # the brand's own print templates (see docs/printing.md)
    spool_dir = "print-spool"     # where print runs started in the console write their files

    [plugins]
    enabled = ["territories", "commerce"]  # the default: the bundled plugins; [] for none

    [console]
    secure_cookies = true         # false only to try the console over plain http on a LAN

    [auth.providers.wechat]       # third-party sign-in: OpenID Connect, WeChat, Alipay
    kind = "wechat"               # (veriseal.accounts.external.settings has every key)
    appid = "wx0123456789abcdef"
    secret_env = "WECHAT_SECRET"

Environment overrides: ``VERISEAL_DB``, ``VERISEAL_PASSPHRASE``, ``VERISEAL_KEY_FILE``,
``VERISEAL_BRAND``, ``VERISEAL_PLUGINS`` (comma-separated names).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veriseal.errors import ConfigError

if TYPE_CHECKING:
    # annotations only: the key service loads the crypto stack, which the CLI's command
    # list (enabled_plugins) does not need (issue 20); load() imports it
    from veriseal.catalog.keys import KeySource

DEFAULT_FILE = "veriseal.toml"
#: Enabled when the config says nothing: the plugins bundled with Veriseal (keep in
#: step with veriseal.extend.manager.BUNDLED, which the tests check).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "territories",
    "commerce",
    "inventory",
    "logistics",
    "analytics",
)


@dataclass(frozen=True)
class Config:
    path: Path | None
    db_url: str
    key_source: KeySource
    default_brand: str | None = None
    server: dict[str, Any] = field(default_factory=dict)
    plugins: tuple[str, ...] = DEFAULT_PLUGINS  # enabled plugin names (entry points)
    #: ``[plugins.<name>]`` tables: each plugin's own settings (its context's ``config``)
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``[printing] template_dirs``: a brand's own print-template folders, searched before
    #: the shipped ``printer_templates/`` (relative paths: from the config file's folder)
    template_dirs: tuple[Path, ...] = ()
    #: ``[keys] rotate_after_days``: an active key older than this is due for rotation
    key_rotation_days: int = 365
    #: ``[printing] spool_dir``: the folder of the console's print files (default
    #: ``print-spool`` beside the config file; None: a folder in the system's temp dir)
    print_spool: Path | None = None
    #: every table of the file, for modules that read a section of their own
    #: (``[console]``, ``[auth]``, ``[notifications]``): ``section("console")``
    tables: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """The ``[name]`` table of the file (dotted names reach nested tables), or {}."""
        node: Any = self.tables
        for part in name.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return dict(node) if isinstance(node, dict) else {}

    def with_db(self, url: str | None) -> Config:
        return replace(self, db_url=url) if url else self


def config_path(explicit: str | None) -> Path:
    return Path(explicit or os.environ.get("VERISEAL_CONFIG") or DEFAULT_FILE).absolute()


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.absolute()}"


def load(explicit: str | None = None, db_override: str | None = None) -> Config:
    """Read the config file (if any) and apply environment overrides.

    Raises ``ConfigError`` for an unreadable file or when no ledger URL is known.
    """
    path = config_path(explicit)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from None
    elif explicit:
        raise ConfigError(f"config file {path} does not exist")
    base = path.parent
    db = db_override or os.environ.get("VERISEAL_DB") or data.get("ledger", {}).get("url")
    if not db:
        raise ConfigError(f"no ledger configured: run 'veriseal init' first (looked for {path})")
    if "://" not in db and not db.startswith("sqlite:"):
        db = sqlite_url(_resolve(base, db))
    from veriseal.catalog.keys import KeySource  # noqa: PLC0415 (see the import above)

    passphrase = os.environ.get("VERISEAL_PASSPHRASE")
    key_file_s = os.environ.get("VERISEAL_KEY_FILE") or data.get("keys", {}).get("key_file")
    key_file = _resolve(base, key_file_s) if key_file_s and not passphrase else None
    return Config(
        path=path if path.exists() else None,
        db_url=db,
        key_source=KeySource(passphrase=passphrase, key_file=key_file),
        default_brand=os.environ.get("VERISEAL_BRAND") or data.get("brand", {}).get("default"),
        server=dict(data.get("server", {})),
        plugins=_plugins(data),
        plugin_settings={
            name: dict(table)
            for name, table in data.get("plugins", {}).items()
            if isinstance(table, dict)
        },
        template_dirs=tuple(
            _resolve(base, str(d)) for d in data.get("printing", {}).get("template_dirs", [])
        ),
        key_rotation_days=_positive(data.get("keys", {}), "rotate_after_days", 365),
        print_spool=_resolve(base, str(data.get("printing", {}).get("spool_dir", "print-spool"))),
        tables=data,
    )


def _positive(table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key} must be a whole number of at least 1")
    return value


def _plugins(data: dict[str, Any]) -> tuple[str, ...]:
    env = os.environ.get("VERISEAL_PLUGINS")
    if env is not None:
        return tuple(p.strip() for p in env.split(",") if p.strip())
    enabled = data.get("plugins", {}).get("enabled", DEFAULT_PLUGINS)
    if not isinstance(enabled, list | tuple) or not all(isinstance(p, str) for p in enabled):
        raise ConfigError("[plugins] enabled must be a list of plugin names")
    return tuple(enabled)


def enabled_plugins(explicit: str | None = None) -> tuple[str, ...]:
    """The enabled plugin names alone: for the CLI's command list, which must work before
    (and without) a ledger being configured. Unreadable files give the default."""
    path = config_path(explicit)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return _plugins(data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ConfigError):
        return DEFAULT_PLUGINS


def write(path: Path, db_url: str, key_file: str | None, brand: str) -> None:
    """Write a new config file, mode 0600 (see :func:`write_private`). Values are TOML
    basic strings (escaped by repr rules)."""

    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[ledger]", f"url = {q(db_url)}", "", "[keys]"]
    if key_file:
        lines.append(f"key_file = {q(key_file)}")
    else:
        lines.append("# the keyring secret comes from VERISEAL_PASSPHRASE")
    lines += ["", "[brand]", f"default = {q(brand)}", ""]
    write_private(path, "\n".join(lines))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a new or existing file readable by its owner only (0600): the
    config names the ledger (a PostgreSQL URL may hold a password) and sits next to
    the data. The mode is set at creation, never widened by the umask, and an existing
    file is narrowed too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)
