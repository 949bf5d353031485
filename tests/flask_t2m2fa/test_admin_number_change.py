"""An administrator replacing a user's verified number is the user's own number change (issue 21).

Whether the administrator enters the code in his dialog (JSON API or HTML page) or leaves the
new number for the user to confirm at his next login: the old number is told by SMS, the
user's other sessions, his "Keep me signed in" cookie and his remembered PCs end, and the audit
names the administrator. A first number is no change: none of that happens.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from admin_support import logged_in
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import PRIMARY, FakeClock, Host, RecordingSender, json_login, json_verify
from test_admin_authz import form_token

from flask_t2m2fa.models import AuditEvent

API = "/t2m2fa/admin/api"
NEW = "+32470555577"
BOB_NUMBER = "+32470333344"
REMEMBER = "remember_token"
CHANGED = "number for your account was changed"


def act(admin: FlaskClient, user: Any, action: str, way: str, **fields: str) -> Any:
    """One action of the admin dialog, over the JSON API or the HTML page's form."""
    if way == "api":
        answer = admin.post(f"{API}/users/{user.id}/{action}", json=fields)
        assert answer.status_code == 200, answer.json
        return answer
    data = {"csrf_token": form_token(admin), "action": action, **fields}
    answer = admin.post(f"/t2m2fa/admin/users/{user.id}", data=data)
    assert answer.status_code == 302, answer.text
    return answer


class Alice:
    """Alice signed in with "Keep me signed in" and "Remember this PC", and a thief holding a
    copy of each of her cookies and her PC token."""

    def __init__(self, app: Flask, sms: RecordingSender) -> None:
        self.client = app.test_client()
        self.client.post("/login", json={"username": "alice", "remember": True})
        answer = json_verify(self.client, sms.last.code, remember_pc=True).json
        self.pc_token: str = answer["remember_token"]
        self.by_session = _copy(app, self.client, "session")
        self.by_cookie = _copy(app, self.client, REMEMBER)
        assert all(signed_in(c) for c in (self.client, self.by_session, self.by_cookie))


def _copy(app: Flask, victim: FlaskClient, name: str) -> FlaskClient:
    cookie = victim.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def signed_in(client: FlaskClient) -> bool:
    return client.get("/private").status_code == 200


def notices_to(sms: RecordingSender, number: str) -> list[str]:
    return [m.text for m in sms.messages if m.to == number and m.kind == "notice"]


def audit_rows(host: Host, event: str) -> list[tuple[str | None, str | None]]:
    host.db.session.expire_all()
    rows = host.db.session.execute(
        sa.select(AuditEvent.reason, AuditEvent.actor_id).filter_by(event=event)
    )
    return [(reason, actor) for reason, actor in rows]


def pc_skips_the_code(app: Flask, sms: RecordingSender, token: str) -> bool:
    before = len(sms.messages)
    step = json_login(app.test_client(), "alice", **{"X-T2M2FA-Remember": token}).json
    return step["status"] == "ok" and len(sms.messages) == before


#: How the new number is verified: the administrator enters the code over the JSON API or on
#: the HTML page, or leaves the number for the user to confirm with its code at his next login.
WAYS = ("api", "html", "at_login")


class Replaced:
    """Alice's verified primary replaced by ``NEW``, one of the :data:`WAYS`."""

    def __init__(
        self,
        app: Flask,
        people: dict[str, Any],
        sms: RecordingSender,
        clock: FakeClock,
        way: str,
        *,
        pcs_revoked_first: bool = False,
    ) -> None:
        self.alice = Alice(app, sms)
        self.admin = logged_in(app, sms, "boss", clock)  # and the cool-down waited out
        if pcs_revoked_first:
            act(self.admin, people["alice"], "revoke-pcs", "api")
        self.pc_skipped_before = pc_skips_the_code(app, sms, self.alice.pc_token)
        clock.advance(seconds=61)
        self.here: FlaskClient | None = None
        self.message = ""
        user = people["alice"]
        if way == "at_login":
            act(self.admin, user, "set-phone", "api", role="primary", number=NEW, verify=way)
            assert all(m.to != NEW for m in sms.messages)  # left for the user's next login
            self.still_signed_in = signed_in(self.alice.by_session)
            self.here = app.test_client()
            self.here.post("/login", json={"username": "alice", "remember": True})
            assert sms.last.to == PRIMARY  # the login code goes to the verified number
            step = json_verify(self.here, sms.last.code).json
            assert step["purpose"] == "verify_primary" and sms.last.to == NEW, step
            self.told_before = notices_to(sms, PRIMARY)
            assert json_verify(self.here, sms.last.code).json["status"] == "ok"
        else:
            act(self.admin, user, "set-phone", way, role="primary", number=NEW, verify="now")
            assert sms.last.to == NEW
            self.still_signed_in = signed_in(self.alice.by_session)
            self.told_before = notices_to(sms, PRIMARY)
            code = sms.last_code_for(NEW)
            done = act(self.admin, user, "verify-phone", way, role="primary", code=code)
            self.message = done.json["message"] if way == "api" else ""


@pytest.fixture(params=WAYS)
def replaced(
    request: pytest.FixtureRequest,
    admin_app: Flask,
    people: dict[str, Any],
    sms: RecordingSender,
    clock: FakeClock,
) -> Replaced:
    done = Replaced(admin_app, people, sms, clock, request.param)
    # Before the code, a pending number changed nothing.
    assert done.pc_skipped_before and done.still_signed_in and done.told_before == []
    return done


