"""Markdown source to sanitized HTML, on the server, once per write.

The one renderer: a message's HTML and the composer's preview
(``POST /api/markdown/preview/``) both come from ``render_markdown``.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# A bare address with its scheme: http, https, or mailto. Trailing
# punctuation ends a sentence, not the address ("see https://a.example/x.").
# Nothing without a scheme is linked ("example.com", "e.g."), so a plain line
# (``_PLAIN_LINE``) never holds a link.
_BARE_URL = re.compile(r"(?:https?://|mailto:)[^\s<>\"'`]+", re.IGNORECASE)
_SCHEME_ONLY = re.compile(r"(?:https?:/*|mailto:)", re.IGNORECASE)
_TRAILING = ".,;:!?)]}*_~"


def _url_end(url: str) -> str:
    """``url`` without the punctuation that ends the sentence around it.

    A closing parenthesis stays when the address opened one itself
    ("https://en.wikipedia.org/wiki/Bolt_(fastener)").
    """
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _link_tokens(text: str, level: int) -> list[Token]:
    """``text`` as text tokens and links around its bare addresses."""
    tokens: list[Token] = []
    at = 0
    for match in _BARE_URL.finditer(text):
        url = _url_end(match.group())
        if _SCHEME_ONLY.fullmatch(url):
            continue
        start = match.start()
        if start > at:
            plain = Token("text", "", 0, content=text[at:start], level=level)
            tokens.append(plain)
        link = Token("link_open", "a", 1, attrs={"href": url}, level=level, markup="linkify")
        label = Token("text", "", 0, content=url, level=level + 1)
        tokens += [link, label, Token("link_close", "a", -1, level=level, markup="linkify")]
        at = start + len(url)
    if at < len(text):
        tokens.append(Token("text", "", 0, content=text[at:], level=level))
    return tokens


def _linkify(state: StateCore) -> None:
    """Bare addresses in text become links; never inside a link or code.

    markdown-it's own ``linkify`` option needs linkify-it-py; this rule needs
    nothing more, and links only what carries a scheme.
    """
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            if token.type == "text" and not in_link and _BARE_URL.search(token.content):
                children += _link_tokens(token.content, token.level)
            else:
                children.append(token)
        block.children = children


# Raw HTML in the source is escaped by the parser, and nh3 strips anything the
# parser may still emit that is not on the allow-list: no script, no event
# handler attribute, no javascript: URL ever reaches another browser.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)
_parser.core.ruler.push("bare_links", _linkify)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}
# Every link opens in a new tab, and tells the target nothing (``link_rel``).
SET_ATTRIBUTES = {"a": {"target": "_blank"}}


# One line of letters, digits, spaces and a little punctuation, starting with a
# letter and ending without a space: nothing in it is Markdown or HTML syntax
# (no list marker or heading can start it, no emphasis, link, code, entity or
# tag can occur, and no bare address: they need "/" or "@"), so it renders
# as a paragraph of itself. Most chat messages are such lines; the parser and
# the sanitizer cost them ~0.3 ms each.
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
        set_tag_attribute_values=SET_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    ).strip()
