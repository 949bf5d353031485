"""Step-up: an admin action needs a code entered within the window (default 15 minutes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from t2m2fa_support import (
    START,
    FakeClock,
    Host,
    RecordingSender,
    csrf_token,
    json_login,
    json_verify,
)
from test_remember import browser_login, logs_in_without_code

from flask_t2m2fa.rules.step_up import DEFAULT_WINDOW, is_fresh
from flask_t2m2fa.web.step_up import requires_step_up


@pytest.mark.parametrize(
    ("age", "fresh"),
    [
        (timedelta(0), True),
        (timedelta(minutes=14, seconds=59), True),
        (timedelta(minutes=15), True),
        (timedelta(minutes=15, seconds=1), False),
        (timedelta(minutes=15, seconds=60), False),
        (timedelta(seconds=-1), False),  # in the future: a clock set back, a forged value
    ],
)
def test_step_up_freshness_rule(age: timedelta, fresh: bool) -> None:
    assert is_fresh(START - age, now=START, window=DEFAULT_WINDOW) is fresh


def test_step_up_freshness_rule_without_any_check() -> None:
    assert not is_fresh(None, now=START, window=DEFAULT_WINDOW)


def test_step_up_freshness_window_is_a_parameter() -> None:
    twenty = timedelta(minutes=20)
    assert is_fresh(START - timedelta(minutes=19, seconds=59), now=START, window=twenty)
    assert not is_fresh(START - timedelta(minutes=20, seconds=1), now=START, window=twenty)


@pytest.fixture
def guarded(app: Flask) -> Flask:
    @app.route("/sensitive", methods=["GET", "POST"])
    @requires_step_up()
    def sensitive() -> Any:
        return jsonify({"done": True})

    @app.get("/api/sensitive")
    @requires_step_up(json=True)
    def api_sensitive() -> Any:
        return jsonify({"done": True})

    @app.get("/twenty")
    @requires_step_up(timedelta(minutes=20))
    def twenty() -> Any:
        return jsonify({"done": True})

    return app


def _logged_in(app: Flask, sms: RecordingSender) -> FlaskClient:
    client = app.test_client()
    json_login(client, "alice")
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    return client


def test_a_code_login_is_fresh_for_the_window_then_asks(
    guarded: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = _logged_in(guarded, sms)
    clock.advance(minutes=14, seconds=59)
    assert client.get("/api/sensitive").json == {"done": True}
    clock.advance(seconds=2)  # 15:01 after the code
    refused = client.get("/api/sensitive")
    assert refused.status_code == 403 and refused.json["status"] == "step_up_required"
    assert refused.json["send_code"] == "/t2m2fa/api/step-up"
    assert client.get("/twenty").json == {"done": True}  # a longer window for another use
    sent = client.post("/t2m2fa/api/step-up", json={})
    assert sent.json["purpose"] == "step_up" and sent.json["new_code_sent"] is True
    wrong = client.post(
        "/t2m2fa/api/step-up/verify", json={"code": "0000" if sms.last.code != "0000" else "1111"}
    )
    assert wrong.status_code == 401 and wrong.json["status"] == "invalid_code"
    ok = client.post("/t2m2fa/api/step-up/verify", json={"code": sms.last.code})
    assert ok.json == {"status": "ok"}
    assert client.get("/api/sensitive").json == {"done": True}


def test_the_browser_goes_to_the_step_up_page_and_back(
    guarded: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = _logged_in(guarded, sms)
    clock.advance(minutes=16)
    asked = client.get("/sensitive?tab=2")
    assert asked.status_code == 302
    assert asked.location == "/t2m2fa/step-up?next=/sensitive?tab%3D2"
    page = client.get(asked.location)
    assert "Send me a code" in page.text and 'name="code"' not in page.text  # nothing sent on GET
    before = len(sms.messages)
    token = csrf_token(page.text)
    assert client.post("/t2m2fa/step-up", data={"send": "1"}).status_code == 400  # no CSRF token
    assert len(sms.messages) == before
    sent = client.post(
        "/t2m2fa/step-up", data={"send": "1", "csrf_token": token, "next": "/sensitive?tab=2"}
    )
    assert 'name="code"' in sent.text and len(sms.messages) == before + 1
    done = client.post(
        "/t2m2fa/step-up",
        data={"code": sms.last.code, "csrf_token": token, "next": "/sensitive?tab=2"},
    )
    assert done.status_code == 302 and done.location == "/sensitive?tab=2"
    assert client.get("/sensitive").json == {"done": True}


def test_a_remembered_pc_login_is_no_recent_code(
    guarded: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = guarded.test_client()
    browser_login(client, sms, "alice", remember=True)
    assert logs_in_without_code(client, sms, "alice")
    assert client.get("/api/sensitive").json["status"] == "step_up_required"


def test_anonymous_cannot_ask_for_a_step_up_code(
    guarded: Flask, alice: Any, sms: RecordingSender
) -> None:
    client = guarded.test_client()
    assert client.post("/t2m2fa/api/step-up", json={}).status_code == 401
    assert client.get("/t2m2fa/step-up").status_code == 302 and sms.messages == []


def test_step_up_codes_count_towards_the_lock(
    guarded: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = _logged_in(guarded, sms)
    clock.advance(minutes=16)
    statuses = []
    for _ in range(4):  # 4 codes x 3 wrong attempts: past the 10 failures a day
        clock.advance(minutes=2)
        client.post("/t2m2fa/api/step-up", json={})
        bad = "0000" if sms.last.code != "0000" else "1111"
        for _ in range(3):
            statuses.append(client.post("/t2m2fa/api/step-up/verify", json={"code": bad}).json)
    assert [s["status"] for s in statuses[:10]] == ["invalid_code"] * 10
    assert statuses[10]["status"] == "try_later"
    assert client.post("/t2m2fa/api/step-up", json={}).json["status"] == "try_later"
    assert client.get("/api/sensitive").json["status"] == "step_up_required"


def test_step_up_answers_follow_openapi(
    guarded: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    from test_openapi import check, spec

    document = spec.__wrapped__()
    client = _logged_in(guarded, sms)
    clock.advance(minutes=16)
    check(document, client.post("/t2m2fa/api/step-up", json={}))
    check(document, client.post("/t2m2fa/api/step-up/verify", json={"code": "x"}))
    check(document, client.post("/t2m2fa/api/step-up/verify", json={"code": sms.last.code}))


def test_refusals_to_a_logged_in_user_never_say_log_in_again(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """He is logged in: an expired or missing code asks for a new one, not a new login."""
    json_login(client, "alice")
    json_verify(client, sms.last.code)
    clock.advance(minutes=16)
    for url in ("/t2m2fa/api/step-up/verify", "/t2m2fa/api/security/phone/confirm"):
        if url.endswith("/confirm"):
            clock.advance(seconds=61)
            client.post("/t2m2fa/api/step-up", json={})
            client.post("/t2m2fa/api/step-up/verify", json={"code": sms.last.code})
        refused = client.post(url, json={"code": "1234"})
        assert refused.status_code in (401, 410), (url, refused.json)
        assert "log in again" not in refused.json["message"].lower(), (url, refused.json)
        assert "Ask for a new code." in refused.json["message"], (url, refused.json)
