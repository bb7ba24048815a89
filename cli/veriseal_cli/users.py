"""``veriseal users``: organisations, users, roles, API tokens, real-name reviews, audit.

The CLI runs with the ledger and its keys in hand, so it acts as the installation's
operator (the platform admin). Remote admins and dealers use the HTTP API with a token.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from veriseal.accounts.models import SYSTEM, AuditQuery, OrgKind, Role, UserStatus
from veriseal.engine import Engine
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine
from veriseal_cli.output import open_output, output_option
from veriseal_cli.params import ID


@click.group()
def users() -> None:
    """Users, roles, dealer organisations, API tokens, real-name checks, audit log.
    用户、角色、经销商机构、API 令牌、实名审核与审计日志。"""


async def ensure_root_orgs(engine: Engine) -> None:
    """Every brand's root organisation exists (``init`` creates it; a ledger made before
    it did gets it here), so an ``--org`` id from the tree works on first use."""
    for brand in await engine.brands.list():
        await engine.accounts.brand_org(brand)


@users.command("add")
@click.argument("contact")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--org", "org_id", type=ID, help="Organisation id (see `users orgs tree`).")
@click.option("--password", is_flag=True, help="Prompt for a password (else none is set).")
@pass_opts
def add(
    opts: Options, contact: str, display_name: str, role: str, org_id: int | None, password: bool
) -> None:
    """Create an active user identified by an e-mail address or phone number."""
    secret = (
        click.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    )

    async def go(engine: Engine) -> None:
        await ensure_root_orgs(engine)
        user = await engine.accounts.create_user(
            SYSTEM,
            contact=contact,
            display_name=display_name,
            role=Role(role),
            org_id=org_id,
            password=secret,
        )
        echo_json(user.to_dict())

    with_engine(opts, go)


@users.command("list")
@click.option("--org", "org_id", type=ID, help="Only this organisation's subtree.")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, org_id: int | None, as_json: bool) -> None:
    """List users (of a subtree of the dealer network, or all)."""

    async def go(engine: Engine) -> None:
        found = await engine.accounts.list_users(SYSTEM, org_id)
        if as_json:
            echo_json([u.to_dict() for u in found])
            return
        for u in found:
            click.echo(
                f"{u.id}\t{u.email or u.phone or '-'}\t{u.display_name}\t{u.role}\t"
                f"org={u.org_id}\t{u.status}"
            )

    with_engine(opts, go)


@users.command("show")
@click.argument("user_id", type=ID)
@pass_opts
def show(opts: Options, user_id: int) -> None:
    """One user, with its real-name status."""

    async def go(engine: Engine) -> None:
        user = await engine.accounts.user(SYSTEM, user_id)
        echo_json({**user.to_dict(), "kyc": await engine.kyc.status_of_user(user)})

    with_engine(opts, go)


def _status_command(name: str, status: UserStatus) -> None:
    @users.command(name)
    @click.argument("user_id", type=ID)
    @pass_opts
    def command(opts: Options, user_id: int) -> None:
        async def go(engine: Engine) -> None:
            echo_json((await engine.accounts.set_status(SYSTEM, user_id, status)).to_dict())

        with_engine(opts, go)

    command.__doc__ = f"Set a user's status to {status} (sessions and tokens stop working)."


_status_command("disable", UserStatus.DISABLED)
_status_command("enable", UserStatus.ACTIVE)


@users.command("role")
@click.argument("user_id", type=ID)
@click.argument("role", type=click.Choice([r.value for r in Role]))
@pass_opts
def role(opts: Options, user_id: int, role: str) -> None:
    """Change a user's role."""

    async def go(engine: Engine) -> None:
        echo_json((await engine.accounts.set_role(SYSTEM, user_id, Role(role))).to_dict())

    with_engine(opts, go)


# -- organisations -----------------------------------------------------------------------
@users.group()
def orgs() -> None:
    """The brand's organisation tree: the brand, distributors, retailers."""


@orgs.command("root")
@pass_opts
def orgs_root(opts: Options) -> None:
    """Show (creating on first use) the brand's root organisation."""

    async def go(engine: Engine) -> None:
        org = await engine.accounts.brand_org(await engine.brand(opts.brand))
        echo_json(org.to_dict())

    with_engine(opts, go)


