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

    [notifications.push]                 # Web Push to the browsers users subscribed
    subject = "mailto:ops@acme.example"  # whom push services contact (mailto: or https:)
    ttl = 86400                          # seconds a service keeps a message for an offline device
    # hosts = ["fcm.googleapis.com", ...]  push services endpoints may point at ("*": any)
    # insecure_hosts = ["127.0.0.1"]       hosts allowed over plain http (tests only)

    [notifications.wechat]               # WeChat mini-program subscribe messages
    appid = "wx0123456789abcdef"         # the secret comes from $VERISEAL_WECHAT_SECRET
    templates = { clone_alert = "TEMPLATE-ID" }   # message type -> template id
    # fields.clone_alert = { thing1 = "title", thing2 = "body", time3 = "time" }
    # page = "pages/messages/detail?id={message_id}"
    # api_base = "https://api.weixin.qq.com"

    [notifications.worker]
    max_attempts = 8
    backoff_base = 30
    lease_seconds = 120

Webhooks need no settings (each user's URL and secret are their contacts). A channel
without settings has no sender: its deliveries wait in the outbox. Push signs with the
installation's VAPID key, derived from the keyring (:mod:`veriseal.notifications.vapid`),
so its sender needs the keyring secret.
"""

from __future__ import annotations

import json
import os
import re
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
from veriseal.notifications.channels.webpush import PushSettings, WebPushSender
from veriseal.notifications.channels.wechat import WechatSender, WechatSettings
from veriseal.notifications.models import Channel, ContactBook
from veriseal.notifications.push import PushSubscriptions
from veriseal.notifications.push_input import EndpointPolicy
from veriseal.notifications.vapid import Deriver, VapidKey
from veriseal.notifications.worker import Sender, WorkerOptions

_SUBJECT = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://[^\s/]+\S*)$")


@dataclass(frozen=True)
class NotifySettings:
    email: dict[str, Any] | None = None
    sms: dict[str, Any] | None = None
    webhook: dict[str, Any] = field(default_factory=dict)
    push: dict[str, Any] | None = None
    wechat: dict[str, Any] | None = None
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
            push=section.get("push"),
            wechat=section.get("wechat"),
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

    def senders(
        self,
        contacts: ContactBook,
        *,
        push: PushSubscriptions | None = None,
        keyring: Deriver | None = None,
    ) -> dict[Channel, Sender]:
        """A sender per configured channel. Push needs the users' subscriptions
        (``push``, the notifier's) and the keyring its VAPID key is derived from."""
        out: dict[Channel, Sender] = {
            Channel.WEBHOOK: WebhookSender(contacts, timeout=float(self.webhook.get("timeout", 10)))
        }
        if self.email:
            out[Channel.EMAIL] = SmtpSender(self._smtp())
        if self.sms:
            out[Channel.SMS] = SmsSender(self._sms_provider())
        if self.push is not None and self.push.get("subject"):
            settings = self.push_settings()
            if push is None or keyring is None:
                raise ConfigError(
                    "[notifications.push] needs the keyring (VERISEAL_PASSPHRASE or"
                    " VERISEAL_KEY_FILE): its VAPID key is derived from it"
                )
            out[Channel.PUSH] = WebPushSender(push, VapidKey.derive(keyring), settings)
        if self.wechat:
            out[Channel.WECHAT] = WechatSender(self.wechat_settings())
        return out

    def push_settings(self) -> PushSettings:
        """``[notifications.push]`` checked (a sender needs its ``subject``)."""
        subject = (self.push or {}).get("subject")
        if not isinstance(subject, str) or not _SUBJECT.match(subject):
            raise ConfigError(
                "[notifications.push] subject must be a mailto: or https: URL"
                " (push services write to it about our traffic)"
            )
        return self._push(subject)

    def push_policy(self) -> EndpointPolicy:
        """Which push endpoints users may register (``hosts``/``insecure_hosts`` of
        ``[notifications.push]``; the known push services, https only, by default).
        The server needs it whether or not this process sends."""
        return self._push("mailto:unset@localhost").policy()

    def _push(self, subject: str) -> PushSettings:
        p = {**(self.push or {}), "subject": subject}
        known = {f.name for f in fields(PushSettings)}
        if set(p) - known:
            raise ConfigError(f"unknown [notifications.push] settings: {sorted(set(p) - known)}")
        for name in ("hosts", "insecure_hosts"):
            if name in p:
                if not isinstance(p[name], list) or not all(isinstance(h, str) for h in p[name]):
                    raise ConfigError(f"[notifications.push] {name} must be a list of host names")
                p[name] = tuple(h.lower() for h in p[name])
        return PushSettings(**p)

    def wechat_settings(self) -> WechatSettings:
        w = dict(self.wechat or {})
        w.setdefault("secret", os.environ.get("VERISEAL_WECHAT_SECRET"))
        known = {f.name for f in fields(WechatSettings)}
        if set(w) - known:
            raise ConfigError(f"unknown [notifications.wechat] settings: {sorted(set(w) - known)}")
        if not w.get("appid") or not w.get("secret"):
            raise ConfigError(
                "[notifications.wechat] needs an appid and a secret ($VERISEAL_WECHAT_SECRET)"
            )
        for name in ("templates", "fields"):
            if not isinstance(w.get(name, {}), dict):
                raise ConfigError(f"[notifications.wechat] {name} must be a table")
        w["api_base"] = str(w.get("api_base", WechatSettings.api_base)).rstrip("/")
        return WechatSettings(**w)

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
