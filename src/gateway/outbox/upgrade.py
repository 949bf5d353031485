"""Bring an existing gateway database up to the current tables, without a migration tool.

The gateway has no Alembic history of its own: ``create_schema`` makes missing tables, and this
adds what later releases added to existing ones, each step idempotent. Added columns are
nullable (old rows just have no value). The one destructive step is the move to encrypted
messages: the clear ``destination`` and ``body`` columns are dropped (:func:`upgrade_schema`).
A host that manages the tables with Alembic gets the same columns from
:data:`gateway.outbox.metadata` by autogenerate.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from gateway.message import DeliveryState
from gateway.outbox.schema import metadata
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


def add_missing_columns_and_indexes(conn: sa.Connection) -> list[str]:
    """Add the columns and indexes of :data:`metadata` that existing tables lack.

    Run after ``metadata.create_all`` in the same transaction; returns what was added.
    """
    inspector = sa.inspect(conn)
    added: list[str] = []
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable:
                raise RuntimeError(f"cannot add NOT NULL column {table.name}.{column.name}")
            column_type = column.type.compile(dialect=conn.dialect)
            # Two workers starting at once: the second finds the column there (not SQLite, MySQL).
            guard = "IF NOT EXISTS " if _has_add_column_if_not_exists(conn.dialect) else ""
            name = conn.dialect.identifier_preparer.quote(column.name)
            conn.execute(
                sa.text(f"ALTER TABLE {table.name} ADD COLUMN {guard}{name} {column_type}")
            )
            added.append(f"{table.name}.{column.name}")
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
                added.append(str(index.name))
    if added:
        log.warning("gateway tables upgraded: added %s", ", ".join(added))
    return added


def _has_add_column_if_not_exists(dialect: sa.Dialect) -> bool:
    return dialect.name == "postgresql" or bool(getattr(dialect, "is_mariadb", False))
