"""The JSON API's contract beyond the bodies: body limits over real HTTP, methods, headers, cookie.

The body limit is checked through a real HTTP server in a thread: Werkzeug's test client
always sends a ``Content-Length``, so only a real connection can send a chunked body.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    FakeClock,
    Host,
    RecordingSender,
    enrolling_user,
    json_login,
    json_resend,
    json_verify,
    wrong,
)
from werkzeug.serving import BaseWSGIServer, make_server

API = "/t2m2fa/api"


@pytest.fixture
def server(app: Flask) -> Iterator[BaseWSGIServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()


def _chunked_post(server: BaseWSGIServer, path: str, body: bytes, cookie: str) -> tuple[int, Any]:
    """POST ``body`` in 1 KB chunks, without a Content-Length; the status and JSON answer."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    chunks = (body[i : i + 1024] for i in range(0, len(body), 1024))
    headers = {"Content-Type": "application/json", "Cookie": cookie}
    try:
        connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, yaml.safe_load(response.read())
    finally:
        connection.close()


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return f"session={cookie.value}"


def test_chunked_bodies_are_capped_by_the_bytes_read(
    server: BaseWSGIServer, client: FlaskClient, host: Host, sms: RecordingSender
) -> None:
    enrolling_user(host)
    assert json_login(client, "eve").json["status"] == "enrolment_required"
    cookie = _session_cookie(client)
    padded = b'{"phone": "+32470555511", "pad": "' + b"x" * 30_000 + b'"}'
    assert _chunked_post(server, f"{API}/enrol", padded, cookie)[0] == 413
    huge = b'{"pad": "' + b"x" * 5_000_000 + b'"}'
    status, answer = _chunked_post(server, f"{API}/enrol", huge, cookie)
    assert (status, answer["status"]) == (413, "too_large")
    assert sms.messages == []  # nothing was sent for an oversize body
    small = b'{"phone": "+32470555511"}'
    status, answer = _chunked_post(server, f"{API}/enrol", small, cookie)
    assert (status, answer["status"]) == (200, "2fa_required")  # a chunked body is read
    assert len(sms.messages) == 1


@pytest.mark.parametrize("destination", ["elsewhere", "", None, ["primary"], {"a": 1}, 1])
def test_a_destination_other_than_primary_or_backup_is_400(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock, destination: Any
) -> None:
    json_login(client, "alice")
    clock.advance(seconds=61)
    answer = client.post(f"{API}/resend", json={"destination": destination})
    assert (answer.status_code, answer.json["status"]) == (400, "bad_request")
    assert len(sms.messages) == 1


def test_resend_keeps_the_session_cookie(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    first_cookie, first_code = _session_cookie(client), sms.last.code
    clock.advance(seconds=61)
    resent = json_resend(client)
    assert resent.status_code == 200 and "Set-Cookie" not in resent.headers
    assert _session_cookie(client) == first_cookie
    assert json_verify(client, first_code).json["status"] == "invalid_code"  # as before


def test_a_client_that_keeps_its_first_cookie_logs_in_with_the_new_code(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = app.test_client()
    json_login(client, "alice")
    kept = client.get_cookie("session")
    assert kept is not None
    clock.advance(seconds=61)
    json_resend(client, "backup")
    clock.advance(seconds=61)
    json_resend(client)
    client.set_cookie("session", kept.value)  # as if no resend had answered a cookie
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def test_a_next_step_keeps_the_session_cookie(app: Flask, host: Host, sms: RecordingSender) -> None:
    carl = host.add_user("carl", admin=True)
    host.two_factor.enable_for(carl, primary_phone="+32470555511", backup_phone="+32470555522")
    host.db.session.commit()
    client = app.test_client()
    json_login(client, "carl")
    kept = _session_cookie(client)
    step = json_verify(client, sms.last.code)
    assert step.json["purpose"] == "verify_backup" and "Set-Cookie" not in step.headers
    assert _session_cookie(client) == kept
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def test_a_resend_refused_for_the_rest_of_the_login_still_says_retry_after(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    for _ in range(4):  # the login's 5 SMS
        clock.advance(seconds=61)
        assert json_resend(client).status_code == 200
    clock.advance(seconds=61)
    refused = json_resend(client)
    assert refused.status_code == 429 and refused.json["resend_available_in"] is None
    assert refused.json["not_sent_reason"] == "login_cap"
    # The login began 5 × 61 s ago and ends 10 minutes after it began.
    assert refused.headers["Retry-After"] == str(600 - 5 * 61)


def test_every_try_later_carries_retry_after(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    for n in range(10):  # a day's budget of wrong codes, three per login
        if n % 3 == 0:
            clock.advance(seconds=61)
            client = app.test_client()
            json_login(client, "alice")
        json_verify(client, wrong(sms.last.code))
    paused = json_verify(client, sms.last.code)
    assert paused.status_code == 429 and int(paused.headers["Retry-After"]) > 0
    json_answer = json_login(app.test_client(), "alice")
    assert json_answer.status_code == 429 and int(json_answer.headers["Retry-After"]) > 0
    page = app.test_client().post("/login", data={"username": "alice"})
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0


def _problem_schema() -> dict[str, Any]:
    text = (resources.files("flask_t2m2fa") / "openapi.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    return {**document["components"]["schemas"]["Problem"], "components": document["components"]}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/verify", "POST, OPTIONS"),
        ("PUT", "/resend", "POST, OPTIONS"),
        ("DELETE", "/enrol", "POST, OPTIONS"),
        ("POST", "/challenge", "GET, HEAD, OPTIONS"),
        ("PATCH", "/challenge", "GET, HEAD, OPTIONS"),
    ],
)
def test_other_methods_on_json_paths_answer_json_405(
    client: FlaskClient, method: str, path: str, allow: str
) -> None:
    answer = client.open(f"{API}{path}", method=method, json={})
    assert (answer.status_code, answer.mimetype) == (405, "application/json")
    assert answer.headers["Allow"] == allow
    assert answer.json["status"] == "method_not_allowed"
    jsonschema.validate(answer.json, _problem_schema())


def test_options_on_json_paths_answer_json_and_grant_no_preflight(client: FlaskClient) -> None:
    answer = client.options(
        f"{API}/verify",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert (answer.status_code, answer.mimetype) == (200, "application/json")
    assert answer.json == {"status": "options", "allow": ["POST", "OPTIONS"]}
    assert not any(name.startswith("Access-Control-") for name, _ in answer.headers)


def test_html_pages_keep_flask_answers_for_other_methods(client: FlaskClient) -> None:
    answer = client.put("/t2m2fa/code")
    assert (answer.status_code, answer.mimetype) == (405, "text/html")
    assert client.options("/t2m2fa/code").mimetype != "application/json"
