"""Enqueue → AT+CMGS latency with an idle modem, on SQLite and PostgreSQL (goal p99 ≤ 100 ms).

A worker process (``t2m2fa-gateway run --modem DEV``) serves one loopback modem that lives in
this process. Each round waits a random idle gap (so the worker is asleep, at any point of its
poll cycle), enqueues one message, and takes the time from just before ``enqueue`` to the
moment the loopback modem received the PDU that follows ``AT+CMGS`` (its inbox timestamp; an
upper bound of the ``AT+CMGS`` time). The baseline, measured in the same run, is the same
exchange driven directly with :class:`gateway.modem.Modem`: what the queue adds is the
difference.

Run: ``.venv/bin/python bench/worker_latency.py [-n 200] [--db both]`` (``--smoke``: a small
run, under 30 s, for CI).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from gateway.fake import FakeModem, Inbox
from gateway.message import DeliveryState
from gateway.modem import Modem, ModemSettings
from worker_common import (
    NUMBER,
    databases,
    loopback_modems,
    open_outbox,
    percentile,
    start_worker,
    stop_worker,
    text,
    wait_ready,
)


def direct_latencies(workdir: Path, rounds: int) -> list[float]:
    """Milliseconds from ``Modem.send`` to the PDU's arrival, with no queue at all."""
    with FakeModem(workdir / "direct") as fake:
        with Modem(fake.device, settings=ModemSettings(registration_timeout=5.0)) as modem:
            starts = []
            for i in range(rounds):
                starts.append(datetime.now(UTC))
                modem.send(NUMBER, text(i))
        arrivals = [m.received_at for m in fake.inbox.messages()]
    return [(a - s).total_seconds() * 1000 for s, a in zip(starts, arrivals, strict=True)]


def queued_latencies(url: str, workdir: Path, rounds: int, gap: float) -> list[float]:
    """Milliseconds from ``enqueue`` to the PDU's arrival through a worker process."""
    outbox = open_outbox(url, workdir)
    starts: dict[str, datetime] = {}
    with loopback_modems(workdir, 1, 0.0) as devices:
        worker = start_worker(url, workdir, devices)
        try:
            wait_ready(outbox, 1, worker, workdir)
            for i in range(rounds):
                time.sleep(random.uniform(gap / 2, gap * 1.5))  # the worker is idle
                starts[text(i) + f" #{i}"] = datetime.now(UTC)
                msg_id = outbox.enqueue(NUMBER, text(i) + f" #{i}", expires_at=None)
                while outbox.status(msg_id).state is not DeliveryState.SENT:
                    time.sleep(0.005)
        finally:
            stop_worker(worker)
    arrivals = {m.text: m.received_at for m in Inbox(workdir / "fakes").messages()}
    outbox.engine.dispose()
    return [(arrivals[k] - s).total_seconds() * 1000 for k, s in starts.items()]


def summary(label: str, values: list[float]) -> str:
    return (
        f"{label:<22} p50 {statistics.median(values):7.1f} ms   p99 {percentile(values, 0.99):7.1f}"
        f" ms   max {max(values):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rounds", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.15, help="mean idle seconds per round")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--smoke", action="store_true", help="a small run (CI): under 30 s")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.db = 20, "sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        direct = direct_latencies(Path(tmp), args.rounds)
        print(f"{args.rounds} rounds, idle gap ~{args.gap} s")
        print(summary("direct Modem.send", direct))
        with databases(Path(tmp), args.db) as dbs:
            for label, url in dbs:
                workdir = Path(tmp) / label
                workdir.mkdir()
                queued = queued_latencies(url, workdir, args.rounds, args.gap)
                overhead = statistics.median(queued) - statistics.median(direct)
                print(summary(f"queued via {label}", queued) + f"   (+{overhead:.1f} ms p50)")


if __name__ == "__main__":
    main()
