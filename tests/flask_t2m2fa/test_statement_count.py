"""The 2FA step's SQL statement count: a regression fails here (the count, never the time).

Counted with a ``before_cursor_execute`` listener on the host's engine, with the default sender
(the gateway outbox, in the login's transaction): statements of a full JSON 2FA login (login
POST + verify POST) beyond those of a password-only login, on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import PRIMARY, FakeClock, build_app, json_login, json_verify

from doubles import OUTBOX_KEYS

#: Statements per 2FA login beyond a password-only login (was 31; the issue asks for 12).
#: Login POST: lock, counters, outbox insert and seal, audit, challenge, send history; verify
#: POST: the host's user, lock, counters with the challenge, claim-and-consume, audit. No
#: savepoint around the outbox's insert (``OutboxSender.needs_savepoint``).
MAX_EXTRA_STATEMENTS = 12
#: MariaDB and MySQL have no ``UPDATE … RETURNING``: the claim-and-consume reads its row back
#: (``services.dialects.RowClaim``); the lock is one ``SELECT … FOR UPDATE`` there.
MAX_EXTRA_STATEMENTS_MYSQL = MAX_EXTRA_STATEMENTS + 1


@contextmanager
def counting(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _last_code(engine: sa.Engine) -> str:
    """The code of the newest SMS in the outbox, opened with the suite's outbox key."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT id, kind, sealed FROM t2m2fa_outbox ORDER BY id DESC LIMIT 1")
        ).one()
    _to, text = OUTBOX_KEYS.open(row.id, row.kind, row.sealed)
    found = re.search(r"\b([0-9]{4,8})\b", text)
    assert found is not None
    return found.group(1)


@pytest.fixture
def outbox_app(db_url: str, clock: FakeClock) -> Iterator[Flask]:
    app = build_app(db_url, clock, None, {})
    with app.app_context():
        host = app.extensions["test_host"]
        host.add_user("plain")
        for name in ("warm", "alice"):
            user = host.add_user(name)
            host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
            host.db.session.commit()
        yield app
        host.db.session.remove()
        host.db.engine.dispose()


def _statements_per_login(app: Flask, clock: FakeClock) -> tuple[list[str], list[str]]:
    engine = app.extensions["test_host"].db.engine
    for name in ("warm", "plain"):  # warm-up: first-use checks (the outbox table) run once
        client = app.test_client()
        assert json_login(client, name).status_code == 200
        if name == "warm":
            assert json_verify(client, _last_code(engine)).json["status"] == "ok"
    clock.advance(hours=3)
    with counting(engine) as plain:
        assert json_login(app.test_client(), "plain").json == {"status": "ok", "next": "/"}
    client = app.test_client()
    with counting(engine) as two_factor:
        assert json_login(client, "alice").json["status"] == "2fa_required"
        with counting(engine) as reading:  # the test's own read of the outbox is not counted
            code = _last_code(engine)
        assert json_verify(client, code).json["status"] == "ok"
    for statement in reading:
        two_factor.remove(statement)
    return plain, two_factor


def test_a_2fa_login_costs_at_most_max_extra_statements_beyond_the_password(
    outbox_app: Flask, clock: FakeClock
) -> None:
    plain, two_factor = _statements_per_login(outbox_app, clock)
    extra = len(two_factor) - len(plain)
    listing = "\n".join(" ".join(s.split())[:110] for s in two_factor)
    mysql = outbox_app.extensions["test_host"].db.engine.dialect.name in ("mysql", "mariadb")
    budget = MAX_EXTRA_STATEMENTS_MYSQL if mysql else MAX_EXTRA_STATEMENTS
    assert extra <= budget, f"{extra} beyond {len(plain)}:\n{listing}"
