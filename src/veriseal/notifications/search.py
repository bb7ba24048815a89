"""Search tokens for message history, identical on SQLite FTS5 and PostgreSQL.

Neither backend's stock tokenizer splits Chinese: FTS5's ``unicode61`` keeps a run of
Han characters as ONE token and PostgreSQL's parser does the same (and depends on the
database locale), so searching ``窜货`` would not find ``发现窜货行为``. FTS5's
``trigram`` tokenizer needs queries of at least three characters, and most Chinese
words have two. So this module tokenizes in Python and both backends only store and
match the resulting tokens (FTS5 over space-separated tokens; PostgreSQL a ``tsvector``
literal with positions, bypassing its parser):

- text is NFKC-normalised and case-folded;
- a run of letters/digits that are not CJK is one token (``iPhone15`` -> ``iphone15``);
- a run of CJK characters c1..cn gives the overlapping bigrams c1c2 ... c(n-1)cn at
  consecutive positions, then each single character (so a one-character query matches);
  a run of one character gives that character.

A query is tokenized the same way: each word must occur (AND), and a CJK run of two or
more characters must occur as a phrase of its bigrams (adjacent, in order), so ``窜货``
matches the text ``窜货`` but not ``窜...货``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from veriseal.notifications.errors import SearchQueryInvalid

_RUN = re.compile(r"[^\W_]+")
# Han (incl. extension A, compatibility ideographs, extensions B+), kana, Hangul syllables
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]+"
)
#: PostgreSQL positions stop at 16,383; later tokens are still indexed, at that position.
MAX_POSITION = 16_383


@dataclass(frozen=True)
class Group:
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
    """The tokens indexed for ``text``, in position order."""
    tokens: list[str] = []
    for seg, cjk in _segments(text):
        if not cjk or len(seg) == 1:
            tokens.append(seg)
        else:
            tokens.extend(_bigrams(seg))
            tokens.extend(seg)  # single characters, after the run's bigrams
    return tokens


def query_groups(query: str) -> list[Group]:
    """The terms of a search query. ``SearchQueryInvalid`` if it has no word at all."""
    groups = [
        Group(tuple(_bigrams(seg)) if cjk and len(seg) > 1 else (seg,))
        for seg, cjk in _segments(query)
    ]
    if not groups:
        raise SearchQueryInvalid(f"nothing to search for in {query!r}: give a word")
    return groups


def fts5_document(text: str) -> str:
    """The text stored in the FTS5 table (tokens contain no separator, so unicode61 keeps
    each one whole)."""
    return " ".join(document_tokens(text))


def fts5_query(groups: list[Group]) -> str:
    """An FTS5 MATCH expression: every group as a quoted phrase, ANDed. Tokens hold only
    letters and digits, so quoting cannot be broken out of."""
    return " AND ".join('"' + " ".join(g.tokens) + '"' for g in groups)


def tsvector_literal(text: str) -> str:
    """A PostgreSQL ``tsvector`` literal (``'tok':1,5 'other':2``) of ``text``."""
    positions: dict[str, list[int]] = {}
    for i, tok in enumerate(document_tokens(text), start=1):
        positions.setdefault(tok, []).append(min(i, MAX_POSITION))
    return " ".join(
        f"'{tok}':{','.join(str(p) for p in sorted(set(ps))[:256])}"
        for tok, ps in positions.items()
    )


def tsquery_literal(groups: list[Group]) -> str:
    """A PostgreSQL ``tsquery`` literal: groups ANDed, a phrase's tokens joined by ``<->``."""
    return " & ".join("(" + " <-> ".join(f"'{t}'" for t in g.tokens) + ")" for g in groups)
