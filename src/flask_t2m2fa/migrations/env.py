"""Alembic environment of the extension's own migrations (``flask t2m2fa upgrade``)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from flask_t2m2fa.migrations import VERSION_TABLE
from flask_t2m2fa.models import metadata
from gateway.outbox import metadata as outbox_metadata
from gateway.sqltypes import UTCDateTime


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render the extension's UTC type as the plain column type it stores."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return 'sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")'
    return False


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=[metadata, outbox_metadata],
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
