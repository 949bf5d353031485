"""The half-logged-in state: minimal, short-lived, reaches nothing; renewed at success."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import FakeClock, RecordingSender, csrf_token, json_login, json_verify

from flask_t2m2fa.rules import sessions as session_rules


def test_pending_session_holds_only_user_challenge_and_start(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    with client.session_transaction() as session:
        session["host_stuff"] = "left from before"
    json_login(client, "alice")
    with client.session_transaction() as session:
        assert set(session) == {"_t2m2fa"}
        assert set(session["_t2m2fa"]) == {"uid", "cid", "at"}
        assert sms.last.code not in repr(dict(session))


def test_no_protected_page_while_pending(client: FlaskClient, alice: Any) -> None:
    json_login(client, "alice")
    assert client.get("/private").status_code == 302
    assert client.get("/private", headers={"Accept": "application/json"}).status_code in (302, 401)


def test_pending_state_dies_after_ten_minutes(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    for _ in range(3):  # resends do not extend it
        clock.advance(minutes=2, seconds=31)
        client.post("/t2m2fa/api/resend", json={"destination": "primary"})
    assert len(sms.messages) == 4
    clock.advance(minutes=2, seconds=30)  # 10:03 after the login; the last code is alive...
    response = json_verify(client, sms.last.code)
    assert response.status_code == 401
    assert response.json["status"] == "login_required"  # ...but the login is not
    assert client.get("/t2m2fa/code").status_code == 302


def test_session_renewed_after_success(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    json_verify(client, sms.last.code)
    with client.session_transaction() as session:
        assert "_t2m2fa" not in session
        # Flask-Login's id, as the extension's login token (see flask_t2m2fa.web.sessions).
        token = session_rules.parse(session["_user_id"])
        assert token is not None and token.user_id == str(alice.id)


def test_code_page_without_pending_login_goes_to_login(client: FlaskClient) -> None:
    response = client.get("/t2m2fa/code")
    assert response.status_code == 302 and response.location.endswith("/login")
    assert json_verify(client, "1234").json["status"] == "login_required"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_next_only_to_the_same_site(
    client: FlaskClient, alice: Any, sms: RecordingSender, target: str
) -> None:
    client.post("/login", query_string={"next": target}, data={"username": "alice"})
    page = client.get("/t2m2fa/code")
    response = client.post(
        "/t2m2fa/code", data={"code": sms.last.code, "csrf_token": csrf_token(page.text)}
    )
    assert response.location == "/"


def test_next_on_the_same_site_is_followed(app: Flask, host: Any, client: FlaskClient) -> None:
    host.add_user("bob")
    response = client.post("/login?next=/private?tab=1", data={"username": "bob"})
    assert response.location == "/private?tab=1"
