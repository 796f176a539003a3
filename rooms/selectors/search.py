"""Search: the messages a person may read now that match what they typed and chose.

Scope is decided at the time of the query, by the same rule as reading a
room (``readable_rooms``): a person who left a room no longer finds its
messages, and nobody finds a room they are not in (the partner never finds
an internal room's notes: they are not its members). The text is matched by
the database's full-text engine (``rooms.search``); a message is also found
by its files' names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from hub.errors import Invalid
from hub.models import User
from rooms.models.files import Attachment
from rooms.models.messages import Message
from rooms.schemas import SearchQuery
from rooms.search.engine import HIT_END, HIT_START, engine
from rooms.search.terms import Terms, parse_terms
from rooms.selectors.access import readable_rooms
from rooms.wire.types import SnippetPart

PAGE_SIZE = 20
# Deeper than this, narrowing the search serves better than paging.
MAX_OFFSET = 500
PLAIN_SNIPPET_CHARS = 200


@dataclass(frozen=True)
class Hit:
    message: Message
    # The matching passage, in pieces: what matched, and what lies around it.
    snippet: list[SnippetPart]


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    next_offset: int | None


def search_messages(user: User, params: SearchQuery) -> SearchPage:
    terms = parse_terms(params.q)
    if not terms.positive and not params.filtered():
        raise Invalid("Type a word to look for, or choose a filter.")
    offset = params.offset or 0
    if offset > MAX_OFFSET:
        raise Invalid(f"`offset` must be at most {MAX_OFFSET}; narrow the search instead.")
    messages = _filtered(
        Message.objects.filter(room__in=readable_rooms(user), deleted_at__isnull=True), params
    )
    if terms.positive:
        messages = _matching(messages, terms).order_by(F("rank").desc(), "-created_at", "-id")
    else:
        messages = messages.order_by("-created_at", "-id")
    page = list(
        messages.select_related("author__organization", "room").prefetch_related(
            "mentions", "attachments__upload", "reactions__user__organization"
        )[offset : offset + PAGE_SIZE + 1]
    )
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    snippets = engine().snippets([m.pk for m in page], terms) if terms.positive else {}
    hits = [Hit(m, _pieces(snippets.get(m.pk) or _opening(m.body))) for m in page]
    return SearchPage(hits, offset + PAGE_SIZE if more else None)


def _filtered(messages: QuerySet[Message], params: SearchQuery) -> QuerySet[Message]:
    if params.room is not None:
        messages = messages.filter(room_id=params.room)
    if params.person is not None:
        messages = messages.filter(author_id=params.person)
    if params.organization is not None:
        messages = messages.filter(author__organization_id=params.organization)
    if params.after is not None:
        messages = messages.filter(created_at__gte=params.after)
    if params.before is not None:
        messages = messages.filter(created_at__lt=params.before)
    if params.in_thread is not None:
        messages = messages.filter(thread_root__isnull=not params.in_thread)
    if params.has_files is not None:
        has = Exists(Attachment.objects.filter(message=OuterRef("pk")))
        messages = messages.filter(has if params.has_files else ~has)
    return messages


def _matching(messages: QuerySet[Message], terms: Terms) -> QuerySet[Message]:
    """Text matches, ranked by the engine, and messages whose files are named so (rank 0)."""
    ranked, text_match = engine().matching(messages, terms)
    named = Attachment.objects.all()
    for word in terms.all_words():
        named = named.filter(upload__name__icontains=word)
    by_name = Q(pk__in=named.values("message_id"))
    return ranked.annotate(rank=Coalesce("text_rank", 0.0)).filter(text_match | by_name)


def _pieces(marked: str) -> list[SnippetPart]:
    """The engine's passage, its matched words between ``HIT_START`` and ``HIT_END``, in pieces."""
    pieces: list[SnippetPart] = []
    for i, part in enumerate(re.split(f"[{HIT_START}{HIT_END}]", marked)):
        if part:
            pieces.append({"text": part, "hit": i % 2 == 1})
    return pieces


def _opening(body: str) -> str:
    if len(body) <= PLAIN_SNIPPET_CHARS:
        return body
    return body[:PLAIN_SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
