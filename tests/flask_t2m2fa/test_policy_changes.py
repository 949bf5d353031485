"""Policy changes: only what changed; "2FA for new users" applies to users created after it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import PRIMARY, Host, RecordingSender, json_login, json_verify

from flask_t2m2fa.models import AuditEvent
from flask_t2m2fa.rules.policy import Policy


def test_set_policy_changes_only_the_options_given(host: Host) -> None:
    two_factor = host.two_factor
    two_factor.set_policy("acme", mode="enforced", remember_pc_days=30, enable_for_new_users=True)
    assert two_factor.set_policy("acme", remember_pc_days=7) == {"remember_pc_days": 7}
    host.db.session.commit()
    assert two_factor.policy_of("acme") == Policy("enforced", True, True, 7)


def test_saving_the_same_policy_writes_nothing(host: Host) -> None:
    host.two_factor.set_policy("acme", mode="enforced")
    host.db.session.commit()
    assert host.two_factor.set_policy("acme", mode="enforced") == {}
    host.db.session.commit()
    reasons = host.db.session.scalars(
        sa.select(AuditEvent.reason).filter_by(event="policy_changed")
    ).all()
    assert reasons == ["v1 mode=enforced"]


def test_unknown_option_is_refused(host: Host) -> None:
    with pytest.raises(ValueError, match="unknown policy field"):
        host.two_factor.set_policy("acme", mdoe="enforced")


def test_new_users_flag_is_not_retroactive(app: Flask, host: Host, sms: RecordingSender) -> None:
    host.add_user("old")
    host.two_factor.set_policy("acme", enable_for_new_users=True)
    host.db.session.commit()
    answer = json_login(app.test_client(), "old")
    assert answer.json["status"] == "ok" and sms.messages == []  # existed before: unchanged


def test_a_user_created_under_the_flag_enrols_at_first_login(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    host.two_factor.set_policy("acme", enable_for_new_users=True)
    host.db.session.commit()
    newbie = host.add_user("newbie")
    host.two_factor.user_created(newbie)
    host.db.session.commit()
    client = app.test_client()
    assert json_login(client, "newbie").json["status"] == "enrolment_required"
    client.post("/t2m2fa/api/enrol", json={"phone": PRIMARY})
    assert json_verify(client, sms.last.code).json["status"] == "ok"
    host.two_factor.set_policy("acme", enable_for_new_users=False)
    host.db.session.commit()
    assert host.two_factor.status_of(newbie)["enabled"] is True  # recorded at creation, kept


def test_a_user_created_without_the_flag_logs_in_with_password(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    plain = host.add_user("plain")
    host.two_factor.user_created(plain)
    host.db.session.commit()
    host.two_factor.set_policy("acme", enable_for_new_users=True)
    host.db.session.commit()
    assert json_login(app.test_client(), "plain").json["status"] == "ok"
