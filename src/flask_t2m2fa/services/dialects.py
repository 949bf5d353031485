"""What the extension does differently on SQLite, PostgreSQL and MariaDB/MySQL: this module only.

Every other module runs the same statements on every database and asks here where they must
differ (docs/databases.md says why for each):

* :class:`RowClaim`: change one row by primary key if it matches a condition, and get the row
  after the change. One ``UPDATE … RETURNING`` where the database has it (SQLite, PostgreSQL);
  MariaDB has ``RETURNING`` for ``INSERT`` and ``DELETE`` only and MySQL none: there, the
  conditional ``UPDATE``, its row count, and a read of the row.
* :class:`RowLock`: lock one row for the rest of the transaction and read it: the same
  ``UPDATE … RETURNING`` (SQLite has no row locks: the write takes its write lock), or InnoDB's
  ``SELECT … FOR UPDATE``.
* :func:`begin_for_writing`: SQLite opens its transaction before a first savepoint.
* :func:`failed_statement_aborts_transaction`: a failed statement ends PostgreSQL's transaction;
  SQLite and InnoDB undo only the statement.
* :func:`prepare_engine`: at ``init_app``, SQLite's pragmas, and the isolation level that
  MariaDB and MySQL need for the counters read after a lock to be exact.

A capability SQLAlchemy states (``dialect.update_returning``) is asked of the dialect, not of
its name: a MySQL or MariaDB release that gains ``UPDATE … RETURNING`` takes the one-statement
form without a change here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.sqltypes import MYSQL_DIALECTS

from ..config_checks import ConfigError

T = TypeVar("T")

#: The level a MariaDB/MySQL engine of the host must set (see :func:`prepare_engine`).
MYSQL_ISOLATION = "READ COMMITTED"


@dataclass(frozen=True, eq=False)
class RowClaim(Generic[T]):
    """The row of ``entity`` whose primary key is the parameter ``key`` gets ``values`` when it
    also matches ``where``; :meth:`execute` returns it after the change (the session's own
    object, refreshed), or None when no row matched.

    The ``UPDATE``'s condition is the check: checked on the row's latest committed version under
    its lock, whatever other transactions do at the same time. Build it once (its statements are
    compiled on first use and reused).
    """

    entity: type[T]
    key: str
    values: Mapping[str, Any]
    where: sa.ColumnElement[bool] | None = None

    @functools.cached_property
    def _by_key(self) -> sa.ColumnElement[bool]:
        primary_key = list(sa.inspect(self.entity).primary_key)
        if len(primary_key) != 1:
            raise ValueError(f"a row claim needs a one-column primary key; {self.entity} has not")
        by_key: sa.ColumnElement[bool] = primary_key[0] == sa.bindparam(self.key)
        return by_key

    @functools.cached_property
    def _update(self) -> sa.Update:
        condition = self._by_key if self.where is None else sa.and_(self._by_key, self.where)
        return sa.update(self.entity).where(condition).values(**self.values)

    @functools.cached_property
    def update_returning(self) -> sa.Update:
        """One statement (SQLite, PostgreSQL): the returned row refreshes the session's copy."""
        update = self._update.returning(self.entity)
        return update.execution_options(populate_existing=True, synchronize_session=False)

    @functools.cached_property
    def update(self) -> sa.Update:
        """MariaDB/MySQL, first statement: its row count (rows matched, as SQLAlchemy's MySQL
        drivers set ``FOUND_ROWS``) says whether the row matched."""
        return self._update.execution_options(synchronize_session=False)

    @functools.cached_property
    def read_back(self) -> sa.Select[T]:
        """MariaDB/MySQL, second statement: the row as the update left it (a transaction sees
        its own writes), refreshing the session's copy."""
        return sa.select(self.entity).where(self._by_key).execution_options(populate_existing=True)

    def execute(self, session: Session, params: Mapping[str, Any]) -> T | None:
        """Claim in the session's transaction; the caller commits."""
        if session.get_bind().dialect.update_returning:
            row: T | None = session.scalars(self.update_returning, params).first()
            return row
        result = session.execute(self.update, params)
        if not getattr(result, "rowcount", 0):
            return None
        return session.scalars(self.read_back, params).one()


