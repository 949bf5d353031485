"""The notice of a failed second factor (issue 23): at a login's first wrong code, an SMS.

The rule (``rules.notices.failed_code_due``) on its facts, then the whole path through the JSON
API and the HTML code page, in English, French and Polish; and what never tells: a second wrong
code of the login, another login within the hour, the switch, the caps, a wrong code at
enrolment or at a number change.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    PRIMARY,
    FakeClock,
    Host,
    csrf_token,
    enrol,
    enrolling_user,
    json_login,
    json_resend,
    json_verify,
    wrong,
)

from doubles import START
from flask_t2m2fa.models import AuditEvent, SentSms
from flask_t2m2fa.rules import notices
from flask_t2m2fa.rules.notices import NotDue, WrongCodeFacts
from flask_t2m2fa.rules.sending_limits import Limits
from flask_t2m2fa.rules.user_agents import names
from flask_t2m2fa.testing import RecordingSender

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
FR = {"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}
PL = {"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}
LIMITS = Limits(per_user_per_day=10, per_number_per_day=10)
FIRST = WrongCodeFacts(
    earlier_in_login=0, last_notice_at=None, user_sends_today=1, number_sends_today=1
)


def due(facts: WrongCodeFacts = FIRST, *, on: bool = True) -> NotDue | None:
    return notices.failed_code_due(START, facts, switched_on=on, limits=LIMITS)


def with_(**changes: Any) -> WrongCodeFacts:
    return WrongCodeFacts(**{**FIRST.__dict__, **changes})


# The rule ----------------------------------------------------------------------------------


def test_the_first_wrong_code_of_a_login_is_due() -> None:
    assert due() is None


def test_a_second_wrong_code_of_the_same_login_is_not() -> None:
    assert due(with_(earlier_in_login=1)) is NotDue.NOT_FIRST


def test_another_login_within_the_hour_is_not_and_after_the_hour_is() -> None:
    assert due(with_(last_notice_at=START - timedelta(minutes=59))) is NotDue.RECENT
    assert due(with_(last_notice_at=START - timedelta(hours=1))) is None


def test_switched_off_it_is_never_due() -> None:
    assert due(on=False) is NotDue.OFF


def test_the_sms_caps_keep_it_back() -> None:
    assert due(with_(number_sends_today=10)) is NotDue.NUMBER_CAP
    assert due(with_(number_sends_today=9)) is None
    assert due(with_(user_sends_today=10)) is NotDue.USER_CAP


def test_the_device_is_named_without_its_version() -> None:
    assert names(FIREFOX_WINDOWS) == ("Firefox", "Windows")
    assert names("curl/8.5") == (None, None)


# Through the app ---------------------------------------------------------------------------


def failed_code_notices(sms: RecordingSender) -> list[Any]:
    return [m for m in sms.messages if m.kind == "notice" and "wrong code" in m.text]


def notice_audits(host: Host) -> list[tuple[str, str | None, str | None]]:
    rows = host.db.session.execute(
        sa.select(AuditEvent.outcome, AuditEvent.reason, AuditEvent.destination)
        .where(AuditEvent.event == "notice_sent")
        .order_by(AuditEvent.id)
    ).all()
    return [tuple(row) for row in rows]


def browser(client: FlaskClient, user_agent: str = FIREFOX_WINDOWS) -> FlaskClient:
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def test_json_first_wrong_code_tells_the_primary_once(
    client: FlaskClient,
    host: Host,
    alice: Any,
    sms: RecordingSender,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    browser(client)
    json_login(client, "alice")
    code = sms.last.code
    clock.advance(minutes=2)
    answer = json_verify(client, wrong(code))
    assert answer.status_code == 401 and answer.json["status"] == "invalid_code"
    (notice,) = failed_code_notices(sms)
    assert notice.to == PRIMARY
    assert notice.text == (
        "hostapp: your password and a wrong code were entered on 2026-03-02 09:02 UTC "
        "from Firefox on Windows. Not you? Change your password."
    )
    assert code not in notice.text and wrong(code) not in notice.text
    json_verify(client, wrong(code))  # the second wrong code of the login says nothing new
    assert len(failed_code_notices(sms)) == 1
    assert notice_audits(host) == [("ok", "failed_code", "+32 ••• ••• •67")]
    logged = caplog.text + repr(notice_audits(host))
    assert PRIMARY not in logged and PRIMARY[1:] not in logged and code not in caplog.text
    assert json_verify(client, code).json["status"] == "ok"  # the right code still logs in


def test_html_code_page_tells_in_french(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    browser(client)
    client.post("/login", data={"username": "alice"}, headers=FR)
    code = sms.last.code
    token = csrf_token(client.get("/t2m2fa/code", headers=FR).text)
    answer = client.post(
        "/t2m2fa/code", data={"code": wrong(code), "csrf_token": token}, headers=FR
    )
    assert answer.status_code == 401
    (notice,) = [m for m in sms.messages if m.kind == "notice"]
    assert notice.to == PRIMARY
    assert notice.text == (
        "hostapp : bon mot de passe et code faux saisis le 2026-03-02 09:00 UTC depuis "
        "Firefox sous Windows. Pas vous ? Changez de mot de passe."
    )


def test_json_tells_in_polish_and_an_unknown_client_as_such(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    browser(client, "curl/8.5")
    json_login(client, "alice", **PL)
    client.post("/t2m2fa/api/verify", json={"code": wrong(sms.last.code)}, headers=PL)
    (notice,) = [m for m in sms.messages if m.kind == "notice"]
    assert notice.text == (
        "hostapp: 2026-03-02 09:00 UTC ktoś wpisał Twoje hasło i błędny kod "
        "(nieznana przeglądarka). Jeśli to nie Ty, zmień hasło."
    )


@pytest.mark.options({"T2M2FA_NOTIFY_LOCK": False})
def test_a_wrong_code_after_a_resend_is_not_the_first_of_the_login(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """The first wrong code was on the login's earlier code: the login has told already, even
    when the hour's record of that notice is gone (the facts read each failure's login)."""
    client = app.test_client()
    json_login(client, "alice")
    json_verify(client, wrong(sms.last.code))
    assert len(failed_code_notices(sms)) == 1
    host.db.session.execute(sa.delete(SentSms).where(SentSms.login_id == "notice-failed_code"))
    host.db.session.commit()  # only the login's own failures can keep the next one back now
    clock.advance(seconds=61)
    assert json_resend(client).json["status"] == "code_sent"
    json_verify(client, wrong(sms.last.code))
    assert len(failed_code_notices(sms)) == 1
    clock.advance(seconds=61)
    another = app.test_client()  # a new login's first wrong code tells (no record of an hour)
    json_login(another, "alice")
    json_verify(another, wrong(sms.last.code))
    assert len(failed_code_notices(sms)) == 2


def test_another_login_within_the_hour_says_nothing_after_the_hour_it_tells(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    for minutes, told in ((0, 1), (30, 1), (61, 2)):
        clock.advance(minutes=minutes)
        client = browser(app.test_client())
        json_login(client, "alice")
        json_verify(client, wrong(sms.last.code))
        assert len(failed_code_notices(sms)) == told, minutes


def test_the_notice_does_not_hold_back_a_resend(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """The resend cool-down runs from the last code: a notice is none, and the answer that
    would say "a code was sent less than a minute ago" would not be true."""
    json_login(client, "alice")
    clock.advance(seconds=90)
    json_verify(client, wrong(sms.last.code))
    assert [m.kind for m in sms.messages] == ["code", "notice"]
    assert json_resend(client).json["status"] == "code_sent"
    assert [m.kind for m in sms.messages] == ["code", "notice", "code"]


@pytest.mark.options({"T2M2FA_NOTIFY_FAILED_CODE": False})
def test_the_setting_turns_it_off(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    json_verify(client, wrong(sms.last.code))
    assert [m.kind for m in sms.messages] == ["code"] and notice_audits(host) == []


@pytest.mark.options({"T2M2FA_MAX_SMS_PER_NUMBER_PER_DAY": 1})
def test_the_per_number_cap_keeps_it_back_and_says_so_in_the_audit(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")  # the login code takes the number's one SMS of the day
    assert json_verify(client, wrong(sms.last.code)).json["attempts_left"] == 2
    assert [m.kind for m in sms.messages] == ["code"]
    assert notice_audits(host) == [("refused", "failed_code number_cap", "+32 ••• ••• •67")]


def test_a_wrong_code_at_enrolment_tells_nothing(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    enrolling_user(host)
    client = browser(app.test_client())
    json_login(client, "eve")
    assert enrol(client, PRIMARY).json["purpose"] == "verify_primary"
    assert json_verify(client, wrong(sms.last.code)).json["status"] == "invalid_code"
    assert [m.kind for m in sms.messages] == ["code"] and notice_audits(host) == []


def test_a_wrong_code_at_a_number_change_tells_nothing(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    browser(client)
    json_login(client, "alice")
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    new = "+32470555577"
    asked = client.post("/t2m2fa/api/security/phone", json={"role": "primary", "phone": new})
    assert asked.status_code == 200 and sms.last.to == new
    wrong_code = wrong(sms.last_code_for(new))
    done = client.post("/t2m2fa/api/security/phone/confirm", json={"code": wrong_code})
    assert done.status_code == 401
    assert [m.kind for m in sms.messages] == ["code", "code"] and notice_audits(host) == []
