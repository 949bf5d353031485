"""Helpers for the extension's tests: a tiny host app (the fake clock and
recording sender are in ``tests/doubles.py``)."""

from __future__ import annotations

import contextvars
import re
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.test import TestResponse

# The shared doubles, re-exported for the extension's tests.
from doubles import START as START
from doubles import FakeClock as FakeClock
from doubles import RecordingSender as RecordingSender
from flask_t2m2fa import TwoFactor

#: What an administrator is asked after his primary number's code, at an enrolment login.
BACKUP_STEP = {
    "status": "enrolment_required",
    "role": "backup",
    "backup_required": True,
    "message": "Enter your backup mobile number: a code will be sent to check it.",
}
PRIMARY = "+32470123467"
BACKUP = "+32470987621"


class IsolatedClient(FlaskClient):
    """A test client whose requests never reuse the test's own app context.

    Each request then gets its own ``g`` and its own database session, as in production.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response: TestResponse = contextvars.Context().run(super().open, *args, **kwargs)
        return response


class Host:
    """The host app's pieces the tests reach for."""

    def __init__(self, db: SQLAlchemy, two_factor: TwoFactor, user_model: Any) -> None:
        self.db = db
        self.two_factor = two_factor
        self.User = user_model

    def add_user(self, name: str, *, account: str = "acme", admin: bool = False) -> Any:
        user = self.User(username=name, account_id=account, is_admin=admin)
        self.db.session.add(user)
        self.db.session.commit()
        return user


def build_app(
    database_url: str,
    clock: FakeClock,
    sender: Any,
    options: dict[str, Any],
    before: Any = None,
    create_tables: bool = True,
    init: dict[str, Any] | None = None,
) -> Flask:
    mysql = sa.make_url(database_url).get_backend_name() == "mysql"
    db = SQLAlchemy(engine_options={"isolation_level": "READ COMMITTED"} if mysql else {})
    login_manager = LoginManager()
    two_factor = TwoFactor()

    class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "host_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        username: Mapped[str] = mapped_column(sa.String(64))  # MySQL: VARCHAR needs a length
        account_id: Mapped[str] = mapped_column(sa.String(64))
        is_admin: Mapped[bool]

    app = Flask("hostapp")
    app.test_client_class = IsolatedClient
    app.config.update(
        {
            "SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "T2M2FA_REMEMBER_COOKIE_SECURE": False,
            # The argon2 floor: recovery-code tests stay fast (rule 4 of the test suite).
            "T2M2FA_RECOVERY_HASH_MEMORY_KIB": 8,
            **options,
        }
    )
    if before is not None:
        before(app)
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "login"
    login_manager.user_loader(two_factor.user_loader(lambda uid: db.session.get(User, int(uid))))
    two_factor.init_app(
        app,
        db=db,
        account_of=lambda u: u.account_id,
        is_admin=lambda u: u.is_admin,
        sender=sender,
        clock=clock,
        **(init or {}),
    )

    @app.post("/login")
    def login() -> Any:
        data = request.get_json(silent=True) or request.form
        user = db.session.scalars(db.select(User).filter_by(username=data["username"])).first()
        if user is None:
            return jsonify({"status": "bad_credentials"}), 401
        return two_factor.login(
            user, remember_me=bool(data.get("remember")), next_url=request.args.get("next")
        )

    @app.get("/private")
    @login_required
    def private() -> Any:
        return jsonify({"user": current_user.username})

    @app.get("/")
    def home() -> Any:
        return "home"

    if create_tables:
        with app.app_context():
            db.create_all()
    app.extensions["test_host"] = Host(db, two_factor, User)
    return app


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "no CSRF token in page"
    return found.group(1)


def json_login(client: Any, username: str, **headers: str) -> Any:
    return client.post("/login", json={"username": username}, headers=headers)


def json_verify(client: Any, code: Any, **extra: Any) -> Any:
    return client.post("/t2m2fa/api/verify", json={"code": code, **extra})


def json_resend(client: Any, destination: str = "primary") -> Any:
    return client.post("/t2m2fa/api/resend", json={"destination": destination})


def wrong(code: str) -> str:
    """A well-formed code that is not ``code``."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def enrol(client: Any, phone: Any) -> Any:
    return client.post("/t2m2fa/api/enrol", json={"phone": phone})


def enrolling_user(host: Host, name: str = "eve", *, admin: bool = False) -> Any:
    """2FA on, no number: the user enters his own at next login."""
    user = host.add_user(name, admin=admin)
    host.two_factor.enable_for(user)
    host.db.session.commit()
    return user


def in_parallel(action: Callable[[int], Any], count: int) -> list[Any]:
    """``action(i)`` for i in 0..count-1, each in its own thread, released together."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        results[index] = action(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
