"""A body larger than any upload is refused before it is read (config/bodylimit.py)."""

from __future__ import annotations

import json
from typing import Any

from asgiref.testing import ApplicationCommunicator

from config.bodylimit import BodyLimit, body_limit


class Recorder:
    """An app behind the limit: records what it read, answers 200."""

    def __init__(self) -> None:
        self.read: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            self.read.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope(length: int | str | None) -> dict[str, Any]:
    headers = [] if length is None else [(b"content-length", str(length).encode())]
    return {"type": "http", "method": "POST", "path": "/api/rooms/1/files/", "headers": headers}


async def test_a_declared_length_over_the_limit_is_413_and_nothing_is_read(settings: Any) -> None:
    settings.CAUSEWAY_FILE_MAX_BYTES = 1000
    app = Recorder()
    comm = ApplicationCommunicator(BodyLimit(app), scope(body_limit() + 1))
    await comm.send_input({"type": "http.request", "body": b"x", "more_body": True})
    start = await comm.receive_output()
    body = await comm.receive_output()
    assert start["status"] == 413
    assert json.loads(body["body"])["error"]["code"] == "too_large"
    assert app.read == []


async def test_a_body_within_the_limit_reaches_the_app(settings: Any) -> None:
    settings.CAUSEWAY_FILE_MAX_BYTES = 1000
    app = Recorder()
    comm = ApplicationCommunicator(BodyLimit(app), scope(500))
    await comm.send_input({"type": "http.request", "body": b"x" * 500})
    assert (await comm.receive_output())["status"] == 200
    assert app.read[0]["body"] == b"x" * 500


async def test_a_chunked_body_is_cut_off_where_it_passes_the_limit(settings: Any) -> None:
    settings.CAUSEWAY_FILE_MAX_BYTES = 1000
    app = Recorder()
    comm = ApplicationCommunicator(BodyLimit(app), scope(None))
    chunk = b"x" * 40_000
    for _ in range(3):
        await comm.send_input({"type": "http.request", "body": chunk, "more_body": True})
    await comm.receive_output()
    assert app.read[-1] == {"type": "http.disconnect"}
    assert sum(len(m.get("body", b"")) for m in app.read) <= body_limit() + len(chunk)


async def test_a_malformed_length_is_refused(settings: Any) -> None:
    comm = ApplicationCommunicator(BodyLimit(Recorder()), scope("12abc"))
    assert (await comm.receive_output())["status"] == 413
