"""A user the host promotes to administrator after his enrolment has a primary phone only.

Administrators must have a verified backup phone (``rules.policy.backup_required``). The
host's ``is_admin`` changes without the extension being told, so the invariant is enforced
where the user next gets in: his next login asks for the backup after the code and before it
ends (a remembered PC does not skip that), and a session or "Keep me signed in" cookie from
before the promotion no longer logs him in.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    BACKUP,
    BACKUP_STEP,
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    csrf_token,
    enrol,
    json_login,
    json_verify,
)

from flask_t2m2fa.models import AuditEvent

REMEMBER_HEADER = "X-T2M2FA-Remember"


@pytest.fixture
def paul(host: Host) -> Any:
    """2FA on, a verified primary and no backup: right for a user, not for an administrator."""
    user = host.add_user("paul")
    host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
    host.db.session.commit()
    return user


def promote(host: Host, user: Any) -> None:
    """What the host does in its own user administration: the extension is not told."""
    user.is_admin = True
    host.db.session.commit()


def phones_of(host: Host, user: Any) -> dict[str, Any]:
    phones: dict[str, Any] = host.two_factor.status_of(user)["phones"]
    return phones


def logged_in(client: FlaskClient) -> bool:
    return client.get("/private").status_code == 200


def pc_rejections(host: Host) -> list[str | None]:
    query = sa.select(AuditEvent.reason).filter_by(event="pc_rejected").order_by(AuditEvent.id)
    return list(host.db.session.scalars(query))


def test_json_login_asks_for_a_backup_before_he_gets_in(
    app: Flask, host: Host, paul: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = app.test_client()
    assert json_login(client, "paul").json["purpose"] == "login"
    token = json_verify(client, sms.last.code, remember_pc=True).json["remember_token"]
    assert logged_in(client)
    promote(host, paul)
    assert not logged_in(client)  # his session from before the promotion ends
    clock.advance(seconds=61)
    # Next login, from the remembered PC: the PC does not stand in for the code now.
    again = app.test_client()
    step = json_login(again, "paul", **{REMEMBER_HEADER: token}).json
    assert (step["status"], step["purpose"], sms.last.to) == ("2fa_required", "login", PRIMARY)
    assert pc_rejections(host) == ["backup_required"]
    assert json_verify(again, sms.last.code).json == BACKUP_STEP
    assert not logged_in(again)
    assert again.get("/t2m2fa/api/challenge").json == BACKUP_STEP
    assert enrol(again, PRIMARY).status_code == 400  # the backup must differ
    step = enrol(again, BACKUP).json
    assert (step["purpose"], sms.last.to) == ("verify_backup", BACKUP)
    assert not logged_in(again)
    assert json_verify(again, sms.last.code).json["status"] == "ok"
    assert logged_in(again)
    assert phones_of(host, paul)["backup"] == {"verified": "+32 ••• ••• •21", "pending": None}
    # With his backup, the remembered PC counts again, and his session stays.
    clock.advance(seconds=61)
    sent = len(sms.messages)
    pc = app.test_client()
    assert json_login(pc, "paul", **{REMEMBER_HEADER: token}).json["status"] == "ok"
    assert len(sms.messages) == sent and logged_in(pc) and logged_in(again)


def test_html_login_asks_for_a_backup_before_he_gets_in(
    app: Flask, host: Host, paul: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    browser = app.test_client()
    browser.post("/login", data={"username": "paul"})
    token = csrf_token(browser.get("/t2m2fa/code").text)
    data = {"code": sms.last.code, "csrf_token": token, "remember_pc": "y"}
    assert browser.post("/t2m2fa/code", data=data).location == "/"
    assert logged_in(browser)
    promote(host, paul)
    assert not logged_in(browser)
    clock.advance(seconds=61)
    # The browser still holds its remembered-PC cookie: the code is asked all the same.
    answer = browser.post("/login", data={"username": "paul"})
    assert answer.location.endswith("/t2m2fa/code") and sms.last.to == PRIMARY
    code_page = browser.get("/t2m2fa/code")
    token = csrf_token(code_page.text)
    after = browser.post("/t2m2fa/code", data={"code": sms.last.code, "csrf_token": token})
    assert after.location.endswith("/t2m2fa/enrol")
    assert "backup phone" in browser.get("/t2m2fa/enrol").text
    assert not logged_in(browser)
    sent = browser.post("/t2m2fa/enrol", data={"phone": BACKUP, "csrf_token": token})
    assert sent.location.endswith("/t2m2fa/code") and sms.last.to == BACKUP
    assert not logged_in(browser)
    browser.post("/t2m2fa/code", data={"code": sms.last.code, "csrf_token": token})
    assert logged_in(browser)
    assert phones_of(host, paul)["backup"]["verified"] == "+32 ••• ••• •21"


def test_keep_me_signed_in_from_before_the_promotion_no_longer_logs_him_in(
    app: Flask, host: Host, paul: Any, sms: RecordingSender
) -> None:
    client = app.test_client()
    client.post("/login", json={"username": "paul", "remember": True})
    json_verify(client, sms.last.code)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    promote(host, paul)
    restored = app.test_client()
    restored.set_cookie("remember_token", cookie.value)
    assert not logged_in(restored)
    assert restored.get_cookie("remember_token") is None  # the browser is told to drop it


def test_his_admin_rights_are_unusable_until_he_has_a_backup(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender
) -> None:
    """A fresh code (step-up) with a primary phone only does not open the admin API."""
    host: Host = admin_app.extensions["test_host"]
    user = host.add_user("paul")
    host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
    host.db.session.commit()
    client = admin_app.test_client()
    json_login(client, "paul")
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    assert client.get("/t2m2fa/admin/api/policy").status_code == 403  # not an administrator
    promote(host, user)
    refused = client.get("/t2m2fa/admin/api/policy")
    assert (refused.status_code, refused.json["status"]) == (401, "login_required")
    assert client.get("/t2m2fa/admin/policy").status_code == 302  # the page: to the login
