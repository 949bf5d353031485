"""A code proves exactly the number it was sent to (issue 19, DESIGN §3 "Challenge").

The article's first rule: a number becomes verified only with the code sent to it. A pending
number replaced within the 60 s cool-down got no code of its own: the answer must say so, and
the code sent to the number before it must confirm neither number. Today on SQLite the second
number inherits the first one's code: the cool-down "take over the live code" step matches by
phone row id, and SQLite gives the new pending row the id of the deleted one.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from admin_support import logged_in
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    BACKUP,
    PRIMARY,
    FakeClock,
    RecordingSender,
    csrf_token,
    json_login,
    json_verify,
)

from flask_t2m2fa.rules.phones import mask

A, B = "+32470123503", "+32470123504"
SECURITY_PHONE = "/t2m2fa/api/security/phone"
CONFIRM = "/t2m2fa/api/security/phone/confirm"
ADMIN_API = "/t2m2fa/admin/api"
VERIFIED = {"primary": PRIMARY, "backup": BACKUP}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """SQLite (which reuses the row id of a deleted newest row) and PostgreSQL (which does not)."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def _fully_logged_in(client: FlaskClient, sms: RecordingSender) -> None:
    assert json_login(client, "alice").json["status"] == "2fa_required"
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def _phones(client: FlaskClient) -> dict[str, dict[str, Any]]:
    return {p["role"]: p for p in client.get("/t2m2fa/api/security").json["phones"]}


def _codes_to(sms: RecordingSender, number: str) -> list[str]:
    return [m.code for m in sms.messages if m.to == number and m.kind == "code"]


@pytest.mark.parametrize("role", ["primary", "backup"])
def test_security_api_a_replaced_pending_number_is_not_confirmed_by_the_old_code(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock, role: str
) -> None:
    _fully_logged_in(client, sms)
    first = client.post(SECURITY_PHONE, json={"role": role, "phone": A})
    assert first.json["status"] == "code_sent" and sms.last.to == A
    code_of_a = sms.last_code_for(A)
    clock.advance(seconds=5)  # within the 60 s cool-down

    second = client.post(SECURITY_PHONE, json={"role": role, "phone": B})
    assert _codes_to(sms, B) == []
    assert second.status_code < 500
    # The truth: no code went to B (and when one can be asked), never "We sent a code to B".
    assert second.json["status"] != "code_sent", second.json
    assert not second.json.get("message", "").startswith("We sent a code"), second.json

    confirmed = client.post(CONFIRM, json={"code": code_of_a})
    assert confirmed.json["status"] != "ok", confirmed.json
    phones = _phones(client)
    assert phones[role]["verified"] == mask(VERIFIED[role]), phones  # neither A nor B
    assert phones[role]["pending"] in (None, mask(B)), phones

    # B, once it really got its own code, is verified by it: the rule refuses only the wrong code.
    clock.advance(seconds=61)
    again = client.post(SECURITY_PHONE, json={"role": role, "phone": B})
    assert again.json["status"] == "code_sent" and sms.last.to == B, again.json
    done = client.post(CONFIRM, json={"code": sms.last_code_for(B)})
    assert done.json["status"] == "ok", done.json
    assert _phones(client)[role]["verified"] == mask(B)


def _form(client: FlaskClient, path: str, fields: dict[str, str]) -> Any:
    token = csrf_token(client.get("/t2m2fa/security").text)
    return client.post(path, data={**fields, "csrf_token": token})


