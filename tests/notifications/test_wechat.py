"""WeChat subscribe messages through the outbox worker to a stand-in of the WeChat server
API on loopback (tests/notifications/wechat_api.py): the access token's cache and
refresh, the template data, refused users, retries. Users are the engine's accounts;
their openid is the interim profile field. Both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest

from tests.notifications.conftest import Clock, make_worker
from tests.notifications.wechat_api import APPID, SECRET, WechatApi, wechat_api
from veriseal.accounts.models import SYSTEM, Role, User
from veriseal.accounts.notify_bridge import OPENID_FIELD, ProfileWechatRecipients
from veriseal.accounts.store import Audit
from veriseal.engine import Engine
from veriseal.notifications import Channel, DeliveryStatus, DeliveryWorker, MessageType
from veriseal.notifications.channels.wechat import WechatSender, WechatSettings

TEMPLATE = "TPL-clone-0001"
CLONE = MessageType.CLONE_ALERT


class Ticks:
    """A settable monotonic clock for the token cache."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def wechat() -> AsyncIterator[WechatApi]:
    async with wechat_api() as api:
        api.templates[TEMPLATE] = {"thing1", "thing2", "time3"}
        yield api


SenderFactory = Callable[..., WechatSender]


@pytest.fixture
async def sender(wechat: WechatApi) -> AsyncIterator[SenderFactory]:
    made: list[WechatSender] = []

    def make(ticks: Ticks | None = None, **changes: Any) -> WechatSender:
        settings = WechatSettings(
            appid=APPID,
            secret=SECRET,
            api_base=wechat.base,
            templates={"clone_alert": TEMPLATE},
            page="pages/messages/detail?id={message_id}",
            timeout=5,
        )
        made.append(WechatSender(replace(settings, **changes), clock=ticks or Ticks()))
        return made[-1]

    yield make
    for s in made:
        await s.close()


async def wechat_user(engine: Engine, openid: str | None = "oUser-1") -> User:
    user = await engine.accounts.create_user(  # a consumer: a mini-program's user
        SYSTEM, contact=f"{openid or 'none'}@acme.example", display_name="小王",
        role=Role.CONSUMER, org_id=None,
    )  # fmt: skip
    if openid is not None:  # what the mini-program's sign-in records, for now
        audit = Audit(None, None, "user.wechat", f"user:{user.id}", "test", {})
        user = await engine.accounts.store.update_user(
            user.id, audit, profile={**user.profile, OPENID_FIELD: openid}
        )
    await engine.notifier.preferences.set(user.id, CLONE, channels=(Channel.INBOX, Channel.WECHAT))
    return user


def worker(engine: Engine, s: WechatSender) -> DeliveryWorker:
    return make_worker(engine.ledger, {Channel.WECHAT: s}, Clock(dt.datetime.now(dt.UTC)))


async def test_a_subscribe_message_end_to_end(
    engine: Engine, wechat: WechatApi, sender: SenderFactory
) -> None:
    user = await wechat_user(engine)
    assert await ProfileWechatRecipients(engine.accounts.store).openid(user.id) == "oUser-1"
    wechat.subscribe("oUser-1", TEMPLATE)
    accepted = await engine.notifier.notify(
        user.id,
        CLONE,
        "Suspected copied label / 疑似标签被复制",
        "Code 0123 looks copied: seen in two cities\n\n"
        "码 0123 疑似被复制：两个城市同时出现了同一个码",
    )
    [d] = accepted.deliveries
    assert (d.channel, d.address) == (Channel.WECHAT, "oUser-1")
    report = await worker(engine, sender()).run_once()
    assert report.delivered == 1, report.errors
    [sent] = wechat.sent
    assert sent["touser"] == "oUser-1" and sent["template_id"] == TEMPLATE
    assert sent["page"] == f"pages/messages/detail?id={accepted.message_id}"
    assert sent["miniprogram_state"] == "formal" and sent["lang"] == "zh_CN"
    data = {k: v["value"] for k, v in sent["data"].items()}
    assert data["thing1"] == "疑似标签被复制"
    assert data["thing2"] == "码 0123 疑似被复制：两个城市同时…"  # 20 characters at most
    assert len(data["thing2"]) == 20
    dt.datetime.strptime(data["time3"], "%Y-%m-%d %H:%M")
    assert (await engine.notifier.outbox.get(d.id)).status is DeliveryStatus.DELIVERED


