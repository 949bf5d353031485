"""The security page's JSON twins keep the rules of the HTML forms (step-up, 404, 409, caps)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import BACKUP, PRIMARY, Host, json_login, json_verify

from doubles import FakeClock
from flask_t2m2fa.testing import RecordingSender

NEW = "+32470555577"


def log_in(client: FlaskClient, sms: RecordingSender, name: str = "alice", **extra: Any) -> Any:
    json_login(client, name)
    return json_verify(client, sms.last.code, **extra)


def test_change_primary_by_json_codes_the_new_number_and_tells_the_old(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    log_in(client, sms)
    asked = client.post("/t2m2fa/api/security/phone", json={"role": "primary", "phone": NEW})
    assert asked.status_code == 200 and sms.last.to == NEW and sms.last.kind == "code"
    pending = client.get("/t2m2fa/api/security").json["phones"][0]
    assert pending["pending"] == "+32 ••• ••• •77" and pending["verified"] == "+32 ••• ••• •67"
    code = sms.last_code_for(NEW)
    done = client.post("/t2m2fa/api/security/phone/confirm", json={"code": code})
    assert done.status_code == 200 and done.json["phone"] == "+32 ••• ••• •77"
    notice = sms.last_to(PRIMARY)
    assert notice.kind == "notice" and "number for your account was changed" in notice.text


def test_a_code_proves_only_the_number_it_was_sent_to(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """A second number within the cool-down gets no code, the answer says so, and the first
    number's code does not verify it (SQLite gives the new pending row the old row's id)."""
    log_in(client, sms)
    client.post("/t2m2fa/api/security/phone", json={"role": "primary", "phone": NEW})
    code_of_new = sms.last_code_for(NEW)
    clock.advance(seconds=5)
    other = "+32470123504"
    asked = client.post("/t2m2fa/api/security/phone", json={"role": "primary", "phone": other})
    assert asked.json["status"] == "code_not_sent"
    assert asked.json["message"] == (
        "No code was sent to +32 ••• ••• •04. You can ask for a new code in 55 s."
    )
    assert sms.last.to == NEW  # nothing went to the second number
    done = client.post("/t2m2fa/api/security/phone/confirm", json={"code": code_of_new})
    assert done.status_code == 401
    phones = client.get("/t2m2fa/api/security").json["phones"][0]
    assert phones["verified"].endswith("67") and phones["pending"].endswith("04")
    clock.advance(seconds=60)  # once the cool-down allows, the second number gets its own code
    again = client.post("/t2m2fa/api/security/phone", json={"role": "primary", "phone": other})
    assert again.json["status"] == "code_sent" and sms.last.to == other
    done = client.post(
        "/t2m2fa/api/security/phone/confirm", json={"code": sms.last_code_for(other)}
    )
    assert done.status_code == 200 and done.json["phone"].endswith("04")


def test_step_up_19_59_ok_20_01_asks_by_json(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    log_in(client, sms)
    clock.advance(minutes=19, seconds=59)
    ok = client.post("/t2m2fa/api/security/phone", json={"phone": NEW})
    assert ok.status_code == 200
    clock.advance(seconds=2)
    for path, body in [
        ("/t2m2fa/api/security/phone", {"phone": NEW}),
        ("/t2m2fa/api/security/phone/confirm", {"code": sms.last_code_for(NEW)}),
        ("/t2m2fa/api/security/backup/remove", {}),
    ]:
        refused = client.post(path, json=body)
        assert refused.status_code == 403 and refused.json["status"] == "step_up_required"
    assert client.get("/t2m2fa/api/security").json["phones"][0]["verified"].endswith("67")


def test_an_invalid_number_is_400_and_nothing_is_sent(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    log_in(client, sms)
    before = len(sms.messages)
    answer = client.post("/t2m2fa/api/security/phone", json={"role": "backup", "phone": PRIMARY})
    assert answer.status_code == 400 and answer.json["status"] == "invalid_phone"
    assert len(sms.messages) == before


def test_an_administrator_cannot_remove_his_backup_by_json(
    client: FlaskClient, host: Host, sms: RecordingSender
) -> None:
    boss = host.add_user("boss", admin=True)
    host.two_factor.enable_for(boss, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True)
    log_in(client, sms, "boss")
    answer = client.post("/t2m2fa/api/security/backup/remove", json={})
    assert answer.status_code == 409 and answer.json["status"] == "backup_required"


def test_another_users_pc_is_404_and_stays(
    app: Flask, client: FlaskClient, host: Host, alice: Any, sms: RecordingSender,
    clock: FakeClock,
) -> None:  # fmt: skip
    bob = host.add_user("bob")
    host.two_factor.enable_for(bob, primary_phone="+32470555588", verified=True)
    bobs = app.test_client()
    log_in(bobs, sms, "bob", remember_pc=True)
    bob_pc = bobs.get("/t2m2fa/api/security").json["pcs"][0]["id"]
    log_in(client, sms)
    answer = client.post("/t2m2fa/api/security/pcs/revoke", json={"pc_id": bob_pc})
    assert answer.status_code == 404
    assert bobs.get("/t2m2fa/api/security").json["pcs"][0]["id"] == bob_pc


def test_revoke_one_and_others_by_json(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    other = app.test_client()
    log_in(other, sms, remember_pc=True)
    clock.advance(seconds=61)
    token = log_in(client, sms, remember_pc=True).json["remember_token"]
    client.environ_base["HTTP_X_T2M2FA_REMEMBER"] = token  # how a desktop client says "this PC"
    pcs = client.get("/t2m2fa/api/security").json["pcs"]
    assert len(pcs) == 2
    answer = client.post("/t2m2fa/api/security/pcs/revoke-others", json={})
    assert answer.json["revoked"] == 1
    left = client.get("/t2m2fa/api/security").json["pcs"]
    assert [pc["this_pc"] for pc in left] == [True]
    mine = left[0]["id"]
    assert client.post("/t2m2fa/api/security/pcs/revoke", json={"pc_id": mine}).status_code == 200
    assert client.get("/t2m2fa/api/security").json["pcs"] == []


def test_anonymous_and_half_logged_in_are_refused(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    assert client.get("/t2m2fa/api/security").status_code == 401
    json_login(client, "alice")  # half logged in: code not entered
    assert client.get("/t2m2fa/api/security").status_code == 401
    answer = client.post("/t2m2fa/api/security/pcs/revoke-others", json={})
    assert answer.status_code == 401 and answer.json["status"] == "login_required"
