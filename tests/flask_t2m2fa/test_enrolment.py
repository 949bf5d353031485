"""Enrolment at next login: the user enters and verifies his own number (Talk2M step 2B)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from t2m2fa_support import (
    BACKUP,
    BACKUP_STEP,
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    csrf_token,
    enrol,
    enrolling_user,
    json_login,
    json_resend,
    json_verify,
    wrong,
)

from flask_t2m2fa import signals
from flask_t2m2fa.models import AuditEvent, Failure, UserSettings

USER_STEP = {
    "status": "enrolment_required",
    "role": "primary",
    "backup_required": False,
    "message": "Enter your primary mobile number: a code will be sent to check it.",
}


def phones_of(host: Host, user: Any) -> dict[str, Any]:
    phones: dict[str, Any] = host.two_factor.status_of(user)["phones"]
    return phones


def test_user_enters_and_verifies_his_number_in_json(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    eve = enrolling_user(host)
    client = app.test_client()
    answer = json_login(client, "eve")
    assert (answer.status_code, answer.json) == (200, USER_STEP) and sms.messages == []
    assert client.get("/t2m2fa/api/challenge").json == USER_STEP
    step = enrol(client, "+32 470 12 34 67").json
    assert (step["status"], step["purpose"], step["destination"]) == (
        "2fa_required",
        "verify_primary",
        "primary",
    )
    assert step["sent_to"] == "+32 ••• ••• •67" and sms.last.to == PRIMARY
    assert phones_of(host, eve)["primary"]["verified"] is None
    assert client.get("/private").status_code == 302
    seen: list[dict[str, Any]] = []
    with signals.phone_verified.connected_to(lambda _app, **kw: seen.append(kw)):
        assert json_verify(client, sms.last.code).json["status"] == "ok"
    assert client.get("/private").status_code == 200
    assert [(s["reason"], s["destination"]) for s in seen] == [("primary", "+32 ••• ••• •67")]
    assert phones_of(host, eve)["primary"] == {"verified": "+32 ••• ••• •67", "pending": None}
    clock.advance(seconds=61)
    assert json_login(app.test_client(), "eve").json["purpose"] == "login"
    assert sms.last.to == PRIMARY


def test_user_enters_his_number_in_the_html_form(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    enrolling_user(host)
    client = app.test_client()
    answer = client.post("/login", data={"username": "eve"})
    assert answer.status_code == 302 and answer.location.endswith("/t2m2fa/enrol")
    page = client.get("/t2m2fa/enrol")
    assert page.status_code == 200 and 'name="phone"' in page.text
    assert client.get("/t2m2fa/code").location.endswith("/t2m2fa/enrol")  # no code is due yet
    refused = client.post("/t2m2fa/enrol", data={"phone": PRIMARY})
    assert refused.status_code == 400 and sms.messages == []  # no CSRF token: nothing sent
    token = csrf_token(page.text)
    sent = client.post("/t2m2fa/enrol", data={"phone": PRIMARY, "csrf_token": token})
    assert sent.location.endswith("/t2m2fa/code") and sms.last.to == PRIMARY
    code_page = client.get("/t2m2fa/code")
    assert "Verify your phone" in code_page.text and "Enter another number" in code_page.text
    assert client.get("/private").status_code == 302
    done = client.post("/t2m2fa/code", data={"code": sms.last.code, "csrf_token": token})
    assert done.status_code == 302 and client.get("/private").status_code == 200


def test_admin_must_then_verify_a_different_backup_in_json(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    root = enrolling_user(host, "root", admin=True)  # allowed: the backup is entered at login
    client = app.test_client()
    assert json_login(client, "root").json == {**USER_STEP, "backup_required": True}
    enrol(client, PRIMARY)
    asked = json_verify(client, sms.last.code)
    backup_step = BACKUP_STEP
    assert asked.json == backup_step
    assert client.get("/private").status_code == 302
    assert client.get("/t2m2fa/api/challenge").json == backup_step
    assert json_verify(client, sms.last.code).status_code == 409
    assert json_resend(client).json["status"] == "enrolment_required"
    sent = len(sms.messages)
    same = enrol(client, "+32 470 12 34 67")
    assert same.status_code == 400 and "differ" in same.json["message"]
    assert len(sms.messages) == sent
    step = enrol(client, BACKUP).json
    assert (step["purpose"], step["destination"]) == ("verify_backup", "backup")
    assert sms.last.to == BACKUP
    assert client.get("/private").status_code == 302
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    phones = phones_of(host, root)
    assert (phones["primary"]["verified"], phones["backup"]["verified"]) == (
        "+32 ••• ••• •67",
        "+32 ••• ••• •21",
    )
    assert client.get("/private").status_code == 200


def test_admin_enrols_primary_and_backup_in_html(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    enrolling_user(host, "root", admin=True)
    client = app.test_client()
    client.post("/login", data={"username": "root"})
    token = csrf_token(client.get("/t2m2fa/enrol").text)
    client.post("/t2m2fa/enrol", data={"phone": PRIMARY, "csrf_token": token})
    after = client.post("/t2m2fa/code", data={"code": sms.last.code, "csrf_token": token})
    assert after.location.endswith("/t2m2fa/enrol")
    assert "backup phone" in client.get("/t2m2fa/enrol").text
    assert client.get("/private").status_code == 302
    same = client.post("/t2m2fa/enrol", data={"phone": PRIMARY, "csrf_token": token})
    assert same.status_code == 400 and "must differ from the primary" in same.text
    client.post("/t2m2fa/enrol", data={"phone": BACKUP, "csrf_token": token})
    assert sms.last.to == BACKUP
    client.post("/t2m2fa/code", data={"code": sms.last.code, "csrf_token": token})
    assert client.get("/private").status_code == 200


def test_wrong_codes_spend_the_usual_budgets(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    eve = enrolling_user(host)
    client = app.test_client()
    json_login(client, "eve")
    enrol(client, PRIMARY)
    answers = [json_verify(client, wrong(sms.last.code)).json for _ in range(3)]
    assert [a.get("attempts_left") for a in answers] == [2, 1, 0]
    assert json_verify(client, sms.last.code).json["status"] == "code_expired"
    assert host.db.session.query(Failure).count() == 3
    assert phones_of(host, eve)["primary"]["verified"] is None
    assert client.get("/private").status_code == 302
    clock.advance(seconds=61)
    assert json_resend(client).json["sent_to"] == "+32 ••• ••• •67" and len(sms.messages) == 2
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def test_a_typed_number_is_never_used_outside_its_login(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    eve = enrolling_user(host)
    json_login(first := app.test_client(), "eve")
    enrol(first, "+32470111199")
    assert phones_of(host, eve)["primary"] == {"verified": None, "pending": None}
    clock.advance(minutes=11)  # the half-logged-in state is gone; the code was never entered
    assert json_login(app.test_client(), "eve").json == USER_STEP  # asked again, nothing sent
    assert [m.to for m in sms.messages] == ["+32470111199"]


def test_a_user_with_phones_cannot_enter_a_number(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    client = app.test_client()
    json_login(client, "alice")
    sent = len(sms.messages)
    assert enrol(client, "+32470111199").json["status"] == "enrolment_closed"
    assert enrol(app.test_client(), "+32470111199").json["status"] == "login_required"
    assert len(sms.messages) == sent
    assert phones_of(host, alice)["primary"]["verified"] == "+32 ••• ••• •67"


def test_enrolment_closes_when_an_administrator_sets_the_number_meanwhile(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    eve = enrolling_user(host)
    client = app.test_client()
    json_login(client, "eve")
    host.two_factor.enable_for(eve, primary_phone=PRIMARY, verified=True)
    host.db.session.commit()
    answer = enrol(client, "+32470111199")
    assert (answer.status_code, answer.json["status"]) == (401, "login_required")
    assert sms.messages == [] and phones_of(host, eve)["primary"]["verified"] == "+32 ••• ••• •67"


def test_a_locked_user_cannot_enrol(app: Flask, host: Host, sms: RecordingSender) -> None:
    eve = enrolling_user(host)
    client = app.test_client()
    json_login(client, "eve")
    settings = host.db.session.get(UserSettings, str(eve.id))
    assert settings is not None
    settings.locked_at = settings.created_at
    host.db.session.commit()
    assert enrol(client, PRIMARY).status_code == 401 and sms.messages == []


def test_audit_rows_hold_masked_numbers_only(app: Flask, host: Host, sms: RecordingSender) -> None:
    enrolling_user(host)
    client = app.test_client()
    json_login(client, "eve")
    enrol(client, PRIMARY)
    json_verify(client, sms.last.code)
    rows = host.db.session.query(AuditEvent).all()
    assert "phone_verified" in {row.event for row in rows}
    assert not any(PRIMARY[3:] in " ".join(map(str, vars(row).values())) for row in rows)


def test_the_html_form_closes_too(app: Flask, host: Host, sms: RecordingSender) -> None:
    eve = enrolling_user(host)
    client = app.test_client()
    client.post("/login", data={"username": "eve"})
    token = csrf_token(client.get("/t2m2fa/enrol").text)
    host.two_factor.enable_for(eve, primary_phone=PRIMARY, verified=True)
    host.db.session.commit()
    answer = client.post("/t2m2fa/enrol", data={"phone": BACKUP, "csrf_token": token})
    assert answer.status_code == 302 and answer.location.endswith("/login")
    assert client.get("/t2m2fa/enrol").location.endswith("/login")  # the half-login ended
    assert sms.messages == [] and client.get("/private").status_code == 302


def test_an_admin_who_left_before_his_backup_is_asked_again_after_his_login_code(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    root = enrolling_user(host, "root", admin=True)
    client = app.test_client()
    json_login(client, "root")
    enrol(client, PRIMARY)
    json_verify(client, sms.last.code)  # primary verified; the backup step is left
    clock.advance(minutes=11)
    again = app.test_client()
    assert json_login(again, "root").json["purpose"] == "login"
    asked = json_verify(again, sms.last.code).json
    assert asked == BACKUP_STEP
    assert again.get("/private").status_code == 302
    enrol(again, BACKUP)
    assert json_verify(again, sms.last.code).json["status"] == "ok"
    assert phones_of(host, root)["backup"]["verified"] == "+32 ••• ••• •21"
