"""Every ``T2M2FA_*`` configuration key, its default, and the bounds it must stay within.

The bounds come from the security rules (DESIGN §5): a host may make a rule stricter, never
looser. :func:`load` is called once by :meth:`TwoFactor.init_app` and raises
:class:`ConfigError` naming the key when a value is out of bounds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .rules import keys, notices
from .rules.notices import Notice
from .rules.policy import COOKIE_MAX_DAYS

#: Defaults, in one place. Durations accept a :class:`~datetime.timedelta` or seconds.
DEFAULTS: dict[str, Any] = {
    "T2M2FA_CODE_LENGTH": 4,
    "T2M2FA_CODE_LIFETIME": timedelta(minutes=5),
    # None: derived from SECRET_KEY with a purpose label (see keys.derive_key).
    "T2M2FA_CODE_KEY": None,
    "T2M2FA_PHONE_KEY": None,
    # The default sender's outbox keys (see outbox_keys.py): base64 keys, current first, in
    # the configuration or in a key file shared with the gateway worker. No default.
    "T2M2FA_OUTBOX_KEY": None,
    "T2M2FA_OUTBOX_KEY_FILE": None,
    "T2M2FA_MAX_ATTEMPTS_PER_CHALLENGE": 3,
    "T2M2FA_MAX_FAILURES_PER_DAY": 10,
    "T2M2FA_MAX_FAILURES_PER_30_DAYS": 20,
    "T2M2FA_RESEND_COOLDOWN": timedelta(seconds=60),
    "T2M2FA_MAX_SMS_PER_LOGIN": 5,
    "T2M2FA_MAX_SMS_PER_USER_PER_DAY": 10,
    "T2M2FA_MAX_SMS_PER_NUMBER_PER_DAY": 10,
    "T2M2FA_PENDING_LIFETIME": timedelta(minutes=10),
    "T2M2FA_COUNTRY_ALLOWLIST": None,
    "T2M2FA_DEFAULT_REGION": None,
    "T2M2FA_REMEMBER_COOKIE_SECURE": True,
    "T2M2FA_REMEMBER_COOKIE_PREFIX": "t2m2fa_pc_",
    "T2M2FA_APP_NAME": None,
    "T2M2FA_DEFAULT_NEXT": "/",
    "T2M2FA_LOGIN_VIEW": None,
    "T2M2FA_URL_PREFIX": "/t2m2fa",
    "T2M2FA_DEFAULT_MODE": "standard",
    "T2M2FA_DEFAULT_ENABLE_FOR_NEW_USERS": False,
    "T2M2FA_DEFAULT_REMEMBER_PC_ALLOWED": True,
    "T2M2FA_DEFAULT_REMEMBER_PC_DAYS": None,
    # "DENY", "SAMEORIGIN" (a host that frames its own pages) or None (the host sets them).
    "T2M2FA_FRAME_OPTIONS": "DENY",
    # On a SQLite engine init_app sets WAL, a busy timeout and this synchronous level
    # ("NORMAL" or "FULL"); None leaves the host's engine as it is.
    "T2M2FA_SQLITE_SYNCHRONOUS": "NORMAL",
    # Notices by SMS: second factor locked, number changed (to the old number), new PC.
    "T2M2FA_NOTIFY_LOCK": True,
    "T2M2FA_NOTIFY_NUMBER_CHANGE": True,
    "T2M2FA_NOTIFY_NEW_PC": False,
    # {"lock" | "number_change" | "new_pc": "text with %(app)s and %(date)s"}: at most 3 SMS.
    "T2M2FA_NOTICE_TEXTS": None,
    # Languages of the pages and SMS when the extension selects the locale (see i18n.py).
    "T2M2FA_LANGUAGES": ("en", "fr", "pl"),
    # How recent an administrator's last code must be for an admin action (step-up).
    "T2M2FA_ADMIN_STEP_UP": timedelta(minutes=15),
    # How recent the user's last code must be to change or remove a number on his Security
    # page (DESIGN §4.5, R-29).
    "T2M2FA_SECURITY_STEP_UP": timedelta(minutes=20),
}

_APP_NAME_RE = re.compile(r"[A-Za-z0-9 ._-]{1,30}")


class ConfigError(ValueError):
    """A ``T2M2FA_*`` value is missing or outside the bounds the security rules allow."""


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one app."""

    code_length: int
    code_lifetime: timedelta
    code_key: bytes
    phone_key: bytes
    cookie_key: bytes
    max_attempts_per_challenge: int
    max_failures_per_day: int
    max_failures_per_30_days: int
    resend_cooldown: timedelta
    max_sms_per_login: int
    max_sms_per_user_per_day: int
    max_sms_per_number_per_day: int
    pending_lifetime: timedelta
    country_allowlist: frozenset[str] | None
    default_region: str | None
    remember_cookie_secure: bool
    remember_cookie_prefix: str
    app_name: str
    default_next: str
    login_view: str | None
    url_prefix: str
    default_mode: str
    default_enable_for_new_users: bool
    default_remember_pc_allowed: bool
    default_remember_pc_days: int | None
    frame_options: str | None
    notify: Mapping[Notice, bool]
    notice_texts: Mapping[str, str]
    languages: tuple[str, ...]
    admin_step_up: timedelta = timedelta(minutes=15)
    security_step_up: timedelta = timedelta(minutes=20)


