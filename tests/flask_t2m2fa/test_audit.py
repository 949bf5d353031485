"""Audit trail and signals: every event recorded and signalled, never a code, token or number."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import (
    BACKUP,
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    csrf_token,
    json_login,
    json_resend,
    json_verify,
    wrong,
)

from flask_t2m2fa import signals
from flask_t2m2fa.models import AuditEvent, RememberedPc
from flask_t2m2fa.services import admin_actions, recovery, unit_of_work
from flask_t2m2fa.state import get_state


@pytest.fixture
def received() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    receivers = []
    for event, signal in signals.BY_EVENT.items():

        def receiver(sender: Any, _name: str = event.value, **kwargs: Any) -> None:
            seen.append((_name, kwargs))

        receivers.append(receiver)
        signal.connect(receiver)
    yield seen
    for signal, receiver in zip(signals.BY_EVENT.values(), receivers, strict=True):
        signal.disconnect(receiver)


def play_every_event(
    app: Flask, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> list[str]:
    """Drive a story that raises each audit event at least once; return the tokens issued."""
    client = app.test_client()
    json_login(client, "alice")  # challenge_created, code_sent
    for _ in range(3):
        json_verify(client, wrong(sms.last.code))  # code_failed x3, challenge_exhausted
    clock.advance(seconds=61)
    sms.fail_next = True
    json_resend(client, "primary")  # send_failed
    json_resend(client, "backup")
    clock.advance(seconds=61)
    json_resend(client, "backup")
    token = json_verify(client, sms.last.code, remember_pc=True).json["remember_token"]
    json_login(app.test_client(), "alice", **{"X-T2M2FA-Remember": token})  # pc_used
    host.two_factor.set_policy("acme", remember_pc_days=30)  # policy_changed
    host.db.session.commit()
    host.two_factor.revoke_remembered_pcs(alice)  # pcs_revoked
    host.db.session.commit()
    rejected = app.test_client()
    json_login(rejected, "alice", **{"X-T2M2FA-Remember": token})  # pc_rejected, a new code
    json_resend(rejected, "primary")  # send_throttled (cool-down: that code is not entered)
    carl = host.add_user("carl", admin=True)
    host.two_factor.enable_for(carl, primary_phone="+32470555511", backup_phone="+32470555522")
    host.db.session.commit()
    client = app.test_client()
    json_login(client, "carl")
    json_verify(client, sms.last.code)  # phone_verified (primary)
    json_verify(client, sms.last.code)  # phone_verified (backup)
    made = client.post("/t2m2fa/api/security/recovery-codes", json={})  # recovery_generated
    codes: list[str] = made.json["codes"]
    clock.advance(seconds=61)
    recovering = app.test_client()
    json_login(recovering, "carl")
    recovering.post("/t2m2fa/api/recovery", json={"code": codes[0]})  # recovery_used
    play_security_page(app, host, sms)  # phone_changed, notice_sent, pc_revoked, phone_removed
    state = get_state()
    target = admin_actions.Target(state.ref(carl), state.ref(alice))
    admin_actions.set_phone(state, target, "backup", "+32470555511", send=False)  # phone_changed
    clock.advance(seconds=61)
    admin_actions.resend(state, target, "backup")  # code_requested
    recovery.void(state, state.ref(carl), actor=state.ref(carl))  # recovery_voided
    unit_of_work.commit(state.session)
    for _ in range(7):  # lock alice: 3 failures so far, 17 more
        clock.advance(days=1)
        client = app.test_client()
        json_login(client, "alice")
        for _ in range(3):
            json_verify(client, wrong(sms.last.code))
    host.two_factor.unlock(alice)
    host.db.session.commit()
    host.two_factor.disable_for(alice)
    host.db.session.commit()
    # The host committed these itself: their signals go out when its app context ends, as
    # here (the test keeps its context open).
    unit_of_work.send_ready(host.db.session())
    # The recovery codes as shown and as typed without the dash: secrets like the token.
    return [token, *codes, *(code.replace("-", "") for code in codes)]


def play_security_page(app: Flask, host: Host, sms: RecordingSender) -> None:
    dora = host.add_user("dora")
    host.two_factor.enable_for(
        dora, primary_phone="+32470555533", backup_phone="+32470555544", verified=True
    )
    host.db.session.commit()
    client = app.test_client()
    json_login(client, "dora")
    json_verify(client, sms.last.code, remember_pc=True)

    def post(path: str, **fields: Any) -> None:
        token = csrf_token(client.get("/t2m2fa/security").text)
        assert client.post(path, data={**fields, "csrf_token": token}).status_code == 302

    pc_id = host.db.session.scalar(sa.select(sa.func.max(RememberedPc.id)))
    post("/t2m2fa/security/pcs/revoke", pc_id=pc_id)
    post("/t2m2fa/security/phone", role="primary", phone="+32470555566")
    post("/t2m2fa/security/phone/confirm", code=sms.last_code_for("+32470555566"))
    post("/t2m2fa/security/backup/remove")


def test_every_event_is_recorded_and_signalled(
    app: Flask,
    host: Host,
    alice: Any,
    sms: RecordingSender,
    clock: FakeClock,
    received: list[tuple[str, dict[str, Any]]],
) -> None:
    play_every_event(app, host, alice, sms, clock)
    events = set(host.db.session.scalars(sa.select(AuditEvent.event)))
    assert events == {event.value for event in signals.BY_EVENT}
    assert {name for name, _ in received} == events
    for _, kwargs in received:
        assert set(kwargs) == {
            "account_id",
            "user_id",
            "outcome",
            "reason",
            "destination",
            "challenge_id",
            "actor_id",
        }


def test_no_code_token_or_number_in_audit_signals_or_logs(
    app: Flask,
    host: Host,
    alice: Any,
    sms: RecordingSender,
    clock: FakeClock,
    received: list[tuple[str, dict[str, Any]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = play_every_event(app, host, alice, sms, clock)
    validators = {t.split(".")[1] for t in tokens if "." in t}  # the recovery codes have none
    secrets = {m.code for m in sms.messages} | set(tokens) | validators
    numbers = {PRIMARY, BACKUP, "+32470555511", "+32470555522"}
    numbers |= {n.lstrip("+") for n in numbers} | {n[3:] for n in numbers}
    rows = [repr(tuple(r)) for r in host.db.session.execute(sa.select(AuditEvent)).all()]
    texts = rows + [repr(kwargs) for _, kwargs in received] + [caplog.text]
    for text in texts:
        for number in numbers:
            assert number not in text
        for secret in secrets:
            if len(secret) > 4:
                assert secret not in text
    for row in host.db.session.scalars(sa.select(AuditEvent)):
        for field in (row.reason, row.destination):
            assert field is None or not any(code == field for code in secrets)


def test_no_phone_number_in_any_table(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    json_verify(app.test_client(), "0000")
    client = app.test_client()
    json_login(client, "alice")
    json_verify(client, sms.last.code, remember_pc=True)
    dump = []
    for table in host.db.metadata.sorted_tables:
        dump += [repr(tuple(r)) for r in host.db.session.execute(sa.select(table)).all()]
    text = "\n".join(dump)
    for number in (PRIMARY, BACKUP):
        assert number not in text and number[3:] not in text


def _events(host: Host) -> list[str]:
    return list(host.db.session.scalars(sa.select(AuditEvent.reason).order_by(AuditEvent.id)))


def test_audit_rows_follow_their_transaction_and_savepoints(app: Flask, host: Host) -> None:
    """Rows are written together at the flush points (``services/audit.py``): the commit writes
    them, a failed savepoint drops only its own, a rollback drops all; no listener is involved."""
    from flask_t2m2fa.events import Event
    from flask_t2m2fa.services import audit

    with app.test_request_context():
        state = get_state()
        session = host.db.session
        audit.record(state, Event.SESSIONS_ENDED, None, account_id="acme", reason="kept")
        audit.flush(session)
        assert _events(host) == ["kept"]  # flushed: a query in the transaction sees it
        audit.record(state, Event.SESSIONS_ENDED, None, account_id="acme", reason="before")
        with pytest.raises(RuntimeError), unit_of_work.savepoint(session):
            audit.record(state, Event.SESSIONS_ENDED, None, account_id="acme", reason="inside")
            raise RuntimeError("the savepoint is rolled back")
        audit.record(state, Event.SESSIONS_ENDED, None, account_id="acme", reason="after")
        unit_of_work.commit(session)
        assert _events(host) == ["kept", "before", "after"]
        audit.record(state, Event.SESSIONS_ENDED, None, account_id="acme", reason="dropped")
        unit_of_work.rollback(session)
        unit_of_work.commit(session)
        assert _events(host) == ["kept", "before", "after"]
