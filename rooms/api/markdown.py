"""``POST /api/markdown/preview/``: the composer's preview, by the one renderer."""

from __future__ import annotations

from django.http import JsonResponse

from hub.http import AuthedRequest, api, body
from rooms.markdown import render_markdown
from rooms.schemas import MarkdownPreview


@api(("POST",))
def preview(request: AuthedRequest) -> JsonResponse:
    """The HTML a message with this text would show: cleaned and rendered exactly as
    ``message.send`` stores it. Stores nothing; the body is limited as a message's."""
    text = body(request, MarkdownPreview).body
    return JsonResponse({"html": render_markdown(text)})