@orgs.command("add")
@click.option("--parent", "parent_id", type=ID, required=True)
@click.option("--kind", type=click.Choice(["distributor", "retailer"]), required=True)
@click.option("--name", required=True)
@pass_opts
def orgs_add(opts: Options, parent_id: int, kind: str, name: str) -> None:
    """Add a distributor or retailer under an organisation."""

    async def go(engine: Engine) -> None:
        await ensure_root_orgs(engine)
        org = await engine.accounts.create_org(SYSTEM, parent_id, OrgKind(kind), name)
        echo_json(org.to_dict())

    with_engine(opts, go)


@orgs.command("tree")
@click.argument("root_id", type=ID, required=False)
@pass_opts
def orgs_tree(opts: Options, root_id: int | None) -> None:
    """Print a subtree (default: the brand's whole tree), indented."""

    async def go(engine: Engine) -> None:
        if root_id is None:
            root = await engine.accounts.brand_org(await engine.brand(opts.brand))
            found = await engine.accounts.org_tree(SYSTEM, root.id)
        else:
            found = await engine.accounts.org_tree(SYSTEM, root_id)
        base = found[0].path.count("/") if found else 0
        for org in found:
            indent = "  " * (org.path.count("/") - base)
            click.echo(f"{indent}{org.id}\t{org.name}\t({org.kind})")

    with_engine(opts, go)


# -- API tokens --------------------------------------------------------------------------
@users.group()
def token() -> None:
    """Long-lived API tokens for line controllers, handhelds and scripts."""


@token.command("create")
@click.argument("user_id", type=ID)
@click.option("--name", required=True, help="What the token is for, e.g. 'handheld 7'.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    default=["*"],
    show_default=True,
    help="An action the token may perform (repeat); * for all of the role's.",
)
@click.option("--days", type=click.IntRange(1), help="Expire after this many days.")
@pass_opts
def token_create(
    opts: Options, user_id: int, name: str, scopes: tuple[str, ...], days: int | None
) -> None:
    """Create a token for a user. The token is printed once and never stored."""

    async def go(engine: Engine) -> None:
        text, record = await engine.accounts.create_token(
            SYSTEM, name, list(scopes), dt.timedelta(days=days) if days else None, user_id
        )
        echo_json({"token": text, **record.to_dict()})
        click.echo(
            "Store this token now: it is not shown again. 请立即保存令牌，之后不再显示。", err=True
        )

    with_engine(opts, go)


@token.command("list")
@click.argument("user_id", type=ID)
@pass_opts
def token_list(opts: Options, user_id: int) -> None:
    """A user's API tokens (never their secrets)."""

    async def go(engine: Engine) -> None:
        echo_json([t.to_dict() for t in await engine.accounts.list_tokens(SYSTEM, user_id)])

    with_engine(opts, go)


@token.command("revoke")
@click.argument("token_id", type=ID)
@pass_opts
def token_revoke(opts: Options, token_id: int) -> None:
    """Revoke a token at once."""

    async def go(engine: Engine) -> None:
        await engine.accounts.revoke_token(SYSTEM, token_id)
        echo_json({"revoked": token_id})

    with_engine(opts, go)


# -- real-name verification -----------------------------------------------------------------
@users.group()
def kyc() -> None:
    """Real-name verification reviews (实名认证审核)."""


@kyc.command("pending")
@pass_opts
def kyc_pending(opts: Options) -> None:
    """Submissions awaiting review."""

    async def go(engine: Engine) -> None:
        echo_json([s.to_dict() for s in await engine.kyc.pending(SYSTEM)])

    with_engine(opts, go)


@kyc.command("review")
@click.argument("submission_id", type=ID)
@click.option("--approve/--reject", required=True)
@click.option("--reason", default="", help="Required when rejecting.")
@pass_opts
def kyc_review(opts: Options, submission_id: int, approve: bool, reason: str) -> None:
    """Approve or reject a submission; the applicant is notified."""

    async def go(engine: Engine) -> None:
        echo_json((await engine.kyc.review(SYSTEM, submission_id, approve, reason)).to_dict())

    with_engine(opts, go)


