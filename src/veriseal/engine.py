"""The composition root: the one place that picks a concrete ledger backend.

``Engine`` wires config -> ledger -> keyring -> services. The CLI and the server build
one and call its services; nothing else names a backend (rule 2 of ARCHITECTURE.md).
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from veriseal.accounts.external.service import ExternalSignIn
from veriseal.accounts.external.settings import configured_providers
from veriseal.accounts.kyc import KycService
from veriseal.accounts.notify_bridge import AccountContactBook, OutboxAccountNotifier
from veriseal.accounts.service import AccountService
from veriseal.accounts.store import AccountStore
from veriseal.brandops.service import BrandOps, OpsSettings
from veriseal.cache import TtlCache
from veriseal.catalog.batches import BatchService
from veriseal.catalog.brands import BrandService
from veriseal.catalog.keys import Keyring, KeyService
from veriseal.catalog.products import Catalogue
from veriseal.config import Config
from veriseal.errors import BrandNotFound, ConfigError
from veriseal.extend.manager import Plugins
from veriseal.extend.manager import load as load_plugins
from veriseal.extend.stream.consumer import Consumer
from veriseal.ledger import Ledger, open_ledger
from veriseal.lifecycle.service import Lifecycle
from veriseal.models import Brand
from veriseal.notifications import LedgerContactBook, Notifier, NotifySettings, PushSubscriptions
from veriseal.scanning.memory import CodeMemory
from veriseal.scanning.reports import ReportService
from veriseal.scanning.service import GroupCommitter, ScanService
from veriseal.scanning.verification import Verifier


@dataclass
class Engine:
    config: Config
    ledger: Ledger
    keyring: Keyring
    keys: KeyService
    brands: BrandService
    catalogue: Catalogue
    batches: BatchService
    verifier: Verifier
    scans: ScanService
    committer: GroupCommitter
    lifecycle: Lifecycle  # activation, packing, SSCCs, EPCIS events (docs/lifecycle.md)
    plugins: Plugins  # the enabled plugins (config [plugins] enabled)
    accounts: AccountService
    kyc: KycService
    external: ExternalSignIn  # third-party sign-in ([auth.providers.*] of the config)
    notifier: Notifier  # accepts messages into the outbox; `notify deliver` sends them
    reports: ReportService  # consumers' suspected-fake reports (alerts for the brand)
    ops: BrandOps  # the console's principal-checked services (veriseal.brandops)

    @classmethod
    async def open(
        cls, config: Config, migrate: bool = True, extra_plugins: Sequence[tuple[str, object]] = ()
    ) -> Engine:
        """Open the ledger (applying pending migrations, the enabled plugins' too, unless
        ``migrate`` is False). ``extra_plugins`` registers plugin objects directly."""
        plugins = Plugins(load_plugins(config.plugins, extra_plugins))  # fails before I/O
        # which push endpoints users may register ([notifications.push]): also before I/O
        push_policy = NotifySettings.load(config.path).push_policy()
        sign_in_providers = configured_providers(config)  # so does a provider's config
        keep_memory = code_memory(config)  # and the code memory's setting
        depth = commit_depth(config)  # and the committer's
        ledger = await open_ledger(config.db_url)
        try:
            if migrate:
                await ledger.migrate(plugins.migrations())
            keyring = Keyring(config.key_source)
        except BaseException:
            await ledger.close()
            raise
        keys = KeyService(ledger, keyring)
        cache = TtlCache(version=lambda: ledger.metadata_version)
        lifecycle = Lifecycle.build(ledger, keys, plugins.epcis_events)
        verifier = Verifier(ledger, keys, cache, states=lifecycle.activation.states)
        one_writer = ledger.dialect.one_writer
        committer = GroupCommitter(
            ledger,
            memory=CodeMemory(checked=not one_writer) if keep_memory else None,
            depth=1 if one_writer else depth or _remote_depth(config.db_url),
        )
        # the accounts' users are the people notifications reach
        contacts = AccountContactBook(AccountStore(ledger), LedgerContactBook(ledger))
        notifier = Notifier(ledger, contacts, push=PushSubscriptions(ledger, push_policy))
        account_notices = OutboxAccountNotifier(notifier)
        accounts = AccountService(
            ledger, account_notices, pepper=lambda: keyring.derive("otp-pepper")
        )
        scans = ScanService(ledger, verifier, committer, cache, plugins)
        catalogue = Catalogue(ledger)
        batches = BatchService(ledger, keys)
        ops = BrandOps.build(
            ledger,
            keys,
            batches,
            catalogue,
            lifecycle.activation,
            OpsSettings(config.template_dirs, config.print_spool, config.key_rotation_days),
        )
        committer.start()
        engine = cls(
            config=config,
            ledger=ledger,
            keyring=keyring,
            keys=keys,
            brands=BrandService(ledger, keys),
            catalogue=catalogue,
            batches=batches,
            verifier=verifier,
            scans=scans,
            committer=committer,
            lifecycle=lifecycle,
            plugins=plugins,
            accounts=accounts,
            kyc=KycService(accounts.store, keyring, account_notices),
            external=ExternalSignIn(accounts, sign_in_providers),
            notifier=notifier,
            reports=ReportService(ledger, keyring, verifier, scans, accounts.store, notifier),
            ops=ops,
        )
        try:
            await plugins.startup(engine)
        except BaseException:
            await engine.close()
            raise
        return engine

    async def brand(self, slug: str | None) -> Brand:
        """The named brand, else the configured default, else the only brand."""
        slug = slug or self.config.default_brand
        if slug:
            return await self.brands.get(slug)
        brands = await self.brands.list()
        if len(brands) == 1:
            return brands[0]
        raise BrandNotFound("several brands share this ledger: name one with --brand")

    def consumers(self) -> list[tuple[str | None, Consumer]]:
        """Every event-stream consumer to run, with its owner: the core's (owner None),
        then the enabled plugins'."""
        return [(None, c) for c in self.ops.consumers()] + list(self.plugins.consumers())

    async def close(self) -> None:
        """Stop background print runs, commit queued scans, then release the ledger."""
        await self.ops.close()
        await self.committer.stop()
        await self.scans.close()
        await self.ledger.close()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


