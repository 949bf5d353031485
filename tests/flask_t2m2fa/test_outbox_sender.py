"""The default sender queues codes in the gateway outbox, inside the challenge's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import BACKUP, PRIMARY, FakeClock, Host, build_app, json_login

from flask_t2m2fa.sending import OutboxSender
from flask_t2m2fa.services import accounts, challenges
from flask_t2m2fa.state import get_state
from gateway.errors import Outcome, SendError
from gateway.message import DeliveryState
from gateway.outbox import Outbox, OutboxKeys, new_key_text


@pytest.fixture
def outbox_app(sqlite_url: str) -> Iterator[Flask]:
    options = {"T2M2FA_OUTBOX_KEY": new_key_text()}  # this app's own key
    app = build_app(sqlite_url, FakeClock(datetime.now(UTC)), None, options, create_tables=False)
    assert app.test_cli_runner().invoke(args=["t2m2fa", "init-db"]).exit_code == 0
    with app.app_context():
        host: Host = app.extensions["test_host"]
        host.db.create_all()
        user = host.add_user("olga")
        host.two_factor.enable_for(user, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True)
        host.db.session.commit()
        yield app
        host.db.session.remove()
        host.db.engine.dispose()


def queued(url: str) -> int:
    outbox = Outbox(url)
    count = outbox.stats().counts.get(DeliveryState.QUEUED, 0)
    outbox.engine.dispose()
    return int(count)


def test_login_queues_the_code_in_the_outbox(outbox_app: Flask, sqlite_url: str) -> None:
    assert isinstance(get_state().sender, OutboxSender)
    client = outbox_app.test_client()
    assert json_login(client, "olga").json["send_failed"] is False
    assert queued(sqlite_url) == 1


def test_rolled_back_challenge_queues_nothing(outbox_app: Flask, sqlite_url: str) -> None:
    state = get_state()
    user = outbox_app.extensions["test_host"].User
    olga = state.session.scalars(sa.select(user)).one()
    ref = state.ref(olga)
    phone = accounts.phone_of(state, ref.user_id, accounts.PRIMARY, verified=True)
    assert phone is not None
    challenges.issue(state, ref, challenges.Request(challenges.LOGIN, phone))
    state.session.rollback()
    assert queued(sqlite_url) == 0


def test_failure_reported_by_the_outbox_is_shown(outbox_app: Flask, sqlite_url: str) -> None:
    client = outbox_app.test_client()
    json_login(client, "olga")
    outbox = Outbox(sqlite_url, keys=OutboxKeys.from_text(outbox_app.config["T2M2FA_OUTBOX_KEY"]))
    (message,) = outbox.claim("worker", "modem0")
    outbox.mark_failed(message.id, SendError("barred", outcome=Outcome.PERMANENT), modem="modem0")
    outbox.engine.dispose()
    answer: Any = client.get("/t2m2fa/api/challenge").json
    assert answer["send_failed"] is True
    assert "try your backup phone" in client.get("/t2m2fa/code").text


def test_a_delivery_report_of_not_delivered_offers_the_backup_phone(
    outbox_app: Flask, sqlite_url: str
) -> None:
    from gateway.status_report import StatusReport

    client = outbox_app.test_client()
    json_login(client, "olga")
    outbox = Outbox(sqlite_url, keys=OutboxKeys.from_text(outbox_app.config["T2M2FA_OUTBOX_KEY"]))
    (message,) = outbox.claim("worker", "modem0")
    outbox.mark_sent(message.id, 7, "modem0", report_for=message.destination)
    assert client.get("/t2m2fa/api/challenge").json["delivery"] == "awaiting"
    report = StatusReport(7, message.destination, 0x41, None, None)  # 0x41: permanent error
    assert outbox.record_report("modem0", report) == message.id
    outbox.engine.dispose()
    answer: Any = client.get("/t2m2fa/api/challenge").json
    assert (answer["delivery"], answer["send_failed"]) == ("not_delivered", False)
    assert answer["delivery_reason"]
    assert "send it to your backup phone?" in answer["message"]
    page = client.get("/t2m2fa/code").text
    assert "was not delivered" in page and "Send it to my backup phone" in page
