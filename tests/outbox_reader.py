"""What the default sender queued: the gateway outbox of a database, opened with the suite's key.

For tests that keep the extension's real sender (the outbox, written through the request's own
connection) instead of a :class:`RecordingSender`, and still need to read the codes. It offers
the recording sender's look-ups (``last``, ``last_to``, ``last_code_for``) over what is queued.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from doubles import OUTBOX_KEYS, RecordingSender, Sms
from gateway.outbox.schema import outbox_table


class OutboxReader:
    """Reads the outbox of ``url`` on its own connections, never from the app's pool.

    Only messages still sealed (not yet sent and redacted by a worker) can be read.
    """

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def count(self, **where: Any) -> int:
        """How many messages were queued (sent ones too), e.g. ``count(kind="code")``."""
        query = sa.select(sa.func.count()).select_from(outbox_table).filter_by(**where)
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    @property
    def messages(self) -> list[Sms]:
        """Every readable message, oldest first."""
        t = outbox_table
        query = sa.select(t.c.id, t.c.kind, t.c.sealed, t.c.expires_at).order_by(t.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.where(t.c.sealed.is_not(None))).all()
        found = []
        for row in rows:
            to, text = OUTBOX_KEYS.open(row.id, row.kind, row.sealed)
            found.append(Sms(to, text, row.expires_at, row.kind))
        return found

    def _recorded(self) -> RecordingSender:
        return RecordingSender(messages=self.messages)

    @property
    def last(self) -> Sms:
        return self._recorded().last

    def last_to(self, number: str) -> Sms:
        return self._recorded().last_to(number)

    def last_code_for(self, number: str) -> str:
        return self._recorded().last_to(number).code

    def close(self) -> None:
        self.engine.dispose()
