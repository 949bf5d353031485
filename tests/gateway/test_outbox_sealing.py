"""Issue 8.5: the outbox keeps no destination and no text in clear (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from doubles import OUTBOX_KEY, OUTBOX_KEYS
from gateway.message import DeliveryState
from gateway.outbox import (
    Outbox,
    OutboxKeyError,
    OutboxKeys,
    SealedMessageError,
    new_key_text,
)
from gateway.outbox.rekeying import reseal_waiting
from gateway.outbox.schema import outbox_table as t

NUMBER = "+32470123456"
TEXT = "Example: your login code is 9741. It expires in 5 min. Never share this code."


def soon() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=5)


@pytest.fixture
def outbox(db_url: str) -> Iterator[Outbox]:
    box = Outbox(db_url, keys=OUTBOX_KEYS)
    box.create_schema()
    yield box
    box.engine.dispose()


def _rows(outbox: Outbox) -> list[sa.RowMapping]:
    with outbox.engine.connect() as conn:
        return list(conn.execute(sa.select(t).order_by(t.c.id)).mappings())


def test_rows_hold_no_clear_destination_or_text(outbox: Outbox) -> None:
    msg_id = outbox.enqueue(NUMBER, TEXT, expires_at=soon())
    [row] = _rows(outbox)
    stored = b"".join(
        value if isinstance(value, bytes) else str(value).encode() for value in row.values()
    )
    for secret in (NUMBER, NUMBER[1:], "0470123456", "9741"):
        assert secret.encode() not in stored
    assert "destination" not in row and "body" not in row
    assert row["destination_masked"] == "+•••56"
    [claimed] = outbox.claim("w", "m")
    assert (claimed.id, claimed.destination, claimed.body) == (msg_id, NUMBER, TEXT)


def test_sqlite_files_hold_no_clear_number_or_code(sqlite_url: str) -> None:
    outbox = Outbox(sqlite_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    for _ in range(3):
        outbox.enqueue(NUMBER, TEXT, expires_at=soon())
    files = [p for p in Path(sa.make_url(sqlite_url).database or "").parent.iterdir()]
    data = b"".join(p.read_bytes() for p in files)  # database and WAL, before any checkpoint
    outbox.engine.dispose()
    assert any(p.name.endswith("-wal") for p in files)
    assert NUMBER[1:].encode() not in data and b"code is 9741" not in data


def test_a_ciphertext_moved_to_another_row_does_not_open(outbox: Outbox) -> None:
    first = outbox.enqueue(NUMBER, TEXT, expires_at=soon())
    second = outbox.enqueue("+32470999999", "other", expires_at=soon())
    with outbox.engine.begin() as conn:
        sealed = conn.execute(sa.select(t.c.sealed).where(t.c.id == first)).scalar_one()
        conn.execute(sa.update(t).where(t.c.id == second).values(sealed=sealed))
    [claimed] = outbox.claim("w", "m", limit=2)
    assert claimed.id == first
    status = outbox.status(second)
    assert status.state is DeliveryState.FAILED and status.permanent
    assert status.reason == "the sealed message was altered or moved"
    assert _rows(outbox)[1]["sealed"] is None  # failed rows are redacted as before


def test_rotation_old_key_opens_then_rekey_lets_it_go(outbox: Outbox) -> None:
    msg_id = outbox.enqueue(NUMBER, TEXT, expires_at=soon())
    new = new_key_text()
    both = OutboxKeys.from_text(f"{new}\n{OUTBOX_KEY}\n")  # current first, old kept
    assert both.current_id != OUTBOX_KEYS.current_id
    assert set(both.key_ids) == {both.current_id, OUTBOX_KEYS.current_id}
    assert reseal_waiting(outbox.engine, both).resealed == 1
    assert reseal_waiting(outbox.engine, both).resealed == 0  # idempotent
    outbox.keys = OutboxKeys.from_text(new)  # the old key is gone
    [claimed] = outbox.claim("w", "m")
    assert (claimed.id, claimed.destination) == (msg_id, NUMBER)


def test_a_worker_without_the_key_fails_the_message_and_says_why(outbox: Outbox) -> None:
    msg_id = outbox.enqueue(NUMBER, TEXT, expires_at=soon())
    outbox.keys = OutboxKeys.generate()
    assert outbox.claim("w", "m") == []
    status = outbox.status(msg_id)
    assert status.state is DeliveryState.FAILED
    assert status.reason is not None and "which this process lacks" in status.reason


def test_no_keys_no_queueing_and_no_claiming(db_url: str) -> None:
    outbox = Outbox(db_url)
    outbox.create_schema()
    with pytest.raises(OutboxKeyError, match="no outbox key"):
        outbox.enqueue(NUMBER, TEXT, expires_at=soon())
    with pytest.raises(OutboxKeyError, match="no outbox key"):
        outbox.claim("w", "m")
    assert outbox.stats().counts[DeliveryState.QUEUED] == 0  # reading needs no key
    outbox.engine.dispose()


def test_sealed_value_names_its_key_and_resists_tampering() -> None:
    sealed = OUTBOX_KEYS.seal(7, "code", NUMBER, TEXT)
    assert OUTBOX_KEYS.current_id.encode() in sealed[:12]
    assert OUTBOX_KEYS.open(7, "code", sealed) == (NUMBER, TEXT)
    with pytest.raises(SealedMessageError):
        OUTBOX_KEYS.open(7, "notice", sealed)  # the kind is bound too
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SealedMessageError):
        OUTBOX_KEYS.open(7, "code", flipped)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no key"),
        ("# only a comment\n", "holds no key"),
        ("not base64!\n", "must be base64"),
        ("c2hvcnQ=\n", "must be 32 bytes"),
    ],
)
def test_bad_key_files_are_refused_with_their_name(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "outbox.key"
    path.write_text(content)
    with pytest.raises(OutboxKeyError, match=message):
        OutboxKeys.from_file(path)
    with pytest.raises(OutboxKeyError, match="cannot read"):
        OutboxKeys.from_file(tmp_path / "missing.key")


def test_sqlite_files_are_private(tmp_path: Path) -> None:
    database = tmp_path / "outbox.sqlite3"
    previous = os.umask(0o022)  # what most systems give: files would be 0644
    try:
        outbox = Outbox(f"sqlite:///{database}", keys=OUTBOX_KEYS)
        outbox.create_schema()
        outbox.enqueue(NUMBER, TEXT, expires_at=soon())
        modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
        outbox.engine.dispose()
    finally:
        os.umask(previous)
    assert modes == {name: "0o600" for name in ("outbox.sqlite3", *_side(database))}


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    for name in (database, Path(f"{database}-wal")):
        name.touch(mode=0o644)
        name.chmod(0o644)
    outbox = Outbox(f"sqlite:///{database}", keys=OUTBOX_KEYS)
    outbox.create_schema()
    outbox.engine.dispose()
    assert {oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()} == {"0o600"}


def _side(database: Path) -> list[str]:
    return [f"{database.name}-wal", f"{database.name}-shm"]


def test_an_outbox_from_before_encryption_is_upgraded(db_url: str) -> None:
    old = sa.MetaData()
    columns = [c._copy() for c in t.columns if c.name != "sealed"]
    clear = [sa.Column("destination", sa.String(32)), sa.Column("body", sa.Text)]
    legacy = sa.Table(t.name, old, *columns, *clear)
    engine = sa.create_engine(db_url)
    now = datetime.now(UTC)
    row = {"kind": "code", "destination_masked": "+•••56", "recipient_key": "56abc"}
    row |= {"attempts": 0, "next_attempt_at": now, "created_at": now}
    with engine.begin() as conn:
        old.create_all(conn)
        for state in ("queued", "sent"):
            conn.execute(
                legacy.insert().values(row | {"state": state, "destination": NUMBER, "body": TEXT})
            )
    engine.dispose()
    outbox = Outbox(db_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    outbox.create_schema()  # twice: idempotent
    [queued, sent] = _rows(outbox)
    assert "destination" not in queued and "body" not in queued
    assert outbox.status(queued["id"]).state is DeliveryState.EXPIRED
    assert outbox.status(sent["id"]).state is DeliveryState.SENT
    msg_id = outbox.enqueue(NUMBER, TEXT, expires_at=soon())
    assert [c.id for c in outbox.claim("w", "m")] == [msg_id]
    outbox.engine.dispose()
