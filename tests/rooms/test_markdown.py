"""Markdown to sanitized HTML: the plain-line shortcut renders exactly as the parser does."""

from __future__ import annotations

import random

import pytest

from rooms.markdown import render_full, render_markdown

ALPHABET = "abcXYZ019 ,.;:?-"


@pytest.mark.parametrize(
    "line",
    [
        "plain text",
        "b m12-3 1764561234.123456",
        "Ship the 40 pallets on Monday, not Tuesday.",
        "Is the PPAP ready?",
        "a - b -- c",
        "x:y;z, done.",
        "A",
    ],
)
def test_a_plain_line_renders_as_the_parser_renders_it(line):
    assert render_markdown(line) == render_full(line) == f"<p>{line}</p>"


def test_random_lines_of_the_plain_alphabet_render_as_the_parser_renders_them():
    rng = random.Random(20261201)
    for _ in range(3000):
        line = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30)))
        assert render_markdown(line) == render_full(line), repr(line)


@pytest.mark.parametrize(
    "source",
    [
        "- a list",
        "1. first",
        "# heading",
        "**bold** move",
        "a <script>alert(1)</script>",
        "two\nlines",
        "trailing space ",
        "x_y_z and _under_",
        "see [it](javascript:alert(1))",
        "Tom & Jerry",
    ],
)
def test_anything_else_goes_through_the_parser_and_the_sanitizer(source):
    assert render_markdown(source) == render_full(source)
    assert "<script" not in render_markdown(source)


# --- bare addresses ---------------------------------------------------------------------

LINK = '<a href="{0}" target="_blank" rel="noopener noreferrer nofollow">{0}</a>'


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("see https://a.example/x", f"<p>see {LINK.format('https://a.example/x')}</p>"),
        ("see https://a.example/x.", f"<p>see {LINK.format('https://a.example/x')}.</p>"),
        ("(http://a.example/?q=1&r=2)", f"<p>({LINK.format('http://a.example/?q=1&amp;r=2')})</p>"),
        (
            "https://en.wikipedia.org/wiki/Bolt_(fastener), yes",
            f"<p>{LINK.format('https://en.wikipedia.org/wiki/Bolt_(fastener)')}, yes</p>",
        ),
        ("write mailto:qa@acme.example", f"<p>write {LINK.format('mailto:qa@acme.example')}</p>"),
        ("**https://a.example**", f"<p><strong>{LINK.format('https://a.example')}</strong></p>"),
    ],
)
def test_a_bare_address_becomes_a_safe_link(source, html):
    assert render_markdown(source) == html


@pytest.mark.parametrize(
    "source",
    [
        "`https://a.example`",
        "```\nhttps://a.example\n```",
        "example.com and e.g. www",
        "http:// and mailto: alone",
        "javascript:alert(1) ftp://a.example/x",
    ],
)
def test_code_and_anything_without_a_safe_scheme_stay_text(source):
    assert "<a " not in render_markdown(source)


def test_a_markdown_link_is_not_linked_twice_and_every_link_opens_a_new_tab():
    html = render_markdown("[the spec](https://a.example/spec) https://a.example/spec")
    assert html.count("<a ") == 2
    assert html.count('target="_blank"') == 2
    assert html.count('rel="noopener noreferrer nofollow"') == 2
    assert ">the spec</a>" in html


def test_a_link_to_an_unsafe_scheme_is_no_link():
    html = render_markdown("[x](javascript:alert(1)) [y](data:text/html,hi)")
    assert "<a " not in html and "href" not in html


@pytest.mark.parametrize(
    ("source", "tag"),
    [
        ("- one\n- two", "<ul>"),
        ("1. one\n2. two", "<ol>"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<table>"),
    ],
)
def test_lists_and_tables_render(source, tag):
    assert render_markdown(source).startswith(tag)
