"""End to end: password -> code by SMS -> verify -> logged in, for browsers and JSON clients."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from t2m2fa_support import PRIMARY, RecordingSender, csrf_token

from flask_t2m2fa.rules.phones import unbreakable as nb


def test_browser_login_with_code(client: FlaskClient, alice: Any, sms: RecordingSender) -> None:
    response = client.post("/login?next=/private", data={"username": "alice"})
    assert response.status_code == 302
    assert response.location.endswith("/t2m2fa/code")
    assert client.get("/private").status_code == 302  # half logged in: nothing protected
    page = client.get("/t2m2fa/code")
    assert nb("+32 ••• ••• •67") in page.text
    assert sms.last.to == PRIMARY
    response = client.post(
        "/t2m2fa/code", data={"code": sms.last.code, "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    assert response.location == "/private"
    assert client.get("/private").json == {"user": "alice"}


def test_json_login_with_code(client: FlaskClient, alice: Any, sms: RecordingSender) -> None:
    response = client.post("/login", json={"username": "alice"})
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "2fa_required"
    assert body["sent_to"] == "+32 ••• ••• •67"
    assert body["backup_available"] is True
    assert body["remember_pc_offered"] is True
    response = client.post("/t2m2fa/api/verify", json={"code": sms.last.code})
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert client.get("/private").json == {"user": "alice"}


def test_user_without_2fa_logs_in_at_once(
    client: FlaskClient, host: Any, sms: RecordingSender
) -> None:
    host.add_user("bob")
    response = client.post("/login", json={"username": "bob"})
    assert response.json == {"status": "ok", "next": "/"}
    assert sms.messages == []
    assert client.get("/private").json == {"user": "bob"}