async def test_the_token_is_cached_until_it_nearly_expires(
    engine: Engine, wechat: WechatApi, sender: SenderFactory
) -> None:
    user = await wechat_user(engine)
    wechat.subscribe("oUser-1", TEMPLATE, times=3)
    ticks = Ticks()
    s = sender(ticks)
    for title in ("一", "二"):
        await engine.notifier.notify(user.id, CLONE, title, "")
        assert (await worker(engine, s).run_once()).delivered == 1
    assert wechat.token_fetches == 1
    ticks.now += 7200 - 300  # expires_in minus the margin: renewed before WeChat drops it
    await engine.notifier.notify(user.id, CLONE, "三", "")
    assert (await worker(engine, s).run_once()).delivered == 1
    assert wechat.token_fetches == 2


@pytest.mark.parametrize("how", ["expired", "unknown"])
async def test_an_invalid_token_is_renewed_and_the_send_tried_once_more(
    engine: Engine, wechat: WechatApi, sender: SenderFactory, how: str
) -> None:
    user = await wechat_user(engine)
    wechat.subscribe("oUser-1", TEMPLATE, times=2)
    s = sender()
    await engine.notifier.notify(user.id, CLONE, "一", "")
    assert (await worker(engine, s).run_once()).delivered == 1
    if how == "expired":
        for token in list(wechat.tokens):
            wechat.expire(token)  # 42001
    else:
        wechat.tokens.clear()  # 40001: a token WeChat does not know
    await engine.notifier.notify(user.id, CLONE, "二", "")
    assert (await worker(engine, s).run_once()).delivered == 1
    assert wechat.token_fetches == 2
    assert wechat.answers == [0, 42001 if how == "expired" else 40001, 0]


async def test_a_refusing_user_fails_that_message_for_good(
    engine: Engine, wechat: WechatApi, sender: SenderFactory
) -> None:
    user = await wechat_user(engine)
    wechat.openids.add("oUser-1")  # a user of the mini-program who never tapped "allow"
    [d] = (await engine.notifier.notify(user.id, CLONE, "一", "")).deliveries
    report = await worker(engine, sender()).run_once()
    assert (report.failed, report.retried) == (1, 0)
    failed = await engine.notifier.outbox.get(d.id)
    assert failed.status is DeliveryStatus.FAILED and "43101" in (failed.last_error or "")
    assert wechat.answers == [43101]  # no second try for a refusal


async def test_busy_and_unreachable_are_retried(
    engine: Engine, wechat: WechatApi, sender: SenderFactory
) -> None:
    user = await wechat_user(engine)
    wechat.subscribe("oUser-1", TEMPLATE)
    wechat.busy = 1
    [d] = (await engine.notifier.notify(user.id, CLONE, "一", "")).deliveries
    w = worker(engine, sender())
    assert (await w.run_once()).retried == 1
    pending = await engine.notifier.outbox.get(d.id)
    assert pending.status is DeliveryStatus.PENDING and "-1" in (pending.last_error or "")
    assert isinstance(w.clock, Clock)
    w.clock.advance(10)
    assert (await w.run_once()).delivered == 1
    # a wrong secret: no token, the message waits (the operator fixes the config)
    await engine.notifier.notify(user.id, CLONE, "二", "")
    report = await worker(engine, sender(secret="wrong")).run_once()
    assert report.retried == 1 and "40125" in report.errors[0]


async def test_only_types_with_a_template_and_users_with_an_openid(
    engine: Engine, wechat: WechatApi, sender: SenderFactory
) -> None:
    user = await wechat_user(engine)
    nobody = await wechat_user(engine, openid=None)
    assert (await engine.notifier.notify(nobody.id, CLONE, "一", "")).deliveries == ()
    # a type WeChat is chosen for but no template is configured: fails, never sent
    notice = MessageType.SYSTEM_NOTICE
    await engine.notifier.preferences.set(user.id, notice, channels=(Channel.WECHAT,))
    [d] = (await engine.notifier.notify(user.id, notice, "Hi", "")).deliveries
    report = await worker(engine, sender()).run_once()
    assert report.failed == 1 and wechat.answers == []
    assert "no WeChat template" in ((await engine.notifier.outbox.get(d.id)).last_error or "")
    # by default a type does not go to WeChat (a user turns it on per type)
    await engine.notifier.preferences.set(user.id, CLONE, channels=(Channel.INBOX,))
    assert (await engine.notifier.notify(user.id, CLONE, "二", "")).deliveries == ()
