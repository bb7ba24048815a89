"""How the returns pages read their forms (pure functions, properties over generated
forms): the scanning field's codes in order without blank lines, plus the one typed;
an inspection form's radio groups as the accepted and rejected codes, nothing else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict, MultiDictProxy

from veriseal_commerce.console_returns import codes_of
from veriseal_commerce.console_returns_review import _decisions

_CODE = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)
_PAD = st.sampled_from(["", " ", "\t", "  "])


@given(st.lists(st.tuples(_PAD, _CODE, _PAD)), st.lists(_PAD), st.one_of(st.just(""), _CODE))
def test_codes_are_the_lines_then_the_typed_one(
    lines: list[tuple[str, str, str]], blanks: list[str], typed: str
) -> None:
    text = "\n".join([f"{a}{c}{b}" for a, c, b in lines] + blanks)
    form = MultiDictProxy(MultiDict({"codes": text.replace("\n", "\r\n"), "code": typed}))
    assert codes_of(form) == [c for _, c, _ in lines] + ([typed] if typed else [])


_VERDICT = st.sampled_from(["accept", "reject", "skip", ""])
_OTHER = st.sampled_from(["reason", "client_id", "dx", "d", "_csrf"])


@given(st.lists(st.tuples(_VERDICT, _CODE), max_size=20), st.dictionaries(_OTHER, _CODE))
def test_decisions_are_the_radio_groups_only(
    groups: list[tuple[str, str]], others: dict[str, str]
) -> None:
    form = MultiDict({f"d{n}": f"{v}|{c}" for n, (v, c) in enumerate(groups)})
    form.update({k: f"accept|{v}" for k, v in others.items()})  # never read as a group
    accepted, rejected = _decisions(MultiDictProxy(form))
    assert accepted == [c for v, c in groups if v == "accept"]
    assert rejected == [c for v, c in groups if v == "reject"]
