"""The measured side of ``web_2fa.py``: a minimal Flask-Login host using flask_t2m2fa."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, request
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from gateway.outbox import OutboxKeys, new_key_text

# One test host for the tests and the bench: tests/flask_t2m2fa/t2m2fa_support.py.
_TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(_TESTS), str(_TESTS / "flask_t2m2fa")]
from t2m2fa_support import build_app  # noqa: E402

VERIFY_URL = "/t2m2fa/api/verify"
KEY_TEXT = new_key_text()
KEYS = OutboxKeys.from_text(KEY_TEXT)


class SteppingClock:
    """Moves 3 hours at every login, so no per-user or per-number SMS cap ever refuses a send."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def step(self) -> None:
        self.now += timedelta(hours=3)


def phone_of(n: int) -> str:
    return f"+3247{n:07d}"


def create_app(database_url: str, users: int) -> Flask:
    """The tests' host (``t2m2fa_support.build_app``) with the default sender: the gateway
    outbox, sealed with a fresh key, in the login's transaction; SQLite as ``init_app`` sets it.

    ``users`` users with 2FA (verified primary phone) and as many without.
    """
    clock = SteppingClock()
    options = {"T2M2FA_OUTBOX_KEY": KEY_TEXT}
    app = build_app(database_url, clock, None, options)
    with app.app_context():
        host = app.extensions["test_host"]
        for n in range(users):
            host.add_user(f"plain{n}")
            user = host.add_user(f"tf{n}")
            host.two_factor.enable_for(user, primary_phone=phone_of(n), verified=True)
        host.db.session.commit()
        # The bench reads codes on its own engine: its reads are not counted as the app's.
        app.extensions["bench"] = (sa.create_engine(database_url), clock)
    app.before_request(_step_at_login(clock))
    return app


def _step_at_login(clock: SteppingClock) -> Any:
    def step() -> None:
        if request.path == "/login":
            clock.step()

    return step


def last_code(app: Flask) -> str:
    """The code of the newest outbox message, opened with the bench's key."""
    engine: sa.Engine = app.extensions["bench"][0]
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT id, kind, sealed FROM t2m2fa_outbox ORDER BY id DESC LIMIT 1")
        ).one()
    _to, text = KEYS.open(row.id, row.kind, row.sealed)
    found = re.search(r"\b([0-9]{4})\b", text)
    assert found is not None, "no code in the SMS"
    return found.group(1)


def drop_all(app: Flask) -> None:
    db: SQLAlchemy = app.extensions["test_host"].db
    app.extensions["bench"][0].dispose()
    with app.app_context():
        db.drop_all()
        db.session.remove()
        db.engine.dispose()


def login_password_only(client: FlaskClient, n: int) -> None:
    """The baseline: a user without 2FA logs in with the password."""
    answer = client.post("/login", json={"username": f"plain{n}"})
    assert answer.status_code == 200 and answer.json == {"status": "ok", "next": "/"}, answer.data


def login_two_factor(client: FlaskClient, n: int) -> None:
    """Password, then the SMS code posted to the JSON verify endpoint."""
    answer = client.post("/login", json={"username": f"tf{n}"})
    assert answer.status_code == 200 and answer.json is not None, answer.data
    assert answer.json["status"] == "2fa_required", answer.json
    assert client.application is not None
    code = last_code(client.application)
    answer = client.post(VERIFY_URL, json={"code": code})
    assert answer.status_code == 200 and answer.json is not None, answer.data
    assert answer.json["status"] == "ok", answer.json
