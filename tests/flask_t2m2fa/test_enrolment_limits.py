"""Enrolment at next login: invalid numbers, sending caps and fuzzing of the phone field."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from t2m2fa_support import (
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    csrf_token,
    enrol,
    enrolling_user,
    json_login,
    json_verify,
)

from flask_t2m2fa.models import Phone


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("not a number", "not a phone number"),
        ("+32 2 555 00 00", "not a mobile phone number"),  # Brussels fixed line
        ("+32 470", "not a valid phone number"),
        (32470123467, "not a phone number"),
        ("+32" + "4" * 60, "not a phone number"),
    ],
)
def test_invalid_numbers_are_refused_and_send_nothing(
    app: Flask, host: Host, sms: RecordingSender, phone: Any, message: str
) -> None:
    enrolling_user(host)
    client = app.test_client()
    json_login(client, "eve")
    answer = enrol(client, phone)
    assert (answer.status_code, answer.json) == (
        400,
        {"status": "invalid_phone", "message": message},
    )
    assert sms.messages == [] and host.db.session.query(Phone).count() == 0


@pytest.mark.options({"T2M2FA_COUNTRY_ALLOWLIST": ["FR"]})
def test_numbers_outside_the_allow_list_are_refused(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    enrolling_user(host)
    client = app.test_client()
    client.post("/login", data={"username": "eve"})
    token = csrf_token(client.get("/t2m2fa/enrol").text)
    page = client.post("/t2m2fa/enrol", data={"phone": PRIMARY, "csrf_token": token})
    assert page.status_code == 400 and "numbers from this country are not accepted" in page.text
    assert sms.messages == []
    client.post("/t2m2fa/enrol", data={"phone": "+33 6 12 34 56 78", "csrf_token": token})
    assert sms.last.to == "+33612345678"


def test_typing_numbers_again_waits_for_the_cool_down_and_the_login_cap(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    enrolling_user(host)
    client = app.test_client()
    json_login(client, "eve")
    enrol(client, "+32470111101")
    sent_to_01 = sms.last.code
    again = enrol(client, "+32470111102").json
    assert len(sms.messages) == 1  # cool-down, and the answer says no code went to •02
    assert again["sent_to"] is None and again["not_sent_reason"] == "cooldown"
    assert again["message"].startswith("No code was sent to +32 ••• ••• •02")
    # The code on •01 proves nothing about •02 (SQLite gave •02 the row id of •01).
    assert json_verify(client, sent_to_01).json["status"] != "ok"
    for n in range(3, 9):
        clock.advance(seconds=61)
        enrol(client, f"+324701111{n:02d}")
    assert len(sms.messages) == 5  # at most 5 SMS per login


def test_the_per_user_cap_holds_across_logins(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    enrolling_user(host)
    for login in range(3):
        client = app.test_client()
        json_login(client, "eve")
        for n in range(4):
            clock.advance(seconds=61)
            enrol(client, f"+324701112{login}{n}")
    assert len(sms.messages) == 10  # at most 10 SMS per user per 24 h


def test_the_per_number_cap_holds_across_users(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    victim = "+32470999977"
    for n in range(12):
        enrolling_user(host, f"user{n}")
        client = app.test_client()
        json_login(client, f"user{n}")
        enrol(client, victim)
        clock.advance(seconds=61)
    assert [m.to for m in sms.messages] == [victim] * 10


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=5,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(phone=st.text(max_size=50) | _JSON)
@example(phone=PRIMARY)
@example(phone="+32\u00a0470\u00a012\u00a034\u00a067")
@example(phone="＋３２４７０１２３４６７")
def test_any_phone_field_is_a_400_or_a_code_never_a_500(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock, phone: Any
) -> None:
    name = f"fuzz{len(sms.messages)}-{clock.now.timestamp()}"
    enrolling_user(host, name)
    client = app.test_client()
    json_login(client, name)
    sent = len(sms.messages)
    answer = enrol(client, phone)
    assert answer.status_code in (200, 400)
    assert len(sms.messages) == sent + (answer.status_code == 200)
    clock.advance(days=1)  # the next example starts with free caps