@kyc.command("submit")
@click.argument("user_id", type=ID)
@click.option(
    "--person",
    "kind",
    flag_value="person",
    help="A person's check: --number is the resident ID (身份证号).",
)
@click.option(
    "--enterprise",
    "kind",
    flag_value="enterprise",
    help="The user's organisation: --number is the unified social credit code (统一社会信用代码).",
)
@click.option("--name", "legal_name", required=True, help="Legal name (姓名 / 企业名称).")
@click.option(
    "--number",
    required=True,
    help="Resident ID, unified social credit code, or (--country) the registration number.",
)
@click.option(
    "--country",
    default="CN",
    show_default=True,
    help="An enterprise's country (ISO 3166-1 alpha-2); not CN: a foreign enterprise.",
)
@click.option(
    "--document",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Image of the ID card or business licence (JPEG or PNG).",
)
@pass_opts
def kyc_submit(
    opts: Options,
    user_id: int,
    kind: str | None,
    legal_name: str,
    number: str,
    country: str,
    document: Path,
) -> None:
    """Submit a real-name check on behalf of a user (提交实名认证): a dealer's enterprise
    check is what `territory grant` and orders need. Review it with `kyc approve`."""
    if kind is None:
        raise click.UsageError("say --person or --enterprise")
    if kind == "person" and country.upper() != "CN":
        raise click.UsageError("a person is verified by a Chinese resident ID (--country CN)")
    image = document.read_bytes()

    async def go(engine: Engine) -> None:
        user = await engine.accounts.user(SYSTEM, user_id)
        principal = await engine.accounts.principal(user, client="cli")
        if kind == "person":
            sub = await engine.kyc.submit_person(principal, legal_name, number, image)
        else:
            sub = await engine.kyc.submit_enterprise(principal, legal_name, number, image, country)
        echo_json(sub.to_dict())

    with_engine(opts, go)


@kyc.command("approve")
@click.argument("submission_id", type=ID)
@click.option("--note", default="", help="A note kept with the review.")
@pass_opts
def kyc_approve(opts: Options, submission_id: int, note: str) -> None:
    """Approve a submission (通过); the applicant is notified."""

    async def go(engine: Engine) -> None:
        echo_json((await engine.kyc.review(SYSTEM, submission_id, True, note)).to_dict())

    with_engine(opts, go)


@kyc.command("reject")
@click.argument("submission_id", type=ID)
@click.option("--reason", required=True, help="Why, shown to the applicant (驳回原因).")
@pass_opts
def kyc_reject(opts: Options, submission_id: int, reason: str) -> None:
    """Reject a submission (驳回); the applicant is notified with the reason."""

    async def go(engine: Engine) -> None:
        echo_json((await engine.kyc.review(SYSTEM, submission_id, False, reason)).to_dict())

    with_engine(opts, go)


@kyc.command("document")
@click.argument("submission_id", type=ID)
@output_option
@pass_opts
def kyc_document(opts: Options, submission_id: int, output: Path) -> None:
    """Write a submission's document image to a file (the read is audited)."""

    async def go(engine: Engine) -> None:
        data, _media = await engine.kyc.document(SYSTEM, submission_id)
        with open_output(output, private=True) as f:
            f.write(data)

    with_engine(opts, go)


# -- audit ---------------------------------------------------------------------------------
@users.command("audit")
@click.option("--actor", "actor_id", type=ID)
@click.option("--action")
@click.option("--since", type=click.DateTime(), help="From this time (UTC).")
@click.option("--all-brands", is_flag=True, help="Every brand, not only --brand's.")
@click.option("--limit", type=click.IntRange(1), default=1000, show_default=True)
@pass_opts
def audit(
    opts: Options,
    actor_id: int | None,
    action: str | None,
    since: dt.datetime | None,
    all_brands: bool,
    limit: int,
) -> None:
    """Security events: sign-ins, failures, locks, role changes, tokens, reviews."""

    async def go(engine: Engine) -> None:
        brand_id = None if all_brands else (await engine.brand(opts.brand)).id
        found = await engine.accounts.audit_log(
            SYSTEM,
            AuditQuery(
                actor_id=actor_id,
                action=action,
                since=since.replace(tzinfo=dt.UTC) if since else None,
            ),
            brand_id=brand_id,
            limit=limit,
        )
        echo_json([e.to_dict() for e in found])

    with_engine(opts, go)
