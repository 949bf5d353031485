"""CSRF on every form; JSON endpoints take JSON only, from this site only."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import Host, RecordingSender, csrf_token

from flask_t2m2fa.models import Failure


def test_code_form_without_csrf_token_is_refused_and_not_counted(
    client: FlaskClient, alice: Any, sms: RecordingSender, host: Host
) -> None:
    client.post("/login", data={"username": "alice"})
    response = client.post("/t2m2fa/code", data={"code": sms.last.code})
    assert response.status_code == 400
    assert client.get("/private").status_code == 302
    assert host.db.session.query(Failure).count() == 0


def test_resend_form_without_csrf_token_sends_nothing(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: Any
) -> None:
    client.post("/login", data={"username": "alice"})
    clock.advance(seconds=61)
    client.post("/t2m2fa/resend", data={"destination": "primary"})
    assert len(sms.messages) == 1


def test_wrong_code_in_the_form(client: FlaskClient, alice: Any, sms: RecordingSender) -> None:
    client.post("/login", data={"username": "alice"})
    token = csrf_token(client.get("/t2m2fa/code").text)
    response = client.post("/t2m2fa/code", data={"code": "abcd", "csrf_token": token})
    assert response.status_code == 401
    assert "Wrong code." in response.text and "2 attempts left" in response.text


def test_json_endpoints_need_a_json_body(
    client: FlaskClient, alice: Any, sms: RecordingSender, host: Host
) -> None:
    client.post("/login", json={"username": "alice"})
    response = client.post("/t2m2fa/api/verify", data={"code": sms.last.code})
    assert response.status_code == 415
    response = client.post("/t2m2fa/api/verify", data='{"code": "1"}', content_type="text/plain")
    assert response.status_code == 415
    assert host.db.session.query(Failure).count() == 0


def test_json_endpoints_refuse_other_origins(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    client.post("/login", json={"username": "alice"})
    for headers in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost.evil"},
    ):
        response = client.post("/t2m2fa/api/verify", json={"code": sms.last.code}, headers=headers)
        assert response.status_code == 403
    ok = client.post(
        "/t2m2fa/api/verify",
        json={"code": sms.last.code},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert ok.json["status"] == "ok"


def test_huge_bodies_are_refused(client: FlaskClient, alice: Any) -> None:
    client.post("/login", json={"username": "alice"})
    response = client.post("/t2m2fa/api/verify", json={"code": "1" * 10_000})
    assert response.status_code == 413


def test_wrong_json_types_count_as_wrong_codes(client: FlaskClient, alice: Any, host: Host) -> None:
    client.post("/login", json={"username": "alice"})
    for body in ({"code": None}, {"code": {"a": 1}}):
        response = client.post("/t2m2fa/api/verify", json=body)
        assert response.status_code == 401
    # A body that is no JSON object is no attempt at all: 400, nothing counted (issue #8).
    assert client.post("/t2m2fa/api/verify", json=[1, 2]).status_code == 400
    assert host.db.session.query(Failure).count() == 2


def test_json_api_works_with_global_csrf_protection(
    tmp_path: Any, clock: Any, sms: RecordingSender
) -> None:
    from flask_wtf.csrf import CSRFProtect
    from t2m2fa_support import PRIMARY, build_app

    url = f"sqlite:///{tmp_path / 'csrf.sqlite3'}"
    app = build_app(url, clock, sms, {}, before=lambda app: CSRFProtect(app))
    host: Host = app.extensions["test_host"]
    with app.app_context():
        user = host.add_user("dora")
        host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
        host.db.session.commit()
    client = app.test_client()
    app.view_functions["login"] = app.extensions["csrf"].exempt(app.view_functions["login"])
    client.post("/login", json={"username": "dora"})
    assert client.post("/t2m2fa/api/verify", json={"code": sms.last.code}).json["status"] == "ok"
    with app.app_context():
        host.db.engine.dispose()


def test_api_challenge_describes_the_pending_login(
    app: Flask, client: FlaskClient, alice: Any
) -> None:
    client.post("/login", json={"username": "alice"})
    body = client.get("/t2m2fa/api/challenge").json
    assert body["status"] == "2fa_required" and body["destination"] == "primary"
    assert app.test_client().get("/t2m2fa/api/challenge").status_code == 401


def _nested(depth: int, *, innermost: str = "1") -> str:
    """``{"code": {"a": {"a": ... innermost}}}``: an object ``depth`` levels deep."""
    return '{"code": ' + '{"a":' * (depth - 1) + innermost + "}" * depth


@pytest.mark.parametrize(
    "body",
    [
        '{"code": ' + "[" * 1500 + "]" * 1500 + "}",  # 3.11's decoder overflows; 3.13's does not
        _nested(600),  # 3.6 kB: under the byte cap
        _nested(33),  # one level past the limit
        _nested(33, innermost='"]]]"'),  # brackets in strings do not nest, braces still do
    ],
    ids=["arrays_1500", "objects_600", "objects_33", "objects_33_with_strings"],
)
def test_deeply_nested_json_is_a_400_that_counts_nothing(
    client: FlaskClient, alice: Any, host: Host, sms: RecordingSender, body: str
) -> None:
    """Refused before decoding, so every Python answers alike (3.13 used to decode the
    1,500-deep object, answer 401 and count a wrong code)."""
    client.post("/login", json={"username": "alice"})
    for path in ("/t2m2fa/api/verify", "/t2m2fa/api/resend"):
        answer = client.post(path, data=body, content_type="application/json")
        assert answer.status_code == 400, path
        assert answer.json["status"] == "bad_request"
        assert "32 levels" in answer.json["message"]
    assert host.db.session.query(Failure).count() == 0
    assert len(sms.messages) == 1


def test_json_at_the_depth_limit_is_read(client: FlaskClient, alice: Any, host: Host) -> None:
    client.post("/login", json={"username": "alice"})
    body = _nested(32, innermost='"[[[[{{{{"')  # brackets in a string do not count
    answer = client.post("/t2m2fa/api/verify", data=body, content_type="application/json")
    assert answer.status_code == 401  # read, and a wrong code: counted as one
    assert host.db.session.query(Failure).count() == 1
