"""Fixtures for the accounts tests: a migrated ledger on each backend with one brand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from veriseal.accounts.credentials import Passwords
from veriseal.accounts.models import User
from veriseal.accounts.service import AccountService, LoginPolicy
from veriseal.ledger import Ledger
from veriseal.models import Brand

# Argon2id with small parameters: the same code path, a fraction of the time.
FAST_PASSWORDS = Passwords(PasswordHasher.from_parameters(CHEAPEST))


@dataclass
class Outbox:
    """Records what the accounts service asked to deliver (the notification system is
    tested on its own; this is the AccountNotifier interface's test double)."""

    codes: list[tuple[str, str, str]] = field(default_factory=list)
    notices: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)

    async def send_code(self, destination: str, purpose: str, code: str, minutes: int) -> None:
        self.codes.append((destination, purpose, code))

    async def security_notice(self, user: User, key: str, **values: object) -> None:
        self.notices.append((user.id, key, values))

    def last_code(self, destination: str) -> str:
        return next(c for d, _, c in reversed(self.codes) if d == destination)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
async def brand(ledger: Ledger) -> Brand:
    return await ledger.create_brand("acme", "Acme", "https://id.acme.example")


@pytest.fixture
async def accounts(ledger: Ledger, outbox: Outbox) -> AsyncIterator[AccountService]:
    yield AccountService(
        ledger, outbox, pepper=lambda: b"p" * 32, passwords=FAST_PASSWORDS, policy=LoginPolicy()
    )
