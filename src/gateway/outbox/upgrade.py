"""Bring an existing gateway database up to the current tables, without a migration tool.

The gateway has no Alembic history of its own: ``create_schema`` makes missing tables, and this
adds what later releases added to existing ones. So that stays safe, every added column is
nullable (old rows just have no value) and every change is additive: nothing is renamed,
retyped or dropped here. A host that manages the tables with Alembic gets the same columns
from :data:`gateway.outbox.metadata` by autogenerate.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from gateway.outbox.schema import metadata

log = logging.getLogger("gateway.outbox")


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
            # Two workers starting at once on PostgreSQL: the second finds the column there.
            guard = "IF NOT EXISTS " if conn.dialect.name == "postgresql" else ""
            conn.execute(
                sa.text(f'ALTER TABLE {table.name} ADD COLUMN {guard}"{column.name}" {column_type}')
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
