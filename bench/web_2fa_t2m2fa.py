"""The measured side of ``web_2fa.py``: a minimal Flask-Login host using flask_t2m2fa."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from flask_login import LoginManager, UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

from flask_t2m2fa import TwoFactor
from gateway.message import DeliveryState, MessageStatus

PASSWORD = "bench-password-1"
VERIFY_URL = "/t2m2fa/api/verify"


class SteppingClock:
    """Moves 3 hours at every login, so no per-user or per-number SMS cap ever refuses a send."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def step(self) -> None:
        self.now += timedelta(hours=3)


@dataclass
class CapturingSender:
    """The bench's phone: keeps the last SMS per number."""

    inbox: dict[str, str] = field(default_factory=dict)

    def send(self, to: str, text: str, *, expires_at: datetime, kind: str) -> str:
        self.inbox[to] = text
        return secrets.token_hex(8)

    def status(self, message_id: str) -> MessageStatus | None:
        return MessageStatus(id=0, state=DeliveryState.QUEUED)


def phone_of(n: int) -> str:
    return f"+3247{n:07d}"


def create_app(database_url: str, users: int) -> Flask:
    """A host with ``users`` users with 2FA (verified primary phone) and as many without."""
    db = SQLAlchemy()
    login_manager = LoginManager()
    two_factor = TwoFactor()

    class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "bench_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        username: Mapped[str]
        password: Mapped[str]

    app = Flask("bench_t2m2fa")
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        SQLALCHEMY_DATABASE_URI=database_url,
        T2M2FA_REMEMBER_COOKIE_SECURE=False,
    )
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(lambda uid: db.session.get(User, int(uid)))
    clock, sender = SteppingClock(), CapturingSender()
    two_factor.init_app(
        app,
        db=db,
        account_of=lambda _user: "bench",
        is_admin=lambda _u: False,
        sender=sender,
        clock=clock,
    )

    @app.post("/login")
    def login() -> Any:
        data = request.get_json(silent=True) or {}
        user = db.session.scalars(db.select(User).filter_by(username=data.get("username"))).first()
        # Plain comparison: like Flask-Security's plaintext scheme, no hashing cost.
        if user is None or not hmac.compare_digest(user.password, str(data.get("password"))):
            return jsonify({"status": "bad_credentials"}), 401
        clock.step()
        return two_factor.login(user)

    with app.app_context():
        db.create_all()
        for n in range(users):
            db.session.add(User(username=f"plain{n}", password=PASSWORD))
            user = User(username=f"tf{n}", password=PASSWORD)
            db.session.add(user)
            db.session.commit()
            two_factor.enable_for(user, primary_phone=phone_of(n), verified=True)
    app.extensions["bench"] = (db, sender)
    return app


def drop_all(app: Flask) -> None:
    db: SQLAlchemy = app.extensions["bench"][0]
    with app.app_context():
        db.drop_all()
        db.session.remove()
        db.engine.dispose()


def _sender(app: Flask) -> CapturingSender:
    sender: CapturingSender = app.extensions["bench"][1]
    return sender


def login_password_only(client: FlaskClient, n: int) -> None:
    """The baseline: a user without 2FA logs in with the password."""
    answer = client.post("/login", json={"username": f"plain{n}", "password": PASSWORD})
    assert answer.status_code == 200 and answer.json == {"status": "ok", "next": "/"}, answer.data


def login_two_factor(client: FlaskClient, n: int) -> None:
    """Password, then the SMS code posted to the JSON verify endpoint."""
    answer = client.post("/login", json={"username": f"tf{n}", "password": PASSWORD})
    assert answer.status_code == 200 and answer.json is not None, answer.data
    assert answer.json["status"] == "2fa_required", answer.json
    assert client.application is not None
    text = _sender(client.application).inbox.pop(phone_of(n))
    found = re.search(r"\b([0-9]{4})\b", text)
    assert found is not None, "no code in the SMS"
    answer = client.post(VERIFY_URL, json={"code": found.group(1)})
    assert answer.status_code == 200 and answer.json is not None, answer.data
    assert answer.json["status"] == "ok", answer.json
