"""A claim changes exactly the rows that match and reads them back, on every database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from gateway.claiming import Claim

_metadata = sa.MetaData()
_jobs = sa.Table(
    "t2m2fa_test_jobs",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("due", sa.Integer, nullable=False),
    sa.Column("owner", sa.String(16), nullable=True),
    sa.Column("tries", sa.Integer, nullable=False, default=0),
)

#: A queue's claim: the oldest due jobs, passing over rows another worker holds.
TAKE = Claim(
    _jobs,
    where=sa.and_(_jobs.c.state == "queued", _jobs.c.due <= sa.bindparam("now")),
    values={"state": "taken", "owner": sa.bindparam("owner"), "tries": _jobs.c.tries + 1},
    returning=(_jobs.c.id, _jobs.c.owner, _jobs.c.tries),
    order_by=(_jobs.c.due, _jobs.c.id),
    limit=sa.bindparam("limit", type_=sa.Integer),
    skip_locked=True,
)
#: A check-and-count: one more try, only while fewer than three were made.
COUNT = Claim(
    _jobs,
    where=sa.and_(_jobs.c.id == sa.bindparam("job"), _jobs.c.tries < 3),
    values={"tries": _jobs.c.tries + 1},
    returning=(_jobs.c.tries,),
)


def _engine(url: str, **options: Any) -> sa.Engine:
    # READ COMMITTED on MariaDB, as the outbox's engines (gateway.outbox.engine).
    if sa.make_url(url).get_backend_name() == "mysql":
        options["isolation_level"] = "READ COMMITTED"
    return sa.create_engine(url, **options)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = _engine(db_url)
    _metadata.create_all(engine)
    rows = [{"id": n, "state": "queued", "due": 10 - n, "tries": 0} for n in range(1, 6)]
    rows[0]["state"] = "done"
    with engine.begin() as conn:
        conn.execute(sa.insert(_jobs), rows)
    yield engine
    engine.dispose()


def _states(engine: sa.Engine) -> dict[int, tuple[str, str | None, int]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(_jobs).order_by(_jobs.c.id)).all()
    return {row.id: (row.state, row.owner, row.tries) for row in rows}


def test_the_oldest_matching_rows_are_changed_and_read_back(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        rows = TAKE.execute(conn, {"now": 8, "owner": "w1", "limit": 2})
    # due: job 2 → 8, 3 → 7, 4 → 6, 5 → 5; job 1 is done.
    assert sorted(tuple(row) for row in rows) == [(4, "w1", 1), (5, "w1", 1)]
    assert _states(engine) == {
        1: ("done", None, 0),
        2: ("queued", None, 0),
        3: ("queued", None, 0),
        4: ("taken", "w1", 1),
        5: ("taken", "w1", 1),
    }


def test_nothing_matching_changes_nothing(engine: sa.Engine) -> None:
    before = _states(engine)
    with engine.begin() as conn:
        assert TAKE.execute(conn, {"now": 0, "owner": "w1", "limit": 5}) == []
    assert _states(engine) == before


def test_a_rolled_back_claim_leaves_the_rows_as_they_were(engine: sa.Engine) -> None:
    before = _states(engine)
    with engine.connect() as conn:
        assert len(TAKE.execute(conn, {"now": 99, "owner": "w1", "limit": 9})) == 4
        conn.rollback()
    assert _states(engine) == before


def test_a_check_and_count_stops_at_its_bound(engine: sa.Engine) -> None:
    counted = []
    for _ in range(5):
        with engine.begin() as conn:
            counted.append([row.tries for row in COUNT.execute(conn, {"job": 2})])
    assert counted == [[1], [2], [3], [], []]


def _statements(engine: sa.Engine) -> tuple[list[str], Any]:
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", keep)
    return seen, keep


def test_each_database_gets_its_form(engine: sa.Engine) -> None:
    seen, keep = _statements(engine)
    with engine.begin() as conn:
        TAKE.execute(conn, {"now": 99, "owner": "w1", "limit": 1})
    sa.event.remove(engine, "before_cursor_execute", keep)
    if engine.dialect.update_returning:
        [update] = seen
        assert update.startswith(("UPDATE", "WITH")) and "RETURNING" in update
    else:  # MariaDB, MySQL: candidates, lock one, update, read back
        candidates, lock, update, read = seen
        assert candidates.startswith("SELECT") and "FOR UPDATE" not in candidates
        assert lock.startswith("SELECT") and lock.endswith("FOR UPDATE SKIP LOCKED")
        assert update.startswith("UPDATE") and read.startswith("SELECT")


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_rows_another_transaction_holds_are_passed_over(
    request: pytest.FixtureRequest, server: str
) -> None:
    engine = _engine(request.getfixturevalue(f"{server}_url"))
    _metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(_jobs), [{"id": n, "state": "queued", "due": n} for n in (1, 2)])
    with engine.connect() as first, engine.connect() as second:
        [held] = TAKE.execute(first, {"now": 9, "owner": "w1", "limit": 1})
        # The second worker does not wait for the first to commit: it takes the next row.
        [other] = TAKE.execute(second, {"now": 9, "owner": "w2", "limit": 1})
        assert (held.id, other.id) == (1, 2)
        first.commit()
        second.commit()
    engine.dispose()


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_parallel_check_and_count_never_passes_its_bound(
    request: pytest.FixtureRequest, server: str
) -> None:
    """Twenty threads count one job at once: exactly three succeed (the bound is 3)."""
    engine = _engine(request.getfixturevalue(f"{server}_url"), pool_size=20)
    _metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(_jobs), {"id": 1, "state": "queued", "due": 0})
    start = threading.Barrier(20)
    results: list[list[int]] = []
    lock = threading.Lock()

    def count() -> None:
        start.wait()
        with engine.begin() as conn:
            rows = [row.tries for row in COUNT.execute(conn, {"job": 1})]
        with lock:
            results.append(rows)

    threads = [threading.Thread(target=count) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()
    assert sorted(r for r in results if r) == [[1], [2], [3]]
    assert len(results) == 20


class _Base(DeclarativeBase):
    pass


class _Code(_Base):
    __tablename__ = "t2m2fa_test_codes"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    attempts: Mapped[int]
    used: Mapped[bool]


#: The extension's code check: spend an attempt of an unused code, the session's copy refreshed.
SPEND = Claim(
    _Code,
    where=sa.and_(_Code.id == sa.bindparam("b_id"), _Code.attempts < 3, _Code.used.is_(False)),
    values={"attempts": _Code.attempts + 1, "used": sa.bindparam("b_use")},
    returning=(_Code,),
    options={"populate_existing": True, "synchronize_session": False},
)


def test_an_orm_session_gets_its_objects_back_refreshed(db_url: str) -> None:
    engine = _engine(db_url)
    _Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(_Code(id=1, attempts=0, used=False))
    with Session(engine) as session, session.begin():
        code = session.get(_Code, 1)
        assert code is not None and code.attempts == 0
        [[claimed]] = SPEND.execute(session, {"b_id": 1, "b_use": False})
        assert claimed is code and code.attempts == 1  # the identity map's copy, refreshed
        [[claimed]] = SPEND.execute(session, {"b_id": 1, "b_use": True})
        assert code.used is True
        assert SPEND.execute(session, {"b_id": 1, "b_use": True}) == []  # used up
    engine.dispose()
