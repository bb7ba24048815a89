"""The service registry: plugins offer each other typed services by name.

Plugins never import each other (ARCHITECTURE.md rule 3). A plugin *provides* a
service under a stable name, ``<plugin>.<service>`` (``territories.authorize``), from
its ``provide_services`` hook; another plugin names the same key, typed with its own
protocol, and asks its context for it::

    class Authorize(Protocol):
        async def __call__(self, brand_id: int, dealer: str, gtin: str, *,
                           region: str | None = None, ...) -> AuthorizeAnswer: ...

    AUTHORIZE = ServiceKey[Authorize]("territories.authorize")

    @hookimpl
    def required_services() -> list[ServiceKey[Any]]:
        return [AUTHORIZE]          # start-up fails (service_missing) without it

    decision = await ctx.service(AUTHORIZE)(brand.id, "GD01", gtin, region="CN-GD")

A plugin that can do without a service asks :meth:`ServiceRegistry.optional` and gets
the service or an :class:`Unavailable` answer, which says why, never ``None`` by
accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from veriseal.errors import ConfigError
from veriseal.i18n import register

T = TypeVar("T")
_NAME = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*")


@dataclass(frozen=True)
class ServiceKey(Generic[T]):
    """The name of a service, typed by the protocol its users expect:
    ``ServiceKey[Authorize]("territories.authorize")``. Two keys are the same service
    when their names are equal; the part before the first dot names the provider."""

    name: str

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"{self.name!r} is not a service name ('<plugin>.<service>')")

    @property
    def provider(self) -> str:
        """The plugin expected to provide it."""
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class Provided(Generic[T]):
    """A service a plugin offers: the key and its implementation (``provide_services``)."""

    key: ServiceKey[T]
    implementation: T


@dataclass(frozen=True)
class Unavailable:
    """The answer for an optional service nobody provides: ``reason`` says why
    (the providing plugin is not enabled, or does not offer it)."""

    key: str
    reason: str

    def __bool__(self) -> bool:  # `if found:` reads naturally; the type still says which
        return False


class ServiceMissing(ConfigError):
    """An enabled plugin requires a service that no enabled plugin provides."""

    code = "service_missing"


class ServiceConflict(ConfigError):
    """Two enabled plugins provide a service under the same name."""

    code = "service_conflict"


register(
    {
        "error.service_missing": ("Required plugin service missing", "缺少所需的插件服务"),
        "error.service_conflict": ("Plugin service provided twice", "插件服务被重复提供"),
    }
)


class ServiceRegistry:
    """The services of one engine's enabled plugins (filled at start-up)."""

    def __init__(self) -> None:
        self._impls: dict[str, tuple[str, Any]] = {}

    def add(self, plugin: str, provided: Provided[Any]) -> None:
        """Record ``provided`` from ``plugin``; :class:`ServiceConflict` for a name taken."""
        held = self._impls.get(provided.key.name)
        if held is not None and held[0] != plugin:
            raise ServiceConflict(
                f"service {provided.key.name!r} is provided by both {held[0]!r} and {plugin!r}"
            )
        self._impls[provided.key.name] = (plugin, provided.implementation)

    def names(self) -> dict[str, str]:
        """Service name -> providing plugin."""
        return {name: plugin for name, (plugin, _) in self._impls.items()}

    def check_required(self, plugin: str, keys: list[ServiceKey[Any]], enabled: list[str]) -> None:
        """Raise :class:`ServiceMissing` for the first of ``keys`` nobody provides."""
        for key in keys:
            if key.name in self._impls:
                continue
            why = (
                f"plugin {key.provider!r} is not enabled (enabled: {', '.join(enabled)})"
                if key.provider not in enabled
                else f"plugin {key.provider!r} does not provide it"
            )
            raise ServiceMissing(f"plugin {plugin!r} requires service {key.name!r}: {why}")

    def get(self, key: ServiceKey[T]) -> T:
        """The service (``service_missing`` if nobody provides it: declare it in
        ``required_services`` so that this is found at start-up instead)."""
        found = self._impls.get(key.name)
        if found is None:
            raise ServiceMissing(f"no enabled plugin provides service {key.name!r}")
        return cast(T, found[1])

    def optional(self, key: ServiceKey[T]) -> T | Unavailable:
        """The service, or :class:`Unavailable` saying why not."""
        found = self._impls.get(key.name)
        if found is None:
            return Unavailable(key.name, f"plugin {key.provider!r} is not enabled or lacks it")
        return cast(T, found[1])
