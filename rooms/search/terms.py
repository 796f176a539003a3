"""What a search box's text asks for, parsed once for every engine.

- words: every word must occur (in any form the stemmer relates: "orders"
  finds "ordered"); a word with punctuation inside ("ACME-42", "it's") is
  split by the engine as it splits the messages, and its parts must follow
  each other;
- "a quoted phrase": its words in that order;
- -word (or -"a phrase"): leaves out messages that have it;
- the last word, while it is still being typed (no space after it yet, three
  letters or digits or more), also finds the words it begins ("purch" finds
  "purchase"). Shorter ones are whole words: "PO" finds "PO", never "pong".

The pieces keep the text as typed: each engine tokenizes them with the same
parser it used for the messages (splitting "matrix-secret-9596e97f" on its
own would not give the tokens the engine stored). Each piece reaches the
engine as one quoted string, so nothing typed is ever an operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX_MIN_CHARS = 3
_HAS_WORD = re.compile(r"\w")
_PREFIX = re.compile(rf"\w{{{PREFIX_MIN_CHARS},}}")
_PART = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


@dataclass(frozen=True)
class Terms:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    prefix: str | None = None

    @property
    def positive(self) -> bool:
        """Whether anything must match (an engine cannot search for absences alone)."""
        return bool(self.words or self.phrases or self.prefix)

    def all_words(self) -> list[str]:
        """Every letter-and-digit word that must occur, phrases' included (for file names)."""
        pieces = [*self.words, *self.phrases, *([self.prefix] if self.prefix else [])]
        return [w.lower() for piece in pieces for w in re.findall(r"\w+", piece)]


def parse_terms(text: str) -> Terms:
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    last_bare: str | None = None
    for match in _PART.finditer(text):
        quoted_minus, quoted, minus, bare = match.groups()
        piece = quoted if quoted is not None else bare
        last_bare = None
        if not _HAS_WORD.search(piece):
            continue
        if quoted_minus or minus:
            excluded.append(piece)
        elif quoted is not None:
            phrases.append(piece)
        else:
            words.append(piece)
            last_bare = piece
    prefix = None
    typing = bool(text) and not text[-1].isspace() and not text.endswith('"')
    if typing and last_bare is not None and _PREFIX.fullmatch(last_bare):
        words.pop()
        prefix = last_bare
    return Terms(
        words=tuple(dict.fromkeys(words)),
        phrases=tuple(dict.fromkeys(phrases)),
        excluded=tuple(dict.fromkeys(excluded)),
        prefix=prefix,
    )


def fts5_match(terms: Terms) -> str:
    """The terms in SQLite FTS5's query syntax: each piece one string (a phrase to FTS5)."""
    parts = [_string(piece) for piece in (*terms.words, *terms.phrases)]
    if terms.prefix:
        parts.append(_string(terms.prefix) + "*")
    query = " AND ".join(parts)
    for piece in terms.excluded:
        query += " NOT " + _string(piece)
    return query


def tsquery_prefix(word: str) -> str:
    """``word`` (letters, digits, underscores only) as a prefix in ``to_tsquery`` syntax."""
    return "'" + word.replace("'", "''").replace("\\", "\\\\") + "':*"


def _string(piece: str) -> str:
    return '"' + piece.replace('"', '""') + '"'
