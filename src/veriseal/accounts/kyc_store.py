"""SQL of real-name verification: ``kyc_submissions`` and their appended ``kyc_reviews``.

No rules live here: :mod:`veriseal.accounts.kyc` checks the numbers, seals them, decides
who may review, and writes the audit row in the same transaction. A submission's status
is its newest review's decision (``pending`` without one), derived on every read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.accounts.models import KycKind, KycStatus, Submission
from veriseal.ledger.base import Row, Tx
from veriseal.ledger.rows import ts

#: Submissions read per query when a caller pages through them.
PAGE = 500

_SELECT = (
    "SELECT s.id, s.user_id, s.kind, s.country, s.legal_name, s.number_masked, s.submitted_at,"
    " u.org_id, (SELECT r.decision FROM kyc_reviews r WHERE r.submission_id = s.id"
    " ORDER BY r.id DESC LIMIT 1) AS decision,"
    " (SELECT r.reason FROM kyc_reviews r WHERE r.submission_id = s.id"
    " ORDER BY r.id DESC LIMIT 1) AS reason"
    " FROM kyc_submissions s JOIN users u ON u.id = s.user_id"
)


@dataclass(frozen=True)
class NewSubmission:
    """A submission to store: the number and document already sealed by the caller."""

    user_id: int
    kind: KycKind
    legal_name: str
    number_masked: str
    number_sealed: bytes
    document_sealed: bytes
    document_type: str
    submitted_at: dt.datetime
    country: str = "CN"  # ISO 3166-1 alpha-2, normalised by the caller


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
        str(row["country"]),
    )


async def insert_submission(tx: Tx, new: NewSubmission) -> int:
    """Store ``new``; returns its id."""
    return await tx.insert_returning_id(
        "kyc_submissions",
        {
            "user_id": new.user_id,
            "kind": str(new.kind),
            "country": new.country,
            "legal_name": new.legal_name,
            "number_masked": new.number_masked,
            "number_sealed": new.number_sealed,
            "document_sealed": new.document_sealed,
            "document_type": new.document_type,
            "submitted_at": new.submitted_at,
        },
    )


async def submission(tx: Tx, submission_id: int) -> Submission | None:
    row = await tx.fetchrow(_SELECT + " WHERE s.id = ?", submission_id)
    return None if row is None else _submission(row)


async def submissions_after(tx: Tx, after_id: int) -> list[Submission]:
    """Up to :data:`PAGE` submissions with ids above ``after_id``, by id."""
    found = await tx.fetch(_SELECT + " WHERE s.id > ? ORDER BY s.id LIMIT ?", after_id, PAGE)
    return [_submission(r) for r in found]


async def latest_of_user(tx: Tx, user_id: int, kind: KycKind) -> Submission | None:
    """The user's newest submission of ``kind``."""
    row = await tx.fetchrow(
        _SELECT + " WHERE s.user_id = ? AND s.kind = ? ORDER BY s.id DESC LIMIT 1",
        user_id,
        str(kind),
    )
    return None if row is None else _submission(row)


async def latest_of_org(tx: Tx, org_id: int, kind: KycKind) -> Submission | None:
    """The newest submission of ``kind`` by a user of the organisation."""
    row = await tx.fetchrow(
        _SELECT + " WHERE u.org_id = ? AND s.kind = ? ORDER BY s.id DESC LIMIT 1",
        org_id,
        str(kind),
    )
    return None if row is None else _submission(row)


async def append_review(
    tx: Tx, submission_id: int, reviewer_id: int, decision: KycStatus, reason: str, at: dt.datetime
) -> None:
    await tx.execute(
        "INSERT INTO kyc_reviews (submission_id, reviewer_id, decision, reason, at)"
        " VALUES (?, ?, ?, ?, ?)",
        submission_id,
        reviewer_id,
        str(decision),
        reason,
        at,
    )


async def sealed_document(tx: Tx, submission_id: int) -> tuple[bytes, str] | None:
    """The submission's sealed document and its media type."""
    row = await tx.fetchrow(
        "SELECT document_sealed, document_type FROM kyc_submissions WHERE id = ?",
        submission_id,
    )
    return None if row is None else (bytes(row["document_sealed"]), str(row["document_type"]))