#: ``[server] commit_depth``'s largest setting: more groups in flight only split the
#: requests into smaller groups, each with its own commit to pay for
MAX_COMMIT_DEPTH = 4


def commit_depth(config: Config) -> int | None:
    """Groups of scans the committer keeps in flight at once (veriseal.ledger.turns),
    per ``[server] commit_depth``: an integer from 1 to :data:`MAX_COMMIT_DEPTH`, or
    ``"auto"`` (the default, None here: :func:`_remote_depth` decides once the ledger's
    URL is known). SQLite's one writer commits one group at a time whatever is set. A
    bad setting fails here, before any I/O."""
    setting = config.server.get("commit_depth", "auto")
    if setting == "auto":
        return None
    if type(setting) is not int or not 1 <= setting <= MAX_COMMIT_DEPTH:
        raise ConfigError(
            f'[server] commit_depth must be "auto" or 1 to {MAX_COMMIT_DEPTH}, not {setting!r}'
        )
    return setting


def _remote_depth(url: str) -> int:
    """``"auto"``'s depth on PostgreSQL: 2 when the server is on another host, 1 on this
    one. A group's commit takes seven round trips: far away, they are most of its time,
    and the next group's statements fill it (+19% to +46% req/s with the server 2.4 ms
    away, 4 pairs); on this host they cost microseconds, and splitting the requests into
    more, smaller groups only costs CPU (groups of 10.6 scans instead of 16, about 9%
    fewer req/s on a 2-core machine). Figures: docs/scanning.md, "Groups in flight"."""
    host = urllib.parse.urlsplit(url).hostname
    if host is None or host == "localhost" or host.startswith("/"):  # or a Unix socket
        return 1
    try:
        return 1 if ipaddress.ip_address(host).is_loopback else 2
    except ValueError:  # a name: another host
        return 2


def code_memory(config: Config) -> bool:
    """Whether the committer keeps its memory of codes' histories
    (veriseal.scanning.memory), per ``[server] code_memory``: ``"auto"`` (the default)
    keeps one, trusted where one server process writes (SQLite) and checked against the
    ledger where several may (PostgreSQL: ``Dialect.one_writer``); ``false`` reads the
    ledger on every scan. A bad setting fails here, before any I/O."""
    setting = config.server.get("code_memory", "auto")
    if setting != "auto" and setting is not False:
        raise ConfigError(f'[server] code_memory must be "auto" or false, not {setting!r}')
    return bool(setting == "auto")
