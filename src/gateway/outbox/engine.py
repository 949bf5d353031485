"""Engines for the outbox, with the SQLite settings that make it safe across processes."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.sqltypes import MYSQL_DIALECTS

log = logging.getLogger("gateway.outbox")

#: How long a SQLite writer waits for another process's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_outbox_engine(url: str | sa.URL, **kwargs: Any) -> sa.Engine:
    """Create an engine for ``url``; on SQLite, turn on WAL and a busy timeout.

    WAL lets the web app enqueue while the worker claims; the busy timeout makes a writer wait
    for another process's short write lock instead of failing at once. On MariaDB and MySQL,
    transactions are ``READ COMMITTED``.
    """
    url = sa.make_url(url)
    # A server may drop connections (restart, pg_terminate_backend); a SQLite file cannot.
    kwargs.setdefault("pool_pre_ping", url.get_backend_name() != "sqlite")
    if url.get_backend_name() in MYSQL_DIALECTS:
        # InnoDB's default REPEATABLE READ locks the gaps a claim's locking read walks, so an
        # enqueue would wait for a claim; READ COMMITTED locks only the rows (as PostgreSQL).
        kwargs.setdefault("isolation_level", "READ COMMITTED")
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    return engine


def configure_sqlite(engine: sa.Engine, *, synchronous: str = "NORMAL") -> None:
    """Apply the outbox's pragmas to every new connection of a SQLite ``engine``.

    The database file is created readable by its owner only, and made so if it exists; SQLite
    gives its ``-wal``, ``-shm`` and ``-journal`` files the database file's mode. The web app and
    the worker sharing one SQLite file must then run as the same user.

    A host that hands its own engine to :class:`~gateway.outbox.Outbox` may call this too.
    Calling it again on the same engine changes nothing (flask_t2m2fa's ``init_app`` calls it).

    :param synchronous: ``NORMAL`` (see below) or ``FULL``: an fsync at every commit, so that
        not even a power cut loses a committed code.
    """
    if getattr(engine, "_sqlite_configured", False):
        return
    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError("synchronous must be NORMAL or FULL")
    engine._sqlite_configured = True  # type: ignore[attr-defined]
    path = database_file(engine.url)

    @sa.event.listens_for(engine, "do_connect")
    def _create_private(*_args: Any) -> None:
        if path is not None:
            create_private_file(path)

    @sa.event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        if path is not None:
            make_private(path)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL survives any process crash; a power cut can lose only the last
        # commits: a code the user then asks for again, or one repeated send.
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.close()


#: What SQLite keeps next to a database file (rollback journal, WAL, WAL index).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def database_file(url: sa.URL) -> Path | None:
    """The file of a SQLite ``url``, or None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None  # URI filenames (mode=memory and such) are left as the host wrote them
    return Path(database)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (an empty file is a database)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # e.g. a missing directory: SQLite's own connect reports it


def make_private(path: Path) -> None:
    """Restrict the database file and its side files to their owner (mode 0600)."""
    for name in (str(path), *(f"{path}{suffix}" for suffix in SQLITE_SIDE_FILES)):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:  # another user's file: that user's process restricts it
            log.warning("cannot make %s private: %s", name, exc.strerror)
