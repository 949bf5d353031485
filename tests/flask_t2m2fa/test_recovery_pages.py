"""Recovery codes in the browser: made on the Security page behind the step-up and shown once
with a text download; "Use a recovery code" at the code step, offered only with codes left."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import FakeClock, Host, RecordingSender, csrf_token, json_login, json_verify

from flask_t2m2fa.models import Failure

CODE_RE = re.compile(r"<code>([2-9a-z]{5}-[2-9a-z]{5})</code>")


def make_codes(app: Flask, sms: RecordingSender) -> tuple[FlaskClient, list[str], str]:
    client = app.test_client()
    json_login(client, "alice")
    json_verify(client, sms.last.code)
    token = csrf_token(client.get("/t2m2fa/security").text)
    page = client.post("/t2m2fa/security/recovery-codes", data={"csrf_token": token})
    assert page.status_code == 200, page.text
    return client, CODE_RE.findall(page.text), page.text


def at_code_page(app: Flask, clock: FakeClock) -> FlaskClient:
    clock.advance(seconds=61)
    client = app.test_client()
    assert client.post("/login", data={"username": "alice"}).status_code == 302
    return client


def post_recovery(client: FlaskClient, code: str) -> Any:
    token = csrf_token(client.get("/t2m2fa/recovery").text)
    return client.post("/t2m2fa/recovery", data={"csrf_token": token, "code": code})


def failures(host: Host) -> int:
    host.db.session.rollback()
    return host.db.session.query(Failure).count()


def test_codes_are_shown_once_with_a_download_and_a_way_back(
    app: Flask, alice: Any, sms: RecordingSender
) -> None:
    client, codes, page = make_codes(app, sms)
    assert len(set(codes)) == 10
    assert "shown only once" in page and "I have saved them" in page
    link = re.search(r'download="recovery-codes.txt" href="data:text/plain;[^,]*,([^"]+)', page)
    assert link is not None and all(code in unquote(link.group(1)) for code in codes)
    security = client.get("/t2m2fa/security").text
    assert "You have 10 recovery codes left." in security
    assert not any(code in security for code in codes)


def test_making_codes_needs_the_step_up(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = app.test_client()
    json_login(client, "alice")
    json_verify(client, sms.last.code)
    token = csrf_token(client.get("/t2m2fa/security").text)
    clock.advance(minutes=21)
    answer = client.post("/t2m2fa/security/recovery-codes", data={"csrf_token": token})
    assert answer.status_code == 302 and "step-up" in answer.headers["Location"]


def test_the_code_page_offers_a_recovery_code_only_with_codes_left(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    assert "Use a recovery code" not in at_code_page(app, clock).get("/t2m2fa/code").text
    make_codes(app, sms)
    assert "Use a recovery code" in at_code_page(app, clock).get("/t2m2fa/code").text


def test_a_recovery_code_logs_in_and_lands_on_the_security_page_with_the_count(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    _, codes, _ = make_codes(app, sms)
    client = at_code_page(app, clock)
    answer = post_recovery(client, codes[0].upper())
    assert answer.status_code == 302 and answer.headers["Location"] == "/t2m2fa/security"
    page = client.get("/t2m2fa/security").text
    assert "You logged in with a recovery code: 9 left. Generate new ones." in page
    assert "You have 9 recovery codes left." in page
    # Regenerating voids the rest: an old code is a wrong code now.
    token = csrf_token(page)
    made = client.post("/t2m2fa/security/recovery-codes", data={"csrf_token": token})
    assert made.status_code == 200
    other = at_code_page(app, clock)
    before = failures(host)
    wrong = post_recovery(other, codes[1])
    assert wrong.status_code == 401 and "Wrong code." in wrong.text
    assert failures(host) == before + 1


def test_a_malformed_code_or_expired_form_counts_nothing(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    make_codes(app, sms)
    client = at_code_page(app, clock)
    malformed = post_recovery(client, "abcd")
    assert malformed.status_code == 400 and "ten letters and digits" in malformed.text
    no_token = client.post("/t2m2fa/recovery", data={"code": "abcde-23456"})
    assert no_token.status_code == 400
    assert failures(host) == 0


def test_without_a_pending_login_the_page_sends_to_the_login(client: FlaskClient) -> None:
    assert client.get("/t2m2fa/recovery").status_code == 302
