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
