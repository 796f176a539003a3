"""Tables, ratios and the plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = ("causeway", "causeway_5_senders", "causeway_embedded", "websockets", "asgi", "channels")
LABELS = {
    "causeway": "Causeway (PG+Redis, 2 procs)",
    "causeway_5_senders": "Causeway, rate from 5 senders",
    "causeway_embedded": "Causeway (embedded, 1 proc)",
    "websockets": "baseline: websockets lib",
    "asgi": "baseline: raw ASGI on Daphne",
    "channels": "baseline: Channels group chat",
}

STORE_FLOOR = "floor: raw ASGI, one statement, one PUBLISH"


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def print_fanout_row(size: int, row: dict[str, Any]) -> None:
    print(f"\nfan-out: {size} members at {row['rate']} msg/s")
    header = (
        f"{'target':32} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'deliv/s':>8} "
        f"{'lost':>5} {'gaps':>5} {'cpu us/deliv':>12}"
    )
    print(header)
    for target in TARGETS:
        r = row.get(target)
        if r is None:
            continue
        d = r["delivery_ms"]
        print(
            f"{LABELS[target]:32} {fmt(d.get('p50')):>7} {fmt(d.get('p95')):>7} "
            f"{fmt(d.get('p99')):>7} {fmt(d.get('max')):>7} {fmt(r['deliveries_per_s']):>8} "
            f"{r['lost']:>5} {r['gaps']:>5} {fmt(r['cpu_us_per_delivery']):>12}"
        )


def print_traffic(name: str, what: str, r: dict[str, Any]) -> None:
    d, a = r["delivery_ms"], r["ack_ms"]
    print(f"\n{name}: {what}")
    print(
        f"  delivery p50/p95/p99/max ms: {fmt(d.get('p50'))}/{fmt(d.get('p95'))}/"
        f"{fmt(d.get('p99'))}/{fmt(d.get('max'))}   ack p50/p99 ms: {fmt(a.get('p50'))}/"
        f"{fmt(a.get('p99'))}   deliveries/s {r['deliveries_per_s']}   lost {r['lost']}   "
        f"gaps {r['gaps']}   cpu us/delivery {fmt(r['cpu_us_per_delivery'])}   "
        f"cpu ms/message {fmt(r.get('cpu_ms_per_message'))}   redis {r['redis_memory_mb']} MB"
    )


def idle_label(target: str) -> str:
    """The idle scenario runs one process of each server."""
    return "Causeway (PG+Redis)" if target == "causeway" else LABELS.get(target, target)


def print_idle(out: dict[str, Any]) -> None:
    print("\nidle sockets on one process")
    for target, r in out.items():
        print(
            f"  {idle_label(target):32} opened {r['opened']}/{r['target']} "
            f"({r['failed']} failed)  {fmt(r['kb_per_socket'])} KB/socket  "
            f"{fmt(r['connects_per_s'])} connects/s  "
            f"{fmt(r.get('cpu_ms_per_connect'))} ms CPU/connect"
        )


def print_simple(name: str, what: str, r: dict[str, Any]) -> None:
    print(f"\n{name}: {what}\n  {r}")


def ratios(row: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Causeway's p99 latency and CPU per delivery as multiples of each baseline's."""
    mine = row.get("causeway")
    out: dict[str, dict[str, float | None]] = {}
    if not mine:
        return out
    for base in ("websockets", "asgi", "channels"):
        other = row.get(base)
        if not other:
            continue

        def ratio(a: float | None, b: float | None) -> float | None:
            return round(a / b, 2) if a and b else None

        out[base] = {
            "p99_latency": ratio(mine["delivery_ms"].get("p99"), other["delivery_ms"].get("p99")),
            "cpu_per_delivery": ratio(mine["cpu_us_per_delivery"], other["cpu_us_per_delivery"]),
        }
    return out


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """Each figure the targets name (docs/performance.md): (figure, measured, target, met)."""
    sc = results["scenarios"]
    rows: list[tuple[str, str, str, bool | None]] = []

    def add(figure: str, value: float | None, target: str, met: bool | None) -> None:
        rows.append((figure, fmt(value) if value is not None else "-", target, met))

    idle = sc.get("idle")
    if idle and idle.get("causeway"):
        mine, chan = (
            idle["causeway"]["connects_per_s"],
            idle.get("channels", {}).get("connects_per_s"),
        )
        ratio = round(mine / chan, 2) if chan else None
        add("connects/s, one process", mine, ">= 300", mine >= 300)
        add(
            "connects/s vs Channels consumer (ratio)",
            ratio,
            ">= 0.8",
            ratio >= 0.8 if ratio else None,
        )
        kb = idle["causeway"]["kb_per_socket"]
        add("idle socket KB", kb, "<= 32", kb <= 32 if kb else None)
        failed = idle["causeway"]["failed"]
        add(f"failed handshakes of {idle['causeway']['target']} idle", failed, "0", failed == 0)
    storm = sc.get("storm")
    if storm:
        seconds = storm["all_resumed_s"]
        ok = storm["resumed"] == storm["clients"] and seconds <= 15
        add(f"reconnect storm, {storm['clients']} clients, s", seconds, "<= 15 (5,000)", ok)
        chan = storm.get("baseline_channels", {}).get("all_resumed_s")
        if chan:
            add("reconnect storm vs Channels consumer (ratio)", round(seconds / chan, 2), "-", None)
    store = sc.get("store")
    if store:
        cpu = store.get("cpu_ms_per_message")
        add("server CPU per stored message, ms", cpu, "<= 1", cpu <= 1 if cpu else None)
        floor = store.get("baseline_store_floor", {}).get("cpu_ms_per_message")
        if cpu and floor:
            add("CPU per stored message vs the floor (ratio)", round(cpu / floor, 2), "-", None)
    ack = sc.get("ack")
    if ack:
        p99 = ack["ack_ms"].get("p99")
        add("send->ack p99 ms, 200 msg/s over 50 rooms", p99, "<= 30", p99 <= 30 if p99 else None)
    hot = sc.get("hot_room")
    if hot:
        p99 = hot["delivery_ms"].get("p99")
        add("hot room delivery p99 ms", p99, "<= 50", p99 <= 50 if p99 else None)
    files = sc.get("files")
    if files:
        without = files["without_uploads"]["delivery_ms"].get("p99")
        with_ = files["with_uploads"]["delivery_ms"].get("p99")
        ratio = round(with_ / without, 2) if with_ and without else None
        add("chat p99 with 100 x 1 MB uploads vs without (ratio)", ratio, "<= 2",
            ratio <= 2 if ratio else None)  # fmt: skip
        up = files["with_uploads"].get("alongside", {})
        add("upload throughput, MB/s", up.get("mb_per_s"), "-", None)
        failed = up.get("failed")
        add("failed uploads", failed, "0", failed == 0 if failed is not None else None)
    for size, row in (sc.get("fanout") or {}).items():
        r = ratios(row).get("asgi", {}).get("cpu_per_delivery")
        if 100 <= int(size) <= 500:
            add(
                f"fan-out CPU/delivery vs raw ASGI, {size} members",
                r,
                "<= 1.3",
                r <= 1.3 if r else None,
            )
        if int(size) == 1000:
            p99 = row["causeway"]["delivery_ms"].get("p99")
            add("1,000-member room p99 ms", p99, "<= 150", p99 <= 150 if p99 else None)
    lost = sum(
        r.get("lost", 0) + r.get("gaps", 0)
        for name in ("many_rooms", "ack", "store", "hot_room")
        if (r := sc.get(name))
    ) + sum(
        row[t].get("lost", 0) + row[t].get("gaps", 0)
        for row in (sc.get("fanout") or {}).values()
        for t in TARGETS
        if t in row
    )
    add("lost + gaps, every scenario", lost, "0", lost == 0)
    return rows


