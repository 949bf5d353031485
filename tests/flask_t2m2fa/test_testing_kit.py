"""The test kit hosts enable (``flask_t2m2fa.testing``): its fixtures, and a host that uses it."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from t2m2fa_support import BACKUP, PRIMARY, Host, build_app, json_login, json_resend

from flask_t2m2fa.outbox_keys import outbox_keys
from flask_t2m2fa.testing import FakeClock, RecordingSender
from flask_t2m2fa.testing_gateway import Loopback

pytest_plugins = ["pytester"]


def test_last_code_for_a_user_or_a_number(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    assert sms.last_code_for(alice) == sms.last_code_for(PRIMARY) == sms.last.code

    clock.advance(seconds=61)  # past the resend cool-down
    json_resend(client, "backup")
    assert sms.last_code_for(alice) == sms.last_code_for(BACKUP) != sms.last_code_for(PRIMARY)


def test_last_code_for_a_user_who_got_no_sms(host: Host, sms: RecordingSender) -> None:
    bob = host.add_user("bob")
    with pytest.raises(AssertionError, match="no SMS to a number of user"):
        sms.last_code_for(bob)


def test_the_kit_clock_is_the_apps_clock(
    client: FlaskClient, alice: Any, sms: RecordingSender, t2m2fa_clock: FakeClock
) -> None:
    t2m2fa_clock.advance(hours=2)
    json_login(client, "alice")
    assert sms.last.at == t2m2fa_clock.now


def test_t2m2fa_login_logs_in_in_one_call(
    client: FlaskClient, alice: Any, t2m2fa_login: Any
) -> None:
    assert client.get("/private").status_code == 302  # to the login page

    answer = t2m2fa_login(client, alice)

    assert answer["status"] == "ok" and "remember_token" not in answer
    assert client.get("/private").get_json() == {"user": "alice"}


def test_t2m2fa_login_can_remember_the_pc(
    client: FlaskClient, alice: Any, t2m2fa_login: Any, sms: RecordingSender
) -> None:
    token = t2m2fa_login(client, alice, remember_pc=True)["remember_token"]
    sms.clear()

    fresh = client.application.test_client()
    answer = fresh.post("/login", json={"username": "alice"}, headers={"X-T2M2FA-Remember": token})
    assert answer.get_json()["status"] == "ok" and sms.messages == []


def test_t2m2fa_login_of_a_user_without_2fa(
    client: FlaskClient, host: Host, t2m2fa_login: Any
) -> None:
    bob = host.add_user("bob")
    assert t2m2fa_login(client, bob) == {"status": "ok"}
    assert client.get("/private").get_json() == {"user": "bob"}


def test_t2m2fa_loopback_sends_through_the_gateway(
    t2m2fa_loopback: Loopback, tmp_path: Path
) -> None:
    """The default sender queues the code; the worker sends it through the pty to the inbox."""
    url = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    app = build_app(url, FakeClock(datetime.now(UTC)), None, {})  # the outbox: real time
    t2m2fa_loopback.start_worker(url, keys=outbox_keys(app.config))
    host: Host = app.extensions["test_host"]
    with app.app_context():
        alice = host.add_user("alice")
        host.two_factor.enable_for(alice, primary_phone=PRIMARY, verified=True)
    client = app.test_client()
    assert json_login(client, "alice").get_json()["sent_to"] is not None

    code = t2m2fa_loopback.wait_for_code(PRIMARY)

    answer = client.post("/t2m2fa/api/verify", json={"code": code})
    assert answer.get_json()["status"] == "ok"


TINY_HOST = """
    import pytest
    from flask import Flask
    from flask_login import LoginManager, UserMixin, login_required
    from flask_sqlalchemy import SQLAlchemy
    from flask_t2m2fa import TwoFactor

    pytest_plugins = ["flask_t2m2fa.testing"]
    db, login_manager, two_factor = SQLAlchemy(), LoginManager(), TwoFactor()

    class User(UserMixin, db.Model):
        id = db.Column(db.Integer, primary_key=True)

    @pytest.fixture
    def app(t2m2fa_sms, t2m2fa_clock, tmp_path):
        app = Flask("tiny")
        app.config.update(SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/db")
        db.init_app(app)
        login_manager.init_app(app)
        login_manager.user_loader(lambda uid: db.session.get(User, int(uid)))
        two_factor.init_app(app, db=db, account_of=lambda u: "acme", is_admin=lambda u: False,
                            sender=t2m2fa_sms, clock=t2m2fa_clock)
        app.get("/")(login_required(lambda: "home"))
        with app.app_context():
            db.create_all()
            yield app
"""

TINY_TESTS = """
    from conftest import User, db, two_factor

    def test_login_with_the_code(app, t2m2fa_login, t2m2fa_sms):
        user = User()
        db.session.add(user)
        db.session.commit()
        two_factor.enable_for(user, primary_phone="+32470123456", verified=True)
        client = app.test_client()
        assert client.get("/").status_code == 401
        assert t2m2fa_login(client, user)["status"] == "ok"
        assert client.get("/").text == "home"
        assert t2m2fa_sms.last_code_for(user) == t2m2fa_sms.last_code_for("+32 470 12 34 56")
"""


def test_a_tiny_host_uses_the_kit_as_a_plugin(pytester: pytest.Pytester) -> None:
    """A host's own test run, in its own process: the plugin loads from ``pytest_plugins``."""
    pytester.makeconftest(textwrap.dedent(TINY_HOST))
    pytester.makepyfile(test_tiny=textwrap.dedent(TINY_TESTS))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)
