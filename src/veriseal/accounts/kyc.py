"""Real-name verification (实名认证): persons by resident ID, enterprises by unified
social credit code, each with a document image, reviewed by a brand or platform admin.

- The ID / credit code is checked (GB 11643 / GB 32100) before anything is stored.
- The full number and the document are sealed with the installation keyring
  (XChaCha20-Poly1305; the submission's owner is bound in as associated data, so a
  sealed blob moved to another row does not open). Only a masked number is stored in
  clear. Reading a document needs ``kyc.review`` and is itself audited.
- Decisions are appended (``kyc_reviews``); a submission's status is its latest review.
- Face matching against the ID photo needs a commercial provider (none is available
  here): :class:`FaceMatcher` is the seam, and :class:`NoFaceMatcher` reports the step
  as "unavailable" instead of pretending it passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from veriseal.accounts import identity, images
from veriseal.accounts.errors import Forbidden, NotVerified
from veriseal.accounts.models import Org, Principal, User
from veriseal.accounts.notices import AccountNotifier
from veriseal.accounts.permissions import Action, require, require_over
from veriseal.accounts.store import AccountStore, Audit, now
from veriseal.catalog.keys import Keyring
from veriseal.errors import InvalidInput, NotFound
from veriseal.ledger.base import Row
from veriseal.ledger.rows import ts


class FaceMatcher(Protocol):
    async def match(self, id_photo: bytes, selfie: bytes) -> str:
        """``"match"``, ``"no_match"`` or ``"unavailable"``."""


class NoFaceMatcher:
    async def match(self, id_photo: bytes, selfie: bytes) -> str:
        return "unavailable"


class KycKind(StrEnum):
    PERSON = "person"  # a resident ID (GB 11643)
    ENTERPRISE = "enterprise"  # a unified social credit code (GB 32100)


class KycStatus(StrEnum):
    """A submission's status: its latest review's decision, or pending."""

    NONE = "none"  # no submission (what status_of_user says for a user without one)
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Submission:
    id: int
    user_id: int
    kind: KycKind
    legal_name: str
    number_masked: str
    submitted_at: dt.datetime
    status: KycStatus
    reason: str
    org_id: int | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "kind": str(self.kind),
            "legal_name": self.legal_name,
            "number": self.number_masked,
            "submitted_at": self.submitted_at.isoformat(),
            "status": str(self.status),
            "reason": self.reason,
            "org_id": self.org_id,
        }


_SELECT = (
    "SELECT s.id, s.user_id, s.kind, s.legal_name, s.number_masked, s.submitted_at,"
    " u.org_id, (SELECT r.decision FROM kyc_reviews r WHERE r.submission_id = s.id"
    " ORDER BY r.id DESC LIMIT 1) AS decision,"
    " (SELECT r.reason FROM kyc_reviews r WHERE r.submission_id = s.id"
    " ORDER BY r.id DESC LIMIT 1) AS reason"
    " FROM kyc_submissions s JOIN users u ON u.id = s.user_id"
)


def _submission(row: Row) -> Submission:
    return Submission(
        int(row["id"]),
        int(row["user_id"]),
        KycKind(row["kind"]),
        row["legal_name"],
        row["number_masked"],
        ts(row["submitted_at"]),
        KycStatus(row["decision"] or KycStatus.PENDING),
        row["reason"] or "",
        row["org_id"],
    )


class KycService:
    def __init__(
        self,
        store: AccountStore,
        keyring: Keyring,
        notifier: AccountNotifier,
        faces: FaceMatcher | None = None,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.notifier = notifier
        self.faces = faces or NoFaceMatcher()

    async def submit_person(
        self, principal: Principal, legal_name: str, id_number: str, photo: bytes
    ) -> Submission:
        number = identity.normalize_resident_id(id_number)
        return await self._submit(principal, KycKind.PERSON, legal_name, number, photo)

    async def submit_enterprise(
        self, principal: Principal, legal_name: str, credit_code: str, licence: bytes
    ) -> Submission:
        """For the principal's own organisation (a dealer, or the brand itself)."""
        if principal.org is None:
            raise InvalidInput("an enterprise verification is made for your organisation")
        number = identity.normalize_uscc(credit_code)
        return await self._submit(principal, KycKind.ENTERPRISE, legal_name, number, licence)

    async def _submit(
        self, principal: Principal, kind: KycKind, legal_name: str, number: str, image: bytes
    ) -> Submission:
        if principal.user is None:
            raise InvalidInput("the local operator cannot submit a real-name verification")
        require(principal, Action.KYC_SUBMIT, owner_id=principal.user.id)
        if not legal_name.strip():
            raise InvalidInput("the legal name is required")
        doc, media = images.document(image)
        uid = principal.user.id
        async with self.store.ledger.write() as tx:
            row = await tx.fetchrow(
                "INSERT INTO kyc_submissions (user_id, kind, legal_name, number_masked,"
                " number_sealed, document_sealed, document_type, submitted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                uid,
                str(kind),
                legal_name.strip(),
                identity.mask(number),
                self.keyring.seal(f"kyc-number:{uid}", number.encode()),
                self.keyring.seal(f"kyc-document:{uid}", doc),
                media,
                now(),
            )
            assert row is not None
            await self.store.append_audit(
                tx,
                Audit(
                    uid,
                    principal.brand_id,
                    "kyc.submit",
                    f"kyc:{row['id']}",
                    principal.client,
                    {"kind": str(kind)},
                ),
            )
        return await self.get(principal, int(row["id"]))

    async def _load(self, submission_id: int) -> Submission:
        async with self.store.ledger.read() as tx:
            row = await tx.fetchrow(_SELECT + " WHERE s.id = ?", submission_id)
        if row is None:
            raise NotFound(f"no real-name submission {submission_id}")
        return _submission(row)

    async def _require_reviewer(self, principal: Principal, sub: Submission) -> None:
        org = None if sub.org_id is None else await self.store.get_org(sub.org_id)
        require_over(principal, Action.KYC_REVIEW, org)

    async def get(self, principal: Principal, submission_id: int) -> Submission:
        sub = await self._load(submission_id)
        if sub.user_id != principal.user_id:
            await self._require_reviewer(principal, sub)
        return sub

    async def pending(
        self, principal: Principal, *, after_id: int | None = None, limit: int = 1000
    ) -> list[Submission]:
        """Submissions awaiting review that the principal may review, by id: ``limit``
        of them after ``after_id``. Read in chunks, since the status and the reviewer's
        reach are decided per row."""
        require(principal, Action.KYC_REVIEW)
        out: list[Submission] = []
        cursor = 0 if after_id is None else after_id
        while len(out) < limit:
            async with self.store.ledger.read() as tx:
                found = await tx.fetch(_SELECT + " WHERE s.id > ? ORDER BY s.id LIMIT 500", cursor)
            if not found:
                break
            for sub in map(_submission, found):
                cursor = sub.id
                if sub.status is not KycStatus.PENDING or len(out) >= limit:
                    continue
                try:
                    await self._require_reviewer(principal, sub)
                except Forbidden:
                    continue
                out.append(sub)
        return out

    async def review(
        self, principal: Principal, submission_id: int, approve: bool, reason: str
    ) -> Submission:
        sub = await self._load(submission_id)
        await self._require_reviewer(principal, sub)
        if sub.user_id == principal.user_id:
            raise Forbidden("nobody reviews their own verification")
        if not approve and not reason.strip():
            raise InvalidInput("a rejection needs a reason the applicant can act on")
        decision = KycStatus.APPROVED if approve else KycStatus.REJECTED
        reviewer = principal.user_id if principal.user_id is not None else sub.user_id
        async with self.store.ledger.write() as tx:
            await tx.execute(
                "INSERT INTO kyc_reviews (submission_id, reviewer_id, decision, reason, at)"
                " VALUES (?, ?, ?, ?, ?)",
                submission_id,
                reviewer,
                str(decision),
                reason.strip(),
                now(),
            )
            await self.store.append_audit(
                tx,
                Audit(
                    principal.user_id,
                    principal.brand_id,
                    f"kyc.{decision}",
                    f"kyc:{submission_id}",
                    principal.client,
                    {"reason": reason.strip()},
                ),
            )
        user = await self.store.get_user(sub.user_id)
        key = "account.kyc_approved" if approve else "account.kyc_rejected"
        await self.notifier.security_notice(user, key, reason=reason.strip())
        return await self._load(submission_id)

    async def document(self, principal: Principal, submission_id: int) -> tuple[bytes, str]:
        """The unsealed document image; reviewers only; every read is audited."""
        sub = await self._load(submission_id)
        await self._require_reviewer(principal, sub)
        async with self.store.ledger.read() as tx:
            row = await tx.fetchrow(
                "SELECT document_sealed, document_type FROM kyc_submissions WHERE id = ?",
                submission_id,
            )
        assert row is not None
        data = self.keyring.unseal(f"kyc-document:{sub.user_id}", bytes(row["document_sealed"]))
        await self.store.audit(
            Audit(
                principal.user_id,
                principal.brand_id,
                "kyc.document_read",
                f"kyc:{submission_id}",
                principal.client,
                {},
            )
        )
        return data, row["document_type"]

    async def status_of_user(self, user: User) -> KycStatus:
        """``approved`` if the user's latest person submission is approved, else its
        status, else ``none``."""
        async with self.store.ledger.read() as tx:
            row = await tx.fetchrow(
                _SELECT + " WHERE s.user_id = ? AND s.kind = 'person' ORDER BY s.id DESC LIMIT 1",
                user.id,
            )
        return KycStatus.NONE if row is None else _submission(row).status

    async def org_verified(self, org: Org) -> bool:
        """True if the organisation's newest enterprise submission is approved."""
        async with self.store.ledger.read() as tx:
            row = await tx.fetchrow(
                _SELECT + " WHERE u.org_id = ? AND s.kind = 'enterprise'"
                " ORDER BY s.id DESC LIMIT 1",
                org.id,
            )
        return row is not None and _submission(row).status is KycStatus.APPROVED

    async def require_verified_dealer(self, org: Org) -> None:
        """``NotVerified`` unless ``org`` passed enterprise verification: called before a
        dealer is granted territories or places orders."""
        if not await self.org_verified(org):
            raise NotVerified(f"{org.name} has no approved enterprise verification yet")
