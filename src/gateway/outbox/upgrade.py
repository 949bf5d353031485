"""Bringing an outbox table made by an older version up to date, from ``create_schema``.

The gateway has no Alembic of its own (a host may include :data:`~gateway.outbox.metadata` in
its migrations); the few changes an existing outbox needs are made here, each idempotent.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from gateway.message import DeliveryState
from gateway.sqltypes import UTCDateTime

log = logging.getLogger("gateway.outbox")

_TABLE = "t2m2fa_outbox"
_WAITING = [DeliveryState.QUEUED.value, DeliveryState.SENDING.value]


def upgrade_schema(conn: sa.Connection, now: datetime) -> None:
    """Replace the clear ``destination`` and ``body`` columns of an old outbox by ``sealed``.

    Rows still waiting were queued in clear: they are expired (a code lives minutes, the user
    asks for a new one) and the clear columns dropped, their old content overwritten on SQLite.
    """
    columns = {column["name"] for column in sa.inspect(conn).get_columns(_TABLE)}
    if "sealed" not in columns:
        blob = "BYTEA" if conn.dialect.name == "postgresql" else "BLOB"
        conn.exec_driver_sql(f"ALTER TABLE {_TABLE} ADD COLUMN sealed {blob}")
    legacy = [name for name in ("destination", "body") if name in columns]
    if not legacy:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")  # zero the pages the drop frees
    old = sa.table(
        _TABLE, sa.column("state"), sa.column("error"), sa.column("finished_at", UTCDateTime)
    )
    expired = conn.execute(
        sa.update(old)
        .where(old.c.state.in_(_WAITING))
        .values(
            state=DeliveryState.EXPIRED.value,
            error="queued before the outbox was encrypted",
            finished_at=now,
        )
    ).rowcount
    for name in legacy:
        conn.exec_driver_sql(f"ALTER TABLE {_TABLE} DROP COLUMN {name}")
    log.warning("outbox upgraded to encrypted messages; %d waiting message(s) expired", expired)
