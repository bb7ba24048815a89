"""Sign-in with OpenID Connect against a real provider (node-oidc-provider, OpenID
Certified) on loopback, on both ledger backends: begin -> the provider's login page ->
callback -> finish, and every refusal the relying party owes (state, nonce, audience,
signature)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import aiohttp
import pytest

from tests.accounts.conftest import Outbox
from tests.accounts.oidc_live import (
    CLIENT,
    OTHER,
    REDIRECT,
    OidcServer,
    TamperProxy,
    browser_login,
    start_provider,
)
from veriseal.accounts.errors import Forbidden
from veriseal.accounts.external.errors import (
    ExternalAccountExists,
    ExternalAuthFailed,
    ExternalStateInvalid,
)
from veriseal.accounts.external.oidc import OidcProvider
from veriseal.accounts.external.service import ExternalSignIn
from veriseal.accounts.external.settings import Configured, ProviderInfo
from veriseal.accounts.models import SYSTEM, Role, TokenKind, UserStatus
from veriseal.accounts.service import AccountService
from veriseal.ledger import Ledger


@pytest.fixture(scope="module")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcServer]:
    yield from start_provider(tmp_path_factory.mktemp("oidc"))


@pytest.fixture
async def proxy(oidc: OidcServer) -> AsyncIterator[TamperProxy]:
    async with TamperProxy(oidc) as p:
        yield p


def _corp(oidc: OidcServer, name: str = "corp") -> Configured:
    return Configured(
        ProviderInfo(name, "oidc", "Corp SSO", "企业登录"),
        OidcProvider(
            name,
            issuer=oidc.issuer,
            client_id=CLIENT["client_id"],
            client_secret=CLIENT["client_secret"],
        ),
    )


@pytest.fixture
def ext(accounts: AccountService, oidc: OidcServer, proxy: TamperProxy) -> ExternalSignIn:
    """Two configured providers (corp, corp2) at the same issuer, reached through the
    proxy."""
    return ExternalSignIn(accounts, [_corp(oidc), _corp(oidc, "corp2")])


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def _sign_in(ext: ExternalSignIn, login: str, binding: str = "b") -> Any:
    url = await ext.begin("corp", REDIRECT, "/console/home", binding)
    back = await browser_login(url, login, REDIRECT)
    return await ext.finish("corp", back["state"], back["code"], REDIRECT, "203.0.113.9",
                            "test-browser", binding)  # fmt: skip


async def test_first_sign_in_creates_a_consumer_the_next_reuses_it(
    ext: ExternalSignIn, accounts: AccountService, proxy: TamperProxy, outbox: Outbox
) -> None:
    url = await ext.begin("corp", REDIRECT, "/console/home", "b")
    sent = _query(url)
    assert sent["client_id"] == "veriseal" and sent["redirect_uri"] == REDIRECT
    assert sent["code_challenge_method"] == "S256" and "openid" in sent["scope"].split()
    assert len(sent["state"]) == 64 and sent["nonce"]
    back = await browser_login(url, "alice", REDIRECT)
    assert back["state"] == sent["state"]
    first = await ext.finish("corp", back["state"], back["code"], REDIRECT, "203.0.113.9",
                             "test-browser", "b")  # fmt: skip
    assert first.created and first.return_to == "/console/home"
    user = first.user
    # the e-mail came from the UserInfo endpoint (the ID token holds only sub by default)
    assert (user.email, user.phone, user.display_name) == ("alice@corp.example", None, "Alice Li")
    assert (user.role, user.status, user.has_password) == (Role.CONSUMER, UserStatus.ACTIVE, False)
    who = await accounts.authenticate(first.token)
    assert who.user_id == user.id and who.scopes is None  # a session: every permission
    # PKCE: the verifier sent to the token endpoint is the one behind the challenge
    verifier = proxy.token_requests[-1]["code_verifier"]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert digest.decode() == sent["code_challenge"]

    again = await _sign_in(ext, "alice")
    assert not again.created and again.user.id == user.id and again.token != first.token
    linked = await ext.identities(await accounts.principal(user))
    assert [(i.provider, i.email, i.display_name) for i in linked] == [
        ("corp", "alice@corp.example", "Alice Li")
    ]
    assert linked[0].last_used_at is not None
    # the same log and audit as a password sign-in, method = the provider's name
    entries = [e for e in await accounts.audit_log(SYSTEM) if e.target == f"user:{user.id}"]
    assert [e.action for e in entries] == ["user.register", "external.link", "login.ok",
                                           "login.ok"]  # fmt: skip
    assert entries[0].details == {"provider": "corp"}
    assert entries[-1].details == {"method": "corp"}
    tokens = await accounts.store.list_tokens(user.id)
    assert tokens == []  # sessions are not API tokens
    found = await accounts.store.token_with_hash(int(again.token.split("_")[1]))
    assert found is not None and found[0].kind is TokenKind.SESSION
    assert found[0].name == "session corp"
    assert outbox.notices == []  # the same device and network: no new-sign-in notice

    other = await _sign_in(ext, "bob")
    assert other.created and other.user.id != user.id


async def test_unverified_email_is_not_taken_as_a_contact(ext: ExternalSignIn) -> None:
    done = await _sign_in(ext, "carol")
    assert done.created and done.user.email is None and done.user.phone is None
    assert done.user.display_name == "Carol"
    assert not (await _sign_in(ext, "carol")).created


async def test_forged_replayed_expired_or_misdirected_states_are_refused(
    ext: ExternalSignIn, ledger: Ledger
) -> None:
    url = await ext.begin("corp", REDIRECT, "", "b")
    back = await browser_login(url, "alice", REDIRECT)
    state, code = back["state"], back["code"]
    with pytest.raises(ExternalStateInvalid):  # forged
        await ext.finish("corp", secrets.token_hex(32), code, REDIRECT, "c", "", "b")
    with pytest.raises(ExternalStateInvalid):  # another browser (no binding cookie)
        await ext.finish("corp", state, code, REDIRECT, "c", "", "other-browser")
    await ext.finish("corp", state, code, REDIRECT, "c", "", "b")
    with pytest.raises(ExternalStateInvalid):  # replayed
        await ext.finish("corp", state, code, REDIRECT, "c", "", "b")

    # for another provider, another callback, or too old: refused, and used up
    for provider, redirect, age in (
        ("corp2", REDIRECT, 0),
        ("corp", REDIRECT + "x", 0),
        ("corp", REDIRECT, 11),
    ):
        url = await ext.begin("corp", REDIRECT, "", "b")
        back = await browser_login(url, "alice", REDIRECT)
        if age:
            async with ledger.write() as tx:
                await tx.execute(
                    "UPDATE external_auth_states SET created_at = ? WHERE used_at IS NULL",
                    dt.datetime.now(dt.UTC) - dt.timedelta(minutes=age),
                )
        with pytest.raises(ExternalStateInvalid):
            await ext.finish(provider, back["state"], back["code"], redirect, "c", "", "b")
        with pytest.raises(ExternalStateInvalid):
            await ext.finish("corp", back["state"], back["code"], REDIRECT, "c", "", "b")


def _with_param(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = {**_query(url), **params}
    return urlunsplit(parts._replace(query=urlencode(query)))


async def test_an_id_token_for_another_nonce_is_refused(
    ext: ExternalSignIn, proxy: TamperProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """A code obtained for another authorization request (another nonce: an injected
    code) is redeemed by the provider, and then refused by our nonce check."""
    caplog.set_level(logging.INFO, "veriseal.accounts.external")
    url = await ext.begin("corp", REDIRECT, "", "b")
    back = await browser_login(_with_param(url, nonce="someone-elses-nonce"), "alice", REDIRECT)
    with pytest.raises(ExternalAuthFailed, match="ID token"):
        await ext.finish("corp", back["state"], back["code"], REDIRECT, "c", "", "b")
    assert proxy.token_requests[-1]["status"] == "200"  # the provider did issue tokens
    assert "Invalid claim: 'nonce'" in caplog.text  # and the nonce check refused them


async def _tokens_for_other_client(oidc: OidcServer, nonce: str, login: str) -> dict[str, Any]:
    """A genuine token response of the provider for the OTHER client (its own PKCE),
    carrying ``nonce``: validly signed, but not for us."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "client_id": OTHER["client_id"], "response_type": "code", "scope": "openid email",
        "redirect_uri": REDIRECT, "state": "other", "nonce": nonce,
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256",
    }  # fmt: skip
    back = await browser_login(f"{oidc.issuer}/auth?{urlencode(query)}", login, REDIRECT)
    pair = f"{OTHER['client_id']}:{OTHER['client_secret']}".encode()
    auth = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    async with (
        aiohttp.ClientSession() as s,
        s.post(f"{oidc.issuer}/token", headers=auth, data={
            "grant_type": "authorization_code", "code": back["code"],
            "redirect_uri": REDIRECT, "code_verifier": verifier,
        }) as resp,
    ):  # fmt: skip
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())


