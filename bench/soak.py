"""Soak and reconnect storm: ``python -m bench.soak [--minutes 10] [--sockets 2000]``.

Holds ``--sockets`` authenticated sockets over several rooms on two Daphne
processes with Redis and PostgreSQL, sends at a steady rate for
``--minutes``, samples memory of each process and of Redis, then drops every
socket at once and times the reconnect-and-resume storm. Prints a summary and
writes bench/results/soak.json. Bounded; stops everything it started.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from typing import Any

from bench import harness, loadgen
from bench.__main__ import pg_config, reset_databases
from bench.stack import RESULTS, RedisServer, rss_bytes, seed, start_causeway


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second in total")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    redis = RedisServer()
    config = pg_config(redis)
    servers = []
    try:
        reset_databases(config)
        members = max(1, args.sockets // args.rooms)
        data = seed(config, {"rooms": [{"members": members, "senders": 1}] * args.rooms})
        servers = start_causeway(config, 2)
        receivers, senders = [], []
        for room in data["rooms"]:
            receivers += harness.endpoints_for("causeway", servers, room["members"], room["id"])
            senders += harness.endpoints_for("causeway", servers, room["senders"], room["id"])
        samples: list[dict[str, Any]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(15):
                samples.append(
                    {
                        "t": round(time.time(), 1),
                        "rss_mb": [round(rss_bytes(s.pid) / 2**20, 1) for s in servers],
                        "redis_mb": round(redis.used_memory() / 2**20, 2),
                    }
                )

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        traffic = harness.measure_traffic(
            receivers=receivers,
            senders=senders,
            rate=args.rate,
            duration=args.minutes * 60,
            servers=servers,
            redis=redis,
        )
        done.set()
        sampler.join()
        storm_parts = []
        procs = [harness.spawn(loadgen.storm_process, receivers[i::4]) for i in range(4)]
        for _, conn in procs:
            harness.expect(conn, "ready", 600)
        for _, conn in procs:
            conn.send("drop")
        storm_parts = [harness.expect(conn, "done", 600) for _, conn in procs]
        for proc, _ in procs:
            proc.join(10)
    finally:
        for server in servers:
            server.stop()
        redis.stop()
    result = {
        "minutes": args.minutes,
        "sockets": traffic["sockets"],
        "rooms": args.rooms,
        "rate": args.rate,
        "traffic": traffic,
        "memory_samples": samples,
        "memory_start": samples[0] if samples else None,
        "memory_end": samples[-1] if samples else None,
        "storm": {
            "clients": sum(p["resumed"] + p["errors"] for p in storm_parts),
            "resumed": sum(p["resumed"] for p in storm_parts),
            "errors": sum(p["errors"] for p in storm_parts),
            "all_resumed_s": round(max(p["all_resumed_s"] for p in storm_parts), 2),
        },
    }
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2))
    d = traffic["delivery_ms"]
    print(
        f"soak: {traffic['sockets']} sockets, {args.rooms} rooms, "
        f"{args.rate} msg/s, {args.minutes} min"
    )
    print(f"  lost {traffic['lost']}  gaps {traffic['gaps']}  duplicates {traffic['duplicates']}")
    print(f"  delivery p50 {d.get('p50')} ms  p99 {d.get('p99')} ms  max {d.get('max')} ms")
    if samples:
        print(f"  memory start {samples[0]}\n  memory end   {samples[-1]}")
    print(f"  reconnect storm: {result['storm']}")
    print(f"results: {RESULTS / 'soak.json'}")
    return 0 if traffic["lost"] == 0 and traffic["gaps"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
