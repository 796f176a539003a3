"""Every place that starts Daphne passes the same transport flags (config/serving.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.serving import DAPHNE_ARGS
from tests.live import daphne_argv

BASE_DIR = Path(__file__).resolve().parents[2]
FLAGS = " ".join(DAPHNE_ARGS)


def daphne_command_lines(name: str) -> list[str]:
    """The file's lines that start Daphne, with its DAPHNE_FLAGS variable expanded."""
    text = (BASE_DIR / name).read_text()
    # Makefile `DAPHNE_FLAGS := ...`, README's shell `DAPHNE_FLAGS="..."`.
    defined = re.search(r'^DAPHNE_FLAGS\s*:?=\s*"?([^"\n]*)"?$', text, re.M)
    flags = defined.group(1).strip() if defined else "(DAPHNE_FLAGS undefined)"
    return [
        line.replace("$(DAPHNE_FLAGS)", flags).replace("$DAPHNE_FLAGS", flags)
        for line in text.splitlines()
        if re.search(r"\bdaphne\b.*config\.asgi", line)
    ]


@pytest.mark.parametrize("name", ["Makefile", "Procfile", "README.md"])
def test_each_documented_daphne_command_raises_the_websocket_limit(name):
    lines = daphne_command_lines(name)

    assert lines, f"no daphne command in {name}"
    for line in lines:
        assert FLAGS in line, f"{name}: {line.strip()}"


def test_the_test_servers_raise_it_too():
    assert FLAGS in " ".join(daphne_argv(8000))
