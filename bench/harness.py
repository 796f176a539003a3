"""Runs one measured load against a set of servers and returns its figures."""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import loadgen
from bench.stack import RedisServer, Server, cpu_seconds, rss_bytes

CTX = mp.get_context("fork")
RECEIVER_PROCESSES = 3
DELIVERY_WAIT_SECONDS = 60.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def spawn(target: Callable[..., None], *args: Any) -> tuple[Any, Any]:
    parent, child = CTX.Pipe()
    proc = CTX.Process(target=target, args=(child, *args), daemon=True)
    proc.start()
    return proc, parent


def expect(conn: Any, tag: str, timeout: float) -> Any:
    if not conn.poll(timeout):
        raise TimeoutError(f"load generator did not report {tag} within {timeout} s")
    got_tag, payload = conn.recv()
    assert got_tag == tag, (got_tag, tag)
    return payload


def endpoints_for(
    kind: str, servers: list[Server], cookies: list[str], room: int | None
) -> list[loadgen.Endpoint]:
    eps = []
    for i, cookie in enumerate(cookies):
        server = servers[i % len(servers)]
        path = "/ws/" if kind != "websockets" else "/"
        eps.append(
            loadgen.Endpoint(
                kind=kind,
                url=f"ws://127.0.0.1:{server.port}{path}",
                origin=f"http://127.0.0.1:{server.port}",
                cookie=cookie or None,
                room=room,
            )
        )
    return eps


def measure_traffic(
    *,
    receivers: list[loadgen.Endpoint],
    senders: list[loadgen.Endpoint],
    rate: float,
    duration: float,
    servers: list[Server],
    redis: RedisServer | None,
    extras: dict[str, float] | None = None,
    alongside: Callable[[float], tuple[Any, Any]] | None = None,
) -> dict[str, Any]:
    """Open the receivers, send at ``rate`` for ``duration`` s, collect everything.

    ``alongside(t0)`` starts other load (a process) at the senders' start
    time; its report ("done") is returned under ``"alongside"``.
    """
    chunks = [receivers[i::RECEIVER_PROCESSES] for i in range(RECEIVER_PROCESSES)]
    chunks = [c for c in chunks if c]
    procs = [spawn(loadgen.receiver_process, chunk) for chunk in chunks]
    open_sockets = sum(expect(conn, "ready", 300) for _, conn in procs)
    sender_proc, sender_conn = spawn(loadgen.sender_process, senders, rate, duration, extras or {})
    expect(sender_conn, "ready", 120)
    time.sleep(0.5)  # let subscriptions settle
    cpu0 = {s.pid: cpu_seconds(s.pid) for s in servers}
    redis0 = redis.used_memory() if redis else 0
    t0 = time.time() + 0.3
    sender_conn.send(t0)
    other = alongside(t0) if alongside else None
    # Receivers listen until every send has been answered, then until each
    # socket has every stored message of its room (or DELIVERY_WAIT_SECONDS
    # pass): slow deliveries count as late, not lost.
    sent: loadgen.SenderResult = expect(
        sender_conn, "done", duration + loadgen.ACK_WAIT_SECONDS + 60
    )
    for _, conn in procs:
        conn.send((time.time() + DELIVERY_WAIT_SECONDS, sent.acked_by_room))
    results: list[loadgen.ReceiverResult] = [
        expect(conn, "done", DELIVERY_WAIT_SECONDS + 60) for _, conn in procs
    ]
    cpu1 = {s.pid: cpu_seconds(s.pid) for s in servers}
    other_result = expect(other[1], "done", DELIVERY_WAIT_SECONDS + 600) if other else None
    for proc, _ in [*procs, (sender_proc, None), *([other] if other else [])]:
        proc.join(10)
    latencies = [v for r in results for v in r.latencies_ms]
    delivered = sum(r.received for r in results)
    # Each message reaches the open sockets of its own room.
    sockets_by_room: dict[str, int] = {}
    for r in results:
        for room, count in r.sockets_by_room.items():
            sockets_by_room[room] = sockets_by_room.get(room, 0) + count
    # Every stored (acknowledged) message must reach every open socket of its room.
    expected = sum(n * sockets_by_room.get(room, 0) for room, n in sent.acked_by_room.items())
    cpu = sum(cpu1[pid] - cpu0[pid] for pid in cpu0)
    return {
        "sockets": open_sockets,
        "failed_connects": sum(r.failed_connects for r in results),
        "connect_errors": [e for r in results for e in r.connect_errors][:5],
        "sent": sent.sent,
        "acked": sent.acked,
        "send_errors": sent.errors,
        "unanswered": sent.unanswered,
        "closed_by_server": sum(r.closed_by_server for r in results),
        "resume_failures": sum(r.resume_failures for r in results),
        "sender_behind_ms": round(sent.behind_ms, 1),
        "ack_ms": summarize(sent.ack_ms),
        "delivery_ms": summarize(latencies),
        "delivered": delivered,
        "expected": expected,
        "lost": expected - delivered,
        "duplicates": sum(r.duplicates for r in results),
        "gaps": sum(r.gaps for r in results),
        "gap_samples": [g for r in results for g in r.gap_samples][:20],
        "deliveries_per_s": round(delivered / duration, 1),
        "server_cpu_s": round(cpu, 3),
        "cpu_us_per_delivery": round(cpu / delivered * 1e6, 1) if delivered else None,
        "cpu_s_per_1000_deliveries": round(cpu / delivered * 1000, 4) if delivered else None,
        # Everything the servers did, per message stored (deliveries included).
        "cpu_ms_per_message": round(cpu / sent.acked * 1000, 3) if sent.acked else None,
        "server_rss_mb": [round(rss_bytes(s.pid) / 2**20, 1) for s in servers],
        "redis_memory_mb": round((redis.used_memory() if redis else 0) / 2**20, 2),
        "redis_memory_delta_mb": round(((redis.used_memory() if redis else 0) - redis0) / 2**20, 2),
        **({"alongside": other_result} if other_result is not None else {}),
    }


def summarize(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2),
        "mean": round(statistics.fmean(values), 2),
    }


def measure_idle(
    endpoints: list[loadgen.Endpoint], server: Server, processes: int = 4
) -> dict[str, Any]:
    """Open ``endpoints`` idle sockets on one server: connect rate and memory per socket."""
    time.sleep(1.0)
    rss0 = rss_bytes(server.pid)
    chunks = [endpoints[i::processes] for i in range(processes)]
    started = time.time()
    cpu0 = cpu_seconds(server.pid)
    procs = [spawn(loadgen.idle_process, chunk) for chunk in chunks if chunk]
    reports = [expect(conn, "ready", 600) for _, conn in procs]
    elapsed = time.time() - started
    cpu = cpu_seconds(server.pid) - cpu0
    opened = sum(r["open"] for r in reports)
    time.sleep(2.0)
    rss1 = rss_bytes(server.pid)
    for _, conn in procs:
        conn.send("close")
    for proc, conn in procs:
        expect(conn, "done", 120)
        proc.join(10)
    return {
        "target": len(endpoints),
        "opened": opened,
        "failed": sum(r["failed"] for r in reports),
        "connects_per_s": round(opened / max(r["seconds"] for r in reports), 1),
        "cpu_ms_per_connect": round(cpu / opened * 1000, 2) if opened else None,
        "wall_seconds": round(elapsed, 2),
        "rss_before_mb": round(rss0 / 2**20, 1),
        "rss_after_mb": round(rss1 / 2**20, 1),
        "kb_per_socket": round((rss1 - rss0) / 1024 / opened, 1) if opened else None,
    }
