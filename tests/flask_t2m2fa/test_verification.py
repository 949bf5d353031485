"""Verifying codes: lifetime, single use, binding, budgets and locks, each through the API."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    FakeClock,
    Host,
    RecordingSender,
    json_login,
    json_resend,
    json_verify,
    wrong,
)

from flask_t2m2fa.models import Failure
from flask_t2m2fa.rules.phones import unbreakable as nb


def test_code_lives_five_minutes(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    clock.advance(minutes=5, seconds=-1)
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def test_code_dead_after_five_minutes(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    clock.advance(minutes=5)
    response = json_verify(client, sms.last.code)
    assert response.status_code == 401
    assert response.json["status"] == "code_expired"


@pytest.mark.options({"T2M2FA_CODE_LIFETIME": 120, "T2M2FA_CODE_LENGTH": 6})
def test_lifetime_and_length_are_configurable(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    assert len(sms.last.code) == 6
    clock.advance(minutes=2)
    assert json_verify(client, sms.last.code).json["status"] == "code_expired"


def test_code_is_single_use(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    code = sms.last.code
    with client.session_transaction() as saved:
        pending = dict(saved)
    assert json_verify(client, code).json["status"] == "ok"
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(pending)  # a copy of the half-logged-in cookie, replayed
    assert json_verify(replay, code).json["status"] == "code_expired"


def test_resend_kills_the_old_code(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    old = sms.last.code
    clock.advance(seconds=61)
    json_resend(client)
    assert len(sms.messages) == 2
    new = sms.last.code
    if old != new:  # (the wrong code also sends the failed-code notice)
        assert json_verify(client, old).json["status"] == "invalid_code"
    assert json_verify(client, new).json["status"] == "ok"


def test_new_login_after_the_cooldown_kills_the_code_of_the_previous_one(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    first, second = app.test_client(), app.test_client()
    json_login(first, "alice")
    old = sms.last.code
    clock.advance(seconds=61)
    assert json_login(second, "alice").json["new_code_sent"] is True
    assert json_verify(first, old).json["status"] == "code_expired"


def test_new_login_within_the_cooldown_takes_over_the_code_on_the_phone(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    first, second = app.test_client(), app.test_client()
    json_login(first, "alice")
    code = sms.last.code
    assert json_verify(first, wrong(code)).json["attempts_left"] == 2
    assert [m.kind for m in sms.messages] == ["code", "notice"]  # the failed-code notice
    clock.advance(seconds=30)
    again = json_login(second, "alice").json
    assert len(sms.messages) == 2  # nothing was sent, and the answer says the truth:
    assert again["new_code_sent"] is False and again["sent_to"] == "+32 ••• ••• •67"
    assert again["code_sent_at"] == "2026-03-02T09:00:00Z"
    assert "30 s ago" in again["message"] and "still valid" in again["message"]
    # The spent attempt stays spent: logging in again buys no guesses.
    assert json_verify(second, wrong(code)).json["attempts_left"] == 1
    assert json_verify(second, code).json["status"] == "ok"


def test_new_login_within_the_cooldown_without_a_live_code_says_none_was_sent(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    first, second = app.test_client(), app.test_client()
    json_login(first, "alice")
    code = sms.last.code
    for _ in range(3):  # the code is used up
        json_verify(first, wrong(code))
    clock.advance(seconds=18)
    again = json_login(second, "alice")
    assert [m.kind for m in sms.messages] == ["code", "notice"]  # one failed-code notice
    body = again.json
    assert body["sent_to"] is None and body["code_sent_at"] is None
    assert body["new_code_sent"] is False and body["not_sent_reason"] == "cooldown"
    assert body["code_usable"] is False  # no code was sent for this login: none to enter
    assert body["resend_available_in"] == 42
    assert body["message"].startswith("No code was sent to +32 ••• ••• •67")
    assert "in 42 s" in body["message"]
    page = second.get("/t2m2fa/code").text
    assert "We sent a code" not in page and nb("No code was sent to +32 ••• ••• •67") in page
    assert "a code was sent less than a minute ago" in page  # the reason survives the redirect
    assert 'data-resend-in="42"' in page and "disabled" in page
    clock.advance(seconds=42)
    page = second.get("/t2m2fa/code").text  # the cool-down is over: no reason stands now
    assert nb("No code was sent to +32 ••• ••• •67.") in page
    assert "You can ask for a new code now." in page
    assert json_resend(second).json["status"] == "code_sent"
    assert json_verify(second, sms.last.code).json["status"] == "ok"


def test_code_works_only_for_its_own_user(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    bob = host.add_user("bob")
    host.two_factor.enable_for(bob, primary_phone="+32470555511", verified=True)
    host.db.session.commit()
    a, b = app.test_client(), app.test_client()
    json_login(a, "alice")
    alice_code = sms.last.code
    json_login(b, "bob")
    bob_code = sms.last.code
    if alice_code != bob_code:
        assert json_verify(b, alice_code).json["status"] == "invalid_code"
    assert json_verify(b, bob_code).json["status"] == "ok"


def test_three_wrong_codes_per_challenge(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    code = sms.last.code
    lefts = [json_verify(client, wrong(code)).json.get("attempts_left") for _ in range(3)]
    assert lefts == [2, 1, 0]
    assert json_verify(client, code).json["status"] == "code_expired"


def test_malformed_input_counts_as_a_wrong_code(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    code = sms.last.code
    fullwidth = "".join(chr(ord(d) + 0xFEE0) for d in code)
    for bad in [fullwidth, f" {code}", 1234]:
        assert json_verify(client, bad).status_code == 401
    assert json_verify(client, code).json["status"] == "code_expired"
    assert app.extensions["test_host"].db.session.query(Failure).count() == 3


def fail_logins(app: Flask, sms: RecordingSender, clock: FakeClock, wrong_codes: int) -> None:
    """Spend ``wrong_codes`` wrong codes over as many logins as needed (3 per login)."""
    while wrong_codes > 0:
        clock.advance(seconds=61)
        client = app.test_client()
        json_login(client, "alice")
        for _ in range(min(3, wrong_codes)):
            json_verify(client, wrong(sms.last.code))
            wrong_codes -= 1


def test_ten_wrong_codes_per_rolling_day(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    fail_logins(app, sms, clock, 9)
    client = app.test_client()
    clock.advance(seconds=61)
    json_login(client, "alice")
    json_verify(client, wrong(sms.last.code))  # the tenth
    right = json_verify(client, sms.last.code)
    assert right.status_code == 429
    assert right.json["status"] == "try_later"
    assert json_verify(client, wrong(sms.last.code)).json == right.json
    assert app.extensions["test_host"].db.session.query(Failure).count() == 10
    # A new login sends no SMS that could not be accepted, and says until when.
    clock.advance(seconds=61)
    sent = len(sms.messages)
    paused = json_login(app.test_client(), "alice")
    assert (paused.status_code, paused.json["status"]) == (429, "try_later")
    assert len(sms.messages) == sent and int(paused.headers["Retry-After"]) > 0
    assert paused.json["retry_at"] == right.json["retry_at"]
    page = app.test_client().post("/login", data={"username": "alice"})
    assert page.status_code == 429 and "Too many wrong codes today" in page.text
    assert len(sms.messages) == sent
    clock.advance(hours=24)
    client = app.test_client()
    json_login(client, "alice")
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def test_twenty_wrong_codes_in_thirty_days_lock_despite_successes(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    for _ in range(2):
        fail_logins(app, sms, clock, 9)
        client = app.test_client()
        clock.advance(seconds=61)
        json_login(client, "alice")
        assert json_verify(client, sms.last.code).json["status"] == "ok"  # no reset
        clock.advance(days=1)
    fail_logins(app, sms, clock, 1)
    client = app.test_client()
    clock.advance(seconds=61)
    json_login(client, "alice")
    last = json_verify(client, wrong(sms.last.code))
    assert last.status_code == 403
    assert last.json["status"] == "locked"
    assert host.two_factor.status_of(alice)["locked"] is True


def test_locked_user_gets_the_same_answer_and_nothing_is_counted(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = app.test_client()
    json_login(client, "alice")
    code = sms.last.code
    fail_until_locked(app, host, alice)
    right, bad = json_verify(client, code), json_verify(client, wrong(code))
    assert (right.status_code, right.json) == (bad.status_code, bad.json)
    assert (right.status_code, right.json["status"]) == (403, "locked")
    assert host.db.session.query(Failure).count() == 20
    assert client.get("/private").status_code == 302


def fail_until_locked(app: Flask, host: Host, user: Any) -> None:
    from flask_t2m2fa.models import UserSettings

    settings = host.db.session.get(UserSettings, str(user.id))
    assert settings is not None
    now = app.extensions["t2m2fa"].now()
    for _ in range(20):
        host.db.session.add(Failure(user_id=str(user.id), challenge_id="x", failed_at=now))
    settings.locked_at = now
    host.db.session.commit()


def test_locked_user_gets_no_sms_and_admin_unlock_restores(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    fail_until_locked(app, host, alice)
    client = app.test_client()
    before = len(sms.messages)
    assert json_login(client, "alice").json["status"] == "locked"
    assert len(sms.messages) == before
    assert host.two_factor.unlock(alice) is True
    host.db.session.commit()
    json_login(client, "alice")
    assert json_verify(client, sms.last.code).json["status"] == "ok"
