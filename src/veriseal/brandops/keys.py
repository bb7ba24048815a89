"""Key status for the console (``keys.manage``): every slot of a brand with its
algorithm, status, age, when it was rotated out or revoked, and whether the active key
is due for rotation.

Rotation and revocation stay with the CLI (``veriseal keys rotate|revoke``): they touch
the keyring, which the server process never needs to unseal for anyone but verifiers.
A key's rotation time is not stored as such: rotation creates the next slot's key and
retires the active one in one transaction, so a retired key was rotated out when the
key after it was created.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action
from veriseal.brandops.scope import brand_for, check_brand
from veriseal.catalog.keys import KeyService
from veriseal.ledger.base import Ledger
from veriseal.models import Brand, KeyRecord, KeyStatus

#: What a brand key signs with (Ed25519, RFC 8032) and encrypts codes and PINs with
#: (AES-128), all derived by HKDF-SHA256 from the slot's one secret (veriseal.codes.material).
ALGORITHM = "Ed25519 + AES-128 (HKDF-SHA256)"


@dataclass(frozen=True)
class KeyState:
    slot: int
    kid: str
    status: KeyStatus
    algorithm: str
    created_at: dt.datetime
    retired_at: dt.datetime | None  # when the next key took over (rotation)
    revoked_at: dt.datetime | None
    age_days: int  # since creation
    rotation_due: bool  # the active key is older than the brand's rotation age


@dataclass(frozen=True)
class KeyReport:
    keys: tuple[KeyState, ...]  # by slot
    rotate_after_days: int

    @property
    def active(self) -> KeyState | None:
        return next((k for k in self.keys if k.status is KeyStatus.ACTIVE), None)

    @property
    def rotation_due(self) -> bool:
        return self.active is not None and self.active.rotation_due


class KeyDesk:
    def __init__(self, ledger: Ledger, keys: KeyService, rotate_after_days: int) -> None:
        self._ledger = ledger
        self._keys = keys
        self.rotate_after_days = rotate_after_days

    async def brand(self, principal: Principal, slug: str | None = None) -> Brand:
        """The brand whose keys the principal manages (``slug``: the platform admin's)."""
        return await brand_for(self._ledger, principal, (Action.KEYS_MANAGE,), slug)

    async def status(
        self, principal: Principal, brand: Brand, now: dt.datetime | None = None
    ) -> KeyReport:
        """The brand's keys (``keys.manage`` in that brand)."""
        check_brand(principal, (Action.KEYS_MANAGE,), brand)
        records = sorted(await self._keys.list(brand), key=lambda k: k.slot)
        at = now or dt.datetime.now(dt.UTC)
        states = []
        for pos, k in enumerate(records):
            later = records[pos + 1] if pos + 1 < len(records) else None
            states.append(self._state(k, later, at))
        return KeyReport(tuple(states), self.rotate_after_days)

    def _state(self, k: KeyRecord, later: KeyRecord | None, now: dt.datetime) -> KeyState:
        age = max(0, (now - k.created_at).days)
        return KeyState(
            slot=k.slot,
            kid=k.kid,
            status=k.status,
            algorithm=ALGORITHM,
            created_at=k.created_at,
            retired_at=later.created_at if later is not None else None,
            revoked_at=k.revoked_at,
            age_days=age,
            rotation_due=k.status is KeyStatus.ACTIVE and age >= self.rotate_after_days,
        )