def _int(cfg: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key} must be an integer from {low} to {high}, got {value!r}")
    return value


def _duration(cfg: Mapping[str, Any], key: str, low: timedelta, high: timedelta) -> timedelta:
    value = cfg[key]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or not low <= value <= high:
        raise ConfigError(f"{key} must be a duration from {low} to {high}, got {value!r}")
    return value


def _key(cfg: Mapping[str, Any], key: str, secret_key: Any, label: str) -> bytes:
    value = cfg[key]
    if value is None:
        if not secret_key:
            raise ConfigError(f"set SECRET_KEY or {key}: the extension derives its keys from it")
        return keys.derive_key(secret_key, label)
    raw = value.encode() if isinstance(value, str) else value
    if not isinstance(raw, bytes) or len(raw) < 32:
        raise ConfigError(f"{key} must be at least 32 bytes (256 bits) of secret")
    return keys.derive_key(raw, label)


def _optional_days(cfg: Mapping[str, Any], key: str) -> int | None:
    return None if cfg[key] is None else _int(cfg, key, 1, COOKIE_MAX_DAYS)


def _allowlist(cfg: Mapping[str, Any]) -> frozenset[str] | None:
    value = cfg["T2M2FA_COUNTRY_ALLOWLIST"]
    if value is None:
        return None
    regions = frozenset(str(region).upper() for region in value)
    if not regions or not all(re.fullmatch("[A-Z]{2}", region) for region in regions):
        raise ConfigError("T2M2FA_COUNTRY_ALLOWLIST must list ISO region codes such as 'BE'")
    return regions


