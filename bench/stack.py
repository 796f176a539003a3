"""Starting and measuring the servers a benchmark run talks to. Loopback only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis

from config.serving import DAPHNE_ARGS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789abcdefghij"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, every core summed, from /proc."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLK_TCK, sum(fields[:8]) / CLK_TCK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


class Server:
    """One server process on a port of its own, logging to bench/results/."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int) -> None:
        self.name, self.port = name, port
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log = (RESULTS / f"{name}-{port}.log").open("w")
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        wait_port(port, self.proc)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


class RedisServer:
    """A Redis of the run's own, so its memory is ours to measure and nothing else's is touched."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "20000",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, self.proc)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)

    def used_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def flush(self) -> None:
        self.client.flushall()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def causeway_env(config: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH"):
        env.pop(key, None)
    env.update(
        {
            "SECRET_KEY": BENCH_SECRET,
            "LOG_LEVEL": "ERROR",
            "CAUSEWAY_INPROCESS_WORKER": "0",
            # The load is the point: no rate limit may shape it.
            "CAUSEWAY_RATE_WRITES": "100000000",
            "CAUSEWAY_RATE_FRAMES": "100000000",
            "CAUSEWAY_REPLAY_LIMIT": "5000",
            # Uploads (the files scenario) land in the results folder.
            "CAUSEWAY_MEDIA_ROOT": str(RESULTS / "media"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({k: v for k, v in config.items() if isinstance(v, str)})
    return env


def start_causeway(config: dict[str, str], processes: int) -> list[Server]:
    env = causeway_env(config)
    servers = []
    for _ in range(processes):
        port = free_port()
        servers.append(
            Server(
                "causeway",
                [
                    *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
                    *DAPHNE_ARGS,
                    "config.asgi:application",
                ],
                env,
                port,
            )
        )
    return servers


def start_baseline(
    kind: str, redis_url: str, processes: int = 1, database_url: str = ""
) -> list[Server]:
    env = dict(os.environ)
    env.update({"REDIS_URL": redis_url, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"})
    servers = []
    for _ in range(processes):
        port = free_port()
        if kind == "websockets":
            argv = [sys.executable, "-m", "bench.baselines.ws_broadcast", str(port)]
        else:
            app = {
                "asgi": "bench.baselines.asgi_broadcast:application",
                "channels": "bench.baselines.channels_chat:application",
                "store_floor": "bench.baselines.store_floor:application",
            }[kind]
            argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app]
        servers.append(Server(kind, argv, env, port))
    return servers


def seed(config: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    """Create people, rooms and sessions through the project's actions (in a subprocess
    configured exactly like the servers)."""
    import json

    out = subprocess.run(
        [sys.executable, "-m", "bench.seed"],
        cwd=ROOT,
        env=causeway_env(config),
        input=json.dumps(spec).encode(),
        capture_output=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"seeding failed: {out.stderr.decode()[-3000:]}")
    seeded: dict[str, Any] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return seeded
