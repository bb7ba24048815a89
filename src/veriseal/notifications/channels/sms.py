"""SMS through a provider interface.

Two providers ship: :class:`ConsoleSmsProvider` (development: appends one JSON line per
message to a file, or writes it to stderr) and :class:`HttpSmsProvider`, a generic HTTP
gateway client configured by a URL, a JSON body template and headers, which fits most
SMS APIs. A vendor with a signed API (Aliyun, Tencent Cloud) needs its own provider
class: implement :class:`SmsProvider`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from veriseal.notifications.errors import SendFailed
from veriseal.notifications.models import Delivery

#: One SMS segment of UCS-2 text is 70 characters; providers split longer texts, so
#: allow a few segments and cut the rest rather than pay for a novel.
MAX_SMS_CHARS = 335


class SmsProvider(Protocol):
    async def send_sms(self, to: str, text: str, key: str) -> None:
        """Hand one text to the provider; raise :class:`SendFailed` if it refuses.
        ``key`` is the idempotency key: pass it on where the provider accepts one."""

    async def close(self) -> None: ...


def sms_text(d: Delivery) -> str:
    text = f"{d.title}\n{d.body}" if d.body else d.title
    return text if len(text) <= MAX_SMS_CHARS else text[: MAX_SMS_CHARS - 1] + "…"


class SmsSender:
    """The worker's ``Sender`` for the SMS channel, over any provider."""

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    async def send(self, delivery: Delivery) -> None:
        await self.provider.send_sms(delivery.address, sms_text(delivery), delivery.idempotency_key)

    async def close(self) -> None:
        await self.provider.close()


class ConsoleSmsProvider:
    """Development provider: one JSON object per line to ``path`` (appended and flushed
    before returning), or to stderr when ``path`` is None."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    async def send_sms(self, to: str, text: str, key: str) -> None:
        line = json.dumps(
            {"at": dt.datetime.now(dt.UTC).isoformat(), "to": to, "text": text, "key": key},
            ensure_ascii=False,
        )
        if self.path is None:
            print(line, file=sys.stderr, flush=True)
            return
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise SendFailed(f"cannot write {self.path}: {exc}") from None

    async def close(self) -> None:
        return None


def _fill(template: Any, values: dict[str, str]) -> Any:
    """Substitute ``{to}``, ``{text}``, ``{key}`` in every string of a JSON template."""
    if isinstance(template, str):
        out = template
        for name, value in values.items():
            out = out.replace("{" + name + "}", value)
        return out
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


@dataclass(frozen=True)
class HttpSmsSettings:
    url: str
    #: JSON body; every string in it may use {to}, {text} and {key}.
    body: Any = field(default_factory=lambda: {"to": "{to}", "text": "{text}"})
    #: Extra headers (an API key); values may use {key} too.
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 15.0


class HttpSmsProvider:
    """POSTs the filled template as JSON, with an ``Idempotency-Key`` header. 2xx is
    success; 408, 429 and 5xx are retried; any other status is permanent."""

    def __init__(self, settings: HttpSmsSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def send_sms(self, to: str, text: str, key: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout)
            )
        values = {"to": to, "text": text, "key": key}
        headers = {"Idempotency-Key": key}
        headers.update({k: _fill(v, {"key": key}) for k, v in self.settings.headers.items()})
        try:
            async with self._session.post(
                self.settings.url, json=_fill(self.settings.body, values), headers=headers
            ) as resp:
                if 200 <= resp.status < 300:
                    return
                detail = (await resp.text())[:200]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendFailed(f"SMS gateway: {type(exc).__name__}: {exc}") from None
        permanent = resp.status not in (408, 429) and resp.status < 500
        raise SendFailed(f"SMS gateway answered {resp.status}: {detail}", permanent=permanent)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
