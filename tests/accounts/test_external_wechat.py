"""Sign-in with WeChat against a stand-in of its open platform (QR login and the
official account's in-WeChat authorization), on both backends; and the account rules
that hold for every provider: accounts without contacts, linking, unlinking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from tests.accounts.conftest import Outbox
from tests.accounts.standins import WeChatStandIn, WeChatUser
from veriseal.accounts.errors import LoginFailed
from veriseal.accounts.external.errors import (
    ExternalAuthFailed,
    ExternalIdentityTaken,
    ExternalLastSignIn,
    ExternalProviderUnavailable,
    ExternalProviderUnknown,
    ExternalStateInvalid,
)
from veriseal.accounts.external.service import ExternalSignIn, SignedIn
from veriseal.accounts.external.settings import Configured, ProviderInfo
from veriseal.accounts.external.wechat import WeChatProvider
from veriseal.accounts.models import SYSTEM, Principal, Role, UserStatus
from veriseal.accounts.service import AccountService

REDIRECT = "https://veriseal.example/console/signin/ext/wechat/callback"
ALICE = WeChatUser("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "小爱", unionid="o6_bmasdasdsad6_2sgVt7hMZOPfL")
BOB = WeChatUser("o6_bmjrPTlm6_2sgVt7hMZOPfBOB", "阿宝")


@pytest.fixture
async def wechat() -> AsyncIterator[WeChatStandIn]:
    async with WeChatStandIn() as w:
        yield w


def _provider(
    w: WeChatStandIn, name: str = "wechat", mode: str = "qr", secret: str = ""
) -> Configured:
    return Configured(
        ProviderInfo(name, "wechat", "WeChat", "微信"),
        WeChatProvider(
            name,
            appid=w.appid,
            secret=secret or w.secret,
            mode=mode,
            api_base=w.base,
            open_base=w.base,
        ),
    )


@pytest.fixture
def ext(accounts: AccountService, wechat: WeChatStandIn) -> ExternalSignIn:
    return ExternalSignIn(accounts, [_provider(wechat), _provider(wechat, "wxmp", "mp")])


async def _scan(url: str) -> dict[str, str]:
    """The browser opens the QR page; the person scans it; WeChat redirects back."""
    async with aiohttp.ClientSession() as browser, browser.get(url, allow_redirects=False) as r:
        assert r.status == 302, await r.text()
        return {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}


async def _sign_in(ext: ExternalSignIn, w: WeChatStandIn, who: WeChatUser,
                   provider: str = "wechat") -> SignedIn:  # fmt: skip
    w.user = who
    url = await ext.begin(provider, REDIRECT, "", "b")
    back = await _scan(url)
    return await ext.finish(provider, back["state"], back["code"], REDIRECT, "198.51.100.7", "ua",
                            "b")  # fmt: skip


async def test_qr_sign_in_creates_an_account_without_contacts(
    ext: ExternalSignIn, wechat: WeChatStandIn, accounts: AccountService
) -> None:
    wechat.user = ALICE
    url = await ext.begin("wechat", REDIRECT, "", "b")
    assert url.startswith(f"{wechat.base}/connect/qrconnect?appid={wechat.appid}&redirect_uri=")
    assert url.endswith("#wechat_redirect") and "scope=snsapi_login" in url
    assert "nonce" not in url and "code_challenge" not in url  # not in WeChat's protocol
    back = await _scan(url)
    done = await ext.finish("wechat", back["state"], back["code"], REDIRECT, "c", "ua", "b")
    user = done.user
    assert done.created and (user.email, user.phone, user.display_name) == (None, None, "小爱")
    assert (user.role, user.status) == (Role.CONSUMER, UserStatus.ACTIVE)
    assert (await accounts.authenticate(done.token)).user_id == user.id
    me = await accounts.principal(user)
    [linked] = await ext.identities(me)
    assert (linked.provider, linked.title_zh, linked.display_name) == ("wechat", "微信", "小爱")
    # the secret goes to the token endpoint only, with the code of the callback
    [(path, sent), (info_path, _)] = wechat.requests
    assert path == "/sns/oauth2/access_token" and sent["code"] == back["code"]
    assert info_path == "/sns/userinfo"
    again = await _sign_in(ext, wechat, ALICE)
    assert not again.created and again.user.id == user.id


async def test_the_subject_is_the_unionid_when_there_is_one(
    ext: ExternalSignIn, wechat: WeChatStandIn, accounts: AccountService
) -> None:
    """The official account (in WeChat) and the website are two apps with two openids
    for one person; the unionid joins them, when the apps share an open-platform
    account. Without one, each openid is its own identity."""
    web_login = await _sign_in(ext, wechat, ALICE)
    in_wechat = await _sign_in(ext, wechat, ALICE, "wxmp")
    assert in_wechat.created  # another provider name: another identity
    me = await accounts.principal(web_login.user)
    assert [i.provider for i in await ext.identities(me)] == ["wechat"]
    bob = await _sign_in(ext, wechat, BOB)
    assert bob.created and bob.user.display_name == "阿宝"


async def test_wechat_refusals(
    ext: ExternalSignIn, wechat: WeChatStandIn, accounts: AccountService
) -> None:
    wechat.user = ALICE
    back = await _scan(await ext.begin("wechat", REDIRECT, "", "b"))
    with pytest.raises(ExternalAuthFailed, match="40029"):  # errcode with HTTP 200
        await ext.finish("wechat", back["state"], "not-the-code", REDIRECT, "c", "", "b")
    wrong = ExternalSignIn(accounts, [_provider(wechat, secret="wrong-secret")])
    back = await _scan(await wrong.begin("wechat", REDIRECT, "", "b"))
    with pytest.raises(ExternalAuthFailed, match="40125"):
        await wrong.finish("wechat", back["state"], back["code"], REDIRECT, "c", "", "b")
    with pytest.raises(ExternalProviderUnknown):
        await ext.begin("weibo", REDIRECT)
    gone = ExternalSignIn(accounts, [_provider(wechat)])
    url = await gone.begin("wechat", REDIRECT, "", "b")
    back = await _scan(url)
    await wechat.__aexit__()  # WeChat is unreachable when the code is redeemed
    with pytest.raises(ExternalProviderUnavailable):
        await gone.finish("wechat", back["state"], back["code"], REDIRECT, "c", "", "b")
    assert await accounts.list_users(SYSTEM) == []


async def _full(accounts: AccountService, user_id: int) -> Principal:
    return await accounts.principal(await accounts.store.get_user(user_id))


async def test_linking_and_unlinking(
    ext: ExternalSignIn, wechat: WeChatStandIn, accounts: AccountService, outbox: Outbox
) -> None:
    only = await _sign_in(ext, wechat, ALICE)
    me = await _full(accounts, only.user.id)
    with pytest.raises(ExternalLastSignIn):  # no password, contact, passkey or other identity
        await ext.unlink(me, "wechat")

    # a second identity (the official account) makes the first one removable
    wechat.user = ALICE
    back = await _scan(await ext.begin_link(me, "wxmp", REDIRECT, "/console/account", "b"))
    with pytest.raises(ExternalStateInvalid):  # a link request of wxmp is no wechat callback
        await ext.finish_link(me, "wechat", back["state"], back["code"], REDIRECT, "b")
    back = await _scan(await ext.begin_link(me, "wxmp", REDIRECT, "/console/account", "b"))
    linked = await ext.finish_link(me, "wxmp", back["state"], back["code"], REDIRECT, "b")
    assert linked.provider == "wxmp"
    assert outbox.notices[-1][:2] == (only.user.id, "account.external_linked")
    await ext.unlink(me, "wechat")
    assert outbox.notices[-1][:2] == (only.user.id, "account.external_unlinked")
    assert [i.provider for i in await ext.identities(me)] == ["wxmp"]
    with pytest.raises(ExternalLastSignIn):
        await ext.unlink(me, "wxmp")
    entries = await accounts.audit_log(SYSTEM)
    actions = [e.action for e in entries if e.actor_id == only.user.id]
    assert actions.count("external.link") == 2 and actions.count("external.unlink") == 1

    # another account cannot take the identity over
    bob = await _sign_in(ext, wechat, BOB)
    wechat.user = ALICE
    them = await _full(accounts, bob.user.id)
    back = await _scan(await ext.begin_link(them, "wxmp", REDIRECT, "", "b"))
    with pytest.raises(ExternalIdentityTaken):
        await ext.finish_link(them, "wxmp", back["state"], back["code"], REDIRECT, "b")

    # a password account may unlink its only identity (it still has its password)
    pw = await accounts.create_user(SYSTEM, contact="+8613800138000", display_name="P",
                                    role=Role.CONSUMER, org_id=None,
                                    password="a long passphrase 2")  # fmt: skip
    p = await _full(accounts, pw.id)
    wechat.user = WeChatUser("o-pw-user", "P")
    back = await _scan(await ext.begin_link(p, "wechat", REDIRECT, "", "b"))
    await ext.finish_link(p, "wechat", back["state"], back["code"], REDIRECT, "b")
    await ext.unlink(p, "wechat")


async def test_a_disabled_account_does_not_sign_in(
    ext: ExternalSignIn, wechat: WeChatStandIn, accounts: AccountService
) -> None:
    first = await _sign_in(ext, wechat, ALICE)
    await accounts.set_status(SYSTEM, first.user.id, UserStatus.DISABLED)
    with pytest.raises(LoginFailed):
        await _sign_in(ext, wechat, ALICE)
