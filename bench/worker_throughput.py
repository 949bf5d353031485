"""SMS per second of the gateway worker with K loopback modems each taking L s per SMS sent.

Every ``--long-every``-th message is a three-segment notice (Polish, so UCS-2; 3 × ``AT+CMGS``),
the rest one-segment codes: the rate counts segments, what the modems actually send. For
K = 1..``--max-modems`` a fresh outbox gets ``per-modem × K`` messages once the worker's K
modems are up; the rate is taken from the messages' ``sent_at`` while every modem is busy:
from the K-th message sent to the moment the first modem has nothing left (in the tail, where
some modems finish before others, the queue's end is measured, not the worker). It is
compared with the bound K/L, and with K times the rate of one modem driven directly (no
outbox, no worker) with the same mix, measured in the same run.

Run: ``.venv/bin/python bench/worker_throughput.py [--delay 0.5] [--per-modem 18] [--db sqlite]``
(``--smoke``: a small run, under 30 s, for CI).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from gateway.fake import FakeModem, Faults
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox
from gateway.outbox.schema import outbox_table
from gateway.sms_pdu import segment_count
from worker_common import (
    NUMBER,
    databases,
    loopback_modems,
    open_outbox,
    start_worker,
    stop_worker,
    text,
    wait_ready,
    wait_sent,
)

#: 190 characters with Polish letters: UCS-2, three segments of at most 67.
NOTICE = (
    "Talk2M: zapamiętano nowy komputer dla Twojego konta (Chrome, Windows) o 10:42. "
    "Jeśli to nie Ty, zmień hasło i odwołaj zapamiętane komputery w ustawieniach zabezpieczeń."
)


def message(i: int, long_every: int) -> str:
    return NOTICE if long_every and i % long_every == long_every - 1 else text(i)


def direct_rate(workdir: Path, delay: float, count: int, long_every: int) -> float:
    """Segments/s of one modem driven directly: the per-modem ceiling with this delay."""
    settings = ModemSettings(registration_timeout=5.0)
    with (
        FakeModem(workdir / "direct", Faults(send_delay=delay)) as fake,
        Modem(fake.device, settings=settings) as modem,
    ):
        modem.send(NUMBER, text(0))
        texts = [message(i, long_every) for i in range(count)]
        started = time.perf_counter()
        for body in texts:
            modem.send(NUMBER, body)
        return sum(map(segment_count, texts)) / (time.perf_counter() - started)


def worker_rate(
    url: str, workdir: Path, modems: int, delay: float, per_modem: int, long_every: int
) -> float:
    """Segments/s through a worker process and K modems."""
    texts = [message(i, long_every) for i in range(per_modem * modems)]
    outbox = open_outbox(url, workdir)
    with loopback_modems(workdir, modems, delay) as devices:
        worker = start_worker(url, workdir, devices)
        try:
            wait_ready(outbox, modems, worker, workdir)
            with outbox.engine.begin() as conn:
                ids = [outbox.enqueue(NUMBER, t, expires_at=None, connection=conn) for t in texts]
            timeout = sum(map(segment_count, texts)) * delay + 60
            wait_sent(outbox, len(texts), timeout, worker, workdir)
        finally:
            stop_worker(worker)
    segments = {msg_id: segment_count(t) for msg_id, t in zip(ids, texts, strict=True)}
    sent = _sent(outbox)
    outbox.engine.dispose()
    start = sent[modems - 1][0]
    end = min(max(when for when, _, m in sent if m == modem) for modem in {m for *_, m in sent})
    counted = sum(segments[msg_id] for when, msg_id, _ in sent if start < when <= end)
    return counted / (end - start).total_seconds()


def _sent(outbox: Outbox) -> list[tuple[datetime, int, str]]:
    """``(sent_at, id, modem)`` of each sent message, in the order they were sent."""
    t = outbox_table
    query = sa.select(t.c.sent_at, t.c.id, t.c.modem).where(t.c.sent_at.is_not(None))
    with outbox.engine.connect() as conn:
        rows = conn.execute(query.order_by(t.c.sent_at)).all()
    return [(row.sent_at, row.id, row.modem) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5, help="seconds per SMS sent (L)")
    parser.add_argument("--per-modem", type=int, default=18, help="messages per modem")
    parser.add_argument("--max-modems", type=int, default=3)
    parser.add_argument("--long-every", type=int, default=3, help="0: codes only")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--smoke", action="store_true", help="a small run (CI): under 30 s")
    args = parser.parse_args()
    if args.smoke:
        args.delay, args.per_modem, args.max_modems, args.db = 0.1, 4, 2, "sqlite"
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        count = max(4, args.per_modem // 2)
        base = direct_rate(Path(tmp), args.delay, count, args.long_every)
        print(f"L = {args.delay} s per SMS; one modem driven directly: {base:.3f} SMS/s")
        print(f"{'db':<9}{'K':>2}{'SMS/s':>9}{'bound K/L':>11}{'vs bound':>10}{'vs K×direct':>13}")
        for k in range(1, args.max_modems + 1):
            workdir = Path(tmp) / f"k{k}"
            workdir.mkdir()
            with databases(workdir, args.db) as dbs:
                for label, url in dbs:
                    rate = worker_rate(url, workdir, k, args.delay, args.per_modem, args.long_every)
                    bound = k / args.delay
                    print(
                        f"{label:<9}{k:>2}{rate:>9.3f}{bound:>11.3f}"
                        f"{rate / bound:>9.1%}{rate / (k * base):>13.1%}"
                    )


if __name__ == "__main__":
    main()
