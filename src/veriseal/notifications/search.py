"""Message-history search: the shared tokenizer, and the inbox's rule for empty queries.

Tokenizing (words; CJK text as overlapping bigrams plus single characters) and the
backends' encodings of the tokens live with the SQL dialects
(:mod:`veriseal.ledger.dialects.search`); the names are re-exported here for the
notification modules and their tests.
"""

from __future__ import annotations

from veriseal.ledger.dialects.postgres import MAX_POSITION, tsquery_literal, tsvector_literal
from veriseal.ledger.dialects.search import SearchTerm, document_tokens, search_terms
from veriseal.ledger.dialects.sqlite import fts5_document, fts5_query
from veriseal.notifications.errors import SearchQueryInvalid

__all__ = [
    "MAX_POSITION",
    "Group",
    "document_tokens",
    "fts5_document",
    "fts5_query",
    "query_groups",
    "tsquery_literal",
    "tsvector_literal",
]

#: One query term (a token, or a phrase of adjacent tokens).
Group = SearchTerm


def query_groups(query: str) -> list[Group]:
    """The terms of a search query. ``SearchQueryInvalid`` if it has no word at all."""
    groups = search_terms(query)
    if not groups:
        raise SearchQueryInvalid(f"nothing to search for in {query!r}: give a word")
    return groups
