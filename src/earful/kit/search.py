"""The feed's search language: words, "exact phrases", prefix*, AND, OR, NOT (or -word).

Words side by side must all appear (AND is implied). OR joins alternatives and binds loosest, so
`gps OR map crash` means `gps OR (map AND crash)`. NOT or a leading minus excludes a word or phrase.
The parsed query is plain data; the store turns it into SQLite FTS5 or PostgreSQL full-text SQL
with every term passed as a value, so nothing a user types is read as search syntax by the engine.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from earful.kit.errors import EarfulError

MAX_TERMS = 20
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[\w']+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase to look for; `prefix` matches words that start with it."""

    words: tuple[str, ...]
    negated: bool = False
    prefix: bool = False

    @property
    def is_phrase(self) -> bool:
        """Return True when the term is several words that must appear in order."""
        return len(self.words) > 1


# A query is a list of alternatives (OR); each alternative is a list of terms that must all hold.
Query = tuple[tuple[Term, ...], ...]


def parse(text: str) -> Query:
    """Return the parsed query, or raise an error that says how to fix it."""
    alternatives: list[list[Term]] = [[]]
    negate_next = False
    count = 0
    for match in _TOKEN.finditer(text.strip()):
        phrase, bare = match.group(1), match.group(2)
        if bare is not None and phrase is None:
            if bare == "OR":
                if not alternatives[-1]:
                    raise EarfulError("OR needs words on both sides, as in: gps OR map.")
                alternatives.append([])
                continue
            if bare == "AND":
                continue
            if bare == "NOT":
                negate_next = True
                continue
        negated = negate_next
        negate_next = False
        raw = phrase if phrase is not None else bare or ""
        if phrase is None and raw.startswith("-") and len(raw) > 1:
            negated, raw = True, raw[1:]
        prefix = phrase is None and raw.endswith("*")
        # Apostrophes only join letters ("don't"); alone or at the edges they are not a word.
        words = tuple(w for w in (word.strip("'").lower() for word in _WORD.findall(raw)) if w)
        if not words:
            continue
        count += 1
        if count > MAX_TERMS:
            raise EarfulError(f"A search may have at most {MAX_TERMS} words or phrases.")
        alternatives[-1].append(Term(words, negated=negated, prefix=prefix and len(words) == 1))
    if not alternatives[-1]:
        if len(alternatives) > 1:
            raise EarfulError("OR needs words on both sides, as in: gps OR map.")
        if text.strip():
            # Only symbols, emoji or operators: searching nothing must not quietly show everything.
            raise EarfulError(
                "The search has no words to search for (symbols and emoji are not searched); "
                "type a word, or clear the box to see every post."
            )
        return ()
    for group in alternatives:
        if all(term.negated for term in group):
            raise EarfulError(
                "Each part of a search needs a word to look for, not only words to exclude "
                "(try: app NOT crash)."
            )
    return tuple(tuple(group) for group in alternatives)


def fts5_expression(query: Query) -> str:
    """Return the query as an SQLite FTS5 MATCH expression, every term quoted as a string."""

    def quoted(term: Term) -> str:
        body = '"' + " ".join(term.words).replace('"', '""') + '"'
        return body + " *" if term.prefix else body

    parts = []
    for group in query:
        wanted = " AND ".join(quoted(t) for t in group if not t.negated)
        unwanted = [quoted(t) for t in group if t.negated]
        expression = f"({wanted})"
        for term in unwanted:
            expression = f"({expression} NOT {term})"
        parts.append(expression)
    return " OR ".join(parts)


_TEXT_WORD = re.compile(r"\w+", re.UNICODE)


def _fold(text: str) -> list[str]:
    """Return the words of `text`, lower-cased and without accents (as the search index sees them)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [w.lower() for w in _TEXT_WORD.findall(plain)]


def matches(query: Query, text: str) -> bool:
    """Tell whether `text` satisfies the query, as the full-text search would (for filtering sources)."""
    if not query:
        return True
    words = _fold(text)
    joined = " " + " ".join(words) + " "

    def holds(term: Term) -> bool:
        wanted = [w for part in term.words for w in _fold(part)]
        if not wanted:
            return False
        if term.prefix:
            return any(w.startswith(wanted[0]) for w in words)
        return f" {' '.join(wanted)} " in joined

    return any(all(holds(t) != t.negated for t in group) for group in query)
