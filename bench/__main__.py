"""Causeway benchmark: ``python -m bench [--quick] [--only SCENARIO ...]``.

Starts everything it measures (its own Redis, a fresh PostgreSQL database,
Daphne processes, the three baselines), drives them from several client
processes over loopback, prints a table, writes bench/results/latest.json
and bench/results/fanout.png, and stops all it started. Bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from typing import Any

from bench import harness, loadgen, report
from bench.stack import (
    RESULTS,
    RedisServer,
    Server,
    cpu_seconds,
    machine_cpu_seconds,
    seed,
    start_baseline,
    start_causeway,
)

FANOUT_RATES = {10: 50, 100: 50, 200: 50, 500: 20, 1000: 10}
BASELINES = ("websockets", "asgi", "channels")


def pg_config(redis: RedisServer) -> dict[str, str]:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/causeway_bench")
    return {"DATABASE_URL": url, "REDIS_URL": redis.url}


def embedded_config() -> dict[str, str]:
    return {"SQLITE_PATH": str(RESULTS / "bench.sqlite3")}


def reset_databases(pg: dict[str, str]) -> None:
    import psycopg

    name = pg["DATABASE_URL"].rsplit("/", 1)[1]
    admin_url = pg["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    (RESULTS / "bench.sqlite3").unlink(missing_ok=True)
    seed(pg, {"migrate": True})
    seed(embedded_config(), {"migrate": True})


def stop_all(servers: list[Server]) -> None:
    for server in servers:
        server.stop()


def causeway_traffic(
    config: dict[str, str],
    processes: int,
    redis: RedisServer | None,
    *,
    rooms: int,
    members: int,
    senders: int,
    rate: float,
    duration: float,
    extras: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Seed ``rooms`` rooms, start Causeway on ``processes`` Daphnes, measure, stop."""
    data = seed(config, {"rooms": [{"members": members, "senders": senders}] * rooms})
    servers = start_causeway(config, processes)
    try:
        receivers, sender_eps = [], []
        for room in data["rooms"]:
            receivers += harness.endpoints_for("causeway", servers, room["members"], room["id"])
            sender_eps += harness.endpoints_for("causeway", servers, room["senders"], room["id"])
        return harness.measure_traffic(
            receivers=receivers,
            senders=sender_eps,
            rate=rate,
            duration=duration,
            servers=servers,
            redis=redis,
            extras=extras,
        )
    finally:
        stop_all(servers)


def baseline_traffic(
    kind: str, redis: RedisServer, *, members: int, rate: float, duration: float
) -> dict[str, Any]:
    processes = 2 if kind == "channels" else 1
    servers = start_baseline(kind, redis.url, processes)
    try:
        receivers = harness.endpoints_for(kind, servers, [""] * members, None)
        senders = harness.endpoints_for(kind, servers, [""], None)
        return harness.measure_traffic(
            receivers=receivers,
            senders=senders,
            rate=rate,
            duration=duration,
            servers=servers,
            redis=redis if kind == "channels" else None,
        )
    finally:
        stop_all(servers)


