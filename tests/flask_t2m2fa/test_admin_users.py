"""The administrator's dialog over JSON and HTML: enable, numbers, disable, unlock, PCs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from admin_support import logged_in, snapshot
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import PRIMARY, FakeClock, Host, RecordingSender, json_login, json_verify, wrong
from test_admin_authz import form_token
from test_remember import browser_login, logs_in_without_code

from flask_t2m2fa import signals
from flask_t2m2fa.models import AuditEvent
from flask_t2m2fa.rules.phones import unbreakable as nb

API = "/t2m2fa/admin/api"
BOB_NUMBER = "+32470333344"


def act(client: FlaskClient, user: Any, action: str, **body: Any) -> Any:
    return client.post(f"{API}/users/{user.id}/{action}", json=body)


def test_enable_by_typing_the_number_and_entering_the_code_in_the_dialog(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    seen: list[dict[str, Any]] = []
    with signals.two_factor_enabled.connected_to(lambda _app, **kw: seen.append(kw)):
        done = act(admin, people["bob"], "enable", primary="+32 470 33 33 44")
    assert done.status_code == 200 and sms.last.to == BOB_NUMBER
    assert done.json["user"]["phones"] == [
        {"role": "primary", "masked": "+32 ••• ••• •44", "verified": False}
    ]
    assert seen and seen[0]["actor_id"] == str(people["boss"].id)
    bad = act(admin, people["bob"], "verify-phone", role="primary", code=wrong(sms.last.code))
    assert bad.status_code == 400 and "Wrong code" in bad.json["message"]
    ok = act(admin, people["bob"], "verify-phone", role="primary", code=sms.last.code)
    assert ok.json["user"]["state"] == "on"
    assert ok.json["user"]["phones"][0]["verified"] is True
    clock.advance(seconds=61)
    client = admin_app.test_client()
    assert json_login(client, "bob").json["purpose"] == "login"  # verified: a login code


def test_a_pending_number_is_verified_at_the_next_login(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    act(admin, people["bob"], "enable", primary=BOB_NUMBER)
    clock.advance(seconds=61)
    client = admin_app.test_client()
    step = json_login(client, "bob").json
    assert step["purpose"] == "verify_primary"
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def test_left_to_the_user_he_enrols_at_next_login(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    done = act(admin, people["bob"], "enable")
    assert done.json["user"]["state"] == "enrolment pending"
    assert "next login" in done.json["message"]
    assert json_login(admin_app.test_client(), "bob").json["status"] == "enrolment_required"


def test_a_bad_number_is_named_and_nothing_is_sent_or_saved(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    host: Host = admin_app.extensions["test_host"]
    before, sent = snapshot(host), len(sms.messages)
    answer = act(admin, people["bob"], "enable", primary="+32 470 12 34 5")
    assert answer.status_code == 400
    assert answer.json == {
        "status": "refused",
        "field": "primary",
        "message": "+32 470 12 34 5 cannot be used: not a valid phone number.",
    }
    assert snapshot(host) == before and len(sms.messages) == sent
    token = form_token(admin)
    page = admin.post(
        f"/t2m2fa/admin/users/{people['bob'].id}",
        data={"csrf_token": token, "action": "enable", "primary": "+32 470 12 34 5"},
    )
    assert page.status_code == 400 and 'id="primary-error"' in page.text
    assert nb("+32 470 12 34 5 cannot be used: not a valid phone number.") in page.text


def test_an_administrator_needs_a_backup_and_keeps_one(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    host: Host = admin_app.extensions["test_host"]
    carl = host.add_user("carl", admin=True)
    admin = logged_in(admin_app, sms, "boss", clock)
    refused = act(admin, carl, "enable", primary=BOB_NUMBER)
    assert refused.status_code == 400 and refused.json["field"] == "backup"
    same = act(admin, carl, "enable", primary=BOB_NUMBER, backup="+32 470 33 33 44")
    assert same.status_code == 400 and "differ" in same.json["message"]
    ok = act(admin, carl, "enable", primary=BOB_NUMBER, backup="+32470333355")
    assert ok.status_code == 200
    cancel = act(admin, carl, "cancel", role="backup")
    assert cancel.status_code == 409 and "backup" in cancel.json["message"]


def test_disable_is_refused_under_enforced_with_a_reason(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    admin.patch(f"{API}/policy", json={"mode": "enforced"})
    refused = act(admin, people["alice"], "disable")
    assert refused.status_code == 409 and "Enforced" in refused.json["message"]
    page = admin.get(f"/t2m2fa/admin/users/{people['alice'].id}")
    assert 'id="disable-note"' in page.text and 'id="disable"' not in page.text
    admin.patch(f"{API}/policy", json={"mode": "standard"})
    assert act(admin, people["alice"], "disable").json["user"]["state"] == "off"


def test_unlock_shows_the_failures_then_lifts_the_lock(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    for _ in range(7):  # 21 wrong codes over 7 days: locked
        client = admin_app.test_client()
        json_login(client, "alice")
        for _ in range(3):
            json_verify(client, wrong(sms.last.code))
        clock.advance(days=1)
    admin = logged_in(admin_app, sms, "boss", clock)
    view = admin.get(f"{API}/users/{people['alice'].id}").json["user"]
    assert view["state"] == "locked" and view["failures"] == 20
    page = admin.get(f"/t2m2fa/admin/users/{people['alice'].id}")
    assert 'id="failures">20<' in page.text and 'id="unlock"' in page.text
    done = act(admin, people["alice"], "unlock")
    assert done.json["user"]["state"] == "on" and done.json["user"]["failures"] == 0
    assert act(admin, people["alice"], "unlock").status_code == 409


def test_revoke_one_remembered_pc(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    pc_one, pc_two = admin_app.test_client(), admin_app.test_client()
    ua = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36"}
    pc_one.environ_base.update({"HTTP_USER_AGENT": ua["User-Agent"]})
    browser_login(pc_one, sms, "alice", remember=True)
    clock.advance(seconds=61)
    browser_login(pc_two, sms, "alice", remember=True)
    clock.advance(seconds=61)
    admin = logged_in(admin_app, sms, "boss", clock)
    pcs = admin.get(f"{API}/users/{people['alice'].id}").json["user"]["remembered_pcs"]
    assert len(pcs) == 2 and "Chrome on Windows" in {p["label"] for p in pcs}
    assert {p["network"] for p in pcs} == {"127.0.0.0/24"}  # the test client's address
    first = next(p for p in pcs if p["label"] == "Chrome on Windows")
    done = act(admin, people["alice"], "revoke-pc", pc_id=first["id"])
    assert len(done.json["user"]["remembered_pcs"]) == 1
    assert act(admin, people["alice"], "revoke-pc", pc_id=first["id"]).status_code == 404
    assert not logs_in_without_code(pc_one, sms, "alice")
    clock.advance(seconds=61)
    assert logs_in_without_code(pc_two, sms, "alice")


def test_policy_saves_only_what_the_form_changed(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    host: Host = admin_app.extensions["test_host"]
    admin = logged_in(admin_app, sms, "boss", clock)
    token = form_token(admin)  # the form was loaded under Standard, never expires
    host.two_factor.set_policy("acme", remember_pc_days=30)  # another administrator, meanwhile
    host.db.session.commit()
    form = {"csrf_token": token, "was_mode": "standard", "was_remember_pc_allowed": "y",
            "was_expiry": "never", "remember_pc_allowed": "y", "expiry": "never",
            "mode": "enforced"}  # fmt: skip
    asked = admin.post("/t2m2fa/admin/policy", data=form)  # Enforced asks first
    assert asked.status_code == 200 and 'id="confirm"' in asked.text
    assert host.two_factor.policy_of("acme").mode == "standard"
    saved = admin.post("/t2m2fa/admin/policy", data={**form, "confirmed": "y"})
    assert saved.status_code == 302
    policy = host.two_factor.policy_of("acme")
    assert (policy.mode, policy.remember_pc_days) == ("enforced", 30)
    actors = host.db.session.scalars(
        sa.select(AuditEvent.actor_id).filter_by(event="policy_changed").order_by(AuditEvent.id)
    ).all()
    assert actors == [None, str(people["boss"].id)]
    bad = admin.post(
        "/t2m2fa/admin/policy", data={**form, "expiry": "days", "remember_pc_days": "401"}
    )
    assert bad.status_code == 400 and "1 to 400" in bad.text


def test_enforced_from_the_page_stops_a_remembered_pc(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    pc = admin_app.test_client()
    browser_login(pc, sms, "alice", remember=True)
    clock.advance(seconds=61)
    assert logs_in_without_code(pc, sms, "alice")
    admin = logged_in(admin_app, sms, "boss", clock)
    form = {"csrf_token": form_token(admin), "was_mode": "standard", "mode": "enforced",
            "was_remember_pc_allowed": "y", "remember_pc_allowed": "y", "was_expiry": "never",
            "expiry": "never", "confirmed": "y"}  # fmt: skip
    assert admin.post("/t2m2fa/admin/policy", data=form).status_code == 302
    assert not logs_in_without_code(pc, sms, "alice")


def test_users_list_search_sort_and_pages(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    host: Host = admin_app.extensions["test_host"]
    for n in range(30):
        host.add_user(f"user{n:02d}")
    admin = logged_in(admin_app, sms, "boss", clock)
    first = admin.get(f"{API}/users").json
    assert (first["total"], first["pages"], len(first["users"])) == (33, 2, 25)
    assert len(admin.get(f"{API}/users?page=2").json["users"]) == 8
    assert [u["name"] for u in admin.get(f"{API}/users?search=ALI").json["users"]] == ["alice"]
    by_state = [u["state"] for u in admin.get(f"{API}/users?sort=state").json["users"]][:3]
    assert by_state == ["on", "on", "off"]
    page = admin.get("/t2m2fa/admin/users?search=alice")
    assert nb("+32 ••• ••• •67") + "</span> verified" in page.text and "1 user(s)" in page.text


def test_audit_names_people_filters_and_exports(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    act(admin, people["bob"], "enable", primary=BOB_NUMBER)
    events = admin.get("/t2m2fa/admin/api/audit?kind=two_factor_enabled").json["events"]
    assert [(e["user"], e["actor"]) for e in events] == [
        ("bob", "boss"), ("alice", None), ("boss", None)
    ]  # fmt: skip
    changed = admin.get(f"/t2m2fa/admin/api/audit?user={people['bob'].id}&kind=phone_changed")
    assert changed.json["events"][0]["destination"] == "+32 ••• ••• •44"
    assert admin.get("/t2m2fa/admin/api/audit?since=yesterday").status_code == 400
    bob = people["bob"].id
    csv_text = admin.get(f"/t2m2fa/admin/audit?format=csv&kind=two_factor_enabled&user={bob}").text
    assert csv_text.splitlines()[1].split(",")[3:5] == ["bob", "boss"]
    assert BOB_NUMBER not in csv_text and PRIMARY not in csv_text
    page = admin.get(f"/t2m2fa/admin/audit?kind=two_factor_enabled&user={bob}")
    assert 'data-label="User">bob</td>' in page.text and 'data-label="By">boss</td>' in page.text
    rival = logged_in(admin_app, sms, "rival", clock)
    theirs = rival.get("/t2m2fa/admin/api/audit?kind=two_factor_enabled").json["events"]
    assert [e["user"] for e in theirs] == ["rival"]  # his own account's events only


def test_admin_answers_follow_openapi(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    from test_openapi import check, spec

    document = spec.__wrapped__()
    admin = logged_in(admin_app, sms, "boss", clock)
    bob, alice = people["bob"], people["alice"]
    answers = [
        admin.get(f"{API}/policy"),
        admin.patch(f"{API}/policy", json={"mode": "enforced", "remember_pc_days": 30}),
        admin.patch(f"{API}/policy", json={"mode": "sometimes"}),
        admin.get(f"{API}/users?sort=state"),
        admin.get(f"{API}/users/{alice.id}"),
        admin.get(f"{API}/users/{people['rival'].id}"),
        act(admin, bob, "enable", primary=BOB_NUMBER),
        act(admin, bob, "enable", primary="+32 470"),
        act(admin, alice, "disable"),
        admin.get(f"{API}/audit?kind=policy_changed"),
        admin.get(f"{API}/audit?since=nope"),
    ]
    assert [a.status_code for a in answers] == [
        200,
        200,
        400,
        200,
        200,
        404,
        200,
        400,
        409,
        200,
        400,
    ]
    for answer in answers:
        check(document, answer)


def test_the_json_api_refuses_what_openapi_does_not_allow(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    """Found by schemathesis: the API took junk for "nothing", and acted on it."""
    host: Host = admin_app.extensions["test_host"]
    admin = logged_in(admin_app, sms, "boss", clock)
    before = snapshot(host)
    bob = people["bob"]
    for body in ("[null, null]", "\u0000", '"enable"', "7"):
        answer = admin.post(
            f"{API}/users/{bob.id}/enable", data=body, content_type="application/json"
        )
        assert (answer.status_code, answer.json["status"]) == (400, "bad_request"), body
        patched = admin.patch(f"{API}/policy", data=body, content_type="application/json")
        assert (patched.status_code, patched.json["status"]) == (400, "bad_request"), body
    assert snapshot(host) == before  # bob was not enabled (he was, from "[null, null]")
    for query, field in [
        ("users?sort=age", "sort"),
        ("users?page=0", "page"),
        ("users?page=-2", "page"),
        ("users?page=two", "page"),
        ("users?page=1&page=2", "page"),
        ("users?search=a&search=b", "search"),
        ("audit?until=", None),
        ("audit?since=20260302", None),
        ("audit?page=1.5", "page"),
        ("audit?kind=a&kind=b", "kind"),
    ]:
        refused = admin.get(f"{API}/{query}")
        assert (refused.status_code, refused.json["status"]) == (400, "refused"), query
        assert refused.json.get("field") == field, query
    last = admin.get(f"{API}/users?page=00000000000000000000000000000000000000000000000000099")
    assert (last.status_code, last.json["page"]) == (200, 1)  # past the last: the last
    assert admin.get(f"{API}/audit?since=2026-03-01&until=2026-03-03").status_code == 200
    # The pages keep taking a form's blanks for "no filter".
    assert admin.get("/t2m2fa/admin/audit?since=&until=&user=&page=").status_code == 200
    assert admin.get("/t2m2fa/admin/users?page=x&sort=").status_code == 200


def test_policy_days_may_be_a_whole_json_number(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    """30.0 is an integer to JSON Schema (found by schemathesis); 30.5 is not."""
    admin = logged_in(admin_app, sms, "boss", clock)
    done = admin.patch(f"{API}/policy", json={"remember_pc_days": 30.0})
    assert (done.status_code, done.json["policy"]["remember_pc_days"]) == (200, 30)
    assert admin.patch(f"{API}/policy", json={"remember_pc_days": 30.5}).status_code == 400


def test_the_user_agent_stays_out_of_the_audit_reason(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    pc = admin_app.test_client()
    pc.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
    browser_login(pc, sms, "alice", remember=True)
    clock.advance(seconds=61)
    assert logs_in_without_code(pc, sms, "alice")
    host: Host = admin_app.extensions["test_host"]
    rows = host.db.session.execute(
        sa.select(AuditEvent.event, AuditEvent.reason).where(
            AuditEvent.event.in_(("pc_remembered", "pc_used"))
        )
    ).all()
    assert {event for event, _ in rows} == {"pc_remembered", "pc_used"}
    assert all(reason and reason.startswith("pc_id=") for _, reason in rows)


def test_sort_by_state_agrees_with_each_users_state(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    from flask_t2m2fa.models import UserSettings
    from flask_t2m2fa.services import admin_users
    from flask_t2m2fa.state import get_state

    host: Host = admin_app.extensions["test_host"]
    carl, dora = host.add_user("carl"), host.add_user("dora")
    host.two_factor.enable_for(carl)  # enrolment pending
    host.db.session.commit()
    host.two_factor.enable_for(dora, primary_phone=BOB_NUMBER, verified=True)
    host.db.session.commit()
    for _ in range(4):  # dora: 10 wrong codes today, paused
        client = admin_app.test_client()
        json_login(client, "dora")
        for _ in range(3):
            json_verify(client, wrong(sms.last.code))
        clock.advance(seconds=61)
    row = host.db.session.get(UserSettings, str(people["alice"].id))
    assert row is not None
    row.locked_at = clock()
    host.db.session.commit()
    admin = logged_in(admin_app, sms, "boss", clock)
    listed = admin.get(f"{API}/users?sort=state").json["users"]
    assert [(u["name"], u["state"]) for u in listed] == [
        ("alice", "locked"), ("dora", "paused"), ("carl", "enrolment pending"), ("boss", "on"),
        ("bob", "off"),
    ]  # fmt: skip
    state = get_state()
    refs = [state.ref(u) for u in (people["alice"], dora, carl, people["boss"], people["bob"])]
    current = host.two_factor.policy_of("acme")
    words = admin_users.state_words(state, refs, current)
    assert list(words.values()) == [u["state"] for u in listed]