def test_the_old_number_is_told_by_sms(replaced: Replaced, sms: RecordingSender) -> None:
    [notice] = notices_to(sms, PRIMARY)
    assert CHANGED in notice and "77" not in notice.split("UTC")[1]
    assert all(m.kind == "code" for m in sms.messages if m.to == NEW)


def test_the_users_other_sessions_end(replaced: Replaced) -> None:
    assert not signed_in(replaced.alice.by_session)  # a copy of his session cookie
    assert not signed_in(replaced.alice.client)  # his own browser's
    assert signed_in(replaced.admin)  # the administrator's own session is not the user's
    if replaced.here is not None:
        assert signed_in(replaced.here)  # the login that confirmed the number stands


def test_the_keep_me_signed_in_cookie_is_refused(admin_app: Flask, replaced: Replaced) -> None:
    thief = replaced.alice.by_cookie
    assert not signed_in(thief)
    assert thief.get_cookie(REMEMBER) is None  # the refused cookie was deleted
    if replaced.here is not None:  # the confirming login's own new cookie works
        assert signed_in(_copy(admin_app, replaced.here, REMEMBER))


def test_a_remembered_pc_no_longer_skips_the_code(
    admin_app: Flask, replaced: Replaced, sms: RecordingSender, clock: FakeClock
) -> None:
    clock.advance(seconds=61)
    assert not pc_skips_the_code(admin_app, sms, replaced.alice.pc_token)
    assert sms.last.to == NEW and sms.last.kind == "code"  # the code goes to the new number


def test_the_change_is_audited_with_the_administrator_as_actor(
    replaced: Replaced, admin_app: Flask, people: dict[str, Any]
) -> None:
    host: Host = admin_app.extensions["test_host"]
    # Confirmed at login, the user entered the code: the administrator set the number.
    by_admin = replaced.here is None
    actor = str(people["boss"].id) if by_admin else None
    assert ("primary", actor) in audit_rows(host, "phone_changed")
    assert ("primary pending", str(people["boss"].id)) in audit_rows(host, "phone_changed")
    assert ("phone_changed", None) in audit_rows(host, "sessions_ended")


def test_the_dialog_says_what_the_change_did(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    message = Replaced(admin_app, people, sms, clock, "api").message
    assert message.startswith("+32 ••• ••• •77 is now the verified primary number.")
    assert "The old number was told by SMS." in message
    assert "remembered PCs (1) were forgotten and his sessions ended" in message


def test_the_dialog_names_no_pc_when_none_was_remembered(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    """No "remembered PCs (0) were forgotten": a true sentence, but one that reads as a fault."""
    done = Replaced(admin_app, people, sms, clock, "api", pcs_revoked_first=True)
    assert "The user's sessions ended (he had no remembered PC)." in done.message
    assert "remembered PCs (" not in done.message


@pytest.mark.parametrize("when", ["now", "at_login"])
def test_a_first_number_is_no_change(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock, when: str
) -> None:
    """Bob had no verified number: verifying the one his administrator typed tells nobody and
    ends nothing beyond what turning 2FA on did."""
    host: Host = admin_app.extensions["test_host"]
    admin, bob = logged_in(admin_app, sms, "boss", clock), people["bob"]
    admin.post(f"{API}/users/{bob.id}/enable", json={})
    act(admin, bob, "set-phone", "api", role="primary", number=BOB_NUMBER, verify=when)
    clock.advance(seconds=61)
    if when == "now":
        done = act(admin, bob, "verify-phone", "api", role="primary", code=sms.last.code)
        assert "old number" not in done.json["message"], done.json
        assert "forgotten" not in done.json["message"], done.json
    else:
        client = admin_app.test_client()
        assert json_login(client, "bob").json["purpose"] == "verify_primary"
        assert json_verify(client, sms.last.code).json["status"] == "ok"
        assert signed_in(client)
    assert [m for m in sms.messages if m.kind == "notice"] == []
    assert ("phone_changed", None) not in audit_rows(host, "sessions_ended")
    assert all(reason != "primary" for reason, _ in audit_rows(host, "phone_changed"))
    verifier = str(people["boss"].id) if when == "now" else None
    assert audit_rows(host, "phone_verified") == [("primary", verifier)]


def test_the_users_own_change_is_still_his_own(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    """Through the same path, the user's own change names no actor and keeps his session."""
    host: Host = admin_app.extensions["test_host"]
    alice = Alice(admin_app, sms)
    clock.advance(seconds=61)
    asked = alice.client.post("/t2m2fa/api/security/phone", json={"role": "primary", "phone": NEW})
    assert asked.status_code == 200, asked.json
    code = sms.last_code_for(NEW)
    done = alice.client.post("/t2m2fa/api/security/phone/confirm", json={"code": code})
    assert done.status_code == 200, done.json
    assert len(notices_to(sms, PRIMARY)) == 1
    assert signed_in(alice.client) and not signed_in(alice.by_session)
    assert not signed_in(alice.by_cookie)
    assert ("primary", None) in audit_rows(host, "phone_changed")
    assert all(actor is None for _, actor in audit_rows(host, "phone_changed"))
    assert all(reason != "primary" for reason, _ in audit_rows(host, "phone_verified"))