def print_targets(results: dict[str, Any]) -> None:
    rows = targets(results)
    if not rows:
        return
    print("\ntargets (docs/performance.md)")
    for figure, value, target, met in rows:
        verdict = {True: "met", False: "NOT met", None: "-"}[met]
        print(f"  {figure:52} {value:>10}   target {target:14} {verdict}")


def summary(results: dict[str, Any]) -> None:
    print_targets(results)
    fanout = results["scenarios"].get("fanout")
    if not fanout:
        return
    print("\nCauseway as a multiple of each baseline (fan-out; lower is better)")
    print(
        f"{'members':>8}  {'vs websockets p99/cpu':>22}  {'vs raw ASGI p99/cpu':>20}  "
        f"{'vs Channels p99/cpu':>20}"
    )
    for size, row in fanout.items():
        r = ratios(row)
        row["ratios"] = r
        cells = []
        for base in ("websockets", "asgi", "channels"):
            v = r.get(base, {})
            cells.append(f"{fmt(v.get('p99_latency'))} / {fmt(v.get('cpu_per_delivery'))}")
        print(f"{size:>8}  {cells[0]:>22}  {cells[1]:>20}  {cells[2]:>20}")


def plot_fanout(fanout: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(s) for s in fanout]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for target in TARGETS:
        points = [(int(s), fanout[s][target]["delivery_ms"]) for s in fanout if target in fanout[s]]
        if not points:
            continue
        xs = [p[0] for p in points]
        ax.plot(xs, [p[1].get("p99") for p in points], marker="o", label=f"{LABELS[target]} p99")
        if target == "causeway":
            ax.plot(
                xs,
                [p[1].get("p50") for p in points],
                marker=".",
                linestyle="--",
                label=f"{LABELS[target]} p50",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_xlabel("members in the room (connected sockets)")
    ax.set_ylabel("send -> delivery latency (ms)")
    ax.set_title("Fan-out latency vs room size (open loop, 2-core machine)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown(results: dict[str, Any]) -> str:
    """The run's figures as Markdown tables, for docs/performance.md."""
    lines: list[str] = []
    m = results["machine"]
    lines.append(
        f"Machine: {m['cpus']} CPUs, {m['memory_gb']} GB, {m['platform']}, Python {m['python']}; "
        f"{results['duration_s']} s of load per run{' (quick mode)' if results['quick'] else ''}; "
        "the load generator ran on the same machine."
    )
    rows = targets(results)
    if rows:
        lines += ["", "### Targets", "", "| figure | measured | target | |", "|---|---:|---|---|"]
        for figure, value, target, met in rows:
            verdict = {True: "met", False: "**not met**", None: "-"}[met]
            lines.append(f"| {figure} | {value} | {target} | {verdict} |")
    fanout = results["scenarios"].get("fanout")
    if fanout:
        lines += [
            "",
            "### Fan-out (one room, one sender, open loop)",
            "",
            "| members | msg/s | target | p50 ms | p95 ms | p99 ms | max ms | deliveries/s "
            "| lost | gaps | server CPU µs/delivery |",
            "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for size, row in fanout.items():
            for target in TARGETS:
                r = row.get(target)
                if r is None:
                    continue
                d = r["delivery_ms"]
                lines.append(
                    f"| {size} | {row['rate']} | {LABELS[target]} | {fmt(d.get('p50'))} "
                    f"| {fmt(d.get('p95'))} | {fmt(d.get('p99'))} | {fmt(d.get('max'))} "
                    f"| {fmt(r['deliveries_per_s'])} | {r['lost']} | {r['gaps']} "
                    f"| {fmt(r['cpu_us_per_delivery'])} |"
                )
        lines += [
            "",
            "Causeway as a multiple of each baseline (p99 latency / CPU per delivery):",
            "",
            "| members | vs websockets | vs raw ASGI on Daphne | vs Channels group chat |",
            "|---:|---|---|---|",
        ]
        for size, row in fanout.items():
            r = ratios(row)
            cells = []
            for base in ("websockets", "asgi", "channels"):
                v = r.get(base, {})
                cells.append(f"{fmt(v.get('p99_latency'))} / {fmt(v.get('cpu_per_delivery'))}")
            lines.append(f"| {size} | " + " | ".join(cells) + " |")
    for name, title in (
        (
            "many_rooms",
            "Many rooms (10 sockets each, one message per room per second, typing and presence)",
        ),
        ("ack", "send -> ack, 200 msg/s over 50 rooms (PostgreSQL)"),
        ("store", "Storing: 100 msg/s over 20 rooms, no receivers (CPU per stored message)"),
        ("hot_room", "Hot room: 20 senders, 200 msg/s into one room (sequence under contention)"),
    ):
        r = results["scenarios"].get(name)
        if not r:
            continue
        lines += [
            "",
            f"### {title}",
            "",
            "| server | sockets | delivery p50/p95/p99/max ms | ack p50/p95/p99 ms "
            "| deliveries/s | lost | gaps | CPU µs/delivery | CPU ms/message | Redis MB |",
            "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        runs = [(LABELS["causeway"], r)]
        if "baseline_store_floor" in r:
            runs.append((STORE_FLOOR, r["baseline_store_floor"]))
        for label, run in runs:
            d, a = run["delivery_ms"], run["ack_ms"]
            lines.append(
                f"| {label} | {run['sockets']} | {fmt(d.get('p50'))} / {fmt(d.get('p95'))} / "
                f"{fmt(d.get('p99'))} / {fmt(d.get('max'))} | {fmt(a.get('p50'))} / "
                f"{fmt(a.get('p95'))} / {fmt(a.get('p99'))} "
                f"| {fmt(run['deliveries_per_s'])} | {run['lost']} | {run['gaps']} "
                f"| {fmt(run['cpu_us_per_delivery'])} | {fmt(run.get('cpu_ms_per_message'))} "
                f"| {run['redis_memory_mb']} |"
            )
    idle = results["scenarios"].get("idle")
    if idle:
        lines += [
            "",
            "### Idle capacity (one process)",
            "",
            "| server | sockets opened | failed | KB RSS per socket | connects/s "
            "| CPU ms/connect |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for target, r in idle.items():
            lines.append(
                f"| {idle_label(target)} | {r['opened']} / {r['target']} | {r['failed']} "
                f"| {fmt(r['kb_per_socket'])} | {fmt(r['connects_per_s'])} "
                f"| {fmt(r.get('cpu_ms_per_connect'))} |"
            )
    resume = results["scenarios"].get("resume")
    if resume:
        lines += [
            "",
            "### Resume",
            "",
            f"A client that missed 1,000 events caught up in {resume['seconds']:.2f} s "
            f"({resume['events']} events, {resume['gaps']} gaps).",
        ]
    storm = results["scenarios"].get("storm")
    if storm:
        lines += [
            "",
            "### Reconnect storm",
            "",
            f"{storm['clients']} clients on two processes, dropped at once, each back with a "
            "handshake and a `subscribe` with `since`, then closed. The baselines answer the "
            "`subscribe` with a fixed `subscribed` (no session, no database). CPU seconds are "
            "of the resume phase; *other* is PostgreSQL, Redis and the kernel.",
            "",
            "| server | resumed | errors | all back, s | machine busy | server CPU s "
            "| CPU ms/resume | load generator CPU s | other CPU s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        runs = [(LABELS["causeway"], storm)] + [
            (LABELS[kind], storm[f"baseline_{kind}"])
            for kind in ("channels", "asgi")
            if f"baseline_{kind}" in storm
        ]
        for name, run in runs:
            busy = run.get("machine_busy_share")
            lines.append(
                f"| {name} | {run['resumed']} / {run['clients']} | {run['errors']} "
                f"| {run['all_resumed_s']} | {f'{busy:.0%}' if busy is not None else '-'} "
                f"| {run.get('server_cpu_s', '-')} | {run.get('server_cpu_ms_per_resume', '-')} "
                f"| {run.get('loadgen_cpu_s', '-')} | {run.get('other_cpu_s', '-')} |"
            )
    return "\n".join(lines) + "\n"