@dataclass(frozen=True, eq=False)
class RowLock(Generic[T]):
    """Lock the row of ``entity`` whose primary key is the parameter ``key`` until the
    transaction ends; :meth:`execute` returns it (read under the lock, so its latest committed
    version), or None when there is no such row.

    Where ``UPDATE … RETURNING`` exists, writing ``values`` takes the lock (SQLite has no row
    locks: the write takes the database's write lock). MariaDB and MySQL take it with ``SELECT
    … FOR UPDATE``, one statement instead of an ``UPDATE`` and a read: ``values`` (a column
    written only to take the lock) are not written there.
    """

    entity: type[T]
    key: str
    values: Mapping[str, Any]

    @functools.cached_property
    def _write(self) -> RowClaim[T]:
        return RowClaim(self.entity, key=self.key, values=self.values)

    @functools.cached_property
    def select_for_update(self) -> sa.Select[T]:
        """MariaDB/MySQL: InnoDB's locking read returns the latest committed version."""
        return self._write.read_back.with_for_update()

    def execute(self, session: Session, params: Mapping[str, Any]) -> T | None:
        if session.get_bind().dialect.update_returning:
            return self._write.execute(session, params)
        row: T | None = session.scalars(self.select_for_update, params).first()
        return row


def begin_for_writing(session: Session) -> None:
    """Open the session's transaction before a first ``SAVEPOINT``, if the database needs it.

    Python's ``sqlite3`` starts a transaction only before a data-changing statement, so a
    ``SAVEPOINT`` sent first would open the transaction itself and its ``RELEASE`` would commit.
    ``BEGIN IMMEDIATE``: the caller goes on to write, and a deferred transaction that read first
    could not take the write lock once another connection (the gateway worker) committed.
    PostgreSQL and MariaDB have opened the transaction already: nothing to do.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def failed_statement_aborts_transaction(session: Session) -> bool:
    """Does a failed statement end the transaction (so a block that may fail needs a savepoint)?

    PostgreSQL refuses every statement after an error until a rollback. SQLite and InnoDB
    (MariaDB, MySQL) undo only the failed statement and the transaction goes on (a deadlock
    rolls the whole InnoDB transaction back, and its savepoints with it: a savepoint would not
    save that either).
    """
    return session.get_bind().dialect.name not in ("sqlite", *MYSQL_DIALECTS)


def prepare_engine(engine: sa.Engine, *, sqlite_synchronous: str | None) -> None:
    """Check or set up the host's engine at ``init_app``.

    SQLite: WAL, a busy timeout and the ``synchronous`` level (``None``: the engine is left as
    the host made it). MariaDB and MySQL: the engine must start its transactions at ``READ
    COMMITTED``. The extension serialises the steps of one user by locking his settings row,
    then reads his counters (wrong codes, SMS sent); at InnoDB's default ``REPEATABLE READ`` a
    transaction reads the snapshot of its first read, taken before it waited for the lock, and
    misses what the lock's holder just committed: parallel requests would overspend the
    budgets. The engine must say so itself (not the server's configuration file, which another
    server does not share).

    :raises ConfigError: a MariaDB/MySQL engine at another level, or a bad ``synchronous``.
    """
    name = engine.dialect.name
    if name == "sqlite" and sqlite_synchronous is not None:
        from gateway.outbox import configure_sqlite

        try:
            configure_sqlite(engine, synchronous=sqlite_synchronous.upper())
        except ValueError:
            raise ConfigError("T2M2FA_SQLITE_SYNCHRONOUS must be NORMAL, FULL or None") from None
    if name in MYSQL_DIALECTS and _isolation_of(engine) != MYSQL_ISOLATION:
        raise ConfigError(
            f"flask_t2m2fa on {name} needs the {MYSQL_ISOLATION} isolation level: set "
            f'SQLALCHEMY_ENGINE_OPTIONS = {{"isolation_level": "{MYSQL_ISOLATION}"}} '
            "(see the manual's Databases page)"
        )


def _isolation_of(engine: sa.Engine) -> str | None:
    """The level the engine sets on its connections: ``create_engine(isolation_level=…)``
    (Flask-SQLAlchemy's ``SQLALCHEMY_ENGINE_OPTIONS``) or the engine's execution options."""
    level = engine.get_execution_options().get("isolation_level")
    if level is None:
        # SQLAlchemy keeps create_engine's level on the dialect, which applies it on connect;
        # it has no public reader for it.
        level = getattr(engine.dialect, "_on_connect_isolation_level", None)
    return None if level is None else str(level).upper().replace("_", " ")