def test_security_page_a_replaced_pending_number_is_not_confirmed_by_the_old_code(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """The HTML twin: the notice after the second number tells the truth, the old code fails."""
    _fully_logged_in(client, sms)
    assert (
        _form(client, "/t2m2fa/security/phone", {"role": "primary", "phone": A}).status_code == 302
    )
    code_of_a = sms.last_code_for(A)
    clock.advance(seconds=5)
    assert (
        _form(client, "/t2m2fa/security/phone", {"role": "primary", "phone": B}).status_code == 302
    )
    notice = client.get("/t2m2fa/security").text
    assert _codes_to(sms, B) == []
    assert f"We sent a code by SMS to {mask(B)}" not in notice
    refused = _form(client, "/t2m2fa/security/phone/confirm", {"code": code_of_a})
    assert refused.status_code != 302, "the old code changed the number"
    assert _phones(client)["primary"]["verified"] == mask(PRIMARY)


def _act(client: FlaskClient, user_id: Any, action: str, **body: Any) -> Any:
    return client.post(f"{ADMIN_API}/users/{user_id}/{action}", json=body)


def _admin_view(client: FlaskClient, user_id: Any) -> list[dict[str, Any]]:
    phones: list[dict[str, Any]] = client.get(f"{ADMIN_API}/users/{user_id}").json["user"]["phones"]
    return phones


@pytest.mark.parametrize("role", ["primary", "backup"])
def test_admin_api_verify_phone_refuses_the_code_of_the_number_set_before(
    admin_app: Flask,
    people: dict[str, Any],
    sms: RecordingSender,
    clock: FakeClock,
    role: str,
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    alice = people["alice"].id
    assert _act(admin, alice, "set-phone", role=role, number=A).status_code == 200
    code_of_a = sms.last_code_for(A)
    clock.advance(seconds=5)
    second = _act(admin, alice, "set-phone", role=role, number=B)
    assert second.status_code == 200 and _codes_to(sms, B) == []
    assert "No code was sent" in second.json["message"], second.json

    refused = _act(admin, alice, "verify-phone", role=role, code=code_of_a)
    assert refused.status_code == 400, refused.json
    verified = {p["masked"] for p in _admin_view(admin, alice) if p["verified"]}
    assert verified == {mask(PRIMARY), mask(BACKUP)}, verified

    clock.advance(seconds=61)
    assert _act(admin, alice, "resend", role=role).status_code == 200
    assert sms.last.to == B
    done = _act(admin, alice, "verify-phone", role=role, code=sms.last_code_for(B))
    assert done.status_code == 200, done.json
    assert mask(B) in {p["masked"] for p in _admin_view(admin, alice) if p["verified"]}


def test_a_number_typed_after_a_cancelled_one_does_not_inherit_its_code(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    """The cancelled pending row is deleted; on SQLite the next pending row gets its id back."""
    admin = logged_in(admin_app, sms, "boss", clock)
    bob = people["bob"].id
    assert _act(admin, bob, "enable", primary=A).status_code == 200
    code_of_a = sms.last_code_for(A)
    assert _act(admin, bob, "cancel", role="primary").status_code == 200
    clock.advance(seconds=5)
    assert _act(admin, bob, "set-phone", role="primary", number=B).status_code == 200
    assert _codes_to(sms, B) == []
    refused = _act(admin, bob, "verify-phone", role="primary", code=code_of_a)
    assert refused.status_code == 400, refused.json
    assert [p for p in _admin_view(admin, bob) if p["verified"]] == []


def test_a_number_typed_after_a_removed_backup_does_not_inherit_its_code(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """Security API: the pending backup is removed (its row deleted), another one typed."""
    _fully_logged_in(client, sms)
    assert client.post(SECURITY_PHONE, json={"role": "backup", "phone": A}).status_code == 200
    code_of_a = sms.last_code_for(A)
    assert client.post("/t2m2fa/api/security/backup/remove", json={}).json["removed"] is True
    clock.advance(seconds=5)
    second = client.post(SECURITY_PHONE, json={"role": "backup", "phone": B})
    assert second.status_code == 200
    assert (second.json["status"] == "code_sent") == bool(_codes_to(sms, B)), second.json
    confirmed = client.post(CONFIRM, json={"code": code_of_a})
    assert confirmed.json["status"] != "ok", confirmed.json
    assert _phones(client)["backup"]["verified"] is None


def test_removing_the_pending_backup_does_not_reopen_the_cool_down(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """60 s between two SMS of a user, whatever happened in between (DESIGN §5): removing the
    pending number must not make the next one a "first" code that skips the cool-down."""
    _fully_logged_in(client, sms)
    assert client.post(SECURITY_PHONE, json={"role": "backup", "phone": A}).status_code == 200
    assert client.post("/t2m2fa/api/security/backup/remove", json={}).json["removed"] is True
    clock.advance(seconds=5)
    second = client.post(SECURITY_PHONE, json={"role": "backup", "phone": B})
    assert _codes_to(sms, B) == [], "a second SMS 5 s after the first"
    assert second.json["status"] != "code_sent", second.json


def test_two_concurrent_changes_send_at_most_one_code_and_it_proves_only_its_number(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    _fully_logged_in(client, sms)
    cookie = client.get_cookie("session")
    assert cookie is not None
    before = len(sms.messages)
    barrier = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def change(number: str) -> None:
        own = app.test_client()
        own.set_cookie("session", cookie.value)
        barrier.wait(timeout=30)
        answers[number] = own.post(SECURITY_PHONE, json={"role": "primary", "phone": number})

    threads = [threading.Thread(target=change, args=(n,)) for n in (A, B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert set(answers) == {A, B}, "a request raised or hung"
    assert all(a.status_code < 500 for a in answers.values())
    codes = [m for m in sms.messages[before:] if m.kind == "code"]
    assert len(codes) <= 1, [m.to for m in codes]  # one cool-down, one SMS
    claimed = [n for n, a in answers.items() if a.json["status"] == "code_sent"]
    assert claimed == [m.to for m in codes]  # an answer says "sent" only for the SMS sent

    for sent in codes:
        confirmed = client.post(CONFIRM, json={"code": sent.code})
        verified = _phones(client)["primary"]["verified"]
        # Whatever number is pending now, the code verifies its own number or nothing.
        assert verified in (mask(PRIMARY), mask(sent.to)), (verified, confirmed.json)
        if confirmed.json["status"] == "ok":
            assert verified == mask(sent.to)
