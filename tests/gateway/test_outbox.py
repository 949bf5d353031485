"""The outbox on SQLite and PostgreSQL: enqueue, status, claim, marks, expiry, purge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from doubles import OUTBOX_KEYS
from gateway.errors import Outcome, SendError
from gateway.message import DeliveryState
from gateway.outbox import ModemReport, Outbox, RetryPolicy, UnknownMessageError
from gateway.outbox.schema import outbox_table

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
NUMBER = "+32470123467"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(db_url: str, clock: Clock) -> Iterator[Outbox]:
    box = Outbox(db_url, keys=OUTBOX_KEYS, clock=clock, policy=RetryPolicy(max_attempts=3))
    box.create_schema()
    yield box
    box.engine.dispose()


def raw_row(outbox: Outbox, msg_id: int) -> sa.RowMapping:
    with outbox.engine.connect() as conn:
        query = sa.select(outbox_table).where(outbox_table.c.id == msg_id)
        return conn.execute(query).mappings().one()


def enqueue(outbox: Outbox, clock: Clock, lifetime: float | None = 300) -> int:
    expires = None if lifetime is None else clock.now + timedelta(seconds=lifetime)
    return outbox.enqueue(NUMBER, "Your code: 1234", expires_at=expires)


def test_enqueued_message_is_queued(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    status = outbox.status(msg_id)
    assert status.state is DeliveryState.QUEUED
    assert status.attempts == 0
    assert not status.failed


def test_status_of_unknown_id_raises(outbox: Outbox) -> None:
    with pytest.raises(UnknownMessageError):
        outbox.status(12345)


def test_enqueue_in_rolled_back_transaction_queues_nothing(outbox: Outbox, clock: Clock) -> None:
    with outbox.engine.connect() as conn:
        outbox.enqueue(NUMBER, "x", expires_at=None, connection=conn)
        conn.rollback()
    assert outbox.claim("w", "m1") == []


def test_enqueue_in_committed_transaction_is_queued(outbox: Outbox) -> None:
    with outbox.engine.begin() as conn:
        msg_id = outbox.enqueue(NUMBER, "x", expires_at=None, kind="notice", connection=conn)
    [claimed] = outbox.claim("w", "m1")
    assert (claimed.id, claimed.kind) == (msg_id, "notice")


@pytest.mark.parametrize("number", ["0470", "+32 470 12", "abc", ""])
def test_enqueue_rejects_malformed_numbers(outbox: Outbox, number: str) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        outbox.enqueue(number, "x", expires_at=None)


def test_enqueue_rejects_naive_expiry_and_empty_text(outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="aware"):
        outbox.enqueue(NUMBER, "x", expires_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="text"):
        outbox.enqueue(NUMBER, "", expires_at=None)


def test_claim_leases_a_message_once(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    [claimed] = outbox.claim("w1", "m1")
    assert (claimed.id, claimed.destination, claimed.body) == (msg_id, NUMBER, "Your code: 1234")
    assert claimed.attempts == 1
    assert NUMBER not in repr(claimed) and "1234" not in repr(claimed)
    assert outbox.status(msg_id).state is DeliveryState.SENDING
    assert outbox.claim("w2", "m2") == []


def test_claim_takes_oldest_first_up_to_limit(outbox: Outbox, clock: Clock) -> None:
    ids = [enqueue(outbox, clock) for _ in range(5)]
    assert [c.id for c in outbox.claim("w", "m", limit=3)] == ids[:3]
    assert [c.id for c in outbox.claim("w", "m", limit=3)] == ids[3:]


def test_lost_lease_is_claimed_again(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w1", "m1", lease=timedelta(seconds=30))
    clock.advance(29)
    assert outbox.claim("w2", "m2") == []
    clock.advance(2)
    [again] = outbox.claim("w2", "m2")
    assert (again.id, again.attempts) == (msg_id, 2)


def test_lost_lease_with_no_attempts_left_becomes_unknown(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock, lifetime=None)
    for _ in range(3):
        assert outbox.claim("w", "m", lease=timedelta(seconds=10))
        clock.advance(11)
    assert outbox.claim("w", "m") == []
    assert outbox.expire() == 1
    status = outbox.status(msg_id)
    assert status.state is DeliveryState.UNKNOWN
    assert status.failed


def test_mark_sent_records_and_redacts(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w", "m1")
    clock.advance(2)
    outbox.mark_sent(msg_id, 42, "m1")
    status = outbox.status(msg_id)
    assert (status.state, status.modem, status.sent_at) == (DeliveryState.SENT, "m1", clock.now)
    row = raw_row(outbox, msg_id)
    assert (row["sealed"], row["reference"]) == (None, 42)
    assert row["destination_masked"] == "+•••67"


def test_temporary_failure_retries_after_backoff(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w", "m1")
    error = SendError("congestion", outcome=Outcome.TEMPORARY, cms_code=42)
    assert outbox.mark_failed(msg_id, error, modem="m1") is DeliveryState.QUEUED
    status = outbox.status(msg_id)
    assert (status.state, status.reason, status.permanent) == (
        DeliveryState.QUEUED,
        "congestion",
        False,
    )
    assert outbox.claim("w", "m2") == []
    clock.advance(5)
    [again] = outbox.claim("w", "m1")
    assert (again.id, again.attempts, again.failover) == (msg_id, 2, False)


def test_temporary_failure_fails_over_at_once_to_another_modem(
    outbox: Outbox, clock: Clock
) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w", "m1")
    error = SendError("busy", outcome=Outcome.TEMPORARY, cms_code=515)
    outbox.mark_failed(msg_id, error, modem="m1", allow_failover=True)
    assert outbox.claim("w", "m1") == []
    [other] = outbox.claim("w", "m2")
    assert (other.id, other.failover) == (msg_id, True)


def test_temporary_failures_stop_at_max_attempts(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock, lifetime=None)
    error = SendError("congestion", outcome=Outcome.TEMPORARY, cms_code=42)
    states = []
    for _ in range(3):
        [claimed] = outbox.claim("w", "m1")
        states.append(outbox.mark_failed(claimed.id, error))
        clock.advance(60)
    assert states == [DeliveryState.QUEUED, DeliveryState.QUEUED, DeliveryState.FAILED]
    status = outbox.status(msg_id)
    assert (status.state, status.attempts, status.permanent) == (DeliveryState.FAILED, 3, False)
    assert raw_row(outbox, msg_id)["sealed"] is None


def test_permanent_failure_fails_at_once(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w", "m1")
    error = SendError("unassigned number", outcome=Outcome.PERMANENT, cms_code=1)
    assert outbox.mark_failed(msg_id, error) is DeliveryState.FAILED
    status = outbox.status(msg_id)
    assert (status.state, status.permanent, status.reason) == (
        DeliveryState.FAILED,
        True,
        "unassigned number",
    )
    assert status.failed
    assert raw_row(outbox, msg_id)["sealed"] is None


def test_unknown_outcome_is_never_sent_again(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w", "m1")
    error = SendError("no answer to AT+CMGS", outcome=Outcome.UNKNOWN)
    assert outbox.mark_failed(msg_id, error) is DeliveryState.UNKNOWN
    clock.advance(3600)
    assert outbox.claim("w", "m1") == []
    assert outbox.status(msg_id).state is DeliveryState.UNKNOWN


def test_mark_failed_by_a_modem_that_lost_the_message_changes_nothing(
    outbox: Outbox, clock: Clock
) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w1", "m1", lease=timedelta(seconds=5))
    clock.advance(6)
    outbox.claim("w2", "m2")
    error = SendError("x", outcome=Outcome.TEMPORARY)
    assert outbox.mark_failed(msg_id, error, modem="m1") is None
    assert outbox.status(msg_id).modem == "m2"


def test_retry_that_would_come_after_expiry_expires(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock, lifetime=4)
    outbox.claim("w", "m1")
    error = SendError("congestion", outcome=Outcome.TEMPORARY, cms_code=42)
    assert outbox.mark_failed(msg_id, error) is DeliveryState.EXPIRED


def test_expired_message_is_never_claimed(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock, lifetime=60)
    clock.advance(60)
    assert outbox.claim("w", "m1") == []
    assert outbox.expire() == 1
    status = outbox.status(msg_id)
    assert (status.state, status.reason) == (
        DeliveryState.EXPIRED,
        "expired before it could be sent",
    )
    assert raw_row(outbox, msg_id)["sealed"] is None


def test_expire_leaves_a_message_being_sent_alone(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock, lifetime=60)
    outbox.claim("w", "m1", lease=timedelta(seconds=120))
    clock.advance(61)
    assert outbox.expire() == 0
    outbox.mark_sent(msg_id, 7, "m1")
    assert outbox.status(msg_id).state is DeliveryState.SENT


def test_release_undoes_the_attempt(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w", "m1")
    outbox.release(msg_id, "m1")
    [again] = outbox.claim("w", "m2")
    assert again.attempts == 1


def test_recover_modem_requeues_rows_of_a_dead_worker(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("old-worker", "host:/dev/ttyUSB0")
    assert outbox.recover_modem("host:/dev/ttyUSB0", "new-worker") == 1
    [again] = outbox.claim("new-worker", "host:/dev/ttyUSB0")
    assert (again.id, again.attempts) == (msg_id, 2)
    assert outbox.recover_modem("host:/dev/ttyUSB0", "new-worker") == 0


def test_purge_deletes_old_final_rows_only(outbox: Outbox, clock: Clock) -> None:
    sent = enqueue(outbox, clock)
    outbox.claim("w", "m")
    outbox.mark_sent(sent, 1, "m")
    waiting = enqueue(outbox, clock, lifetime=None)
    with pytest.raises(ValueError, match="one day"):
        outbox.purge(timedelta(hours=1))
    clock.advance(8 * 86400)
    assert outbox.purge() == 1
    with pytest.raises(UnknownMessageError):
        outbox.status(sent)
    assert outbox.status(waiting).state is DeliveryState.QUEUED


def test_stats_count_states_and_oldest_age(outbox: Outbox, clock: Clock) -> None:
    assert outbox.stats().oldest_queued_age is None
    first = enqueue(outbox, clock, lifetime=None)
    clock.advance(10)
    enqueue(outbox, clock, lifetime=None)
    enqueue(outbox, clock, lifetime=None)
    outbox.claim("w", "m")
    outbox.mark_sent(first, 1, "m")
    clock.advance(5)
    stats = outbox.stats()
    assert stats.counts[DeliveryState.QUEUED] == 2
    assert stats.counts[DeliveryState.SENT] == 1
    assert stats.counts[DeliveryState.FAILED] == 0
    assert stats.oldest_queued_age == timedelta(seconds=5)
    assert stats.due == 2


def test_next_due_is_the_earliest_retry_or_lease_end(outbox: Outbox, clock: Clock) -> None:
    assert outbox.next_due() is None
    msg_id = enqueue(outbox, clock)
    outbox.claim("w", "m", lease=timedelta(seconds=100))
    assert outbox.next_due() == clock.now + timedelta(seconds=100)
    outbox.mark_failed(msg_id, SendError("x", outcome=Outcome.TEMPORARY))
    assert outbox.next_due() == clock.now + timedelta(seconds=5)


def test_sent_since_lists_recipient_keys_not_numbers(outbox: Outbox, clock: Clock) -> None:
    msg_id = enqueue(outbox, clock)
    outbox.claim("w", "m1")
    outbox.mark_sent(msg_id, 1, "m1")
    [(sent_at, key)] = outbox.sent_since("m1", clock.now - timedelta(days=1))
    assert sent_at == clock.now
    assert key.startswith("67") and NUMBER[3:] not in key
    assert outbox.sent_since("m2", clock.now - timedelta(days=1)) == []


def test_modem_reports_are_upserted(outbox: Outbox, clock: Clock) -> None:
    outbox.report_modem(ModemReport("h:/dev/ttyUSB0", "w1", "opening", clock.now))
    later = ModemReport("h:/dev/ttyUSB0", "w1", "ready", clock.now, signal_dbm=-71, sent_today=0)
    outbox.report_modem(later)
    assert outbox.modem_reports() == [later]


def test_modem_reports_count_sends_from_the_outbox(outbox: Outbox, clock: Clock) -> None:
    outbox.report_modem(ModemReport("m1", "w1", "ready", clock.now))
    for _ in range(2):
        msg_id = enqueue(outbox, clock, lifetime=None)
        outbox.claim("w1", "m1")
        outbox.mark_sent(msg_id, 1, "m1")
        clock.advance(86_000)
    [report] = outbox.modem_reports()
    assert report.last_success_at == clock.now - timedelta(seconds=86_000)
    assert report.sent_today == 1


def test_create_schema_is_idempotent(outbox: Outbox) -> None:
    outbox.create_schema()
    assert outbox.stats().counts[DeliveryState.QUEUED] == 0


def test_sqlite_uses_wal_and_a_busy_timeout(sqlite_url: str) -> None:
    outbox = Outbox(sqlite_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    with outbox.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    outbox.engine.dispose()


def test_a_queued_message_past_its_expiry_reports_expired_before_any_worker_tidies(
    outbox: Outbox, clock: Clock
) -> None:
    msg_id = enqueue(outbox, clock, lifetime=60)
    keep = enqueue(outbox, clock, lifetime=600)
    clock.advance(60)
    status = outbox.status(msg_id)  # no worker ran expire(): the row still says queued
    assert (status.state, status.reason, status.failed) == (
        DeliveryState.EXPIRED,
        "expired before it could be sent",
        True,
    )
    assert outbox.status(keep).state is DeliveryState.QUEUED
    stats = outbox.stats()
    assert (stats.counts[DeliveryState.QUEUED], stats.counts[DeliveryState.EXPIRED]) == (1, 1)
    assert stats.due == 1
