"""The console's people pages (menu group "people"): users and roles, the organisation
tree, real-name review with audited document viewing, broadcasts, the audit log.

One module per page family; this package lists their routes (``VIEWS``) and menu
entries (``PAGES``) for :mod:`veriseal.console.views`. Templates are under
``templates/people/``.
"""

from __future__ import annotations

from veriseal.accounts.permissions import Action
from veriseal.console.views.people import audit, broadcast, kyc, orgs, users
from veriseal.extend.console import ConsolePage, ConsoleView

A = Action
_ID = r"{id:\d+}"
VIEWS = [
    ConsoleView("GET", "/console/users", users.users_list, A.USERS_VIEW),
    # creating users: admins, and distributors for their own subtree (dealer roles)
    ConsoleView("GET", "/console/users/new", users.new_user_form, A.ORGS_MANAGE),
    ConsoleView("POST", "/console/users/new", users.create_user, A.ORGS_MANAGE),
    ConsoleView("GET", f"/console/users/{_ID}", users.user_page, A.USERS_VIEW),
    ConsoleView("POST", f"/console/users/{_ID}/role", users.set_role, A.USERS_MANAGE),
    ConsoleView("POST", f"/console/users/{_ID}/status", users.set_status, A.USERS_MANAGE),
    ConsoleView("GET", "/console/orgs", orgs.tree_page, A.ORGS_VIEW),
    ConsoleView("POST", "/console/orgs", orgs.add_org, A.ORGS_MANAGE),
    ConsoleView("GET", "/console/kyc", kyc.pending, A.KYC_REVIEW),
    ConsoleView("GET", f"/console/kyc/{_ID}", kyc.submission, A.KYC_REVIEW),
    ConsoleView("GET", f"/console/kyc/{_ID}/document/{{n:\\d+}}", kyc.document, A.KYC_REVIEW),
    ConsoleView("POST", f"/console/kyc/{_ID}/review", kyc.review, A.KYC_REVIEW),
    ConsoleView("GET", "/console/broadcast", broadcast.form_page, A.NOTIFY_BROADCAST),
    ConsoleView("POST", "/console/broadcast", broadcast.send, A.NOTIFY_BROADCAST),
    ConsoleView("GET", "/console/audit", audit.audit_page, A.AUDIT_READ),
]
PAGES = [
    ConsolePage("/console/users", "Users", "用户", A.USERS_VIEW, "people", 10),
    ConsolePage("/console/orgs", "Organisations", "组织架构", A.ORGS_VIEW, "people", 20),
    ConsolePage("/console/kyc", "Real-name review", "实名审核", A.KYC_REVIEW, "people", 30),
    ConsolePage("/console/broadcast", "Broadcast", "群发通知", A.NOTIFY_BROADCAST, "people", 40),
    ConsolePage("/console/audit", "Audit log", "审计日志", A.AUDIT_READ, "people", 50),
]
