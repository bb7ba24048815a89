"""Search tokens for full-text search, identical on SQLite FTS5 and PostgreSQL.

Neither backend's stock tokenizer splits Chinese: FTS5's ``unicode61`` keeps a run of
Han characters as ONE token and PostgreSQL's parser does the same (and depends on the
database locale), so searching ``窜货`` would not find ``发现窜货行为``. FTS5's
``trigram`` tokenizer needs queries of at least three characters, and most Chinese
words have two. So this module tokenizes in Python and both backends only store and
match the resulting tokens (each dialect encodes them: FTS5 over space-separated
tokens; PostgreSQL a ``tsvector`` literal with positions, bypassing its parser):

- text is NFKC-normalised and case-folded;
- a run of letters/digits that are not CJK is one token (``iPhone15`` -> ``iphone15``);
- a run of CJK characters c1..cn gives the overlapping bigrams c1c2 ... c(n-1)cn at
  consecutive positions, then each single character (so a one-character query matches);
  a run of one character gives that character.

A query is tokenized the same way: each word must occur (AND), and a CJK run of two or
more characters must occur as a phrase of its bigrams (adjacent, in order), so ``窜货``
matches the text ``窜货`` but not ``窜...货``.

Pure functions, no I/O: the dialects (:mod:`veriseal.ledger.dialects`) turn tokens into
SQL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_RUN = re.compile(r"[^\W_]+")
# Han (incl. extension A, compatibility ideographs, extensions B+), kana, Hangul syllables
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]+"
)


@dataclass(frozen=True)
class SearchTerm:
    """One query term: a single token, or a phrase of adjacent tokens."""

    tokens: tuple[str, ...]


def _segments(text: str) -> list[tuple[str, bool]]:
    """(segment, is_cjk) for each letter/digit run, CJK runs split from the rest."""
    out: list[tuple[str, bool]] = []
    norm = unicodedata.normalize("NFKC", text).casefold()
    for run in _RUN.findall(norm):
        pos = 0
        for m in _CJK.finditer(run):
            if m.start() > pos:
                out.append((run[pos : m.start()], False))
            out.append((m.group(), True))
            pos = m.end()
        if pos < len(run):
            out.append((run[pos:], False))
    return out


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_tokens(text: str) -> list[str]:
    """The tokens indexed for ``text``, in position order. Each token holds letters and
    digits only, so the dialects' literal forms cannot be broken out of."""
    tokens: list[str] = []
    for seg, cjk in _segments(text):
        if not cjk or len(seg) == 1:
            tokens.append(seg)
        else:
            tokens.extend(_bigrams(seg))
            tokens.extend(seg)  # single characters, after the run's bigrams
    return tokens


def search_terms(query: str) -> list[SearchTerm]:
    """The terms of a search query, all of which a matching document holds. Empty when
    the query has no letter or digit at all: the caller decides what that means (the
    inbox refuses it with its own coded error)."""
    return [
        SearchTerm(tuple(_bigrams(seg)) if cjk and len(seg) > 1 else (seg,))
        for seg, cjk in _segments(query)
    ]
