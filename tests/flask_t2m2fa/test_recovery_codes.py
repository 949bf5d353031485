"""Recovery codes (issue 23, item 1): the rule, the hashed storage, and their use at the code
step of a login through the JSON API, under the same budgets as SMS codes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    build_app,
    json_login,
    json_verify,
    wrong,
)

from flask_t2m2fa.config import ConfigError
from flask_t2m2fa.models import AuditEvent, Challenge, Failure, RecoveryCode, UserSettings
from flask_t2m2fa.rules import recovery as rule
from flask_t2m2fa.services import recovery, unit_of_work
from flask_t2m2fa.state import get_state

RECOVERY = "/t2m2fa/api/recovery"
GENERATE = "/t2m2fa/api/security/recovery-codes"


# --- the rule -----------------------------------------------------------------------------
def test_a_set_is_ten_distinct_codes_of_ten_unambiguous_characters() -> None:
    codes = rule.generate_set()
    assert len(codes) == rule.COUNT == 10 and len(set(codes)) == 10
    for code in codes:
        assert len(code) == 10 and set(code) <= set(rule.ALPHABET)
    assert not set("01ilou") & set(rule.ALPHABET)


@pytest.mark.parametrize(
    "typed", ["abcde-23456", "ABCDE23456", " abcde 23456 ", "aBcDe-2345-6", "abcde\t23456\n"]
)
def test_input_is_read_with_or_without_dash_in_any_case_with_spaces(typed: str) -> None:
    assert rule.normalize(typed) == "abcde23456"


@pytest.mark.parametrize(
    "typed",
    [None, 5, ["abcde23456"], "", "abcde2345", "abcde234567", "abcde-2345o", "abcde_23456",
     "ａbcde23456", "abcde-23456" + " " * 40, "\u212abcde23456"],
)  # fmt: skip
def test_anything_else_is_malformed(typed: Any) -> None:
    assert rule.normalize(typed) is None


def test_display_groups_five_and_five() -> None:
    assert rule.display("abcde23456") == "abcde-23456"


def test_the_tag_is_keyed_and_short() -> None:
    key = b"k" * 32
    assert len(rule.tag(key, "1", "abcde23456")) == rule.TAG_CHARS
    tags = {rule.tag(bytes([n]) * 32, "1", "abcde23456") for n in range(40)}
    assert len(tags) > 1  # another key, another tag


# --- helpers ------------------------------------------------------------------------------
def logged_in(app: Flask, sms: RecordingSender) -> FlaskClient:
    client = app.test_client()
    json_login(client, "alice")
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    return client


def new_codes(app: Flask, sms: RecordingSender) -> list[str]:
    answer = logged_in(app, sms).post(GENERATE, json={})
    assert answer.status_code == 200, answer.json
    codes: list[str] = answer.json["codes"]
    return codes


def at_code_step(app: Flask, clock: FakeClock) -> FlaskClient:
    clock.advance(seconds=61)  # past the resend cool-down of the previous login
    client = app.test_client()
    assert json_login(client, "alice").json["status"] == "2fa_required"
    return client


def failures(host: Host) -> int:
    host.db.session.rollback()
    return host.db.session.query(Failure).count()


# --- storage ------------------------------------------------------------------------------
def test_only_a_slow_hash_is_stored_at_the_configured_cost(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    codes = new_codes(app, sms)
    assert len(codes) == 10 and all(len(c) == 11 and c[5] == "-" for c in codes)
    rows = host.db.session.scalars(sa.select(RecoveryCode)).all()
    assert len(rows) == 10
    for row in rows:
        assert row.code_hash.startswith("$argon2id$") and "m=8,t=2,p=1" in row.code_hash
    dump = repr([(r.tag, r.code_hash) for r in rows]) + repr(
        host.db.session.scalars(sa.select(AuditEvent.reason)).all()
    )
    for code in codes:
        assert rule.normalize(code) not in dump and code not in dump


def test_a_cost_below_the_floor_is_refused(clock: FakeClock, sms: RecordingSender) -> None:
    with pytest.raises(ConfigError, match="T2M2FA_RECOVERY_HASH_MEMORY_KIB"):
        build_app("sqlite://", clock, sms, {"T2M2FA_RECOVERY_HASH_MEMORY_KIB": 7})


def test_generating_needs_the_step_up(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = logged_in(app, sms)
    clock.advance(minutes=21)
    answer = client.post(GENERATE, json={})
    assert (answer.status_code, answer.json["status"]) == (403, "step_up_required")


def test_generating_needs_a_logged_in_user(client: FlaskClient) -> None:
    assert client.post(GENERATE, json={}).status_code == 401


def test_a_new_set_voids_the_old_one(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    old = new_codes(app, sms)
    clock.advance(seconds=61)
    new_codes(app, sms)
    client = at_code_step(app, clock)
    answer = client.post(RECOVERY, json={"code": old[0]})
    assert (answer.status_code, answer.json["status"]) == (401, "invalid_code")


# --- using one ----------------------------------------------------------------------------
def test_a_code_logs_in_once_and_lands_on_the_security_page(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    codes = new_codes(app, sms)
    client = at_code_step(app, clock)
    assert client.get("/t2m2fa/api/challenge").json["recovery_offered"] is True
    sent = len(sms.messages)
    answer = client.post(RECOVERY, json={"code": codes[3].upper().replace("-", " ")})
    assert answer.status_code == 200, answer.json
    assert answer.json == {"status": "ok", "next": "/t2m2fa/security", "recovery_codes_left": 9}
    assert client.get("/private").status_code == 200
    # The notice went to the primary, and the use is audited.
    assert len(sms.messages) == sent + 1 and sms.last.to == PRIMARY
    assert "recovery code was used" in sms.last.text
    events = host.db.session.scalars(sa.select(AuditEvent.event)).all()
    assert "recovery_used" in events
    assert client.get("/t2m2fa/api/security").json["recovery_codes_left"] == 9
    # The SMS code of the login the recovery code ended is used up with it.
    newest = sa.select(Challenge).order_by(Challenge.created_at.desc()).limit(1)
    assert host.db.session.scalars(newest).one().consumed_at is not None
    # The same code again is a wrong code: it counts as one, and tells the user as one does.
    again = at_code_step(app, clock)
    login_code = sms.last.code
    before = failures(host)
    second = again.post(RECOVERY, json={"code": codes[3]})
    assert (second.status_code, second.json["status"]) == (401, "invalid_code")
    assert failures(host) == before + 1
    assert "wrong code" in sms.last.text and sms.last.to == PRIMARY
    # The login's SMS code still works (one attempt spent).
    assert json_verify(again, login_code).json["status"] == "ok"


def test_a_recovery_login_passes_the_step_up(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    """The user without his phones can make a new set (and change his number) at once."""
    codes = new_codes(app, sms)
    client = at_code_step(app, clock)
    assert client.post(RECOVERY, json={"code": codes[0]}).status_code == 200
    assert client.post(GENERATE, json={}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"code": None}, {"code": 1234567890}, {"code": ["x"]}, {"code": "abcd"},
     {"code": "abcde-2345o"}, {"code": "9" * 100}],
)  # fmt: skip
def test_a_missing_or_malformed_code_is_400_and_counts_nothing(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock, body: Any
) -> None:
    new_codes(app, sms)
    client = at_code_step(app, clock)
    answer = client.post(RECOVERY, json=body)
    assert (answer.status_code, answer.json["status"]) == (400, "bad_request")
    assert answer.json["message"]
    assert failures(host) == 0


def test_without_a_pending_login_it_is_401(client: FlaskClient) -> None:
    answer = client.post(RECOVERY, json={"code": "abcde-23456"})
    assert (answer.status_code, answer.json["status"]) == (401, "login_required")


def test_wrong_codes_spend_the_attempts_of_the_login_code(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    codes = new_codes(app, sms)
    client = at_code_step(app, clock)
    unknown = "zzzzz-zzzzz" if "zzzzz-zzzzz" not in codes else "yyyyy-yyyyy"
    answers = [client.post(RECOVERY, json={"code": unknown}).json for _ in range(3)]
    assert [a["attempts_left"] for a in answers] == [2, 1, 0]
    assert answers[-1]["code_used_up"] is True
    assert failures(host) == 3
    # Used up: even a right recovery code (or the SMS code) needs a new code now.
    right = client.post(RECOVERY, json={"code": codes[0]})
    assert (right.status_code, right.json["status"]) == (401, "code_expired")
    assert failures(host) == 3
    assert recovery.left(get_state(), str(alice.id)) == 10


def test_wrong_recovery_codes_count_towards_the_daily_budget(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    new_codes(app, sms)
    for _ in range(5):
        client = at_code_step(app, clock)
        client.post(RECOVERY, json={"code": "zzzzz-zzzzz"})
        json_verify(client, wrong(sms.last.code))
    assert failures(host) == 10
    client = app.test_client()
    clock.advance(seconds=61)
    assert json_login(client, "alice").json["status"] == "try_later"


def test_a_paused_or_locked_user_gets_the_same_answer_and_nothing_is_counted(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    codes = new_codes(app, sms)
    client = at_code_step(app, clock)
    settings = host.db.session.get(UserSettings, str(alice.id))
    assert settings is not None
    settings.locked_at = clock()
    host.db.session.commit()
    right = client.post(RECOVERY, json={"code": codes[0]})
    bad = client.post(RECOVERY, json={"code": "zzzzz-zzzzz"})
    assert (right.status_code, right.json) == (bad.status_code, bad.json)
    assert right.json["status"] == "locked"
    assert failures(host) == 0
    assert recovery.left(get_state(), str(alice.id)) == 10
    assert client.get("/private").status_code == 302


def test_not_offered_without_codes(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = at_code_step(app, clock)
    assert client.get("/t2m2fa/api/challenge").json["recovery_offered"] is False


def test_a_code_of_another_user_is_wrong(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    bob = host.add_user("bob")
    host.two_factor.enable_for(bob, primary_phone="+32470111222", verified=True)
    host.db.session.commit()
    codes = new_codes(app, sms)
    client = app.test_client()
    json_login(client, "bob")
    answer = client.post(RECOVERY, json={"code": codes[0]})
    assert answer.json["status"] == "invalid_code"


def test_the_administrator_reads_every_users_holding_in_one_statement(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    codes = new_codes(app, sms)
    client = at_code_step(app, clock)
    client.post(RECOVERY, json={"code": codes[0]})
    state, uid = get_state(), str(alice.id)
    engine = host.db.engine
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        held = recovery.holdings(state, [uid, "nobody"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert held == {uid: recovery.Holding(total=10, left=9)}
    assert len(statements) == 1


def test_voiding_deletes_the_codes_and_is_audited(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    new_codes(app, sms)
    state = get_state()
    ref = state.ref(alice)
    assert recovery.void(state, ref, actor=None) == 10
    unit_of_work.commit(host.db.session)
    assert recovery.left(state, ref.user_id) == 0
    assert recovery.holdings(state, [ref.user_id]) == {}
    assert "recovery_voided" in host.db.session.scalars(sa.select(AuditEvent.event)).all()


def test_under_enforced_a_recovery_login_stands_and_remembers_no_pc(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    codes = new_codes(app, sms)
    host.two_factor.set_policy("acme", mode="enforced")
    host.db.session.commit()
    client = at_code_step(app, clock)
    answer = client.post(RECOVERY, json={"code": codes[0], "remember_pc": True})
    assert answer.status_code == 200 and "remember_token" not in answer.json
    assert client.get("/private").status_code == 200
    assert client.get("/private").status_code == 200  # the session's token stands as a code's


def test_with_remember_allowed_the_box_is_honoured_like_the_sms_code(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    codes = new_codes(app, sms)
    client = at_code_step(app, clock)
    answer = client.post(RECOVERY, json={"code": codes[0], "remember_pc": True})
    assert answer.status_code == 200 and answer.json["remember_token"]


def test_the_account_policy_can_turn_them_off(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    codes = new_codes(app, sms)
    host.two_factor.set_policy("acme", recovery_codes_allowed=False)
    host.db.session.commit()
    client = at_code_step(app, clock)
    assert client.get("/t2m2fa/api/challenge").json["recovery_offered"] is False
    assert "Use a recovery code" not in client.get("/t2m2fa/code").text
    assert client.get("/t2m2fa/recovery").status_code == 302
    answer = client.post(RECOVERY, json={"code": codes[0]})
    assert (answer.status_code, answer.json["status"]) == (403, "recovery_disabled")
    assert "turned off" in answer.json["message"]
    assert failures(host) == 0
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    made = client.post(GENERATE, json={})
    assert (made.status_code, made.json["status"]) == (403, "recovery_disabled")
    overview = client.get("/t2m2fa/api/security").json
    assert overview["recovery_codes_allowed"] is False
    assert "Generate recovery codes" not in client.get("/t2m2fa/security").text
    # On again: the codes made before work again (off hides them; voiding deletes them).
    host.two_factor.set_policy("acme", recovery_codes_allowed=True)
    host.db.session.commit()
    again = at_code_step(app, clock)
    assert again.post(RECOVERY, json={"code": codes[0]}).json["status"] == "ok"
