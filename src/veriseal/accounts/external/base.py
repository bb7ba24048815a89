"""What every third-party sign-in provider offers: the :class:`ExternalProvider`
protocol and the :class:`ExternalIdentity` it proves.

A provider knows its protocol only (OpenID Connect, WeChat, Alipay): it builds the
authorization URL and turns the code the browser brings back into a verified identity.
State, nonce and PKCE verifier are made and kept by
:class:`veriseal.accounts.external.service.ExternalSignIn`, which also decides which
account an identity signs in to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

#: A provider's name: its config table (``[auth.providers.<name>]``), its URL segment and
#: the login method recorded for its sign-ins.
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class ExternalIdentity:
    """A person as a provider vouches for them, after every check of its answer.

    ``subject`` is the provider's stable, unique id of the person. ``email`` / ``phone``
    count as the person's only when ``email_verified`` / ``phone_verified`` say the
    provider checked them. ``claims``: a small subset of what the provider said, for
    display (nickname, avatar URL, openid ...), never secrets or tokens.
    """

    provider: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None
    phone_verified: bool = False
    display_name: str = ""
    claims: dict[str, str] = field(default_factory=dict)


class ExternalProvider(Protocol):
    """One configured sign-in provider."""

    @property
    def name(self) -> str:
        """The configured name (``PROVIDER_NAME``)."""

    @property
    def code_param(self) -> str:
        """The callback's query parameter holding the code (``code``; Alipay:
        ``auth_code``)."""

    async def authorize_url(
        self, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        """Where to send the browser. Providers without nonce or PKCE (WeChat,
        Alipay) ignore those arguments; ``state`` always travels."""

    async def exchange(
        self, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> ExternalIdentity:
        """Redeem ``code`` and verify what comes back. ``ExternalAuthFailed`` when the
        provider refuses or its answer does not verify, ``ExternalProviderUnavailable``
        when it cannot be reached or answers something unreadable."""
