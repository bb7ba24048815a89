"""Real-name review (实名认证审核): submissions awaiting review, one submission with its
documents, approve or reject with a reason.

A document is never at a public URL: the page's ``<img>`` points at
``/console/kyc/{id}/document/{n}``, a signed-in view that unseals it through
:meth:`~veriseal.accounts.kyc.KycService.document` (reviewers only; every read is
audited there, in the same transaction) and answers it with ``Cache-Control:
no-store`` and ``Content-Disposition: inline``, so neither the browser's cache nor a
proxy keeps a copy. The page itself lists who read the documents before.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from veriseal.accounts.models import AuditQuery, KycStatus, Submission
from veriseal.accounts.permissions import Action
from veriseal.console.call import ConsoleCall
from veriseal.console.listing import page_cursor, page_size
from veriseal.console.site import holds
from veriseal.console.views.people.labels import Names, text, who
from veriseal.errors import InvalidInput
from veriseal.extend.console import Page

KINDS = {
    "person": ("Person (resident ID)", "个人（身份证）"),
    "enterprise": ("Enterprise (business licence)", "企业（营业执照）"),
}
STATUS = {
    "pending": ("Pending", "待审核"),
    "approved": ("Approved", "已通过"),
    "rejected": ("Rejected", "已驳回"),
}
_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
READS_SHOWN = 20  # earlier document reads listed on a submission's page


async def _row(call: ConsoleCall, sub: Submission, names: Names) -> dict[str, Any]:
    return {
        "id": sub.id,
        "kind": call.t(*KINDS.get(str(sub.kind), (str(sub.kind), str(sub.kind)))),
        "legal_name": sub.legal_name,
        "number": sub.number_masked,
        "country": sub.country,
        "submitted_at": sub.submitted_at,
        "status": str(sub.status),
        "status_label": call.t(*STATUS.get(str(sub.status), (str(sub.status),) * 2)),
        "reason": sub.reason,
        "org": await names.org(sub.org_id),
        "applicant": await names.user(sub.user_id),
        "user_id": sub.user_id,
    }


async def pending(call: ConsoleCall) -> Page:
    limit = page_size(call)
    found = await call.engine.kyc.pending(who(call), after_id=page_cursor(call), limit=limit)
    names = Names(call)
    return Page(
        "people/kyc_list.html",
        {
            "rows": [await _row(call, s, names) for s in found],
            "next_cursor": found[-1].id if len(found) == limit else None,
        },
    )


async def submission(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    principal = who(call)
    kyc = call.engine.kyc
    sub = await kyc.get(principal, call.int_param("id"))
    names = Names(call)
    reads: list[dict[str, Any]] = []
    if holds(principal, Action.AUDIT_READ):
        found = await call.engine.accounts.audit_log(
            principal,
            AuditQuery(action="kyc.", target=f"kyc:{sub.id}"),
            newest_first=True,
            limit=READS_SHOWN,
        )
        reads = [
            {
                "at": e.at,
                "who": await names.user(e.actor_id),
                "action": e.action,
                "client": e.client,
                "document": e.details.get("document", ""),
            }
            for e in found
        ]
    return Page(
        "people/kyc.html",
        {
            "sub": await _row(call, sub, names),
            "documents": kyc.documents(sub),
            "pending": sub.status is KycStatus.PENDING,
            "own": sub.user_id == principal.user_id,
            "history": reads,
            "error": error,
        },
        status,
    )


async def document(call: ConsoleCall) -> web.StreamResponse:
    """One document image, unsealed for a reviewer; the service audits the read."""
    sub_id, number = call.int_param("id"), call.int_param("n")
    data, media = await call.engine.kyc.document(who(call), sub_id, number)
    name = f"kyc-{sub_id}-{number}.{_EXT.get(media, 'bin')}"
    return web.Response(
        body=data,
        content_type=media,
        headers={
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
            "Content-Disposition": f'inline; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


async def review(call: ConsoleCall) -> Page | web.StreamResponse:
    sub_id = call.int_param("id")
    form = await call.form()
    decision = text(form.get("decision"), 10)
    reason = text(form.get("reason"), 2000)
    if decision not in ("approve", "reject"):
        return await submission(
            call, call.t("Choose approve or reject.", "请选择通过或驳回。"), 400
        )
    try:
        await call.engine.kyc.review(who(call), sub_id, decision == "approve", reason)
    except InvalidInput as exc:
        problem = call.t(
            "A rejection needs a reason the applicant can act on.",
            "驳回时请填写申请人可据以修改的理由。",
        )
        return await submission(call, problem if "reason" in exc.message else exc.message, 400)
    if decision == "approve":
        return call.redirect(
            "/console/kyc", f"Submission {sub_id} approved.", f"认证申请 {sub_id} 已通过。"
        )
    return call.redirect(
        "/console/kyc", f"Submission {sub_id} rejected.", f"认证申请 {sub_id} 已驳回。"
    )
