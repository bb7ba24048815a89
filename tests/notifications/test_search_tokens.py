"""The search tokenizer (pure): CJK bigrams, words, and query phrases."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal.notifications import search
from veriseal.notifications.errors import SearchQueryInvalid

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
LATIN = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789é")
SEP = st.sampled_from([" ", "，", "。", "-", "\n", "!", "'", '"', "_", "/"])


def test_chinese_is_split_into_bigrams_and_characters() -> None:
    assert search.document_tokens("发现窜货") == ["发现", "现窜", "窜货", "发", "现", "窜", "货"]
    assert search.query_groups("窜货") == [search.Group(("窜货",))]
    assert search.query_groups("窜货警报") == [search.Group(("窜货", "货警", "警报"))]
    assert search.query_groups("窜") == [search.Group(("窜",))]


def test_mixed_text_and_normalisation() -> None:
    assert search.document_tokens("iPhone15窜货！ＡＢＣ") == [
        "iphone15",
        "窜货",
        "窜",
        "货",
        "abc",  # full-width letters are NFKC-normalised
    ]
    assert search.fts5_query(search.query_groups("Low 窜货")) == '"low" AND "窜货"'
    assert search.tsquery_literal(search.query_groups("low 窜货警")) == (
        "('low') & ('窜货' <-> '货警')"
    )


def test_a_query_without_words_is_refused() -> None:
    with pytest.raises(SearchQueryInvalid):
        search.query_groups("  ，。!! ")


texts = st.lists(
    st.one_of(st.text(HAN, min_size=1, max_size=6), st.text(LATIN, min_size=1, max_size=6), SEP),
    max_size=12,
).map("".join)


@given(texts)
def test_tokens_are_plain_words(text: str) -> None:
    """Tokens never hold quotes, spaces or operators, so the FTS5 and tsquery strings
    built from them cannot be broken out of."""
    for tok in search.document_tokens(text):
        assert re.fullmatch(r"[^\W_]+", tok), tok
    literal = search.tsvector_literal(text)
    assert literal.count("'") % 2 == 0


def _occurs(groups: list[search.Group], doc: list[str]) -> bool:
    """Reference matcher: every group's tokens occur at consecutive positions."""
    for g in groups:
        n = len(g.tokens)
        if not any(tuple(doc[i : i + n]) == g.tokens for i in range(len(doc) - n + 1)):
            return False
    return True


@given(
    st.text(HAN, min_size=1, max_size=12),
    st.text(LATIN, max_size=5),
    st.data(),
)
def test_any_piece_of_chinese_text_finds_it(run: str, prefix: str, data: st.DataObject) -> None:
    """Every substring of a CJK run, searched for, matches the text that holds it."""
    i = data.draw(st.integers(0, len(run) - 1))
    j = data.draw(st.integers(i + 1, len(run)))
    doc = search.document_tokens(f"{prefix} {run}。")
    assert _occurs(search.query_groups(run[i:j]), doc)


@given(st.text(HAN, min_size=2, max_size=2), st.text(HAN, min_size=1, max_size=3))
def test_separated_characters_do_not_match_a_word(word: str, gap: str) -> None:
    """``窜…货`` with other characters between does not match ``窜货``."""
    doc_text = word[0] + gap + word[1]
    if word in doc_text:
        return
    assert not _occurs(search.query_groups(word), search.document_tokens(doc_text))
