"""Workers claiming at the same time never get the same message."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa

from doubles import OUTBOX_KEYS
from gateway.outbox import NOTIFY_CHANNEL, Outbox


def test_parallel_claims_take_each_message_once(db_url: str) -> None:
    seed = Outbox(db_url, keys=OUTBOX_KEYS)
    seed.create_schema()
    ids = [seed.enqueue(f"+3247000{i:04d}", "hi", expires_at=None) for i in range(200)]
    taken: list[int] = []
    lock = threading.Lock()

    def drain(worker: int) -> None:
        outbox = Outbox(
            db_url, keys=OUTBOX_KEYS
        )  # its own engine, as a separate process would have
        while batch := outbox.claim(f"w{worker}", f"m{worker}", limit=3):
            for message in batch:
                outbox.mark_sent(message.id, 1, f"m{worker}")
            with lock:
                taken.extend(m.id for m in batch)
        outbox.engine.dispose()

    threads = [threading.Thread(target=drain, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(taken) == ids
    assert Counter(taken).most_common(1)[0][1] == 1
    seed.engine.dispose()


@pytest.mark.postgres
def test_enqueue_notifies_listeners_on_commit_only(postgres_url: str) -> None:
    outbox = Outbox(postgres_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    conninfo = sa.make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        row = listener.execute("SELECT current_schema()").fetchone()
        assert row is not None
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")

        def ours(timeout: float) -> list[str]:
            # Other tests' outboxes in other schemas of the same database notify too.
            return [n.payload for n in listener.notifies(timeout=timeout) if n.payload == row[0]]

        with outbox.engine.connect() as conn:
            outbox.enqueue("+32470000001", "x", expires_at=None, connection=conn)
            conn.rollback()
        assert ours(0.3) == []
        outbox.enqueue("+32470000001", "x", expires_at=None)
        assert ours(1.0) == [row[0]]
    outbox.engine.dispose()


def test_claim_lease_length_is_honoured(db_url: str) -> None:
    outbox = Outbox(db_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    outbox.enqueue("+32470000001", "x", expires_at=None)
    [claimed] = outbox.claim("w", "m", lease=timedelta(hours=1))
    due = outbox.next_due()
    assert due is not None and due - outbox.clock() > timedelta(minutes=59)
    assert claimed.attempts == 1
    outbox.engine.dispose()
