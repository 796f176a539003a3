"""Load-generating client processes: receivers, senders, idle holders, resumers.

Each runs in its own OS process (``multiprocessing``), so the load generator
is several processes and never one busy core. Latency is open-loop: every
message carries the time it was *scheduled* to be sent, and delivery latency
is measured from that, so a stalled server cannot hide behind a slow sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import websockets

CONNECT_CONCURRENCY = 200
ACK_WAIT_SECONDS = 60.0


@dataclass
class Endpoint:
    """Where a client connects and how it speaks."""

    kind: str  # "causeway" or a baseline name
    url: str
    origin: str
    cookie: str | None = None
    room: int | None = None


@dataclass
class ReceiverResult:
    latencies_ms: list[float] = field(default_factory=list)
    received: int = 0
    duplicates: int = 0
    gaps: int = 0
    gap_samples: list[tuple[int | None, int | None, int, float]] = field(default_factory=list)
    sockets: int = 0
    sockets_by_room: dict[str, int] = field(default_factory=dict)
    closed_by_server: int = 0
    resume_failures: int = 0
    failed_connects: int = 0
    connect_errors: list[str] = field(default_factory=list)
    connect_seconds: float = 0.0


async def open_socket(ep: Endpoint) -> Any:
    headers = {"Cookie": f"sessionid={ep.cookie}"} if ep.cookie else None
    ws = await websockets.connect(
        ep.url,
        origin=ep.origin,  # type: ignore[arg-type]
        additional_headers=headers,
        max_size=2**24,
        ping_interval=None,
        open_timeout=60,
        close_timeout=1,
    )
    if ep.kind == "causeway":
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
    return ws


async def subscribe(ws: Any, room: int, since: int | None = None) -> int:
    frame: dict[str, Any] = {"type": "subscribe", "room": room}
    if since is not None:
        frame["since"] = since
    await ws.send(json.dumps(frame))
    while True:
        reply = json.loads(await ws.recv())
        if reply.get("type") == "subscribed":
            return int(reply["head_seq"])
        if reply.get("type") == "error":
            raise RuntimeError(reply)


ERRORS: list[str] = []


async def open_many(
    endpoints: list[Endpoint], *, do_subscribe: bool
) -> tuple[list[tuple[Any, Endpoint]], int]:
    """Open (and subscribe) ``endpoints``; returns the open ones with their endpoint."""
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
    failed = 0

    async def one(ep: Endpoint) -> Any:
        nonlocal failed
        async with limit:
            try:
                ws = await open_socket(ep)
                if do_subscribe and ep.kind == "causeway" and ep.room is not None:
                    ws.head = await subscribe(ws, ep.room)
                return ws
            except Exception as error:
                failed += 1
                ERRORS.append(repr(error)[:200])
                return None

    sockets = await asyncio.gather(*(one(ep) for ep in endpoints))
    return [(ws, ep) for ws, ep in zip(sockets, endpoints, strict=True) if ws is not None], failed


def parse_body(body: str) -> tuple[str, float] | None:
    parts = body.split()
    if len(parts) == 3 and parts[0] == "b":
        return parts[1], float(parts[2])
    return None


def parse_causeway(raw: str) -> tuple[int, str] | None:
    """(seq, body) of a ``message.new`` frame, or None for any other frame."""
    if raw.startswith('{"type":"message.new"'):
        # String slicing, not json.loads: the client must stay cheaper than
        # the server it measures (live frames are compact with "type" first).
        at = raw.index('"seq":') + 6
        seq = int(raw[at : raw.index(",", at)])
        start = raw.index('"body":"') + 8
        return seq, raw[start : raw.index('"', start)]
    if '"message.new"' in raw:
        frame = json.loads(raw)
        if frame.get("type") == "message.new":
            return int(frame["seq"]), str(frame["message"]["body"])
    return None


class Deadline:
    """When receivers stop listening: unknown until the senders are done.

    Then each socket listens until it has every stored message of its room
    (``expected``, by room) or until ``at``: late is measured as latency,
    only what never came by ``at`` counts as lost.
    """

    def __init__(self) -> None:
        self.at = float("inf")
        self.expected: dict[str, int] | None = None


async def resume(
    ep: Endpoint, since: int | None, *, until: float = float("inf"), backoff: float = 0.5
) -> Any:
    """Reconnect as a browser does after a dropped socket: subscribe with ``since``.

    Five tries, ``backoff`` x the try number apart; None if none worked by ``until``.
    """
    for attempt in range(5):
        if time.time() >= until:
            break
        try:
            ws = await open_socket(ep)
            assert ep.room is not None
            await subscribe(ws, ep.room, since=since)
            return ws
        except Exception:
            await asyncio.sleep(backoff * (attempt + 1))
    return None


async def receive_until(ws: Any, ep: Endpoint, end: Deadline, result: ReceiverResult) -> Any:
    """Count what one socket receives; returns the socket it ends with (it may reconnect)."""
    seen: set[str] = set()
    last_seq = getattr(ws, "head", None)
    while True:
        if end.expected is not None and len(seen) >= end.expected.get(str(ep.room), 0):
            return ws
        remaining = end.at - time.time()
        if remaining <= 0:
            return ws
        try:
            raw = await asyncio.wait_for(ws.recv(), min(remaining, 1.0))
        except TimeoutError:
            continue
        except websockets.ConnectionClosed:
            # The server closes a socket whose client stops answering pings
            # (an overloaded load generator): a Causeway client resumes from
            # the last seq it saw, so only what never arrives counts as lost.
            result.closed_by_server += 1
            if ep.kind != "causeway":
                return ws
            ws = await resume(ep, last_seq, until=end.at)
            if ws is None:
                result.resume_failures += 1
                return None
            continue
        now = time.time()
        if ep.kind == "causeway":
            got = parse_causeway(raw)
            if got is None:
                continue
            seq, body = got
            if last_seq is not None and seq != last_seq + 1:
                result.gaps += 1
                if len(result.gap_samples) < 20:
                    result.gap_samples.append((ep.room, last_seq, seq, now))
            last_seq = seq
            parsed = parse_body(body)
        else:
            parsed = parse_body(raw)
        if parsed is None:
            continue
        msg_id, scheduled = parsed
        if msg_id in seen:
            result.duplicates += 1
            continue
        seen.add(msg_id)
        result.received += 1
        result.latencies_ms.append((now - scheduled) * 1000)


def receiver_process(conn: Connection, endpoints: list[Endpoint]) -> None:
    async def run() -> ReceiverResult:
        result = ReceiverResult()
        started = time.time()
        opened, result.failed_connects = await open_many(endpoints, do_subscribe=True)
        result.connect_seconds = time.time() - started
        result.sockets = len(opened)
        result.connect_errors = ERRORS[:5]
        for _, ep in opened:
            key = str(ep.room)
            result.sockets_by_room[key] = result.sockets_by_room.get(key, 0) + 1
        conn.send(("ready", result.sockets))
        loop = asyncio.get_running_loop()
        end = Deadline()

        async def wait_for_deadline() -> None:
            # The parent sends the deadline and what each room stored once
            # every send has been answered.
            end.at, end.expected = await loop.run_in_executor(None, conn.recv)

        waiter = asyncio.create_task(wait_for_deadline())
        finals = await asyncio.gather(*(receive_until(ws, ep, end, result) for ws, ep in opened))
        await waiter
        await asyncio.gather(*(ws.close() for ws in finals if ws), return_exceptions=True)
        return result

    conn.send(("done", asyncio.run(run())))


@dataclass
class SenderResult:
    sent: int = 0
    sent_by_room: dict[str, int] = field(default_factory=dict)
    acked: int = 0
    acked_by_room: dict[str, int] = field(default_factory=dict)
    ack_ms: list[float] = field(default_factory=list)
    errors: int = 0
    unanswered: int = 0
    behind_ms: float = 0.0  # how late the sender itself fell behind its schedule


def sender_process(
    conn: Connection,
    endpoints: list[Endpoint],
    rate: float,
    duration: float,
    extras: dict[str, float],
) -> None:
    """Send ``rate`` messages/s in total, round-robin over ``endpoints``, open-loop.

    ``extras`` adds ephemeral traffic per second: {"typing": n, "presence": n}.
    """

    async def run() -> SenderResult:
        result = SenderResult()
        opened, _ = await open_many(endpoints, do_subscribe=False)
        for _attempt in range(5):
            # A server still busy with the receivers' arrival (a 1,000-member
            # room) may let a handshake time out: try the missing ones again.
            if len(opened) == len(endpoints):
                break
            await asyncio.sleep(2.0)
            have = {id(ep) for _, ep in opened}
            more, _ = await open_many(
                [ep for ep in endpoints if id(ep) not in have], do_subscribe=False
            )
            opened += more
        if not opened:
            raise RuntimeError(f"the sender could not open any socket: {ERRORS[:3]}")
        sockets = [ws for ws, _ in opened]
        targets = [ep for _, ep in opened]
        pending: dict[str, float] = {}
        all_answered = asyncio.Event()
        sending_done = False

        def answered(client_id: str) -> float | None:
            scheduled = pending.pop(client_id, None)
            if sending_done and not pending:
                all_answered.set()
            return scheduled

        async def read_acks(ws: Any, ep: Endpoint) -> None:
            try:
                async for raw in ws:
                    now = time.time()
                    if ep.kind == "causeway":
                        if '"ack"' in raw:
                            frame = json.loads(raw)
                            scheduled = answered(frame.get("client_id", ""))
                        elif '"error"' in raw:
                            result.errors += 1
                            frame = json.loads(raw)
                            answered(frame.get("ref") or "")
                            continue
                        else:
                            continue
                    else:
                        parsed = parse_body(raw)
                        scheduled = answered(parsed[0]) if parsed else None
                    if scheduled is not None:
                        result.acked += 1
                        room = str(ep.room)
                        result.acked_by_room[room] = result.acked_by_room.get(room, 0) + 1
                        result.ack_ms.append((now - scheduled) * 1000)
            except websockets.ConnectionClosed:
                return

        readers = [asyncio.create_task(read_acks(ws, ep)) for ws, ep in opened]
        conn.send(("ready", len(sockets)))
        t0 = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        total = int(rate * duration)
        extra_every = {k: (1.0 / v if v else 0.0) for k, v in extras.items()}
        next_extra = dict.fromkeys(extras, t0)
        for i in range(total):
            scheduled = t0 + i / rate
            delay = scheduled - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                result.behind_ms = max(result.behind_ms, -delay * 1000)
            k = i % len(sockets)
            ws, ep = sockets[k], targets[k]
            msg_id = f"m{i}-{k}"
            body = f"b {msg_id} {scheduled:.6f}"
            pending[msg_id] = scheduled
            if ep.kind == "causeway":
                frame = {"type": "message.send", "room": ep.room, "client_id": msg_id, "body": body}
                await ws.send(json.dumps(frame))
                for kind, every in extra_every.items():
                    if every and time.time() >= next_extra[kind]:
                        next_extra[kind] += every
                        if kind == "typing":
                            await ws.send(json.dumps({"type": "typing", "room": ep.room}))
                        else:
                            state = "away" if i % 2 else "active"
                            await ws.send(json.dumps({"type": "presence.set", "state": state}))
            else:
                await ws.send(body)
            result.sent += 1
            result.sent_by_room[str(ep.room)] = result.sent_by_room.get(str(ep.room), 0) + 1
        sending_done = True
        # Open loop ends here; every send still gets its answer (bounded), so
        # "lost" counts only stored messages that never arrived.
        if pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_answered.wait(), ACK_WAIT_SECONDS)
        result.unanswered = len(pending)
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        return result

    conn.send(("done", asyncio.run(run())))


def idle_process(conn: Connection, endpoints: list[Endpoint]) -> None:
    """Open idle authenticated sockets, report, hold them until told, then close."""

    async def run() -> dict[str, Any]:
        started = time.time()
        opened, failed = await open_many(endpoints, do_subscribe=False)
        elapsed = time.time() - started
        conn.send(
            (
                "ready",
                {"open": len(opened), "failed": failed, "seconds": elapsed, "errors": ERRORS[:5]},
            )
        )
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        await asyncio.gather(*(ws.close() for ws, _ in opened), return_exceptions=True)
        return {"open": len(opened)}

    conn.send(("done", asyncio.run(run())))


def storm_process(conn: Connection, endpoints: list[Endpoint]) -> None:
    """Subscribe, drop everything at once on command, reconnect and resume; time it."""

    async def run() -> dict[str, Any]:
        opened, failed = await open_many(endpoints, do_subscribe=True)
        conn.send(("ready", {"open": len(opened), "failed": failed}))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        for ws, _ in opened:
            ws.transport.abort()  # a dropped connection, not a polite close
        started, cpu0 = time.time(), time.process_time()
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
        done_at: list[float] = []
        errors = 0

        async def back(ep: Endpoint, head: int) -> None:
            nonlocal errors
            async with limit:
                ws = await resume(ep, head, backoff=0.2)
            if ws is None:
                errors += 1
                return
            done_at.append(time.time() - started)
            await ws.close()

        await asyncio.gather(*(back(ep, getattr(ws, "head", 0)) for ws, ep in opened))
        return {
            "resumed": len(done_at),
            "errors": errors,
            "all_resumed_s": max(done_at, default=0),
            "cpu_s": time.process_time() - cpu0,
        }

    conn.send(("done", asyncio.run(run())))


def resume_process(conn: Connection, endpoint: Endpoint, since: int, expected: int) -> None:
    async def run() -> dict[str, Any]:
        started = time.time()
        ws = await open_socket(endpoint)
        assert endpoint.room is not None
        await subscribe(ws, endpoint.room, since=since)
        got = 0
        seqs = []
        while got < expected:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame.get("type") == "message.new":
                got += 1
                seqs.append(frame["seq"])
        elapsed = time.time() - started
        await ws.close()
        gaps = sum(1 for a, b in itertools.pairwise(seqs) if b != a + 1)
        return {"events": got, "seconds": elapsed, "gaps": gaps}

    conn.send(("done", asyncio.run(run())))


def upload_process(
    conn: Connection, origin: str, room: int, cookies: list[str], count: int, data: bytes, t0: float
) -> None:
    """``count`` uploads of ``data`` into ``room`` from t0, one at a time per person in
    ``cookies`` (all at once), as browsers do; reports their times and throughput."""
    import secrets
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    def one(cookie: str) -> tuple[bool, float]:
        csrf = secrets.token_hex(16)
        request = urllib.request.Request(
            f"{origin}/api/rooms/{room}/files/?name=photo.jpg",
            data=data,
            method="POST",
            headers={
                "Cookie": f"sessionid={cookie}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Origin": origin,
                "Content-Type": "image/jpeg",
            },
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                ok = response.status == 201
        except (urllib.error.URLError, OSError):
            ok = False
        return ok, (time.perf_counter() - start) * 1000

    time.sleep(max(0.0, t0 - time.time()))
    start = time.perf_counter()
    with ThreadPoolExecutor(len(cookies)) as pool:
        results = list(pool.map(one, [cookies[i % len(cookies)] for i in range(count)]))
    seconds = time.perf_counter() - start
    ok = sum(1 for good, _ in results if good)
    times = sorted(ms for _, ms in results)
    conn.send(
        (
            "done",
            {
                "uploads": count,
                "ok": ok,
                "failed": count - ok,
                "bytes_each": len(data),
                "seconds": round(seconds, 2),
                "uploads_per_s": round(ok / seconds, 1) if seconds else None,
                "mb_per_s": round(ok * len(data) / seconds / 2**20, 1) if seconds else None,
                "upload_ms_p50": round(times[len(times) // 2], 1) if times else None,
                "upload_ms_p99": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1)
                if times
                else None,
            },
        )
    )
