"""Sending codes: cool-down, caps per login/user/number, same answer, failures, destinations."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    BACKUP,
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    csrf_token,
    json_login,
    json_resend,
    json_verify,
)

from flask_t2m2fa.models import AuditEvent
from flask_t2m2fa.rules.phones import unbreakable as nb


def test_resend_within_cooldown_sends_nothing_and_says_so(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    first = sms.last.code
    clock.advance(seconds=18)
    refused = json_resend(client)
    assert len(sms.messages) == 1
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "42")
    assert refused.json["status"] == "code_not_sent" and refused.json["sent_to"] is None
    assert refused.json["not_sent_reason"] == "cooldown"
    assert refused.json["resend_available_in"] == 42
    assert refused.json["live_code_sent_to"] == "+32 ••• ••• •67"
    assert "No new code was sent" in refused.json["message"]
    assert "in 42 s" in refused.json["message"]
    clock.advance(seconds=42)
    allowed = json_resend(client)
    assert len(sms.messages) == 2 and allowed.status_code == 200
    assert allowed.json["status"] == "code_sent" and allowed.json["sent_to"] == "+32 ••• ••• •67"
    if first != sms.last.code:  # the refused resend left the first code alive until now
        assert json_verify(client, first).json["status"] == "invalid_code"


def test_at_most_five_sms_per_login(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    for _ in range(6):
        clock.advance(seconds=61)
        answer = json_resend(client)
    assert len(sms.messages) == 5
    assert answer.json["resend_available_at"] is None


def test_at_most_ten_sms_per_user_per_rolling_day(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    for _ in range(12):
        clock.advance(seconds=61)
        json_login(app.test_client(), "alice")
    assert len(sms.messages) == 10
    clock.advance(hours=24)
    json_login(app.test_client(), "alice")
    assert len(sms.messages) == 11


def test_at_most_ten_sms_per_number_per_rolling_day(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    for name in ("ann", "ben", "cat"):
        user = host.add_user(name)
        host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
        host.db.session.commit()
    for _ in range(4):
        clock.advance(seconds=61)
        for name in ("ann", "ben", "cat"):
            json_login(app.test_client(), name)
    assert len(sms.messages) == 10


def test_login_answer_is_the_same_when_throttled(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    first = json_login(app.test_client(), "alice").json
    throttled = json_login(app.test_client(), "alice").json  # within the cool-down
    assert len(sms.messages) == 1
    assert first.keys() == throttled.keys()
    assert throttled["status"] == "2fa_required" and throttled["sent_to"] == first["sent_to"]


def test_resend_to_backup_goes_to_the_backup_phone(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    clock.advance(seconds=61)
    answer = json_resend(client, "backup")
    assert answer.json["sent_to"] == "+32 ••• ••• •21"
    assert sms.last.to == BACKUP
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def test_codes_go_only_to_verified_numbers(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    carl = host.add_user("carl")
    host.two_factor.enable_for(carl, primary_phone=PRIMARY, verified=True)
    host.db.session.commit()
    host.two_factor.enable_for(carl, backup_phone=BACKUP)  # pending, never verified
    host.db.session.commit()
    client = app.test_client()
    assert json_login(client, "carl").json["backup_available"] is False
    clock.advance(seconds=61)
    client.post("/t2m2fa/api/resend", json={"destination": "backup", "to": BACKUP})
    assert [m.to for m in sms.messages] == [PRIMARY]  # never to the pending backup


def test_send_failure_at_once_is_shown(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    sms.fail_next = True
    answer = json_login(client, "alice").json
    assert answer["send_failed"] is True
    page = client.get("/t2m2fa/code").text
    assert nb("We could not send the SMS to +32 ••• ••• •67 — try your backup phone.") in page


def test_failure_reported_later_by_the_gateway_is_shown(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    assert client.get("/t2m2fa/api/challenge").json["send_failed"] is False
    sms.failed_ids.add("1")
    assert client.get("/t2m2fa/api/challenge").json["send_failed"] is True
    assert "try your backup phone" in client.get("/t2m2fa/code").text


def test_html_resend_says_what_happened_once(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock, host: Host
) -> None:
    client.post("/login", data={"username": "alice"})
    page = client.get("/t2m2fa/code").text
    assert "We sent a code by SMS to <strong>" not in page  # one plain sentence, no markup
    assert nb("We sent a code by SMS to +32 ••• ••• •67") in page
    token = csrf_token(page)
    clock.advance(seconds=20)
    refused = client.post(
        "/t2m2fa/resend", data={"csrf_token": token, "destination": "backup"}, follow_redirects=True
    )
    assert nb("No new code was sent to +32 ••• ••• •21") in refused.text
    assert 'data-resend-in="40"' in refused.text  # counted down live, not frozen in the notice
    assert refused.text.count("No new code was sent") == 1
    # The card still names the phone whose code is live, and says it truthfully.
    assert nb("We sent a code by SMS to +32 ••• ••• •67 20 s ago") in refused.text
    clock.advance(seconds=41)
    allowed = client.post(
        "/t2m2fa/resend", data={"csrf_token": token, "destination": "backup"}, follow_redirects=True
    )
    assert [m.to for m in sms.messages] == [PRIMARY, BACKUP]
    assert allowed.text.count(nb("A new code was sent to +32 ••• ••• •21.")) == 1
    assert nb("We sent a code by SMS to +32 ••• ••• •21") in allowed.text
    assert "No new code was sent" not in allowed.text
    reasons = host.db.session.scalars(
        host.db.select(AuditEvent.reason).filter_by(event="send_throttled")
    ).all()
    assert reasons == ["cooldown"]
