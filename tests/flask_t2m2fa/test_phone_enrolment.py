"""Phones set by an administrator: verified by a code before use; admins need a backup."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from t2m2fa_support import (
    BACKUP,
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    json_login,
    json_verify,
)

from flask_t2m2fa import PhoneError


def test_admin_needs_a_backup_phone(host: Host) -> None:
    admin = host.add_user("root", admin=True)
    with pytest.raises(PhoneError, match="backup"):
        host.two_factor.enable_for(admin, primary_phone=PRIMARY)
    host.two_factor.enable_for(admin, primary_phone=PRIMARY, backup_phone=BACKUP)
    host.db.session.commit()


def test_backup_must_differ_from_primary(host: Host) -> None:
    user = host.add_user("dan")
    with pytest.raises(PhoneError, match="differ"):
        host.two_factor.enable_for(user, primary_phone=PRIMARY, backup_phone="+32 470 12 34 67")


@pytest.mark.options({"T2M2FA_COUNTRY_ALLOWLIST": ["FR"]})
def test_country_allow_list_applies_to_enrolment(host: Host, sms: RecordingSender) -> None:
    user = host.add_user("dan")
    with pytest.raises(PhoneError, match="country"):
        host.two_factor.enable_for(user, primary_phone=PRIMARY)
    assert sms.messages == []


def test_unverified_phones_are_verified_in_turn_at_next_login(
    app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    admin = host.add_user("root", admin=True)
    host.two_factor.enable_for(admin, primary_phone=PRIMARY, backup_phone=BACKUP)
    host.db.session.commit()
    client = app.test_client()
    first = json_login(client, "root").json
    assert (first["purpose"], sms.last.to) == ("verify_primary", PRIMARY)
    second = json_verify(client, sms.last.code).json
    assert (second["purpose"], sms.last.to) == ("verify_backup", BACKUP)
    assert client.get("/private").status_code == 302  # not logged in between the steps
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    phones = host.two_factor.status_of(admin)["phones"]
    assert phones["primary"]["pending"] is None and phones["backup"]["pending"] is None
    clock.advance(seconds=61)
    assert json_login(app.test_client(), "root").json["purpose"] == "login"
    assert sms.last.to == PRIMARY


def test_pending_number_never_replaces_a_verified_one_before_its_code(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    new = "+32470111199"
    host.two_factor.enable_for(alice, primary_phone=new)
    host.db.session.commit()
    client = app.test_client()
    json_login(client, "alice")
    assert sms.last.to == PRIMARY  # the login code still goes to the verified number
    step = json_verify(client, sms.last.code).json
    assert step["purpose"] == "verify_primary" and sms.last.to == new
    assert host.two_factor.status_of(alice)["phones"]["primary"]["verified"] == "+32 ••• ••• •67"
    json_verify(client, sms.last.code)
    assert host.two_factor.status_of(alice)["phones"]["primary"]["verified"] == "+32 ••• ••• •99"


def test_enforced_without_a_phone_enrols_at_next_login(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    host.two_factor.set_policy("acme", mode="enforced")
    host.db.session.commit()
    host.add_user("newbie")  # nothing recorded for him: Enforced applies anyway
    client = app.test_client()
    answer = json_login(client, "newbie")
    assert (answer.status_code, answer.json["status"]) == (200, "enrolment_required")
    assert client.get("/private").status_code == 302 and sms.messages == []
    step = client.post("/t2m2fa/api/enrol", json={"phone": PRIMARY}).json
    assert step["purpose"] == "verify_primary" and sms.last.to == PRIMARY
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    assert client.get("/private").status_code == 200
