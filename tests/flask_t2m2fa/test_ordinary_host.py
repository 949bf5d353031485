"""The manual's steps (docs/host.md), done by an ordinary host (``ordinary_host.py``), work."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from ordinary_host import Organization, User, create_app, db, two_factor

from doubles import OUTBOX_KEYS
from flask_t2m2fa.senders import DevelopmentSender, ProductionAppError
from flask_t2m2fa.testing import RecordingSender
from gateway.message import DeliveryState
from gateway.outbox import Outbox

PHONE = "+32 470 12 34 67"


@pytest.fixture
def sms() -> RecordingSender:
    return RecordingSender()


def seed(app: Flask) -> None:
    """db.create_all(), one organisation and one user with a verified number."""
    with app.app_context():
        db.create_all()
        org = Organization(name="Acme")
        user = User(email="ann@example.com", organization=org)
        user.set_password("correct horse")
        db.session.add_all([org, user])
        db.session.commit()
        two_factor.enable_for(user, primary_phone=PHONE, verified=True)
        db.session.commit()


def close(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make(sqlite_url: str) -> Iterator[Any]:
    apps: list[Flask] = []

    def _make(config: dict[str, Any], **kwargs: Any) -> Flask:
        app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url, **config}, **kwargs)
        apps.append(app)
        seed(app)
        return app

    yield _make
    for app in apps:
        close(app)


def log_in(client: Any) -> Any:
    return client.post("/login", data={"email": "ann@example.com", "password": "correct horse"})


def test_a_test_with_the_recording_sender(make: Any, sms: RecordingSender) -> None:
    app = make({"TESTING": True, "WTF_CSRF_ENABLED": False}, sender=sms)
    client = app.test_client()
    assert log_in(client).headers["Location"] == "/t2m2fa/code"
    assert client.get("/").status_code == 302  # not logged in before the code
    assert sms.last.text.startswith("Acme: your login code is ")
    answer = client.post("/t2m2fa/code", data={"code": sms.last_code_for(PHONE)})
    assert answer.status_code == 302
    assert client.get("/").json == {"email": "ann@example.com"}


def test_json_login_answer(make: Any, sms: RecordingSender) -> None:
    app = make({"TESTING": True}, sender=sms)
    client = app.test_client()
    body = {"email": "ann@example.com", "password": "correct horse"}
    assert client.post("/login", json=body).json["status"] == "2fa_required"
    code = sms.last_code_for(PHONE)
    assert client.post("/t2m2fa/api/verify", json={"code": code}).json == {
        "status": "ok",
        "next": "/",
    }


def test_development_sender_writes_the_sms_to_the_log(
    make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make({"DEBUG": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask_t2m2fa.senders"):
        log_in(client)
    (record,) = caplog.records
    line = record.getMessage()
    assert "Acme: your login code is " in line
    assert "+32 ••• ••• •67" in line and "470123467" not in line
    code = line.split("login code is ")[1][:4]
    client.post("/t2m2fa/code", data={"code": code})
    assert client.get("/").status_code == 200


def test_development_sender_refuses_a_production_app(sqlite_url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url})
    with pytest.raises(ProductionAppError, match=r"app\.debug or app\.testing"):
        DevelopmentSender(app)


def test_development_sender_refuses_to_send_once_the_app_left_debug(
    make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make({"DEBUG": True})
    app.debug = False
    with caplog.at_level(logging.WARNING, logger="flask_t2m2fa.senders"):
        answer = app.test_client().post(
            "/login", json={"email": "ann@example.com", "password": "correct horse"}
        )
    assert answer.json["send_failed"] is True
    assert not caplog.records


def test_create_all_and_the_default_sender(make: Any, sqlite_url: str) -> None:
    app = make({})
    assert log_in(app.test_client()).headers["Location"] == "/t2m2fa/code"
    outbox = Outbox(sqlite_url, keys=OUTBOX_KEYS)
    assert outbox.stats().counts.get(DeliveryState.QUEUED) == 1
    outbox.engine.dispose()
