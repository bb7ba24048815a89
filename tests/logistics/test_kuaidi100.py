"""快递100's push read into our events: the signature, the form, the param shape, and
that no param of any shape crashes the reader (a coded error or events)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal import VerisealError
from veriseal_logistics import kuaidi100
from veriseal_logistics.intake_errors import PushInvalid, SignatureInvalid
from veriseal_logistics.statuses import Status

SALT = "s3cret-salt"


def push_param(status: str = "polling", data: Any = None,
               **last: Any) -> dict[str, Any]:  # fmt: skip
    """A push as 快递100 documents it (newest checkpoint first)."""
    rows = data if data is not None else [
        {"context": "[深圳市] 快件已签收", "time": "2026-12-03 15:20:00",
         "ftime": "2026-12-03 15:20:00", "status": "签收", "statusCode": "301",
         "areaCode": "CN440300000000", "areaName": "广东,深圳市",
         "areaCenter": "114.057868,22.543099", "areaPinYin": "shen zhen shi"},
        {"context": "[深圳市] 派件中", "time": "2026-12-03 09:01:10",
         "ftime": "2026-12-03 09:01:10", "status": "派件", "statusCode": "5",
         "areaCode": "CN440300000000", "areaName": "广东,深圳市"},
        {"context": "[上海市] 已揽收", "time": "2026-12-01 18:00:00",
         "ftime": "2026-12-01 18:00:00", "status": "揽收", "statusCode": "1"},
    ]  # fmt: skip
    result = {
        "message": "ok",
        "state": "3",
        "status": "200",
        "condition": "F00",
        "ischeck": "1",
        "com": "shunfeng",
        "nu": "SF1001",
        "data": rows,
        **last,
    }
    return {"status": status, "billstatus": "check", "message": "", "autoCheck": "0",
            "comOld": "", "comNew": "", "lastResult": result}  # fmt: skip


def test_sign_is_upper_md5_of_param_and_salt() -> None:
    # MD5("abc" + "") is the well-known 900150983cd24fb0d6963f7d28e17f72
    assert kuaidi100.sign("ab", "c") == "900150983CD24FB0D6963F7D28E17F72"


def test_verify_accepts_upper_and_lower_case_and_refuses_the_rest() -> None:
    param = json.dumps(push_param(), ensure_ascii=False)
    good = kuaidi100.sign(param, SALT)
    kuaidi100.verify(param, good, SALT)
    kuaidi100.verify(param, good.lower(), SALT)
    for bad in ("", good[:-1], "0" * 32, "签名", kuaidi100.sign(param + " ", SALT)):
        with pytest.raises(SignatureInvalid) as caught:
            kuaidi100.verify(param, bad, SALT)
        assert caught.value.code == "logistics_signature_invalid"
        assert caught.value.http_status == 403
    with pytest.raises(SignatureInvalid):  # no salt set: no push is trusted
        kuaidi100.verify(param, kuaidi100.sign(param, ""), "")


def test_read_form_takes_param_and_sign_once_each() -> None:
    body = urlencode({"param": '{"a": "深圳"}', "sign": "ABC"}).encode()
    assert kuaidi100.read_form(body) == ('{"a": "深圳"}', "ABC")
    for bad in (b"", b"param=1", b"sign=1", b"param=1&param=2&sign=3", b"\xff\xfe=1",
                b"param=%ff&sign=1"):  # fmt: skip
        with pytest.raises(PushInvalid):
            kuaidi100.read_form(bad)


def test_a_push_reads_into_events_in_utc_with_statuses_and_places() -> None:
    push = kuaidi100.read_param(json.dumps(push_param(), ensure_ascii=False))
    assert (push.status, push.carrier, push.tracking_no, push.stores) == (
        "polling",
        "shunfeng",
        "SF1001",
        True,
    )
    delivered, _out, picked = push.events
    assert delivered.at == dt.datetime(2026, 12, 3, 7, 20, tzinfo=dt.UTC)  # 15:20 China time
    assert [e.status for e in push.events] == [
        Status.DELIVERED,
        Status.OUT_FOR_DELIVERY,
        Status.PICKED_UP,
    ]
    assert delivered.raw_status == "签收/301"
    assert delivered.description == "[深圳市] 快件已签收"
    assert delivered.area_code == "CN440300000000"
    assert delivered.place.located and delivered.place.city == "440300"
    assert picked.place.name == "" and not picked.place.located
    assert all(e.key == "" for e in push.events)  # no event id: the store keys by content


def test_without_resultv2_the_newest_takes_the_state_the_rest_are_in_transit() -> None:
    rows = [{"context": "签收", "time": "2026-12-03 15:20:00"},
            {"context": "到达", "time": "2026-12-02 10:00:00"}]  # fmt: skip
    push = kuaidi100.read_param(json.dumps(push_param(data=rows)))
    assert [e.status for e in push.events] == [Status.DELIVERED, Status.IN_TRANSIT]


def test_abort_stores_nothing_and_shutdown_keeps_the_final_events() -> None:
    abort = push_param("abort")
    abort["message"] = "3天查询无记录"
    read = kuaidi100.read_param(json.dumps(abort, ensure_ascii=False))
    assert (read.stores, read.events, read.message) == (False, (), "3天查询无记录")
    bare = kuaidi100.read_param(json.dumps({"status": "abort", "message": "60天无变化"}))
    assert not bare.stores
    final = kuaidi100.read_param(json.dumps(push_param("shutdown")))
    assert final.stores and final.events[0].status is Status.DELIVERED


def test_a_corrected_carrier_code_keeps_the_submitted_one() -> None:
    p = push_param(com="yuantong")
    p.update(autoCheck="1", comOld="shunfeng", comNew="yuantong")
    push = kuaidi100.read_param(json.dumps(p))
    assert push.carriers == ("yuantong", "shunfeng")


@pytest.mark.parametrize("param", [
    "", "[]", "null", "{", '{"status": "polling"}', '{"status": "weird", "lastResult": {}}',
    json.dumps(push_param(com="")), json.dumps(push_param(nu=None)),
    json.dumps(push_param(data=[{"context": "x", "time": "yesterday"}])),
    json.dumps(push_param(data=["not an object"])),
    json.dumps(push_param(data={"a": 1})),
    json.dumps(push_param(data=[{"context": "a\u0000b", "time": "2026-12-01 10:00:00"}])),
    json.dumps(push_param(data=[{"context": "\ud800", "time": "2026-12-01 10:00:00"}])),
    "[" * 100_000,
])  # fmt: skip
def test_malformed_params_are_coded_400s(param: str) -> None:
    with pytest.raises(PushInvalid) as caught:
        kuaidi100.read_param(param)
    assert caught.value.code == "logistics_push_invalid" and caught.value.http_status == 400


def test_answers_are_in_kuaidi100s_shape() -> None:
    assert kuaidi100.success() == {"result": True, "returnCode": "200", "message": "成功"}
    no = kuaidi100.failure(403, "logistics_signature_invalid", "bad")
    assert no["result"] is False and no["returnCode"] == "403"
    assert no["code"] == no["error"]["code"] == "logistics_signature_invalid"


_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
_json = st.recursive(
    _scalar,
    lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.text(max_size=12), c, max_size=5)
    ),
    max_leaves=25,
)
_item = st.fixed_dictionaries({}, optional={
    k: st.one_of(_scalar, st.just("2026-12-01 10:00:00"), st.just("CN440300000000"),
                 st.just("114.05,22.54"), st.sampled_from(["在途", "签收", "301", "1001"]))
    for k in ("context", "time", "ftime", "status", "statusCode", "areaCode", "areaName",
              "areaCenter", "location")})  # fmt: skip
_param = st.fixed_dictionaries({}, optional={
    "status": st.one_of(st.sampled_from(sorted(kuaidi100.PUSH_STATUSES)), _scalar),
    "message": _scalar, "autoCheck": st.one_of(st.just("1"), _scalar), "comOld": _scalar,
    "lastResult": st.one_of(_json, st.fixed_dictionaries({}, optional={
        "com": st.one_of(st.just("sf"), _scalar), "nu": st.one_of(st.just("1"), _scalar),
        "state": _scalar, "data": st.one_of(st.lists(st.one_of(_item, _json), max_size=4),
                                            _json)})),
})  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(_param, _json))
def test_any_param_is_events_or_a_coded_error(value: Any) -> None:
    try:
        push = kuaidi100.read_param(json.dumps(value))
    except VerisealError as exc:
        assert exc.code == "logistics_push_invalid"
        return
    for e in push.events:
        assert e.at.tzinfo is dt.UTC and isinstance(e.status, Status)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_form_body_is_a_pair_or_a_coded_error(body: bytes) -> None:
    try:
        param, sign = kuaidi100.read_form(body)
    except PushInvalid:
        return
    assert isinstance(param, str) and isinstance(sign, str)
