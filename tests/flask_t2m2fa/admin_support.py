"""An admin-enabled host for the administration tests: two accounts, each with an admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    BACKUP,
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    build_app,
    json_login,
    json_verify,
)

from flask_t2m2fa import models

BOSS_PRIMARY, BOSS_BACKUP = "+32470111122", "+32470111133"
RIVAL_PRIMARY, RIVAL_BACKUP = "+32470222211", "+32470222233"


def build_admin_app(
    database_url: str, clock: FakeClock, sender: Any, options: dict[str, Any] | None = None
) -> Flask:
    """The suite's host app with the admin pages on, for two accounts (``acme``, ``other``)."""
    holder: dict[str, Any] = {}

    def users_of(account_id: str) -> Any:
        User = holder["host"].User
        return sa.select(User).filter_by(account_id=account_id)

    def users_named(name: str) -> Any:
        User = holder["host"].User
        return sa.select(User).filter_by(username=name)

    names = {"Acme Corp": "acme", "Other Ltd": "other"}
    init = {
        "admin": True,
        "users_of": users_of,
        "display_name": lambda u: u.username,
        "account_named": names.get,
        "users_named": users_named,
    }
    app = build_app(database_url, clock, sender, options or {}, init=init)
    holder["host"] = app.extensions["test_host"]
    return app


@pytest.fixture
def admin_app(database_url: str, clock: FakeClock, sms: RecordingSender) -> Iterator[Flask]:
    app = build_admin_app(database_url, clock, sms)
    host: Host = app.extensions["test_host"]
    with app.app_context():
        yield app
        host.db.session.remove()
        host.db.engine.dispose()


@pytest.fixture
def people(admin_app: Flask) -> dict[str, Any]:
    return add_people(admin_app.extensions["test_host"])


def add_people(host: Host) -> dict[str, Any]:
    """An admin and two users in ``acme`` (alice with 2FA, bob without), an admin and a user
    in ``other``."""
    tf = host.two_factor
    boss = host.add_user("boss", admin=True)
    tf.enable_for(boss, primary_phone=BOSS_PRIMARY, backup_phone=BOSS_BACKUP, verified=True)
    host.db.session.commit()
    alice = host.add_user("alice")
    tf.enable_for(alice, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True)
    host.db.session.commit()
    bob = host.add_user("bob")
    rival = host.add_user("rival", account="other", admin=True)
    tf.enable_for(rival, primary_phone=RIVAL_PRIMARY, backup_phone=RIVAL_BACKUP, verified=True)
    host.db.session.commit()
    stranger = host.add_user("stranger", account="other")
    return {"boss": boss, "alice": alice, "bob": bob, "rival": rival, "stranger": stranger}


def logged_in(app: Flask, sms: Any, name: str, clock: FakeClock) -> FlaskClient:
    """A client whose user entered a code just now (then the cool-down is waited out)."""
    client = app.test_client()
    step = json_login(client, name).json
    if step["status"] != "ok":
        assert json_verify(client, sms.last.code).json["status"] == "ok"
    clock.advance(seconds=61)
    return client


def snapshot(host: Host) -> dict[str, Any]:
    """Every row of the extension's own tables (what an action would change)."""
    tables = (models.AccountPolicy, models.UserSettings, models.Phone, models.RememberedPc,
              models.SessionEpoch, models.Challenge, models.AuditEvent)  # fmt: skip
    host.db.session.expire_all()
    seen: dict[str, Any] = {}
    for table in tables:
        rows = host.db.session.execute(sa.select(table.__table__)).all()
        seen[table.__tablename__] = sorted(map(tuple, rows), key=repr)
    return seen
