"""What the loopback modem "delivered": a small SQLite file other processes can read."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

INBOX_FILE = "inbox.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS delivered (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_number TEXT NOT NULL,
    text TEXT NOT NULL,
    received_at TEXT NOT NULL,
    reference INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    validity_seconds REAL,
    status_report_requested INTEGER NOT NULL,
    modem TEXT NOT NULL,
    segments INTEGER NOT NULL DEFAULT 1
)
"""
# Inbox files made before long messages were reassembled lack the segment count.
_ADD_SEGMENTS = "ALTER TABLE delivered ADD COLUMN segments INTEGER NOT NULL DEFAULT 1"


@dataclass(frozen=True)
class DeliveredMessage:
    """One message the loopback modem accepted, as its recipient would see it."""

    to: str
    text: str
    received_at: datetime
    reference: int
    encoding: str
    validity: timedelta | None
    status_report_requested: bool
    modem: str
    #: How many SMS the message took (concatenated segments put back together).
    segments: int = 1


class Inbox:
    """The delivered-message store in ``state_dir/inbox.sqlite3`` (WAL, so readers never block).

    Reads open their own short connection, so several threads and processes can read while
    the fake modem writes. :meth:`add` keeps one connection open (``synchronous=NORMAL``: no
    fsync per message, which would cost ~20 ms a send); :meth:`close` releases it.
    """

    def __init__(self, state_dir: Path | str) -> None:
        self.path = Path(state_dir) / INBOX_FILE
        self._writer: sqlite3.Connection | None = None
        self._writer_lock = threading.Lock()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(_SCHEMA)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(delivered)")}
        if "segments" not in columns:
            conn.execute(_ADD_SEGMENTS)
        return conn

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(self._open()) as conn, conn:
            yield conn

    def close(self) -> None:
        """Close the writing connection (reopened by the next :meth:`add`)."""
        with self._writer_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add(self, message: DeliveredMessage) -> None:
        """Record one delivered message."""
        validity = message.validity.total_seconds() if message.validity is not None else None
        with self._writer_lock:
            if self._writer is None:
                self._writer = self._open()
            with self._writer as conn:
                conn.execute(
                    "INSERT INTO delivered (to_number, text, received_at, reference, encoding,"
                    " validity_seconds, status_report_requested, modem, segments)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        message.to,
                        message.text,
                        message.received_at.isoformat(),
                        message.reference,
                        message.encoding,
                        validity,
                        int(message.status_report_requested),
                        message.modem,
                        message.segments,
                    ),
                )

    def messages(self) -> list[DeliveredMessage]:
        """Every delivered message, oldest first."""
        if not self.path.exists():
            return []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT to_number, text, received_at, reference, encoding, validity_seconds,"
                " status_report_requested, modem, segments FROM delivered ORDER BY id"
            ).fetchall()
        return [_message_of(row) for row in rows]

    def wait_for(self, count: int, timeout: float) -> list[DeliveredMessage]:
        """Wait until at least ``count`` messages were delivered; return them all.

        :raise TimeoutError: if fewer arrived within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages()
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(found)} of {count} messages delivered in {timeout} s")
            time.sleep(0.02)  # another process may write: poll the file

    def clear(self) -> None:
        """Forget every delivered message."""
        with self._connect() as conn:
            conn.execute("DELETE FROM delivered")


def _message_of(row: tuple[object, ...]) -> DeliveredMessage:
    to, text, received_at, reference, encoding, validity, srr, modem, segments = row
    return DeliveredMessage(
        to=str(to),
        text=str(text),
        received_at=datetime.fromisoformat(str(received_at)),
        reference=int(str(reference)),
        encoding=str(encoding),
        validity=timedelta(seconds=float(str(validity))) if validity is not None else None,
        status_report_requested=bool(srr),
        modem=str(modem),
        segments=int(str(segments)),
    )
