"""Engines for the outbox, with the SQLite settings that make it safe across processes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

#: How long a SQLite writer waits for another process's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_outbox_engine(url: str | sa.URL, **kwargs: Any) -> sa.Engine:
    """Create an engine for ``url``; on SQLite, turn on WAL and a busy timeout.

    WAL lets the web app enqueue while the worker claims; the busy timeout makes a writer wait
    for another process's short write lock instead of failing at once.
    """
    url = sa.make_url(url)
    # A server may drop connections (restart, pg_terminate_backend); a SQLite file cannot.
    kwargs.setdefault("pool_pre_ping", url.get_backend_name() != "sqlite")
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    return engine


def configure_sqlite(engine: sa.Engine) -> None:
    """Apply the outbox's pragmas to every new connection of a SQLite ``engine``.

    A host that hands its own engine to :class:`~gateway.outbox.Outbox` may call this too.
    """

    @sa.event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL survives any process crash; a power cut can lose only the last
        # commits: a code the user then asks for again, or one repeated send.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
