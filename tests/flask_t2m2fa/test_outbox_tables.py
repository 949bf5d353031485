"""The default sender's outbox tables come with ``db.create_all()``; a missing one is logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from t2m2fa_support import PRIMARY, FakeClock, Host, build_app, json_login

from doubles import OUTBOX_KEYS
from gateway.message import DeliveryState
from gateway.outbox import Outbox
from gateway.outbox import metadata as outbox_metadata


def queued(url: str) -> int:
    outbox = Outbox(url, keys=OUTBOX_KEYS)
    count = outbox.stats().counts.get(DeliveryState.QUEUED, 0)
    outbox.engine.dispose()
    return int(count)


def test_create_all_creates_the_outbox_tables(sqlite_url: str) -> None:
    app = build_app(sqlite_url, FakeClock(datetime.now(UTC)), None, {})
    with app.app_context():
        host: Host = app.extensions["test_host"]
        tables = set(sa.inspect(host.db.engine).get_table_names())
        assert set(outbox_metadata.tables) <= tables
        user = host.add_user("olga")
        host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
        host.db.session.commit()
        answer = json_login(app.test_client(), "olga").json
        host.db.session.remove()
        host.db.engine.dispose()
    assert answer["send_failed"] is False
    assert queued(sqlite_url) == 1


def test_missing_outbox_table_is_logged_as_a_warning_with_the_cause(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_app(sqlite_url, FakeClock(datetime.now(UTC)), None, {}, create_tables=False)
    with app.app_context():
        host: Host = app.extensions["test_host"]
        host.db.metadata.create_all(
            host.db.engine,
            tables=[t for n, t in host.db.metadata.tables.items() if n not in outbox_metadata],
        )
        for name in ("olga", "oscar"):
            user = host.add_user(name)
            host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
            host.db.session.commit()
        with caplog.at_level(logging.WARNING, logger="flask_t2m2fa"):
            first = json_login(app.test_client(), "olga").json
        # Created afterwards: the next login sends, without a restart.
        outbox_metadata.create_all(host.db.engine)
        second = json_login(app.test_client(), "oscar").json
        host.db.session.remove()
        host.db.engine.dispose()
    assert first["send_failed"] is True
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "t2m2fa_outbox is missing" in record.getMessage()
    assert "db.create_all()" in record.getMessage()
    assert second["send_failed"] is False