async def test_an_id_token_issued_to_another_client_is_refused(
    ext: ExternalSignIn, oidc: OidcServer, proxy: TamperProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "veriseal.accounts.external")
    url = await ext.begin("corp", REDIRECT, "", "b")
    theirs = await _tokens_for_other_client(oidc, _query(url)["nonce"], "bob")
    # the other client's ID token and access token, in place of ours: signature, issuer,
    # nonce, expiry and at_hash all hold; only the audience is wrong
    proxy.tamper = lambda ours: {**ours, "id_token": theirs["id_token"],
                                 "access_token": theirs["access_token"]}  # fmt: skip
    back = await browser_login(url, "alice", REDIRECT)
    with pytest.raises(ExternalAuthFailed, match="ID token"):
        await ext.finish("corp", back["state"], back["code"], REDIRECT, "c", "", "b")
    assert "Invalid claim: 'aud'" in caplog.text
    # the same path with our own tokens passes: the refusal above is the audience's
    proxy.tamper = lambda ours: ours
    assert (await _sign_in(ext, "alice")).created


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [("payload", "bad_signature"), ("alg-none", "'none' is not allowed"),
     ("alg-hs256", "'HS256' is not allowed")],
)  # fmt: skip
async def test_a_tampered_id_token_is_refused(
    ext: ExternalSignIn,
    accounts: AccountService,
    proxy: TamperProxy,
    caplog: pytest.LogCaptureFixture,
    forgery: str,
    reason: str,
) -> None:
    """Alice's sign-in with its ID token rewritten to say "bob": the signature no longer
    matches, an unsigned token, or one "signed" with HMAC: all refused."""
    caplog.set_level(logging.INFO, "veriseal.accounts.external")

    def forge(ours: dict[str, Any]) -> dict[str, Any]:
        header, payload, signature = ours["id_token"].split(".")
        claims = json.loads(_unb64(payload)) | {"sub": "bob"}
        head = json.loads(_unb64(header))
        if forgery == "alg-none":
            head, signature = {"alg": "none"}, ""
        elif forgery == "alg-hs256":
            head = {"alg": "HS256", "kid": head["kid"]}
        token = f"{_b64(json.dumps(head).encode())}.{_b64(json.dumps(claims).encode())}"
        return {**ours, "id_token": f"{token}.{signature}"}

    proxy.tamper = forge
    url = await ext.begin("corp", REDIRECT, "", "b")
    back = await browser_login(url, "alice", REDIRECT)
    with pytest.raises(ExternalAuthFailed, match="ID token"):
        await ext.finish("corp", back["state"], back["code"], REDIRECT, "c", "", "b")
    assert reason in caplog.text
    assert await accounts.list_users(SYSTEM) == []


