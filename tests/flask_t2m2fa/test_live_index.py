"""Live codes are found through their partial index on SQLite, even after an ``ANALYZE`` taken
while none was live (``services/live_challenges.py``): the plan of every statement of a login
that looks for live codes, read with ``EXPLAIN QUERY PLAN``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import FakeClock, Host, json_login, json_verify

from flask_t2m2fa import migrations
from flask_t2m2fa.models import Challenge
from flask_t2m2fa.services.live_challenges import LIVE, live
from flask_t2m2fa.testing import RecordingSender

#: Used codes of the user, and of each of many other users: SQLite's statistics then say that a
#: user has few challenges, and without statistics for the (empty) partial index it would walk
#: this user's many through ``(user_id, purpose)``.
OWN_DEAD, OTHER_USERS = 2_000, 4_000


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite's own behaviour, whatever T2M2FA_TEST_DATABASE says."""
    return sqlite_url


def _dead_history(host: Host, user_id: str, clock: FakeClock) -> None:
    """Many used codes of the user, one of each other user, none live; then ``ANALYZE``."""
    at = clock.now
    owners = [user_id] * OWN_DEAD + [f"other{n}" for n in range(OTHER_USERS)]
    rows = [
        {
            "id": f"dead{n:028d}",
            "user_id": owner,
            "account_id": "acme",
            "purpose": "login",
            "destination": "primary",
            "login_id": f"l{n:031d}",
            "code_hash": "",
            "created_at": at,
            "expires_at": at,
            "consumed_at": at,
            "attempts": 1,
            "sent": True,
            "send_failed": False,
            "remember_me": False,
            "remember_pc": False,
        }
        for n, owner in enumerate(owners)
    ]
    with host.db.engine.begin() as conn:
        conn.execute(sa.insert(Challenge.__table__), rows)  # type: ignore[arg-type]
        conn.exec_driver_sql("ANALYZE")


@contextmanager
def live_lookups(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and their parameters) that look for live challenges."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "t2m2fa_challenges" in statement and "consumed_at IS NULL" in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


def _plan(engine: sa.Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        rows = cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


def test_live_codes_are_looked_up_through_the_partial_index_after_analyze(
    app: Flask, host: Host, alice: Any, clock: FakeClock, sms: RecordingSender
) -> None:
    _dead_history(host, str(alice.id), clock)
    engine = host.db.engine
    with live_lookups(engine) as lookups:
        first = app.test_client()
        assert json_login(first, "alice").json["status"] == "2fa_required"
        clock.advance(seconds=61)  # a second login replaces the live code of the first
        second = app.test_client()
        assert json_login(second, "alice").json["new_code_sent"] is True
        assert json_verify(second, sms.last.code).json["status"] == "ok"
    by_purpose = [(s, p) for s, p in lookups if ".purpose = ?" in s]
    assert len(by_purpose) >= 3  # the counters of both logins, the supersede of the first code
    for statement, parameters in lookups:
        plan = _plan(engine, statement, parameters)
        assert "ix_t2m2fa_challenges_user_purpose" not in plan, f"{plan}\n{statement}"
        assert "SCAN t2m2fa_challenges" not in plan, f"{plan}\n{statement}"
        if (statement, parameters) in by_purpose:
            assert "ix_t2m2fa_challenges_live" in plan, f"{plan}\n{statement}"


def _challenge(n: int, user_id: str, at: datetime, *, live: bool) -> dict[str, Any]:
    return {
        "id": f"c{n:031d}",
        "user_id": user_id,
        "account_id": "acme",
        "purpose": "login",
        "destination": "primary",
        "login_id": f"l{n:031d}",
        "code_hash": "",
        "created_at": at,
        "expires_at": at,
        "consumed_at": None if live else at,
        "attempts": 0,
        "sent": True,
        "send_failed": False,
        "remember_me": False,
        "remember_pc": False,
    }


def test_mariadb_reads_only_the_live_codes_of_a_long_history(mariadb_url: str) -> None:
    """MariaDB has no partial index: the index's NULL columns end the walk at the live rows.

    ``ANALYZE SELECT`` runs the statement and reports the rows it really read (``r_rows``).
    """
    engine = sa.create_engine(mariadb_url)
    migrations.upgrade(engine)
    at = datetime(2026, 12, 5, tzinfo=UTC)
    rows = [_challenge(n, "alice", at, live=False) for n in range(OWN_DEAD)]
    rows.append(_challenge(OWN_DEAD, "alice", at, live=True))
    statement = sa.select(LIVE.c.id).where(live("alice", "login"))
    with engine.begin() as conn:
        conn.execute(sa.insert(Challenge.__table__), rows)  # type: ignore[arg-type]
        conn.exec_driver_sql("ANALYZE TABLE t2m2fa_challenges")
        sql = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
        assert conn.execute(statement).scalars().all() == [f"c{OWN_DEAD:031d}"]
        [plan] = conn.exec_driver_sql("ANALYZE " + sql).mappings().all()
    engine.dispose()
    assert plan["key"] == "ix_t2m2fa_challenges_live", plan
    assert float(plan["r_rows"]) <= 1, plan
