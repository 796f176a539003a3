"""The database's own full-text engine, behind one small interface.

``matching(messages, terms)`` annotates a queryset of messages with
``text_rank`` (higher is better; null or 0 where the text does not match)
and returns the condition that the text matches; ``snippets`` cuts
the matching passage of a page's messages, the matched words between
``HIT_START`` and ``HIT_END`` (control characters, which message text never
holds: ``hub.validation`` removes them).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import Any, Protocol

from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from rooms.models.messages import Message
from rooms.search.terms import Terms, fts5_match, tsquery_prefix

HIT_START = "\x02"
HIT_END = "\x03"
ELLIPSIS = "…"
# The text search configuration of the PostgreSQL index (migration 0008):
# a query must name the same one, or the index is not used.
PG_CONFIG = "english"
FTS_TABLE = "rooms_message_fts"
# A message up to this long is its own snippet, every match marked; a longer
# one is cut to the passages around its matches.
WHOLE_MESSAGE_CHARS = 300


class Engine(Protocol):
    def matching(
        self, messages: QuerySet[Message], terms: Terms
    ) -> tuple[QuerySet[Message], Q]: ...

    def snippets(self, ids: Iterable[int], terms: Terms) -> dict[int, str]: ...


class PostgresEngine:
    def matching(self, messages: QuerySet[Message], terms: Terms) -> tuple[QuerySet[Message], Q]:
        from django.contrib.postgres.search import SearchRank, SearchVector

        vector = SearchVector("body", config=PG_CONFIG)
        query = _pg_query(terms)
        # alias, not annotate: the vector is only matched, never sent back.
        ranked = messages.alias(found=vector).annotate(
            text_rank=SearchRank(F("found"), query, cover_density=True)
        )
        return ranked, Q(found=query)

    def snippets(self, ids: Iterable[int], terms: Terms) -> dict[int, str]:
        from django.contrib.postgres.search import SearchHeadline

        query = _pg_query(terms)
        headline = Case(
            When(
                Q(body_length__lte=WHOLE_MESSAGE_CHARS),
                then=SearchHeadline(
                    "body",
                    query,
                    config=PG_CONFIG,
                    start_sel=HIT_START,
                    stop_sel=HIT_END,
                    highlight_all=True,
                ),
            ),
            default=SearchHeadline(
                "body",
                query,
                config=PG_CONFIG,
                start_sel=HIT_START,
                stop_sel=HIT_END,
                max_words=28,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=f" {ELLIPSIS} ",
            ),
        )
        rows = (
            Message.objects.filter(pk__in=list(ids))
            .alias(body_length=Length("body"))
            .annotate(snippet=headline)
        )
        return dict(rows.values_list("pk", "snippet"))


def _pg_query(terms: Terms) -> Any:
    """Each piece parsed by PostgreSQL as it parsed the messages (``phraseto_tsquery``)."""
    from django.contrib.postgres.search import SearchQuery

    def phrase(piece: str) -> SearchQuery:
        return SearchQuery(piece, search_type="phrase", config=PG_CONFIG)

    parts = [phrase(piece) for piece in (*terms.words, *terms.phrases)]
    if terms.prefix:
        parts.append(SearchQuery(tsquery_prefix(terms.prefix), search_type="raw", config=PG_CONFIG))
    query = functools.reduce(operator.and_, parts)
    for piece in terms.excluded:
        query &= ~phrase(piece)
    return query


class SqliteEngine:
    def matching(self, messages: QuerySet[Message], terms: Terms) -> tuple[QuerySet[Message], Q]:
        match = fts5_match(terms)
        # bm25() is lower for better matches; negated, higher is better here too.
        rank = RawSQL(
            f"SELECT -bm25({FTS_TABLE}) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = rooms_message.id",
            [match],
            output_field=FloatField(),
        )
        found = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
        return messages.annotate(text_rank=rank), Q(pk__in=found)

    def snippets(self, ids: Iterable[int], terms: Terms) -> dict[int, str]:
        ids = list(ids)
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, CASE WHEN length(body) <= %s "
                f"THEN highlight({FTS_TABLE}, 0, %s, %s) "
                f"ELSE snippet({FTS_TABLE}, 0, %s, %s, %s, 24) END "
                f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid IN ({marks})",
                [
                    WHOLE_MESSAGE_CHARS,
                    HIT_START,
                    HIT_END,
                    HIT_START,
                    HIT_END,
                    ELLIPSIS,
                    fts5_match(terms),
                    *ids,
                ],
            )
            return dict(cursor.fetchall())


def engine() -> Engine:
    return PostgresEngine() if connection.vendor == "postgresql" else SqliteEngine()