async def test_an_existing_accounts_email_is_never_linked_silently(
    ext: ExternalSignIn, accounts: AccountService, outbox: Outbox
) -> None:
    mine = await accounts.create_user(SYSTEM, contact="alice@corp.example",
                                      display_name="Alice", role=Role.CONSUMER, org_id=None,
                                      password="a long passphrase 1")  # fmt: skip
    with pytest.raises(ExternalAccountExists):
        await _sign_in(ext, "alice")
    assert [u.id for u in await accounts.list_users(SYSTEM)] == [mine.id]

    # the owner signs in and links the provider from the account page
    token, _ = await accounts.login("alice@corp.example", "a long passphrase 1", "c")
    me = await accounts.authenticate(token)
    url = await ext.begin_link(me, "corp", REDIRECT, "/console/account", "b")
    back = await browser_login(url, "alice", REDIRECT)
    assert await ext.pending_purpose(back["state"], "b") == "link"
    linked = await ext.finish_link(me, "corp", back["state"], back["code"], REDIRECT, "b")
    assert (linked.provider, linked.email) == ("corp", "alice@corp.example")
    assert outbox.notices[-1][:2] == (mine.id, "account.external_linked")
    done = await _sign_in(ext, "alice")
    assert not done.created and done.user.id == mine.id

    # a scoped API token is no full sign-in: it links nothing
    api, _ = await accounts.create_token(me, "handheld", ["scans.read"])
    with pytest.raises(Forbidden):
        await ext.begin_link(await accounts.authenticate(api), "corp", REDIRECT)
