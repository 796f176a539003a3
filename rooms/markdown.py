"""Markdown source to sanitized HTML, on the server, once per write."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

# Raw HTML in the source is escaped by the parser, and nh3 strips anything the
# parser may still emit that is not on the allow-list: no script, no event
# handler attribute, no javascript: URL ever reaches another browser.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}


# One line of letters, digits, spaces and a little punctuation, starting with a
# letter and ending without a space: nothing in it is Markdown or HTML syntax
# (no list marker or heading can start it, no emphasis, link, code, entity or
# tag can occur), so it renders as a paragraph of itself. Most chat messages
# are such lines; the parser and the sanitizer cost them ~0.3 ms each.
# tests/rooms/test_markdown.py holds it to the full renderer.
_PLAIN_LINE = re.compile(r"[A-Za-z](?:[A-Za-z0-9 ,.;:?-]*[A-Za-z0-9,.;:?-])?")


def render_markdown(source: str) -> str:
    if _PLAIN_LINE.fullmatch(source):
        return f"<p>{source}</p>"
    return render_full(source)


def render_full(source: str) -> str:
    html = _parser.render(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    ).strip()
