"""The user's own security page: masked numbers, remembered PCs, changing a number (step-up)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import BACKUP, PRIMARY, Host, csrf_token, json_login, json_verify

from doubles import FakeClock
from flask_t2m2fa.rules.phones import unbreakable as nb
from flask_t2m2fa.testing import RecordingSender

NEW = "+32470555577"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def log_in(client: FlaskClient, sms: RecordingSender, name: str = "alice", **extra: Any) -> Any:
    json_login(client, name)
    return json_verify(client, sms.last.code, **extra)


def post_form(client: FlaskClient, path: str, fields: dict[str, Any]) -> Any:
    token = csrf_token(client.get("/t2m2fa/security").text)
    return client.post(path, data={**fields, "csrf_token": token})


def change(client: FlaskClient, sms: RecordingSender, number: str, role: str = "primary") -> Any:
    asked = post_form(client, "/t2m2fa/security/phone", {"role": role, "phone": number})
    assert asked.status_code == 302, asked.text
    return post_form(client, "/t2m2fa/security/phone/confirm", {"code": sms.last_code_for(number)})


def test_page_shows_masked_numbers_and_what_the_policy_means(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    host.two_factor.set_policy("acme", remember_pc_allowed=False)
    host.db.session.commit()
    log_in(client, sms)
    page = client.get("/t2m2fa/security").text
    assert nb("+32 ••• ••• •67") in page and nb("+32 ••• ••• •21") in page
    assert PRIMARY not in page and PRIMARY[3:] not in page
    assert "Remember this PC is not allowed in this account." in page
    assert "Two-factor login is on" in page


def test_change_primary_verifies_the_new_number_first_then_tells_the_old_one(
    app: Flask, client: FlaskClient, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    other_pc = app.test_client()
    token = log_in(other_pc, sms, remember_pc=True).json["remember_token"]
    clock.advance(seconds=61)
    log_in(client, sms, remember_pc=True)
    asked = post_form(client, "/t2m2fa/security/phone", {"role": "primary", "phone": NEW})
    assert asked.status_code == 302
    assert "change_phone" not in sms.last.text and sms.last.to == NEW
    # Pending: a new login still goes to the old number only.
    clock.advance(seconds=61)
    third = app.test_client()
    json_login(third, "alice")
    assert sms.last.to == PRIMARY and sms.last.kind == "code"
    confirmed = post_form(
        client, "/t2m2fa/security/phone/confirm", {"code": sms.last_code_for(NEW)}
    )
    assert confirmed.status_code == 302
    notice = sms.last_to(PRIMARY)
    assert notice.kind == "notice" and "number for your account was changed" in notice.text
    assert "555577" not in notice.text and "77" not in notice.text.split("UTC")[1]
    page = client.get("/t2m2fa/security")
    assert page.status_code == 200  # this session stays signed in
    assert nb("+32 ••• ••• •77") in page.text and "this PC stays signed in" in page.text
    assert other_pc.get("/private").status_code == 302  # the other session ended
    clock.advance(seconds=61)
    gone = json_login(app.test_client(), "alice", **{"X-T2M2FA-Remember": token})
    assert gone.json["status"] == "2fa_required"  # the other PC is forgotten
    assert sms.last.to == NEW  # and the login code goes to the new number


def test_wrong_code_changes_nothing(client: FlaskClient, alice: Any, sms: RecordingSender) -> None:
    log_in(client, sms)
    post_form(client, "/t2m2fa/security/phone", {"role": "primary", "phone": NEW})
    answer = post_form(client, "/t2m2fa/security/phone/confirm", {"code": "x"})
    assert answer.status_code == 401 and "was not changed" in answer.text
    assert nb("+32 ••• ••• •67") in client.get("/t2m2fa/security").text


@pytest.mark.parametrize(
    ("number", "why"),
    [("+3247", "not a valid phone number"), ("+3225123456", "not a mobile phone number"),
     (BACKUP, "must differ")],
)  # fmt: skip
def test_an_invalid_number_gets_a_clear_message_and_nothing_is_sent(
    client: FlaskClient, alice: Any, sms: RecordingSender, number: str, why: str
) -> None:
    log_in(client, sms)
    before = len(sms.messages)
    answer = post_form(client, "/t2m2fa/security/phone", {"role": "primary", "phone": number})
    assert answer.status_code == 400 and why in answer.text
    assert len(sms.messages) == before


def test_step_up_boundary_19_59_ok_20_01_asks(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    log_in(client, sms)
    clock.advance(minutes=19, seconds=59)
    fields = {"role": "primary", "phone": NEW}
    assert post_form(client, "/t2m2fa/security/phone", fields).status_code == 302
    clock.advance(seconds=2)
    refused = post_form(client, "/t2m2fa/security/phone", fields)
    assert refused.status_code == 302 and "/t2m2fa/step-up" in refused.location


@pytest.mark.options({"T2M2FA_SECURITY_STEP_UP": timedelta(minutes=5)})
def test_the_step_up_window_is_the_setting(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """T2M2FA_SECURITY_STEP_UP, read at each request: 5 minutes here, for the page and JSON."""
    log_in(client, sms)
    clock.advance(minutes=5, seconds=1)
    fields = {"role": "primary", "phone": NEW}
    refused = post_form(client, "/t2m2fa/security/phone", fields)
    assert refused.status_code == 302 and "/t2m2fa/step-up" in refused.location
    answer = client.post("/t2m2fa/api/security/phone", json={"role": "primary", "phone": NEW})
    assert answer.status_code == 403 and answer.json["status"] == "step_up_required"


def test_an_administrator_cannot_remove_his_backup(
    client: FlaskClient, host: Host, sms: RecordingSender
) -> None:
    boss = host.add_user("boss", admin=True)
    host.two_factor.enable_for(boss, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True)
    host.db.session.commit()
    log_in(client, sms, "boss")
    answer = post_form(client, "/t2m2fa/security/backup/remove", {})
    assert answer.status_code == 409 and "keep a backup phone" in answer.text


def test_a_user_removes_and_adds_his_backup(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    log_in(client, sms)
    assert post_form(client, "/t2m2fa/security/backup/remove", {}).status_code == 302
    assert nb("+32 ••• ••• •21") not in client.get("/t2m2fa/security").text
    assert change(client, sms, NEW, role="backup").status_code == 302
    assert nb("+32 ••• ••• •77") in client.get("/t2m2fa/security").text


def test_remembered_pcs_listed_this_one_marked_revoke_one_and_others(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    other = app.test_client()
    log_in(other, sms, remember_pc=True)
    clock.advance(seconds=61)  # the cool-down between two logins' codes
    client.post("/login", data={"username": "alice"}, headers={"User-Agent": UA})
    token = csrf_token(client.get("/t2m2fa/code").text)
    fields = {"code": sms.last.code, "remember_pc": "y", "csrf_token": token}
    assert client.post("/t2m2fa/code", data=fields, headers={"User-Agent": UA}).status_code == 302
    page = client.get("/t2m2fa/security").text
    assert "Firefox 128 on Linux" in page and page.count("(this PC)") == 1
    answer = post_form(client, "/t2m2fa/security/pcs/revoke-others", {})
    assert answer.status_code == 302
    page = client.get("/t2m2fa/security").text
    assert page.count('name="pc_id"') == 1 and "(this PC)" in page


def test_another_users_pc_is_not_found(
    app: Flask, client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    bob = host.add_user("bob")
    host.two_factor.enable_for(bob, primary_phone=NEW, verified=True)
    host.db.session.commit()
    log_in(app.test_client(), sms, "bob", remember_pc=True)
    log_in(client, sms)
    assert post_form(client, "/t2m2fa/security/pcs/revoke", {"pc_id": 1}).status_code == 404
    assert post_form(client, "/t2m2fa/security/pcs/revoke", {"pc_id": 999}).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "pending"])
def test_security_routes_refuse_who_is_not_logged_in(
    app: Flask, client: FlaskClient, alice: Any, who: str
) -> None:
    if who == "pending":
        json_login(client, "alice")
    routes = [
        (m, r.rule) for r in app.url_map.iter_rules()
        if "security" in r.rule and ".other_method_" not in r.endpoint  # those answer 405
        for m in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})
    ]  # fmt: skip
    assert len(routes) >= 6
    for method, path in routes:
        body = {"json": {}} if "/api/" in path and method != "GET" else {}
        answer = client.open(path, method=method, **body)
        assert answer.status_code in (302, 401), (method, path, who)
        assert "Security" not in answer.text
