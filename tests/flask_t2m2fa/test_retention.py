"""``flask t2m2fa purge``: rows past their retention windows go, the rest stay."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from t2m2fa_support import FakeClock, Host

from flask_t2m2fa.models import AuditEvent, Challenge, Failure, SentSms


def _challenge(cid: str, at: object) -> Challenge:
    return Challenge(
        id=cid, user_id="1", account_id="acme", purpose="login", destination="primary",
        login_id="l" + cid, code_hash="", created_at=at, expires_at=at,
    )  # fmt: skip


def _seed(host: Host, clock: FakeClock, age: timedelta, tag: str) -> None:
    at = clock.now - age
    host.db.session.add_all(
        [
            _challenge(tag, at),
            SentSms(user_id="1", login_id="l" + tag, number_digest="d", sent_at=at),
            Failure(user_id="1", challenge_id=tag, failed_at=at),
            AuditEvent(at=at, event="code_sent", outcome="ok", reason=tag),
        ]
    )
    host.db.session.commit()


def _count(host: Host, model: type) -> int:
    return int(host.db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_purge_deletes_rows_past_each_window_and_keeps_the_rest(
    host: Host, clock: FakeClock, runner: FlaskCliRunner
) -> None:
    _seed(host, clock, timedelta(days=8), "week")  # past challenges and sent-SMS only
    _seed(host, clock, timedelta(days=30), "month")  # failures still count for 30 days
    _seed(host, clock, timedelta(days=400), "year")  # everything goes
    dry = runner.invoke(args=["t2m2fa", "purge", "--dry-run"])
    assert "t2m2fa_challenges: would delete 3 rows older than 7 days" in dry.output
    assert _count(host, Challenge) == 3
    result = runner.invoke(args=["t2m2fa", "purge"])
    assert result.exit_code == 0, result.output
    assert "t2m2fa_failures: deleted 1 rows older than 31 days" in result.output
    host.db.session.expire_all()
    assert (_count(host, Challenge), _count(host, SentSms)) == (0, 0)
    assert _count(host, Failure) == 2  # the 8- and 30-day-old failures still count
    reasons = host.db.session.scalars(sa.select(AuditEvent.reason)).all()
    assert sorted(r for r in reasons if r in ("week", "month", "year")) == ["month", "week"]


def test_a_failure_window_shorter_than_the_30_day_budget_is_refused(
    app: Flask, runner: FlaskCliRunner
) -> None:
    """init_app refuses it at start (test_config); a value changed afterwards, at purge."""
    app.config["T2M2FA_RETENTION_FAILURES_DAYS"] = 7
    result = runner.invoke(args=["t2m2fa", "purge"])
    assert result.exit_code == 2
    assert "T2M2FA_RETENTION_FAILURES_DAYS must be an integer of at least 31" in result.output
