"""Messages per second of the gateway worker with K loopback modems each taking L s per send.

For K = 1..4 a fresh outbox gets ``per-modem × K`` messages once the worker's K modems are
up; the rate is taken from the messages' ``sent_at`` (after the first K, which start the
clock). It is compared with the bound K/L, and with K times the rate of one modem driven
directly (no outbox, no worker) measured in the same run.

Run: ``.venv/bin/python bench/worker_throughput.py [--delay 0.5] [--per-modem 12] [--db sqlite]``
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from datetime import datetime
from pathlib import Path

from gateway.fake import FakeModem, Faults
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, OutboxKeys
from worker_common import (
    NUMBER,
    databases,
    loopback_modems,
    sent_times,
    start_worker,
    stop_worker,
    text,
    wait_ready,
    wait_sent,
)


def direct_rate(workdir: Path, delay: float, count: int) -> float:
    """Messages/s of one modem driven directly: the per-modem ceiling with this delay."""
    settings = ModemSettings(registration_timeout=5.0)
    with (
        FakeModem(workdir / "direct", Faults(send_delay=delay)) as fake,
        Modem(fake.device, settings=settings) as modem,
    ):
        modem.send(NUMBER, text(0))
        started = time.perf_counter()
        for i in range(count):
            modem.send(NUMBER, text(i))
        return count / (time.perf_counter() - started)


def worker_rate(url: str, workdir: Path, modems: int, delay: float, per_modem: int) -> float:
    total = per_modem * modems
    outbox = Outbox(url, keys=OutboxKeys.generate())
    outbox.create_schema()
    with loopback_modems(workdir, modems, delay) as devices:
        times = _drain(outbox, url, workdir, devices, total, delay)
    outbox.engine.dispose()
    span = (times[-1] - times[modems - 1]).total_seconds()
    return (total - modems) / span


def _drain(
    outbox: Outbox, url: str, workdir: Path, devices: list[str], total: int, delay: float
) -> list[datetime]:
    worker = start_worker(url, workdir, devices)
    try:
        wait_ready(outbox, len(devices))
        with outbox.engine.begin() as conn:
            for i in range(total):
                outbox.enqueue(NUMBER, text(i), expires_at=None, connection=conn)
        wait_sent(outbox, total, timeout=total * delay + 60)
        return sent_times(outbox)
    finally:
        stop_worker(worker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5, help="seconds per send (L)")
    parser.add_argument("--per-modem", type=int, default=12, help="messages per modem")
    parser.add_argument("--max-modems", type=int, default=4)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        base = direct_rate(Path(tmp), args.delay, max(4, args.per_modem // 2))
        print(f"L = {args.delay} s; one modem driven directly: {base:.3f} msg/s")
        print(f"{'db':<9}{'K':>2}{'msg/s':>9}{'bound K/L':>11}{'vs bound':>10}{'vs K×direct':>13}")
        for k in range(1, args.max_modems + 1):
            workdir = Path(tmp) / f"k{k}"
            workdir.mkdir()
            with databases(workdir, args.db) as dbs:
                for label, url in dbs:
                    rate = worker_rate(url, workdir, k, args.delay, args.per_modem)
                    bound = k / args.delay
                    print(
                        f"{label:<9}{k:>2}{rate:>9.3f}{bound:>11.3f}"
                        f"{rate / bound:>9.1%}{rate / (k * base):>13.1%}"
                    )


if __name__ == "__main__":
    main()
