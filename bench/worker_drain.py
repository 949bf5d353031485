"""Drain rate of 10,000 queued messages through one zero-latency loopback modem.

The messages are queued first; then a worker process (``t2m2fa-gateway run --modem DEV``)
sends them all. The rate is taken from the first to the last ``sent_at``. The baseline,
measured in the same run, is the same modem driven directly with :class:`gateway.modem.Modem`
(no database): the ratio is what the durable queue costs per message.

Run: ``.venv/bin/python bench/worker_drain.py [-n 10000] [--db both]`` (``--smoke``: a small
run, under 30 s, for CI).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gateway.fake import FakeModem
from gateway.modem import Modem, ModemSettings
from worker_common import (
    NUMBER,
    databases,
    loopback_modems,
    open_outbox,
    sent_times,
    start_worker,
    stop_worker,
    text,
    wait_sent,
)


def direct_rate(workdir: Path, count: int) -> float:
    settings = ModemSettings(registration_timeout=5.0)
    with FakeModem(workdir / "direct") as fake, Modem(fake.device, settings=settings) as modem:
        started = time.perf_counter()
        for i in range(count):
            modem.send(NUMBER, text(i))
        return count / (time.perf_counter() - started)


def drain_rate(url: str, workdir: Path, count: int) -> float:
    outbox = open_outbox(url, workdir)
    with outbox.engine.begin() as conn:
        for i in range(count):
            outbox.enqueue(NUMBER, text(i), expires_at=None, connection=conn)
    with loopback_modems(workdir, 1, 0.0) as devices:
        worker = start_worker(url, workdir, devices)
        try:
            wait_sent(outbox, count, count * 0.1 + 60, worker, workdir)
        finally:
            stop_worker(worker)
    times = sent_times(outbox)
    outbox.engine.dispose()
    return (len(times) - 1) / (times[-1] - times[0]).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--smoke", action="store_true", help="a small run (CI): under 30 s")
    args = parser.parse_args()
    if args.smoke:
        args.count, args.db = 300, "sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        base = direct_rate(Path(tmp), min(args.count, 2000))
        print(f"direct Modem.send (no queue): {base:8.1f} msg/s")
        with databases(Path(tmp), args.db) as dbs:
            for label, url in dbs:
                workdir = Path(tmp) / label
                workdir.mkdir()
                rate = drain_rate(url, workdir, args.count)
                print(
                    f"worker drain via {label:<9} {rate:8.1f} msg/s "
                    f"({args.count} messages; {rate / base:.0%} of direct)"
                )


if __name__ == "__main__":
    main()