def scenario_fanout(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    sizes = args.sizes or ([10, 100, 200] if args.quick else [10, 100, 200, 500, 1000])
    out: dict[str, Any] = {}
    for size in sizes:
        rate = FANOUT_RATES[size]
        row: dict[str, Any] = {"rate": rate}
        row["causeway"] = causeway_traffic(
            pg_config(redis), 2, redis, rooms=1, members=size, senders=1,
            rate=rate, duration=args.duration,
        )  # fmt: skip
        if size >= 100:
            # The same rate from five sockets: one socket's frames are handled
            # one at a time, so a lone sender is bounded by its own round trip
            # while its process also delivers (docs/performance.md).
            row["causeway_5_senders"] = causeway_traffic(
                pg_config(redis), 2, redis, rooms=1, members=size, senders=5,
                rate=rate, duration=args.duration,
            )  # fmt: skip
        if size <= 200:
            row["causeway_embedded"] = causeway_traffic(
                embedded_config(), 1, None, rooms=1, members=size, senders=1,
                rate=rate, duration=args.duration,
            )  # fmt: skip
        for kind in BASELINES:
            redis.flush()
            row[kind] = baseline_traffic(
                kind, redis, members=size, rate=rate, duration=args.duration
            )
        out[str(size)] = row
        report.print_fanout_row(size, row)
    return out


def scenario_many_rooms(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    rooms = 50 if args.quick else 200
    result = causeway_traffic(
        pg_config(redis), 2, redis, rooms=rooms, members=10, senders=1, rate=float(rooms),
        duration=args.duration, extras={"typing": rooms / 10, "presence": 2},
    )  # fmt: skip
    report.print_traffic("many rooms", f"{rooms * 10} sockets / {rooms} rooms", result)
    return result


def scenario_ack(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    result = causeway_traffic(
        pg_config(redis), 2, redis, rooms=50, members=2, senders=1, rate=args.ack_rate,
        duration=args.duration,
    )  # fmt: skip
    report.print_traffic("send->ack", f"{args.ack_rate:g} msg/s over 50 rooms", result)
    return result


def scenario_store(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    """What storing one message costs the servers, with nobody to deliver it to; and the
    floor: the same load on a raw ASGI app that stores and publishes each message with
    nothing else (``bench.baselines.store_floor``)."""
    config = pg_config(redis)
    result = causeway_traffic(
        config, 2, redis, rooms=20, members=0, senders=1, rate=100, duration=args.duration
    )
    report.print_traffic("store", "100 msg/s over 20 rooms, no receivers", result)
    servers = start_baseline("store_floor", redis.url, 2, config["DATABASE_URL"])
    try:
        floor = harness.measure_traffic(
            receivers=[],
            senders=harness.endpoints_for("store_floor", servers, [""] * 20, 0),
            rate=100,
            duration=args.duration,
            servers=servers,
            redis=redis,
        )
    finally:
        stop_all(servers)
    report.print_traffic("store", report.STORE_FLOOR, floor)
    result["baseline_store_floor"] = floor
    return result


def scenario_hot_room(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    result = causeway_traffic(
        pg_config(redis), 2, redis, rooms=1, members=10, senders=20, rate=200,
        duration=args.duration,
    )  # fmt: skip
    report.print_traffic("hot room", "20 senders, 200 msg/s, one room", result)
    return result


def photo_bytes(target: int = 2**20) -> bytes:
    """A phone photo of about ``target`` bytes: noisy (noise does not compress), with the
    EXIF a phone writes (camera, time, GPS), which the server strips."""
    import io

    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Phone", "Model 12", "2026:11:30 09:12:44"
    exif[0x8825] = {1: "N", 2: (IFDRational(48), IFDRational(8), IFDRational(0))}
    side = 600
    while True:
        out = io.BytesIO()
        noise = Image.effect_noise((side, side * 3 // 4), 50).convert("RGB")
        noise.save(out, "JPEG", quality=90, exif=exif)
        if out.tell() >= target:
            return out.getvalue()
        side = int(side * 1.15)


def scenario_files(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    """Chat in a 100-member room at 20 msg/s, without and then with 100 uploads of a
    1 MB photo during it (4 people uploading at once): the chat's delivery p99 with
    uploads over without, and the uploads' throughput."""
    config = pg_config(redis)
    photo = photo_bytes()
    duration = max(args.duration, 10.0)
    out: dict[str, Any] = {}
    for label, uploads in (("without_uploads", 0), ("with_uploads", 100)):
        # A room of its own for each run: the same start for both.
        room = seed(config, {"rooms": [{"members": 100, "senders": 2}]})["rooms"][0]
        servers = start_causeway(config, 2)
        try:
            receivers = harness.endpoints_for("causeway", servers, room["members"], room["id"])
            senders = harness.endpoints_for("causeway", servers, room["senders"], room["id"])

            def alongside(
                t0: float, servers: list[Server] = servers, room: Any = room, n: int = uploads
            ) -> Any:
                return harness.spawn(
                    loadgen.upload_process,
                    f"http://127.0.0.1:{servers[0].port}",
                    room["id"],
                    room["members"][:4],
                    n,
                    photo,
                    t0,
                )

            out[label] = harness.measure_traffic(
                receivers=receivers,
                senders=senders,
                rate=20,
                duration=duration,
                servers=servers,
                redis=redis,
                alongside=alongside if uploads else None,
            )
        finally:
            stop_all(servers)
        report.print_traffic(
            "files", f"100 members, 20 msg/s, {label.replace('_', ' ')}", out[label]
        )
    up = out["with_uploads"].get("alongside", {})
    print(
        f"  uploads: {up.get('ok')}/{up.get('uploads')} of {len(photo) / 2**20:.2f} MB in "
        f"{up.get('seconds')} s = {up.get('uploads_per_s')}/s, {up.get('mb_per_s')} MB/s; "
        f"upload p50/p99 ms {up.get('upload_ms_p50')}/{up.get('upload_ms_p99')}"
    )
    return out


def scenario_idle(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    count = 2000 if args.quick else 10_000
    data = seed(pg_config(redis), {"rooms": [{"members": 1, "senders": 0}]})
    cookie = data["rooms"][0]["members"][0]
    out: dict[str, Any] = {}
    servers = start_causeway(pg_config(redis), 1)
    try:
        eps = harness.endpoints_for("causeway", servers, [cookie] * count, None)
        out["causeway"] = harness.measure_idle(eps, servers[0])
    finally:
        stop_all(servers)
    for kind in ("asgi", "channels"):
        servers = start_baseline(kind, redis.url, 1)
        try:
            eps = harness.endpoints_for(kind, servers, [""] * count, None)
            out[kind] = harness.measure_idle(eps, servers[0])
        finally:
            stop_all(servers)
    report.print_idle(out)
    return out


def scenario_resume(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    config = pg_config(redis)
    data = seed(config, {"rooms": [{"members": 1, "senders": 1}]})
    room = data["rooms"][0]
    servers = start_causeway(config, 1)
    try:
        head = seed(
            config,
            {"backlog": {"room": room["id"], "sender": room["sender_ids"][0], "count": 0}},
        )["head"]
        seed(
            config,
            {"backlog": {"room": room["id"], "sender": room["sender_ids"][0], "count": 1000}},
        )
        ep = harness.endpoints_for("causeway", servers, room["members"], room["id"])[0]
        proc, conn = harness.spawn(loadgen.resume_process, ep, head, 1000)
        result = harness.expect(conn, "done", 120)
        proc.join(10)
    finally:
        stop_all(servers)
    report.print_simple(
        "resume", f"1000 missed events caught up in {result['seconds']:.2f} s", result
    )
    resumed: dict[str, Any] = result
    return resumed


def scenario_storm(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    """5,000 clients dropped at once come back and resume; the baselines answer
    a ``subscribe`` with a fixed ``subscribed`` (no session, no database): the
    cost of the same handshakes, requests and closes on the bare server."""
    count = 1000 if args.quick else 5000
    config = pg_config(redis)
    data = seed(config, {"rooms": [{"members": 25, "senders": 0}] * (count // 25)})
    servers = start_causeway(config, 2)
    try:
        eps = []
        for room in data["rooms"]:
            eps += harness.endpoints_for("causeway", servers, room["members"], room["id"])
        result = _storm(eps, servers)
    finally:
        stop_all(servers)
    report.print_simple("reconnect storm", f"{count} clients", result)
    for kind in ("channels", "asgi"):
        servers = start_baseline(kind, redis.url, 2)
        try:
            baseline = _storm(harness.endpoints_for(kind, servers, [""] * count, 0), servers)
        finally:
            stop_all(servers)
        report.print_simple("reconnect storm", f"baseline {kind}", baseline)
        result[f"baseline_{kind}"] = baseline
    return result


def _storm(eps: list[loadgen.Endpoint], servers: list[Server]) -> dict[str, Any]:
    procs = [harness.spawn(loadgen.storm_process, eps[i::4]) for i in range(4)]
    ready = [harness.expect(conn, "ready", 600) for _, conn in procs]
    # Who used the machine while everyone came back: the servers, the load
    # generators (their own count) and the rest (PostgreSQL, Redis, the kernel).
    server_cpu0 = sum(cpu_seconds(s.pid) for s in servers)
    busy0, all0 = machine_cpu_seconds()
    for _, conn in procs:
        conn.send("drop")
    parts = [harness.expect(conn, "done", 600) for _, conn in procs]
    busy, every = (b - a for a, b in zip((busy0, all0), machine_cpu_seconds(), strict=True))
    server_cpu = sum(cpu_seconds(s.pid) for s in servers) - server_cpu0
    for proc, _ in procs:
        proc.join(10)
    loadgen_cpu = sum(p["cpu_s"] for p in parts)
    return {
        "clients": len(eps),
        "subscribed_before_drop": sum(r["open"] for r in ready),
        "failed_before_drop": sum(r["failed"] for r in ready),
        "resumed": sum(p["resumed"] for p in parts),
        "errors": sum(p["errors"] for p in parts),
        "all_resumed_s": round(max(p["all_resumed_s"] for p in parts), 2),
        "machine_busy_share": round(busy / every, 2) if every else None,
        "server_cpu_s": round(server_cpu, 1),
        "loadgen_cpu_s": round(loadgen_cpu, 1),
        "other_cpu_s": round(busy - server_cpu - loadgen_cpu, 1),
        "server_cpu_ms_per_resume": round(server_cpu / len(eps) * 1000, 2),
    }


SCENARIOS = {
    "fanout": scenario_fanout,
    "many_rooms": scenario_many_rooms,
    "ack": scenario_ack,
    "store": scenario_store,
    "hot_room": scenario_hot_room,
    "idle": scenario_idle,
    "resume": scenario_resume,
    "storm": scenario_storm,
    "files": scenario_files,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter runs")
    parser.add_argument("--duration", type=float, default=None, help="seconds of load per run")
    parser.add_argument(
        "--ack-rate", type=float, default=200.0, help="messages/s of the send->ack scenario"
    )
    parser.add_argument(
        "--sizes", type=int, nargs="*", choices=sorted(FANOUT_RATES), help="fan-out room sizes"
    )
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), default=None)
    args = parser.parse_args()
    args.duration = args.duration or (5.0 if args.quick else 10.0)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    RESULTS.mkdir(parents=True, exist_ok=True)
    redis = RedisServer()
    started = time.time()
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        },
        "quick": args.quick,
        "duration_s": args.duration,
        "scenarios": {},
    }
    try:
        reset_databases(pg_config(redis))
        for name in args.only or list(SCENARIOS):
            redis.flush()
            results["scenarios"][name] = SCENARIOS[name](args, redis)
    finally:
        redis.stop()
    results["wall_seconds"] = round(time.time() - started, 1)
    path = RESULTS / "latest.json"
    path.write_text(json.dumps(results, indent=2))
    report.summary(results)
    (RESULTS / "latest.md").write_text(report.markdown(results))
    if "fanout" in results["scenarios"]:
        report.plot_fanout(results["scenarios"]["fanout"], RESULTS / "fanout.png")
    print(f"\nresults: {path} ({results['wall_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
