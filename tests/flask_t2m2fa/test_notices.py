"""Notices (R-47): lock, number change and new PC, by SMS to the verified number, once, capped.

The failed-code notice (issue 23) has its own file, ``test_failed_code_notice.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import PRIMARY, Host, json_login, json_verify, wrong

from flask_t2m2fa.config import ConfigError, load
from flask_t2m2fa.models import AuditEvent
from flask_t2m2fa.rules import notices
from flask_t2m2fa.rules.notices import Notice, NoticeTextError
from flask_t2m2fa.rules.sms_text import fits_one_segment, gsm7_septets, segments
from flask_t2m2fa.testing import RecordingSender

LOCK_AFTER_THREE = {"T2M2FA_MAX_FAILURES_PER_30_DAYS": 3}
MOMENT = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)


def notices_sent(sms: RecordingSender) -> list[Any]:
    return [m for m in sms.messages if m.kind == "notice"]


def lock_notices(sms: RecordingSender) -> list[Any]:
    """The lock notices alone (the first wrong code of a login also sends a failed-code one)."""
    return [m for m in notices_sent(sms) if "locked" in m.text]


def lock(client: FlaskClient, sms: RecordingSender) -> None:
    json_login(client, "alice")
    code = sms.last.code
    for _ in range(3):
        json_verify(client, wrong(code))


@pytest.mark.parametrize("notice", list(Notice))
def test_notice_texts_are_one_gsm7_segment_with_the_longest_app_name(notice: Notice) -> None:
    device = notices.LONGEST_DEVICE  # used by the failed-code notice, ignored by the others
    text = notices.render(notices.TEXTS[notice], app_name="x" * 30, moment=MOMENT, device=device)
    assert fits_one_segment(text)
    assert "x" * 30 in text and "2026-12-31 23:59 UTC" in text


def test_a_notice_longer_than_three_sms_is_refused() -> None:
    assert gsm7_septets("ça") is None  # ç has no GSM-7 form: UCS-2
    assert gsm7_septets("€") == 2  # extension table: two septets
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 459) == 3
    assert segments("ł" * 70) == 1 and segments("ł" * 71) == 2 and segments("ł" * 201) == 3
    notices.render("%(app)s " + "a" * 457, app_name="X", moment=MOMENT)  # 459: 3 GSM-7 SMS
    notices.render("%(app)s " + "ł" * 199, app_name="X", moment=MOMENT)  # 201: 3 UCS-2 SMS
    with pytest.raises(NoticeTextError):
        notices.render("%(app)s " + "a" * 458, app_name="X", moment=MOMENT)
    with pytest.raises(NoticeTextError):
        notices.render("%(app)s " + "ł" * 200, app_name="X", moment=MOMENT)
    with pytest.raises(NoticeTextError):
        notices.render("%(app)s %(code)s", app_name="X", moment=MOMENT)


def test_notice_is_due_once_per_event_and_only_when_switched_on() -> None:
    on = {Notice.LOCKED: True}
    assert notices.is_due(Notice.LOCKED, on, already_sent=False)
    assert not notices.is_due(Notice.LOCKED, on, already_sent=True)
    assert not notices.is_due(Notice.LOCKED, {Notice.LOCKED: False}, already_sent=False)
    assert not notices.is_due(Notice.NEW_PC, {}, already_sent=False)  # off by default


@pytest.mark.options(LOCK_AFTER_THREE)
def test_lock_notice_goes_to_the_verified_number_once(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    lock(client, sms)
    sent = lock_notices(sms)
    assert len(sent) == 1
    assert sent[0].to == PRIMARY
    assert "locked" in sent[0].text and "administrator" in sent[0].text
    assert sms.last == sent[0]
    json_verify(client, wrong(sms.messages[0].code))  # already locked: no second notice
    assert len(lock_notices(sms)) == 1


@pytest.mark.options({**LOCK_AFTER_THREE, "T2M2FA_NOTIFY_LOCK": False})
def test_lock_notice_can_be_switched_off(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    lock(client, sms)
    assert lock_notices(sms) == [] and len(notices_sent(sms)) == 1  # the failed-code one


@pytest.mark.options({**LOCK_AFTER_THREE, "T2M2FA_MAX_SMS_PER_NUMBER_PER_DAY": 1})
def test_lock_notice_stays_within_the_per_number_cap(
    app: Flask, host: Host, client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    lock(client, sms)  # the login code used the number's one SMS of the day
    assert notices_sent(sms) == []
    rows = host.db.session.execute(
        sa.select(AuditEvent.outcome, AuditEvent.reason)
        .where(AuditEvent.event == "notice_sent")
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(row) for row in rows] == [
        ("refused", "failed_code number_cap"),  # the first wrong code's notice
        ("refused", "lock number_cap"),
    ]


def test_new_pc_notice_is_off_by_default(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    assert json_verify(client, sms.last.code, remember_pc=True).json["remember_token"]
    assert notices_sent(sms) == []


@pytest.mark.options({"T2M2FA_NOTIFY_NEW_PC": True})
def test_new_pc_notice_when_the_host_asks_for_it(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    assert json_verify(client, sms.last.code, remember_pc=True).json["remember_token"]
    (sent,) = notices_sent(sms)
    assert sent.to == PRIMARY and "new PC was remembered" in sent.text


@pytest.mark.options(
    {"T2M2FA_NOTIFY_NEW_PC": True, "T2M2FA_NOTICE_TEXTS": {"new_pc": "%(app)s: new PC %(date)s"}}
)
def test_a_host_overrides_a_notice_text(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    json_verify(client, sms.last.code, remember_pc=True)
    assert notices_sent(sms)[0].text.startswith("hostapp: new PC 2026-")


def test_an_override_that_does_not_fit_three_sms_is_refused_at_start(app: Flask) -> None:
    config = {**app.config, "T2M2FA_NOTICE_TEXTS": {"lock": "%(app)s " + "ł" * 180}}
    with pytest.raises(ConfigError, match="T2M2FA_NOTICE_TEXTS"):
        load(config, app_name="x")
    with pytest.raises(ConfigError, match="T2M2FA_NOTICE_TEXTS"):
        load({**app.config, "T2M2FA_NOTICE_TEXTS": {"code": "x"}}, app_name="x")
