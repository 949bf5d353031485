"""A claim: change the rows that match a condition and read them back, atomically, on any database.

PostgreSQL and SQLite run one ``UPDATE … RETURNING``. MariaDB (10.11 has ``RETURNING`` only for
``INSERT`` and ``DELETE``) and MySQL (none at all) take the rows with locking
``SELECT … FOR UPDATE`` (``SKIP LOCKED`` where the claim skips rows that another transaction
holds: MariaDB ≥ 10.6, MySQL ≥ 8.0), change them by primary key, and read them back; the
statements run in the caller's transaction, and the locks make them one step to every other
writer. A claim with a limit locks its rows one by one (see :meth:`Claim._lock_rows`). The
outbox leases messages with it and the extension can count a code check with it: one place knows
which form each database needs.

Build a :class:`Claim` once (its statements are built on first use and reused) and
:meth:`~Claim.execute` it with the parameters of its bind parameters::

    CLAIM = Claim(
        table,
        where=sa.and_(table.c.state == "queued", table.c.due <= sa.bindparam("now")),
        values={"state": "sending", "owner": sa.bindparam("owner")},
        returning=(table.c.id, table.c.due),
        order_by=(table.c.due, table.c.id),
        limit=sa.bindparam("limit", type_=sa.Integer),
        skip_locked=True,
    )
    with engine.begin() as conn:
        rows = CLAIM.execute(conn, {"now": now, "owner": "w1", "limit": 10})
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

#: Parameters of the lock-then-update form: the locked primary keys, the number of candidates
#: read, one candidate.
LOCKED_IDS, CANDIDATES, CANDIDATE = "claim_locked_ids", "claim_candidates", "claim_candidate"
#: Candidates read beyond the limit, so that a worker passes over rows that others hold.
CANDIDATE_MARGIN = 16


@dataclass(frozen=True, eq=False)
class Claim:
    """Rows of ``table`` matching ``where`` get ``values``; ``returning`` is read from them after.

    :param table: a table, or a mapped class: run through an ORM session, ``returning`` may
        then name the class, and the rows come back as its objects.
    :param options: execution options of the update and of the read back (an ORM caller's
        ``populate_existing``, ``synchronize_session``).
    :param order_by: which rows first, with ``limit``.
    :param limit: at most this many rows (an int or an integer bind parameter).
    :param skip_locked: pass over rows that another transaction holds instead of waiting for
        them (workers sharing a queue); PostgreSQL, MariaDB and MySQL. SQLite has one writer at
        a time and never needs it.
    """

    table: Any
    where: sa.ColumnElement[bool]
    values: Mapping[str, Any]
    returning: Sequence[Any]
    order_by: Sequence[sa.ColumnElement[Any]] = field(default=())
    limit: int | sa.BindParameter[int] | None = None
    skip_locked: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(list(sa.inspect(self.table).primary_key)) != 1:
            raise ValueError(f"a claim needs a one-column primary key; {self.table} has not")

    @property
    def _id(self) -> sa.Column[Any]:
        column: sa.Column[Any] = next(iter(sa.inspect(self.table).primary_key))
        return column

    def execute(self, executor: sa.Connection | Session, params: Mapping[str, Any]) -> list[Any]:
        """Claim in ``executor``'s transaction; the claimed rows' ``returning`` columns.

        Rows come in no particular order. The caller commits (or rolls back: nothing claimed).
        """
        conn = executor if isinstance(executor, sa.Connection) else executor.connection()
        if conn.dialect.update_returning:
            stmt = self.update_returning(conn.dialect.name)
            return list(executor.execute(stmt, params).all())
        ids = self._lock_rows(executor, params)
        if not ids:
            return []
        locked = {**params, LOCKED_IDS: list(ids)}
        executor.execute(self.update_locked, locked)
        return list(executor.execute(self.read_back, locked).all())

    def _pick(self) -> sa.Select[Any]:
        pick = sa.select(self._id).where(self.where).order_by(*self.order_by)
        return pick if self.limit is None else pick.limit(self.limit)

    def update_returning(self, dialect: str) -> sa.Update:
        """The one-statement form, for a database with ``UPDATE … RETURNING``."""
        if self.limit is None and not self.skip_locked:
            return self._update_where
        # PostgreSQL evaluates a locking CTE exactly once: never more rows than ``limit``.
        return self._update_cte if dialect == "postgresql" else self._update_in

    @functools.cached_property
    def _update_where(self) -> sa.Update:
        return self._update(self.where)

    @functools.cached_property
    def _update_in(self) -> sa.Update:
        return self._update(self._id.in_(self._pick().scalar_subquery()))

    @functools.cached_property
    def _update_cte(self) -> sa.Update:
        chosen = self._pick().with_for_update(skip_locked=self.skip_locked).cte("claimed")
        return self._update(self._id == chosen.c[self._id.name])

    def _update(self, where: sa.ColumnElement[bool]) -> sa.Update:
        update = sa.update(self.table).where(where).values(**self.values)
        return update.returning(*self.returning).execution_options(**self.options)

    def _lock_rows(self, executor: sa.Connection | Session, params: Mapping[str, Any]) -> list[Any]:
        """Lock-then-update, first step: lock the rows to take; their primary keys."""
        if self.limit is None:
            return list(executor.execute(self.lock, params).scalars())
        # InnoDB locks every row that a locking read matches before it sorts them and cuts to
        # LIMIT: the oldest row's claim would hold the whole queue, and another worker would
        # find nothing. Read the oldest candidates without a lock, then lock them one by one
        # (primary-key look-ups, each row checked again) until enough are taken.
        limit = self.limit if isinstance(self.limit, int) else int(params[self.limit.key])
        window = {**params, CANDIDATES: limit + CANDIDATE_MARGIN}
        taken: list[Any] = []
        for candidate in executor.execute(self.candidates, window).scalars().all():
            row = {**params, CANDIDATE: candidate}
            taken.extend(executor.execute(self.lock_one, row).scalars())
            if len(taken) == limit:
                break
        return taken

    @functools.cached_property
    def lock(self) -> sa.Select[Any]:
        """Lock-then-update without a limit: every matching row, locked."""
        return self._pick().with_for_update(skip_locked=self.skip_locked)

    @functools.cached_property
    def candidates(self) -> sa.Select[Any]:
        """Lock-then-update with a limit: the first rows in order, read without a lock."""
        pick = sa.select(self._id).where(self.where).order_by(*self.order_by)
        return pick.limit(sa.bindparam(CANDIDATES, type_=sa.Integer))

    @functools.cached_property
    def lock_one(self) -> sa.Select[Any]:
        """One candidate, locked if it still matches (and, with ``skip_locked``, is free)."""
        one = self._id == sa.bindparam(CANDIDATE)
        return (
            sa.select(self._id).where(one, self.where).with_for_update(skip_locked=self.skip_locked)
        )

    @functools.cached_property
    def update_locked(self) -> sa.Update:
        """Second statement: the locked rows get ``values``."""
        update = sa.update(self.table).where(self._locked()).values(**self.values)
        return update.execution_options(**self.options)

    @functools.cached_property
    def read_back(self) -> sa.Select[Any]:
        """Third statement: what ``RETURNING`` would have given (a transaction sees its writes)."""
        return sa.select(*self.returning).where(self._locked()).execution_options(**self.options)

    def _locked(self) -> sa.ColumnElement[bool]:
        return self._id.in_(sa.bindparam(LOCKED_IDS, expanding=True))
