"""The administration pages as a product (issue 21): every action reachable and said once,
destructive ones confirmed with their counts, audited with the administrator, never framed,
ids no row can have answered like unknown ones, a CSV that a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa
from admin_support import logged_in
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import FakeClock, Host, RecordingSender, json_login, json_verify, wrong
from test_admin_authz import form_token
from test_remember import browser_login

from flask_t2m2fa.models import AuditEvent, RememberedPc
from flask_t2m2fa.rules.phones import unbreakable as nb

API = "/t2m2fa/admin/api"
BOB_NUMBER = "+32470333344"
#: Ids no integer column holds, and the spellings of ids that are no ids.
BIG = 2**63
OUT_OF_RANGE = (BIG, 2**64 + 5, -(2**63) - 1, -1, 0)


def page_url(user: Any) -> str:
    return f"/t2m2fa/admin/users/{user.id}"


def post_action(client: FlaskClient, user: Any, action: str, **fields: str) -> Any:
    data = {"csrf_token": form_token(client), "action": action, **fields}
    return client.post(page_url(user), data=data)


def test_after_disable_the_page_offers_enable_again_and_it_works(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    alice = people["alice"]
    post_action(admin, alice, "disable", confirmed="y")
    page = admin.get(page_url(alice)).text
    assert '<strong id="state">off</strong>' in page
    assert 'id="enable-form"' in page and 'value="enable"' in page
    assert post_action(admin, alice, "enable").status_code == 302
    assert '<strong id="state">on</strong>' in admin.get(page_url(alice)).text
    clock.advance(seconds=61)
    assert json_login(admin_app.test_client(), "alice").json["status"] == "2fa_required"


def _admin_rows(host: Host, event: str) -> list[tuple[str, str | None, str | None]]:
    host.db.session.expire_all()
    rows = host.db.session.execute(
        sa.select(AuditEvent.outcome, AuditEvent.actor_id, AuditEvent.reason)
        .filter_by(event=event)
        .order_by(AuditEvent.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_admin_verify_and_resend_are_audited_with_the_administrator(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    host: Host = admin_app.extensions["test_host"]
    admin, bob, boss = logged_in(admin_app, sms, "boss", clock), people["bob"], people["boss"]
    admin.post(f"{API}/users/{bob.id}/enable", json={"primary": BOB_NUMBER})
    clock.advance(seconds=61)
    assert admin.post(f"{API}/users/{bob.id}/resend", json={"role": "primary"}).status_code == 200
    assert _admin_rows(host, "code_requested") == [("sent", str(boss.id), "primary")]
    bad = admin.post(
        f"{API}/users/{bob.id}/verify-phone", json={"role": "primary", "code": wrong(sms.last.code)}
    )
    assert bad.status_code == 400
    ok = admin.post(
        f"{API}/users/{bob.id}/verify-phone", json={"role": "primary", "code": sms.last.code}
    )
    assert ok.status_code == 200
    assert [r[:2] for r in _admin_rows(host, "phone_verified") if r[1]] == [
        ("refused", str(boss.id)),
        ("ok", str(boss.id)),
    ]


def test_admin_pages_and_api_cannot_be_framed(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    for url in ("/t2m2fa/admin/policy", "/t2m2fa/admin/users", page_url(people["bob"]),
                "/t2m2fa/admin/audit", f"{API}/users"):  # fmt: skip
        answer = admin.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], url
        assert answer.headers["Cache-Control"] == "no-store", url


@pytest.mark.parametrize("raw", [*OUT_OF_RANGE, "99999999999999999999999999"])
def test_a_user_id_no_row_can_have_is_the_unknown_users_404(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock, raw: Any
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    unknown = admin.get(f"{API}/users/424242")
    assert unknown.status_code == 404
    for method, url, body in (
        ("GET", f"{API}/users/{raw}", None),
        ("POST", f"{API}/users/{raw}/disable", {}),
        ("GET", f"/t2m2fa/admin/users/{raw}", None),
    ):
        answer = admin.open(url, method=method, json=body)
        assert answer.status_code == 404, (url, answer.text[-300:])
        if url.startswith(API):
            assert answer.json == unknown.json


@pytest.mark.parametrize("raw", [*OUT_OF_RANGE, "7", "-3"])
def test_a_pc_id_no_row_can_have_is_an_unknown_pc(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock, raw: Any
) -> None:
    """JSON: a number out of range, or any string; forms: digits out of range, negatives."""
    pc = admin_app.test_client()
    browser_login(pc, sms, "alice", remember=True)
    clock.advance(seconds=61)
    admin, alice = logged_in(admin_app, sms, "boss", clock), people["alice"]
    revoked = admin.post(f"{API}/users/{alice.id}/revoke-pc", json={"pc_id": raw})
    assert revoked.status_code == 404 and revoked.json["status"] == "refused"
    if not isinstance(raw, str):
        form = post_action(admin, alice, "revoke-pc", pc_id=str(raw))
        assert form.status_code == 404
    mine = pc.post("/t2m2fa/api/security/pcs/revoke", json={"pc_id": raw})
    assert mine.status_code == 404 and mine.json["status"] == "not_found"
    host: Host = admin_app.extensions["test_host"]
    live = host.db.session.scalars(sa.select(RememberedPc).filter_by(revoked_at=None)).all()
    assert len(live) == 1  # nothing was revoked


@pytest.mark.parametrize("raw", [str(BIG), "-5", str(2**70)])
def test_the_security_forms_pc_id_out_of_range_is_a_404(
    client: FlaskClient, alice: Any, sms: RecordingSender, raw: str
) -> None:
    browser_login(client, sms, "alice", remember=True)
    page = client.get("/t2m2fa/security").text
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/t2m2fa/security/pcs/revoke", data={"pc_id": raw, "csrf_token": token})
    assert answer.status_code == 404


def test_audit_csv_neutralises_every_formula_start(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    """OWASP CSV injection: = + - @ and TAB and CR at the start of a cell."""
    host: Host = admin_app.extensions["test_host"]
    admin = logged_in(admin_app, sms, "boss", clock)
    names = ("\t=1+2", "\r=1+2", "=1+2", "@SUM(A1)", "-2+3", "+2")
    for name in names:
        user = host.add_user(name)
        admin.post(f"{API}/users/{user.id}/enable", json={})
    exported = admin.get("/t2m2fa/admin/audit?format=csv&kind=two_factor_enabled").text
    rows = list(csv.reader(io.StringIO(exported)))[1:]
    assert {"'" + name for name in names} <= {row[3] for row in rows}
    assert not [
        cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
    ]


def test_an_action_is_said_once_in_the_card_not_in_the_hosts_flashes(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    post_action(admin, people["bob"], "enable", primary=BOB_NUMBER)
    with admin.session_transaction() as session:
        assert "_flashes" not in session  # a host layout showing flashes shows nothing
    page = admin.get(page_url(people["bob"])).text
    assert page.count('id="notice"') == 1
    assert nb("Two-factor login is on. A code was sent to +32 ••• ••• •44.") in page
    assert 'id="notice"' not in admin.get(page_url(people["bob"])).text  # said once


def test_pages_show_times_to_the_second_and_how_long_ago(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    pc = admin_app.test_client()
    browser_login(pc, sms, "alice", remember=True)
    clock.advance(minutes=3, seconds=7)
    admin = logged_in(admin_app, sms, "boss", clock)
    page = admin.get(page_url(people["alice"])).text
    start = clock() - __import__("datetime").timedelta(minutes=3, seconds=7 + 61)
    stamp = start.strftime("%Y-%m-%d %H:%M:%S")
    assert f'{stamp} UTC</time> <span class="t2m2fa-ago">(4 min ago)</span>' in page
    audit = admin.get("/t2m2fa/admin/audit").text
    assert (
        'UTC</time> <span class="t2m2fa-ago">(' in audit
        and ".000" not in audit
        and "+00:00" not in audit
    )


def test_destructive_actions_ask_first_and_say_the_counts(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    host: Host = admin_app.extensions["test_host"]
    for _ in range(2):
        browser_login(admin_app.test_client(), sms, "alice", remember=True)
        clock.advance(seconds=61)
    admin, alice = logged_in(admin_app, sms, "boss", clock), people["alice"]
    for action, said in (
        ("revoke-pcs", "This revokes 2 remembered PC(s) of alice and ends all his sessions"),
        ("disable", "This turns two-factor login off for alice, revokes 2 remembered PC(s)"),
    ):
        asked = post_action(admin, alice, action)
        assert asked.status_code == 200 and said in asked.text, action
        assert 'name="confirmed" value="y"' in asked.text
    assert admin.get(f"{API}/users/{alice.id}").json["user"]["state"] == "on"
    host.db.session.expire_all()
    assert host.db.session.scalar(
        sa.select(sa.func.count()).select_from(RememberedPc).filter_by(revoked_at=None)
    ) == 2  # fmt: skip
    form = {"csrf_token": form_token(admin), "was_mode": "standard", "mode": "standard",
            "was_remember_pc_allowed": "y", "was_expiry": "never", "expiry": "never"}  # fmt: skip
    asked = admin.post("/t2m2fa/admin/policy", data=form)  # "Allowed" unticked
    assert asked.status_code == 200 and "revokes 2 remembered PC(s)" in asked.text
    asked = admin.post("/t2m2fa/admin/policy", data={**form, "mode": "enforced"})
    assert "ends every session of the account&#39;s 2 other user(s)" in asked.text
    assert host.two_factor.policy_of("acme").remember_pc_allowed is True
    assert post_action(admin, alice, "disable", confirmed="y").status_code == 302
    assert admin.get(f"{API}/users/{alice.id}").json["user"]["state"] == "off"


def test_the_state_word_agrees_with_two_factor_login_is_on(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    post_action(admin, people["bob"], "enable", primary=BOB_NUMBER)
    page = admin.get(page_url(people["bob"])).text
    assert "Two-factor login is on." in page
    assert '<strong id="state">on: the number waits for its code</strong>' in page
    carl = admin_app.extensions["test_host"].add_user("carl")
    post_action(admin, carl, "enable")
    page = admin.get(page_url(carl)).text
    assert "on: the user enters his number at his next login</strong>" in page


def test_a_login_with_an_enrolment_code_is_the_last_code_login(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    admin.post(f"{API}/users/{people['bob'].id}/enable", json={"primary": BOB_NUMBER})
    verified_by_admin = admin.post(
        f"{API}/users/{people['bob'].id}/verify-phone",
        json={"role": "primary", "code": sms.last.code},
    )
    assert verified_by_admin.json["user"]["last_code_login"] is None  # read out, no login
    carl = admin_app.extensions["test_host"].add_user("carl")
    admin.post(f"{API}/users/{carl.id}/enable", json={})
    client = admin_app.test_client()
    assert json_login(client, "carl").json["status"] == "enrolment_required"
    client.post("/t2m2fa/api/enrol", json={"phone": "+32470333355"})
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    shown = admin.get(f"{API}/users/{carl.id}").json["user"]
    assert shown["last_code_login"] is not None
    assert "never" not in admin.get("/t2m2fa/admin/users?search=carl").text


def test_a_backup_typed_within_the_cool_down_gets_a_live_countdown_in_the_dialog(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    """The per-user cool-down holds the backup's code: the dialog says so, counts down to
    when it can be sent, and "Resend the code" sends it then."""
    admin, bob = logged_in(admin_app, sms, "boss", clock), people["bob"]
    post_action(admin, bob, "enable", primary=BOB_NUMBER)
    clock.advance(seconds=10)
    post_action(admin, bob, "set-phone", role="backup", number="+32470333355", verify="now")
    page = admin.get(page_url(bob)).text
    assert nb("No code was sent to +32 ••• ••• •55 yet (a code was sent less than a minute") in page
    assert 'data-wait="50"' in page and "A code can be sent to it in 50 s." in page
    assert 'id="backup-resend" disabled' in page
    clock.advance(seconds=50)
    page = admin.get(page_url(bob)).text
    assert "A code can be sent to it now." in page and 'id="backup-resend" >' in page
    post_action(admin, bob, "resend", role="backup")
    assert sms.last.to == "+32470333355"
    assert nb("A code was sent to +32 ••• ••• •55.") in admin.get(page_url(bob)).text
