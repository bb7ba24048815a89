"""Real-name verification (实名认证): persons by resident ID, enterprises by unified
social credit code, each with a document image, reviewed by a brand or platform admin.
A foreign enterprise (an importer abroad) names its country (ISO 3166-1 alpha-2) and
its registration number there; the brand reviews it by its registration document.

- The ID / credit code is checked (GB 11643 / GB 32100) before anything is stored; a
  foreign registration number is normalised and its characters checked (formats differ
  by registry: no checksum is invented), and its country must be an ISO 3166-1 one.
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

from typing import Protocol

from veriseal.accounts import identity, images, kyc_store
from veriseal.accounts.errors import Forbidden, NotVerified
from veriseal.accounts.models import KycKind, KycStatus, Org, Principal, Submission, User
from veriseal.accounts.notices import AccountNotifier
from veriseal.accounts.permissions import Action, require, require_over
from veriseal.accounts.store import AccountStore, Audit, now
from veriseal.catalog.keys import Keyring
from veriseal.errors import InvalidInput, NotFound

#: Documents one submission holds (see :meth:`KycService.documents`).
DOCUMENTS = 1


class FaceMatcher(Protocol):
    async def match(self, id_photo: bytes, selfie: bytes) -> str:
        """``"match"``, ``"no_match"`` or ``"unavailable"``."""


class NoFaceMatcher:
    async def match(self, id_photo: bytes, selfie: bytes) -> str:
        return "unavailable"


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
        self,
        principal: Principal,
        legal_name: str,
        number: str,
        licence: bytes,
        country: str = identity.HOME_COUNTRY,
    ) -> Submission:
        """For the principal's own organisation (a dealer, or the brand itself).
        ``number`` is the unified social credit code in China (``country`` "CN"), else
        the enterprise's registration number in ``country``; ``licence`` is the business
        licence or registration document, required (a foreign number is checked by a
        person reading it)."""
        if principal.org is None:
            raise InvalidInput("an enterprise verification is made for your organisation")
        where = identity.normalize_country(country)
        clean = identity.normalize_enterprise_number(where, number)
        if not licence:
            raise InvalidInput("the registration document (business licence) is required")
        return await self._submit(principal, KycKind.ENTERPRISE, legal_name, clean, licence, where)

    async def _submit(
        self,
        principal: Principal,
        kind: KycKind,
        legal_name: str,
        number: str,
        image: bytes,
        country: str = identity.HOME_COUNTRY,
    ) -> Submission:
        if principal.user is None:
            raise InvalidInput("the local operator cannot submit a real-name verification")
        require(principal, Action.KYC_SUBMIT, owner_id=principal.user.id)
        if not legal_name.strip():
            raise InvalidInput("the legal name is required")
        doc, media = images.document(image)
        uid = principal.user.id
        async with self.store.ledger.write() as tx:
            new = kyc_store.NewSubmission(
                user_id=uid,
                kind=kind,
                legal_name=legal_name.strip(),
                number_masked=identity.mask(number),
                number_sealed=self.keyring.seal(f"kyc-number:{uid}", number.encode()),
                document_sealed=self.keyring.seal(f"kyc-document:{uid}", doc),
                document_type=media,
                submitted_at=now(),
                country=country,
            )
            submission_id = await kyc_store.insert_submission(tx, new)
            await self.store.append_audit(
                tx,
                Audit(
                    uid,
                    principal.brand_id,
                    "kyc.submit",
                    f"kyc:{submission_id}",
                    principal.client,
                    {"kind": str(kind), "country": country},
                ),
            )
        return await self.get(principal, submission_id)

    async def _load(self, submission_id: int) -> Submission:
        async with self.store.ledger.read() as tx:
            sub = await kyc_store.submission(tx, submission_id)
        if sub is None:
            raise NotFound(f"no real-name submission {submission_id}")
        return sub

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
                found = await kyc_store.submissions_after(tx, cursor)
            if not found:
                break
            for sub in found:
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
        brand_id = await self._brand_of(sub, principal)
        async with self.store.ledger.write() as tx:
            await kyc_store.append_review(
                tx, submission_id, reviewer, decision, reason.strip(), now()
            )
            await self.store.append_audit(
                tx,
                Audit(
                    principal.user_id,
                    brand_id,
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

    def documents(self, sub: Submission) -> list[int]:
        """The numbers of ``sub``'s documents, from 1. A submission holds one document
        today (the ID card photo or the business licence); numbering them keeps the
        console's URLs and the audit rows stable when a second one (a card's back, a
        selfie) is added."""
        return list(range(1, DOCUMENTS + 1))

    async def document(
        self, principal: Principal, submission_id: int, number: int = 1
    ) -> tuple[bytes, str]:
        """Document ``number`` of the submission, unsealed, with its media type;
        reviewers only (``Forbidden`` otherwise, ``NotFound`` for a number the
        submission does not have).

        Every read is audited (``kyc.document_read``: the reader, the submission, the
        document's number, the owner, the reader's client address) in the SAME write
        transaction that reads the sealed blob: no document leaves the ledger without
        its audit row. The row is filed under the submission's brand (its owner's
        organisation), so the brand's own log shows every reading of its people's
        documents, the platform's staff included."""
        sub = await self._load(submission_id)
        await self._require_reviewer(principal, sub)
        if number not in self.documents(sub):
            raise NotFound(f"real-name submission {submission_id} has no document {number}")
        brand_id = await self._brand_of(sub, principal)
        async with self.store.ledger.write() as tx:
            found = await kyc_store.sealed_document(tx, submission_id)
            assert found is not None  # _load found the submission; none is ever deleted
            await self.store.append_audit(
                tx,
                Audit(
                    principal.user_id,
                    brand_id,
                    "kyc.document_read",
                    f"kyc:{submission_id}",
                    principal.client,
                    {"document": number, "owner": sub.user_id, "kind": str(sub.kind)},
                ),
            )
        sealed, media = found
        return self.keyring.unseal(f"kyc-document:{sub.user_id}", sealed), media

    async def _brand_of(self, sub: Submission, principal: Principal) -> int | None:
        """The brand a submission belongs to: its owner's organisation's, else (a
        consumer) the acting principal's."""
        if sub.org_id is None:
            return principal.brand_id
        return (await self.store.get_org(sub.org_id)).brand_id

    async def status_of_user(self, user: User) -> KycStatus:
        """``approved`` if the user's latest person submission is approved, else its
        status, else ``none``."""
        async with self.store.ledger.read() as tx:
            sub = await kyc_store.latest_of_user(tx, user.id, KycKind.PERSON)
        return KycStatus.NONE if sub is None else sub.status

    async def org_verified(self, org: Org) -> bool:
        """True if the organisation's newest enterprise submission is approved."""
        async with self.store.ledger.read() as tx:
            sub = await kyc_store.latest_of_org(tx, org.id, KycKind.ENTERPRISE)
        return sub is not None and sub.status is KycStatus.APPROVED

    async def require_verified_dealer(self, org: Org) -> None:
        """``NotVerified`` unless ``org`` passed enterprise verification: called before a
        dealer is granted territories or places orders."""
        if not await self.org_verified(org):
            raise NotVerified(f"{org.name} has no approved enterprise verification yet")
