"""Every answer of the code step is true when it is shown (DESIGN §5, issue #7)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    csrf_token,
    json_login,
    json_verify,
    wrong,
)

from flask_t2m2fa import TwoFactor


def _post_code(client: FlaskClient, code: str, **extra: str) -> Any:
    token = csrf_token(client.get("/t2m2fa/code").text)
    return client.post("/t2m2fa/code", data={"code": code, "csrf_token": token, **extra})


def test_third_wrong_code_says_it_is_used_up_and_what_next(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client.post("/login", data={"username": "alice"})
    code = sms.last.code
    assert "2 attempts left" in _post_code(client, wrong(code)).text
    assert "1 attempt left" in _post_code(client, wrong(code)).text
    clock.advance(seconds=20)
    third = _post_code(client, wrong(code))
    assert third.status_code == 401
    assert "This code is now used up. You can ask for a new code in 40 s." in third.text
    # ... and the card no longer calls that code valid.
    assert "still valid" not in third.text and "can no longer be used" in third.text
    clock.advance(seconds=40)
    assert "You can ask for a new code now." in _post_code(client, code).text


def test_third_wrong_code_in_json(client: FlaskClient, alice: Any, sms: RecordingSender) -> None:
    json_login(client, "alice")
    for _ in range(2):
        assert json_verify(client, wrong(sms.last.code)).json["code_used_up"] is False
    third = json_verify(client, wrong(sms.last.code)).json
    assert (third["attempts_left"], third["code_used_up"]) == (0, True)
    assert third["resend_available_at"] == "2026-03-02T09:01:00Z"
    assert "used up" in third["message"]


def test_locked_user_is_told_an_administrator_must_unlock_and_gets_no_sms(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    for _ in range(7):  # 21 wrong codes over a week: locked
        for _ in range(3):
            clock.advance(minutes=2)
            client = app.test_client()
            json_login(client, "alice")
            json_verify(client, wrong(sms.last.code))
        clock.advance(days=1)
    assert host.two_factor.status_of(alice)["locked"] is True
    sent = len(sms.messages)
    page = app.test_client().post("/login", data={"username": "alice"})
    assert page.status_code == 403 and "Ask your administrator to unlock it." in page.text
    answer = json_login(app.test_client(), "alice")
    assert answer.json["status"] == "locked" and "administrator" in answer.json["message"]
    assert len(sms.messages) == sent


def test_remember_this_pc_is_honoured_on_a_verify_primary_login(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    bob = host.add_user("bob")
    host.two_factor.enable_for(bob, primary_phone=PRIMARY)  # typed by an admin: verified at login
    host.db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "bob"})
    page = client.get("/t2m2fa/code").text
    assert "Verify your phone" in page and "Remember this PC" in page
    done = _post_code(client, sms.last.code, remember_pc="y")
    assert done.status_code == 302
    assert any(c.startswith("t2m2fa_pc_") for c in done.headers.getlist("Set-Cookie"))
    sent = len(sms.messages)
    client.get("/")
    with client.session_transaction() as session:
        session.clear()
    again = client.post("/login", data={"username": "bob"})
    assert again.location == "/" and len(sms.messages) == sent


def test_init_app_twice_is_refused_before_anything_changes(app: Flask) -> None:
    rules = len(list(app.url_map.iter_rules()))
    state = app.extensions["t2m2fa"]
    with pytest.raises(RuntimeError, match="already set up"):
        TwoFactor().init_app(app, db=state.db, account_of=lambda u: "a", is_admin=lambda u: False)
    assert app.extensions["t2m2fa"] is state
    assert len(list(app.url_map.iter_rules())) == rules


def test_the_cli_uses_the_apps_extension_object(app: Flask) -> None:
    from flask_t2m2fa.state import get_state

    assert isinstance(get_state().extension, TwoFactor)
    assert get_state().extension is app.extensions["test_host"].two_factor


def test_code_page_times_are_relative(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client.post("/login", data={"username": "alice"})
    clock.advance(seconds=15)
    page = client.get("/t2m2fa/code").text
    assert "15 s ago" in page and "in 45 s" in page and "UTC" not in page


@pytest.mark.parametrize("body", ["[1, 2]", '"abc"', "5", "null", "[" * 2000 + "]" * 2000])
def test_json_bodies_that_are_not_objects_are_400_and_count_nothing(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender, body: str
) -> None:
    from flask_t2m2fa.models import Failure

    json_login(client, "alice")
    sent = len(sms.messages)
    for path in ("/t2m2fa/api/verify", "/t2m2fa/api/resend"):
        answer = client.post(path, data=body, content_type="application/json")
        assert (answer.status_code, answer.json["status"]) == (400, "bad_request"), path
    html = client.post("/t2m2fa/resend", data=body, content_type="application/json")
    assert html.status_code == 400 and "Send a JSON object" in html.text
    host = app.extensions["test_host"]
    assert host.db.session.query(Failure).count() == 0 and len(sms.messages) == sent