def _choice(cfg: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = cfg[key]
    if value not in choices:
        raise ConfigError(f"{key} must be one of {choices}, got {value!r}")
    return str(value)


def _frame_options(cfg: Mapping[str, Any]) -> str | None:
    if cfg["T2M2FA_FRAME_OPTIONS"] is None:
        return None
    return _choice(cfg, "T2M2FA_FRAME_OPTIONS", ("DENY", "SAMEORIGIN"))


def _app_name(cfg: Mapping[str, Any], fallback: str) -> str:
    name = cfg["T2M2FA_APP_NAME"]
    if name is None:
        name = re.sub(r"[^A-Za-z0-9 ._-]", "", fallback)[:30] or "Login"
    # A code SMS must stay one segment: a short plain-ASCII name keeps it so.
    if not isinstance(name, str) or not _APP_NAME_RE.fullmatch(name):
        raise ConfigError("T2M2FA_APP_NAME must be 1-30 ASCII letters, digits, spaces or ._-")
    return str(name)


def _notify(cfg: Mapping[str, Any]) -> dict[Notice, bool]:
    return {
        Notice.LOCKED: bool(cfg["T2M2FA_NOTIFY_LOCK"]),
        Notice.NUMBER_CHANGED: bool(cfg["T2M2FA_NOTIFY_NUMBER_CHANGE"]),
        Notice.NEW_PC: bool(cfg["T2M2FA_NOTIFY_NEW_PC"]),
    }


def _notice_texts(cfg: Mapping[str, Any]) -> dict[str, str]:
    """Each override must fill in and fit three SMS even with the longest app name."""
    value = cfg["T2M2FA_NOTICE_TEXTS"] or {}
    kinds = {notice.value for notice in Notice}
    if not isinstance(value, Mapping) or not set(value) <= kinds:
        raise ConfigError(f"T2M2FA_NOTICE_TEXTS must map some of {sorted(kinds)} to texts")
    for kind, text in value.items():
        try:
            notices.render(str(text), app_name="x" * 30, moment=notices.LONGEST_DATE)
        except notices.NoticeTextError as exc:
            raise ConfigError(f"T2M2FA_NOTICE_TEXTS[{kind!r}]: {exc}") from None
    return {str(kind): str(text) for kind, text in value.items()}


def _languages(cfg: Mapping[str, Any]) -> tuple[str, ...]:
    value = cfg["T2M2FA_LANGUAGES"]
    if isinstance(value, str) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError("T2M2FA_LANGUAGES must list language codes such as 'en', 'fr'")
    return tuple(value)


def load(cfg: Mapping[str, Any], *, app_name: str) -> Settings:
    """Validate the ``T2M2FA_*`` keys of ``cfg`` (defaults already applied)."""
    secret = cfg.get("SECRET_KEY")
    minute = timedelta(minutes=1)
    return Settings(
        code_length=_int(cfg, "T2M2FA_CODE_LENGTH", 4, 8),
        code_lifetime=_duration(cfg, "T2M2FA_CODE_LIFETIME", minute, 10 * minute),
        code_key=_key(cfg, "T2M2FA_CODE_KEY", secret, "code"),
        phone_key=_key(cfg, "T2M2FA_PHONE_KEY", secret, "phone"),
        cookie_key=_key(cfg, "T2M2FA_CODE_KEY", secret, "cookie-name"),
        max_attempts_per_challenge=_int(cfg, "T2M2FA_MAX_ATTEMPTS_PER_CHALLENGE", 1, 3),
        max_failures_per_day=_int(cfg, "T2M2FA_MAX_FAILURES_PER_DAY", 1, 10),
        max_failures_per_30_days=_int(cfg, "T2M2FA_MAX_FAILURES_PER_30_DAYS", 1, 20),
        resend_cooldown=_duration(cfg, "T2M2FA_RESEND_COOLDOWN", minute, 60 * minute),
        max_sms_per_login=_int(cfg, "T2M2FA_MAX_SMS_PER_LOGIN", 1, 5),
        max_sms_per_user_per_day=_int(cfg, "T2M2FA_MAX_SMS_PER_USER_PER_DAY", 1, 10),
        max_sms_per_number_per_day=_int(cfg, "T2M2FA_MAX_SMS_PER_NUMBER_PER_DAY", 1, 10),
        pending_lifetime=_duration(cfg, "T2M2FA_PENDING_LIFETIME", minute, 10 * minute),
        country_allowlist=_allowlist(cfg),
        default_region=cfg["T2M2FA_DEFAULT_REGION"],
        remember_cookie_secure=bool(cfg["T2M2FA_REMEMBER_COOKIE_SECURE"]),
        remember_cookie_prefix=str(cfg["T2M2FA_REMEMBER_COOKIE_PREFIX"]),
        app_name=_app_name(cfg, app_name),
        default_next=str(cfg["T2M2FA_DEFAULT_NEXT"]),
        login_view=cfg["T2M2FA_LOGIN_VIEW"],
        url_prefix=str(cfg["T2M2FA_URL_PREFIX"]),
        default_mode=_choice(cfg, "T2M2FA_DEFAULT_MODE", ("standard", "enforced")),
        default_enable_for_new_users=bool(cfg["T2M2FA_DEFAULT_ENABLE_FOR_NEW_USERS"]),
        default_remember_pc_allowed=bool(cfg["T2M2FA_DEFAULT_REMEMBER_PC_ALLOWED"]),
        default_remember_pc_days=_optional_days(cfg, "T2M2FA_DEFAULT_REMEMBER_PC_DAYS"),
        frame_options=_frame_options(cfg),
        notify=_notify(cfg),
        notice_texts=_notice_texts(cfg),
        languages=_languages(cfg),
        admin_step_up=_duration(cfg, "T2M2FA_ADMIN_STEP_UP", minute, 60 * minute),
        security_step_up=_duration(cfg, "T2M2FA_SECURITY_STEP_UP", minute, 60 * minute),
    )
