"""Configuration: defaults in one place, bounds from the security rules, keys per purpose."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from flask_t2m2fa import config


def load(**overrides: Any) -> config.Settings:
    cfg = {**config.DEFAULTS, "SECRET_KEY": "s" * 40, **overrides}
    return config.load(cfg, app_name="demo")


def test_defaults_follow_the_design() -> None:
    s = load()
    assert s.code_length == 4
    assert s.code_lifetime == timedelta(minutes=5)
    assert (s.max_attempts_per_challenge, s.max_failures_per_day, s.max_failures_per_30_days) == (
        3,
        10,
        20,
    )
    assert s.resend_cooldown == timedelta(seconds=60)
    assert (s.max_sms_per_login, s.max_sms_per_user_per_day, s.max_sms_per_number_per_day) == (
        5,
        10,
        10,
    )
    assert s.pending_lifetime == timedelta(minutes=10)
    assert s.remember_cookie_secure is True


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("T2M2FA_CODE_LENGTH", 3),
        ("T2M2FA_CODE_LENGTH", 9),
        ("T2M2FA_CODE_LENGTH", "6"),
        ("T2M2FA_CODE_LIFETIME", timedelta(minutes=11)),
        ("T2M2FA_CODE_LIFETIME", 30),
        ("T2M2FA_MAX_ATTEMPTS_PER_CHALLENGE", 4),
        ("T2M2FA_MAX_FAILURES_PER_DAY", 11),
        ("T2M2FA_MAX_FAILURES_PER_30_DAYS", 21),
        ("T2M2FA_RESEND_COOLDOWN", 59),
        ("T2M2FA_MAX_SMS_PER_LOGIN", 6),
        ("T2M2FA_MAX_SMS_PER_USER_PER_DAY", 11),
        ("T2M2FA_MAX_SMS_PER_NUMBER_PER_DAY", 11),
        ("T2M2FA_PENDING_LIFETIME", 601),
        ("T2M2FA_CODE_KEY", "short"),
        ("T2M2FA_COUNTRY_ALLOWLIST", ["Belgium"]),
        ("T2M2FA_APP_NAME", "ünïcode"),
        ("T2M2FA_DEFAULT_MODE", "lenient"),
        ("T2M2FA_DEFAULT_REMEMBER_PC_DAYS", 0),
        ("T2M2FA_RETENTION_CHALLENGES_DAYS", 0),
        ("T2M2FA_RETENTION_FAILURES_DAYS", 30),
        ("T2M2FA_RETENTION_AUDIT_DAYS", 30),
        ("T2M2FA_RETENTION_SENT_SMS_DAYS", True),
    ],
)
def test_values_outside_bounds_are_refused(key: str, value: Any) -> None:
    with pytest.raises(config.ConfigError, match=key):
        load(**{key: value})


def test_stricter_values_are_accepted() -> None:
    s = load(T2M2FA_CODE_LENGTH=6, T2M2FA_CODE_LIFETIME=120, T2M2FA_MAX_FAILURES_PER_DAY=5)
    assert (s.code_length, s.code_lifetime, s.max_failures_per_day) == (6, timedelta(minutes=2), 5)


def test_keys_are_derived_per_purpose_from_secret_key() -> None:
    s = load()
    assert len({s.code_key, s.phone_key, s.cookie_key}) == 3
    assert s.code_key != load(SECRET_KEY="t" * 40).code_key
    assert load(T2M2FA_CODE_KEY="c" * 32).code_key != s.code_key


def test_a_secret_is_required() -> None:
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.load({**config.DEFAULTS}, app_name="demo")


def test_security_step_up_is_a_setting_within_bounds() -> None:
    assert load().security_step_up == timedelta(minutes=20)
    assert load(T2M2FA_SECURITY_STEP_UP=300).security_step_up == timedelta(minutes=5)
    for outside in (timedelta(seconds=59), timedelta(minutes=61)):
        with pytest.raises(config.ConfigError, match="T2M2FA_SECURITY_STEP_UP"):
            load(T2M2FA_SECURITY_STEP_UP=outside)
