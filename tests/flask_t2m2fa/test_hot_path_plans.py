"""No statement of the 2FA hot path walks a table: SQLite's ``EXPLAIN QUERY PLAN`` of each one.

The statements are caught as the extension runs them, with their parameters, over a whole login on
a database with a long history (the user's own, and many other users'), analysed: the login POST, a
wrong code, a resend to the backup, the right code, and a signed-in request. Each statement that
reads one of the extension's tables must reach its rows through an index (``SEARCH``) or its
primary key; a ``SCAN`` of a ``t2m2fa_`` table is a statement that gets slower as the history
grows, and so is a ``SEARCH`` of a history table by the user alone (``bench/history_growth.py``
measures that growth).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import FakeClock, Host, json_login, json_resend, json_verify

from flask_t2m2fa.models import (
    AccountPolicy,
    AuditEvent,
    Challenge,
    Failure,
    Phone,
    SentSms,
    SessionEpoch,
    UserSettings,
)
from flask_t2m2fa.testing import RecordingSender

OWN, OTHERS = 600, 3_000
#: A history table searched by the user alone: every row he ever had is read (the statement must
#: narrow by time, login or id too).
USER_HISTORY_WALK = re.compile(
    r"SEARCH (t2m2fa_challenges|t2m2fa_sent_sms|t2m2fa_failures|t2m2fa_audit_events"
    r"|live_challenges|login_challenges) .*\(user_id=\?\)"
)
#: The test kit's recording sender (not the extension) looks numbers up to name their users.
RECORDING_SENDER = {
    "SELECT t2m2fa_phones.user_id \nFROM t2m2fa_phones \nWHERE t2m2fa_phones.number_digest = ?"
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite's planner, whatever T2M2FA_TEST_DATABASE says."""
    return sqlite_url


def _history(host: Host, user_id: str, clock: FakeClock) -> None:
    """Old rows of every history table for the user and for many others; then ``ANALYZE``."""
    old = clock.now - timedelta(days=40)
    owners = [user_id] * OWN + [f"other{n}" for n in range(OTHERS)]
    challenges = [
        {
            "id": f"h{n:031d}",
            "user_id": owner,
            "account_id": "acme",
            "purpose": "login",
            "destination": "primary",
            "login_id": f"l{n:031d}",
            "code_hash": "",
            "created_at": old,
            "expires_at": old,
            "consumed_at": old,
            "attempts": 1,
            "sent": True,
            "send_failed": False,
            "remember_me": False,
            "remember_pc": False,
            "number_digest": f"d{n}",
        }
        for n, owner in enumerate(owners)
    ]
    sent = [
        {"user_id": owner, "login_id": f"l{n:031d}", "number_digest": f"d{n}", "sent_at": old}
        for n, owner in enumerate(owners)
    ]
    failures = [
        {"user_id": owner, "challenge_id": f"h{n:031d}", "failed_at": old}
        for n, owner in enumerate(owners)
    ]
    audit = [
        {"at": old, "account_id": "acme", "user_id": owner, "event": "code_sent", "outcome": "ok"}
        for owner in owners
    ]
    others = [f"other{n}" for n in range(OTHERS)]
    settings = [
        {"user_id": o, "account_id": f"a{n}", "enabled": True, "touched_at": old, "created_at": old}
        for n, o in enumerate(others)
    ]
    epochs = [{"user_id": o, "uniquifier": "u", "changed_at": old} for o in others]
    phones = [
        {
            "user_id": o,
            "role": "primary",
            "number_encrypted": b"x",
            "number_digest": f"p{n}",
            "masked": "x",
            "verified_at": old,
            "created_at": old,
        }
        for n, o in enumerate(others)
    ]
    policies = [
        {
            "account_id": f"a{n}",
            "mode": "standard",
            "enable_for_new_users": False,
            "remember_pc_allowed": True,
            "remember_pc_days": None,
            "updated_at": old,
        }
        for n in range(OTHERS)
    ]
    with host.db.engine.begin() as conn:
        for table, rows in (
            (UserSettings, settings), (SessionEpoch, epochs), (Phone, phones),
            (AccountPolicy, policies),
        ):  # fmt: skip
            conn.execute(sa.insert(table.__table__), rows)  # type: ignore[arg-type]
        for table, rows in (
            (Challenge, challenges), (SentSms, sent), (Failure, failures), (AuditEvent, audit),
        ):  # fmt: skip
            conn.execute(sa.insert(table.__table__), rows)  # type: ignore[arg-type]
        conn.exec_driver_sql("ANALYZE")


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        reads = not statement.lstrip().upper().startswith("INSERT")
        if "t2m2fa_" in statement and reads and statement not in RECORDING_SENDER:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


def _plan(engine: sa.Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        rows = cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        conn.rollback()
    return [str(row[-1]) for row in rows]


def test_every_statement_of_a_login_reaches_its_rows_through_an_index(
    app: Flask, host: Host, alice: Any, clock: FakeClock, sms: RecordingSender
) -> None:
    _history(host, str(alice.id), clock)
    engine = host.db.engine
    client = app.test_client()
    with statements(engine) as seen:
        assert json_login(client, "alice").json["status"] == "2fa_required"
        assert json_verify(client, "0000" if sms.last.code != "0000" else "1111").status_code == 401
        clock.advance(seconds=61)
        before = len(sms.messages)
        assert json_resend(client, "backup").status_code == 200
        assert len(sms.messages) == before + 1
        assert json_verify(client, sms.last.code).json["status"] == "ok"
        assert client.get("/private").status_code == 200
    tables = {s for s, _ in seen for s in re.findall(r"\bt2m2fa_[a-z_]+", s)}
    # every table a login reads was seen (the statements were caught)
    assert {"t2m2fa_challenges", "t2m2fa_sent_sms", "t2m2fa_failures", "t2m2fa_phones"} <= tables
    walked = []
    for statement, parameters in seen:
        for step in _plan(engine, statement, parameters):
            if re.match(r"SCAN t2m2fa_", step) or USER_HISTORY_WALK.match(step):
                walked.append(f"{step}\n    {' '.join(statement.split())[:200]}")
    assert walked == [], "statements that walk a table:\n" + "\n".join(walked)
