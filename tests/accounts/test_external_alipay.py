"""Sign-in with Alipay against a stand-in of its open platform that checks our RSA2
request signatures and signs its answers; and properties of the signing itself."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.accounts.standins import AlipayStandIn, AlipayUser, new_rsa_key
from veriseal.accounts.external import alipay_sign
from veriseal.accounts.external.alipay import AlipayProvider
from veriseal.accounts.external.errors import ExternalAuthFailed
from veriseal.accounts.external.service import ExternalSignIn, SignedIn
from veriseal.accounts.external.settings import Configured, ProviderInfo
from veriseal.accounts.models import SYSTEM
from veriseal.accounts.service import AccountService

REDIRECT = "https://veriseal.example/console/signin/ext/alipay/callback"
APP_KEY = new_rsa_key()
ZHANG = AlipayUser("2088102104794936", "张三")


@pytest.fixture
async def alipay() -> AsyncIterator[AlipayStandIn]:
    async with AlipayStandIn(APP_KEY.public_key()) as a:
        yield a


def _provider(a: AlipayStandIn, app_key: object = APP_KEY, scope: str = "auth_user") -> Configured:
    return Configured(
        ProviderInfo("alipay", "alipay", "Alipay", "支付宝"),
        AlipayProvider(
            "alipay",
            app_id=a.app_id,
            private_key=app_key,  # type: ignore[arg-type]
            alipay_public_key=a.key.public_key(),
            gateway=f"{a.base}/gateway.do",
            authorize_endpoint=f"{a.base}/oauth2/publicAppAuthorize.htm",
            scope=scope,
        ),
    )


async def _approve(url: str) -> dict[str, str]:
    """The person approves in the Alipay app; Alipay redirects the browser back."""
    async with aiohttp.ClientSession() as browser, browser.get(url, allow_redirects=False) as r:
        assert r.status == 302, await r.text()
        return {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}


async def _sign_in(ext: ExternalSignIn, a: AlipayStandIn) -> SignedIn:
    a.user = ZHANG
    back = await _approve(await ext.begin("alipay", REDIRECT, "", "b"))
    code = back[ext.provider("alipay").code_param]  # Alipay calls it auth_code
    return await ext.finish("alipay", back["state"], code, REDIRECT, "c", "ua", "b")


async def test_sign_in_with_alipay(alipay: AlipayStandIn, accounts: AccountService) -> None:
    ext = ExternalSignIn(accounts, [_provider(alipay)])
    url = await ext.begin("alipay", REDIRECT, "", "b")
    query = parse_qs(urlsplit(url).query)
    assert query["app_id"] == [alipay.app_id] and query["scope"] == ["auth_user"]
    alipay.user = ZHANG
    back = await _approve(url)
    assert "auth_code" in back and "code" not in back
    done = await ext.finish("alipay", back["state"], back["auth_code"], REDIRECT, "c", "ua", "b")
    assert done.created and done.user.display_name == "张三" and done.user.email is None
    [linked] = await ext.identities(await accounts.principal(done.user))
    assert linked.provider == "alipay"
    token_call, info_call = alipay.requests
    assert token_call["method"] == "alipay.system.oauth.token" and token_call["sign_type"] == "RSA2"
    assert token_call["code"] == back["auth_code"]
    assert info_call["method"] == "alipay.user.info.share"
    assert not (await _sign_in(ext, alipay)).created


async def test_an_answer_alipay_did_not_sign_is_refused(
    alipay: AlipayStandIn, accounts: AccountService
) -> None:
    ext = ExternalSignIn(accounts, [_provider(alipay)])
    alipay.mode = "bad-signature"
    with pytest.raises(ExternalAuthFailed, match="signature"):
        await _sign_in(ext, alipay)
    assert await accounts.list_users(SYSTEM) == []


async def test_a_request_signed_with_another_key_is_refused_by_alipay(
    alipay: AlipayStandIn, accounts: AccountService
) -> None:
    ext = ExternalSignIn(accounts, [_provider(alipay, app_key=new_rsa_key())])
    with pytest.raises(ExternalAuthFailed, match=r"isv\.invalid-signature"):
        await _sign_in(ext, alipay)


async def test_without_the_profile_permission_the_sign_in_still_works(
    alipay: AlipayStandIn, accounts: AccountService
) -> None:
    alipay.mode = "no-profile"
    done = await _sign_in(ExternalSignIn(accounts, [_provider(alipay)]), alipay)
    assert done.created and done.user.display_name == "Alipay user"
    base = await _sign_in(ExternalSignIn(accounts, [_provider(alipay, scope="auth_base")]), alipay)
    assert base.user.id == done.user.id
    assert [r["method"] for r in alipay.requests].count("alipay.user.info.share") == 1


# -- the signing itself ------------------------------------------------------------------
_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
# values as Alipay gets them: any text without & or = (those are URL-encoded in transit;
# the sign string holds them raw, so a parser of it needs this restriction, the signer not)
_VALUE = st.text(st.characters(blacklist_characters="&=", blacklist_categories=("Cs",)),
                 max_size=20)  # fmt: skip


@given(st.dictionaries(_NAME, _VALUE | st.none(), max_size=10))
def test_sign_content_is_sorted_name_value_pairs_without_sign_or_empties(
    params: dict[str, str | None],
) -> None:
    text = alipay_sign.sign_content({**params, "sign": "x"})
    kept = {k: v for k, v in params.items() if v and k != "sign"}
    pairs = [p.split("=", 1) for p in text.split("&")] if text else []
    assert [k for k, _ in pairs] == sorted(kept)
    assert dict(pairs) == kept


_KEY, _OTHER_KEY = new_rsa_key(), new_rsa_key()


@settings(deadline=None)  # RSA on a shared, busy machine: timing says nothing here
@given(st.dictionaries(_NAME, _VALUE, min_size=1, max_size=8), st.data())
def test_a_signature_verifies_and_any_change_breaks_it(
    params: dict[str, str], data: st.DataObject
) -> None:
    signature = alipay_sign.sign(params, _KEY)
    public = _KEY.public_key()
    assert alipay_sign.verify_text(alipay_sign.sign_content(params), signature, public)
    assert alipay_sign.verify_text(alipay_sign.sign_content({**params, "sign": signature}),
                                   signature, public)  # fmt: skip
    name = data.draw(st.sampled_from(sorted(params)))
    changed = {**params, name: params[name] + data.draw(st.text(min_size=1, max_size=3))}
    assert not alipay_sign.verify_text(alipay_sign.sign_content(changed), signature, public)
    assert not alipay_sign.verify_text(alipay_sign.sign_content(params), signature,
                                       _OTHER_KEY.public_key())  # fmt: skip
    assert not alipay_sign.verify_text(alipay_sign.sign_content(params), "not base64!", public)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(deadline=None)
@given(st.dictionaries(st.text(max_size=8), _JSON, max_size=5), st.booleans(),
       st.sampled_from([None, 2]))  # fmt: skip
def test_response_nodes_are_cut_out_exactly_as_sent(
    node: dict[str, object], ascii_only: bool, indent: int | None
) -> None:
    """What Alipay signed is the node's text in the body, however it is spaced or escaped:
    the cut-out text parses back to the node, and a signature over it verifies."""
    text = json.dumps(node, ensure_ascii=ascii_only, indent=indent)
    signature = alipay_sign.sign_text(text, _KEY)
    body = f'{{ "alipay_user_info_share_response" : {text} ,\n "sign":"{signature}"}}'
    members = alipay_sign.top_level_spans(body)
    value, raw = members["alipay_user_info_share_response"]
    assert raw == text and value == node
    assert alipay_sign.verify_text(raw, members["sign"][0], _KEY.public_key())


@pytest.mark.parametrize("body", ["", "[]", '{"a":1', '{"a":1}x', '{"a" 1}', '{"a":1,}'])
def test_malformed_bodies_are_refused(body: str) -> None:
    with pytest.raises(ValueError):
        alipay_sign.top_level_spans(body)


def test_keys_load_from_pem_or_bare_base64() -> None:
    der = APP_KEY.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    pkcs1 = APP_KEY.private_bytes(serialization.Encoding.DER,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption())  # fmt: skip
    pem = APP_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()  # fmt: skip
    for text in (pem, base64.b64encode(der).decode(), base64.encodebytes(pkcs1).decode()):
        loaded = alipay_sign.load_private_key(text)
        assert loaded.private_numbers() == APP_KEY.private_numbers()
    public = APP_KEY.public_key()
    spki = public.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    assert alipay_sign.load_public_key(base64.b64encode(spki).decode()) == public
    for bad in ("", "not a key", base64.b64encode(b"junk").decode()):
        with pytest.raises(ValueError):
            alipay_sign.load_private_key(bad)
        with pytest.raises(ValueError):
            alipay_sign.load_public_key(bad)
