"""The administrator sees who has recovery codes and how many are left, and voids them after a
confirmation (issue 23, item 1)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from admin_support import logged_in
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import FakeClock, RecordingSender
from test_admin_authz import form_token

from flask_t2m2fa.models import AuditEvent, RecoveryCode
from flask_t2m2fa.services import recovery, unit_of_work
from flask_t2m2fa.state import get_state

API = "/t2m2fa/admin/api"


def give_codes(user: Any, used: int = 0) -> None:
    state = get_state()
    ref = state.ref(user)
    recovery.generate(state, ref)
    unit_of_work.commit(state.session)
    for _ in range(used):  # as a login would, without one
        row = state.session.scalars(
            sa.select(RecoveryCode).where(
                RecoveryCode.user_id == ref.user_id,
                RecoveryCode.used_at.is_(None),
            )
        ).first()
        assert row is not None
        row.used_at = state.now()
    unit_of_work.commit(state.session)


def page_of(user: Any) -> str:
    return f"/t2m2fa/admin/users/{user.id}"


def test_the_list_and_the_dialog_say_who_has_codes_and_how_many_are_left(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    give_codes(people["alice"], used=3)
    admin = logged_in(admin_app, sms, "boss", clock)
    listing = admin.get("/t2m2fa/admin/users").text
    assert "7 of 10 left" in listing
    page = admin.get(page_of(people["alice"])).text
    assert '<p id="recovery">7 of 10 left</p>' in page and 'id="void-recovery"' in page
    assert '<p id="recovery">none</p>' in admin.get(page_of(people["bob"])).text
    body = admin.get(f"{API}/users/{people['alice'].id}").json["user"]
    assert body["recovery_codes"] == {"total": 10, "left": 7}
    users = {u["name"]: u for u in admin.get(f"{API}/users").json["users"]}
    assert users["bob"]["recovery_codes"] == {"total": 0, "left": 0}


def post(admin: FlaskClient, user: Any, **fields: str) -> Any:
    data = {"csrf_token": form_token(admin), "action": "void-recovery", **fields}
    return admin.post(page_of(user), data=data)


def test_voiding_asks_first_then_voids_and_is_audited_with_the_administrator(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    alice = people["alice"]
    give_codes(alice)
    admin = logged_in(admin_app, sms, "boss", clock)
    asked = post(admin, alice)
    assert asked.status_code == 200
    assert "This voids the 10 unused recovery code(s) of alice" in asked.text
    assert recovery.left(get_state(), str(alice.id)) == 10
    done = post(admin, alice, confirmed="y")
    assert done.status_code == 302
    state = get_state()
    state.session.expire_all()
    assert recovery.holdings(state, [str(alice.id)]) == {}
    row = state.session.scalars(sa.select(AuditEvent).filter_by(event="recovery_voided")).one()
    assert row.actor_id == str(people["boss"].id) and row.user_id == str(alice.id)


def test_the_json_action_voids_at_once(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    alice = people["alice"]
    give_codes(alice)
    admin = logged_in(admin_app, sms, "boss", clock)
    answer = admin.post(f"{API}/users/{alice.id}/void-recovery", json={})
    assert answer.status_code == 200, answer.json
    assert answer.json["user"]["recovery_codes"] == {"total": 0, "left": 0}


def test_another_accounts_administrator_cannot_void(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    alice = people["alice"]
    give_codes(alice)
    rival = logged_in(admin_app, sms, "rival", clock)
    assert rival.post(f"{API}/users/{alice.id}/void-recovery", json={}).status_code == 404
    assert recovery.left(get_state(), str(alice.id)) == 10


def test_the_policy_page_and_api_turn_recovery_codes_off_and_on(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    host = admin_app.extensions["test_host"]
    admin = logged_in(admin_app, sms, "boss", clock)
    page = admin.get("/t2m2fa/admin/policy").text
    assert 'name="recovery_codes_allowed" value="y" checked' in page
    form = {"csrf_token": form_token(admin), "was_mode": "standard", "mode": "standard",
            "was_remember_pc_allowed": "y", "remember_pc_allowed": "y", "was_expiry": "never",
            "expiry": "never", "was_recovery_codes_allowed": "y"}  # fmt: skip
    assert admin.post("/t2m2fa/admin/policy", data=form).status_code == 302  # unticked
    assert host.two_factor.policy_of("acme").recovery_codes_allowed is False
    answer = admin.patch(f"{API}/policy", json={"recovery_codes_allowed": True})
    assert answer.status_code == 200, answer.json
    assert answer.json["policy"]["recovery_codes_allowed"] is True
    bad = admin.patch(f"{API}/policy", json={"recovery_codes_allowed": "no"})
    assert bad.status_code == 400


def test_the_cli_sets_the_policy_and_voids_a_users_codes(
    admin_app: Flask, people: dict[str, Any]
) -> None:
    runner = admin_app.test_cli_runner()
    host = admin_app.extensions["test_host"]
    done = runner.invoke(args=["t2m2fa", "policy", "set", "acme", "--no-recovery-codes"])
    assert done.exit_code == 0 and "recovery_codes_allowed = False" in done.output
    assert host.two_factor.policy_of("acme").recovery_codes_allowed is False
    runner.invoke(args=["t2m2fa", "policy", "set", "acme", "--recovery-codes"])
    give_codes(people["alice"], used=1)
    voided = runner.invoke(args=["t2m2fa", "user", "void-recovery", "alice"])
    assert voided.exit_code == 0 and "9 were left" in voided.output
    assert recovery.holdings(get_state(), [str(people["alice"].id)]) == {}
