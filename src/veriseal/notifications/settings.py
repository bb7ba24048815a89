"""Channel settings from the ``[notifications]`` part of ``veriseal.toml``::

    [notifications.email]
    host = "smtp.example.com"
    port = 587
    sender = "Acme <noreply@acme.example>"
    username = "noreply@acme.example"   # the password comes from $VERISEAL_SMTP_PASSWORD
    starttls = true

    [notifications.sms]
    provider = "console"                 # or "http"
    path = "sms.log"                     # console: append here (default: stderr)
    # url = "https://sms.example/api/send"          http: the gateway
    # body = '{"phone": "{to}", "content": "{text}", "request_id": "{key}"}'
    # headers = { Authorization = "Bearer ..." }

    [notifications.webhook]
    timeout = 10

    [notifications.worker]
    max_attempts = 8
    backoff_base = 30
    lease_seconds = 120

Webhooks need no settings (each user's URL and secret are their contacts). A channel
without settings has no sender: its deliveries wait in the outbox.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from veriseal.errors import ConfigError
from veriseal.notifications.channels.email import SmtpSender, SmtpSettings
from veriseal.notifications.channels.sms import (
    ConsoleSmsProvider,
    HttpSmsProvider,
    HttpSmsSettings,
    SmsProvider,
    SmsSender,
)
from veriseal.notifications.channels.webhook import WebhookSender
from veriseal.notifications.models import Channel, ContactBook
from veriseal.notifications.worker import Sender, WorkerOptions


@dataclass(frozen=True)
class NotifySettings:
    email: dict[str, Any] | None = None
    sms: dict[str, Any] | None = None
    webhook: dict[str, Any] = field(default_factory=dict)
    worker: dict[str, Any] = field(default_factory=dict)
    base: Path = field(default_factory=Path.cwd)

    @classmethod
    def load(cls, config_path: Path | None) -> NotifySettings:
        """Read the ``[notifications]`` table of the config file (if there is one)."""
        if config_path is None or not config_path.exists():
            return cls()
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {config_path}: {exc}") from None
        section = data.get("notifications", {})
        return cls(
            email=section.get("email"),
            sms=section.get("sms"),
            webhook=dict(section.get("webhook", {})),
            worker=dict(section.get("worker", {})),
            base=config_path.parent,
        )

    def worker_options(self, **overrides: Any) -> WorkerOptions:
        known = {f.name for f in fields(WorkerOptions)}
        unknown = set(self.worker) - known
        if unknown:
            raise ConfigError(f"unknown [notifications.worker] settings: {sorted(unknown)}")
        values = {**self.worker, **{k: v for k, v in overrides.items() if v is not None}}
        return WorkerOptions(**values)

    def senders(self, contacts: ContactBook) -> dict[Channel, Sender]:
        out: dict[Channel, Sender] = {
            Channel.WEBHOOK: WebhookSender(contacts, timeout=float(self.webhook.get("timeout", 10)))
        }
        if self.email:
            out[Channel.EMAIL] = SmtpSender(self._smtp())
        if self.sms:
            out[Channel.SMS] = SmsSender(self._sms_provider())
        return out

    def _smtp(self) -> SmtpSettings:
        e = dict(self.email or {})
        if "host" not in e:
            raise ConfigError("[notifications.email] needs a host")
        e.setdefault("password", os.environ.get("VERISEAL_SMTP_PASSWORD"))
        known = {f.name for f in fields(SmtpSettings)}
        if set(e) - known:
            raise ConfigError(f"unknown [notifications.email] settings: {sorted(set(e) - known)}")
        return SmtpSettings(**e)

    def _sms_provider(self) -> SmsProvider:
        s = dict(self.sms or {})
        kind = s.pop("provider", "console")
        if kind == "console":
            path = s.get("path")
            return ConsoleSmsProvider(self.base / path if path else None)
        if kind == "http":
            if "url" not in s:
                raise ConfigError("[notifications.sms] provider 'http' needs a url")
            body = s.get("body")
            try:
                parsed = json.loads(body) if isinstance(body, str) else body
            except json.JSONDecodeError as exc:
                raise ConfigError(f"[notifications.sms] body is not JSON: {exc}") from None
            return HttpSmsProvider(
                HttpSmsSettings(
                    url=s["url"],
                    **({"body": parsed} if parsed is not None else {}),
                    headers=dict(s.get("headers", {})),
                    timeout=float(s.get("timeout", 15)),
                )
            )
        raise ConfigError(f"unknown SMS provider {kind!r} (console or http)")
