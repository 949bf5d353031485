"""The test kit hosts enable (``flask_t2m2fa.testing``): its fixtures, and a host that uses it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from t2m2fa_support import BACKUP, PRIMARY, Host, build_app, json_login, json_resend

from flask_t2m2fa.outbox_keys import outbox_keys
from flask_t2m2fa.testing import FakeClock, RecordingSender
from flask_t2m2fa.testing_gateway import Loopback


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
        host.db.session.commit()
    client = app.test_client()
    assert json_login(client, "alice").get_json()["sent_to"] is not None

    code = t2m2fa_loopback.wait_for_code(PRIMARY)

    answer = client.post("/t2m2fa/api/verify", json={"code": code})
    assert answer.get_json()["status"] == "ok"
