"""Every ``T2M2FA_*`` configuration key, its default, and the bounds it must stay within.

The bounds come from the security rules (DESIGN §5): a host may make a rule stricter, never
looser. :func:`load` is called once by :meth:`TwoFactor.init_app` and raises
:class:`ConfigError` naming the key when a value is out of bounds. :data:`KEYS` is the one
table of keys: the manual's configuration page is generated from it, and a test checks that
the code reads no ``T2M2FA_*`` key that is not in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from . import config_checks as checks
from .config_checks import ConfigError, Key
from .rules.notices import Notice
from .rules.policy import COOKIE_MAX_DAYS

__all__ = ["DEFAULTS", "KEYS", "RETENTION", "ConfigError", "Key", "Settings", "load"]

_MINUTE = timedelta(minutes=1)


#: Every key, in one place: :func:`load` checks the bounds, the manual prints the table.
#: Durations accept a :class:`~datetime.timedelta` or seconds.
KEYS: dict[str, Key] = {
    "T2M2FA_CODE_LENGTH": Key(4, "Digits of a code.", 4, 8),
    "T2M2FA_CODE_LIFETIME": Key(
        timedelta(minutes=5), "How long a code is accepted.", _MINUTE, 10 * _MINUTE
    ),
    "T2M2FA_CODE_KEY": Key(
        None,
        "HMAC key of stored codes (at least 32 bytes); keep it out of the database.",
        shown="derived from SECRET_KEY",
    ),
    "T2M2FA_PHONE_KEY": Key(
        None,
        "AES-GCM key of stored phone numbers (at least 32 bytes).",
        shown="derived from SECRET_KEY",
    ),
    "T2M2FA_OUTBOX_KEY": Key(
        None,
        "The default sender's outbox keys themselves (base64, current first); "
        "set this or T2M2FA_OUTBOX_KEY_FILE, not both.",
        shown="none",
    ),
    "T2M2FA_OUTBOX_KEY_FILE": Key(
        None,
        "File of the outbox keys, shared with the gateway worker (its ``--key-file``); "
        "when neither key is configured, the environment variable of that name.",
        shown="none: required with the default sender",
    ),
    "T2M2FA_MAX_ATTEMPTS_PER_CHALLENGE": Key(3, "Wrong codes per code.", 1, 3),
    "T2M2FA_MAX_FAILURES_PER_DAY": Key(10, "Wrong codes per user per rolling 24 h.", 1, 10),
    "T2M2FA_MAX_FAILURES_PER_30_DAYS": Key(
        20,
        "Wrong codes per user per rolling 30 days, not reset by a success; "
        "then locked until an administrator unlocks.",
        1,
        20,
    ),
    "T2M2FA_RESEND_COOLDOWN": Key(
        timedelta(seconds=60), "Time between two SMS to a user.", _MINUTE, 60 * _MINUTE
    ),
    "T2M2FA_MAX_SMS_PER_LOGIN": Key(5, "SMS per login, resends included.", 1, 5),
    "T2M2FA_MAX_SMS_PER_USER_PER_DAY": Key(10, "SMS per user per rolling 24 h.", 1, 10),
    "T2M2FA_MAX_SMS_PER_NUMBER_PER_DAY": Key(
        10, "SMS per number per rolling 24 h, all users together.", 1, 10
    ),
    "T2M2FA_PENDING_LIFETIME": Key(
        timedelta(minutes=10),
        "Lifetime of the half-logged-in state, resends included.",
        _MINUTE,
        10 * _MINUTE,
    ),
    "T2M2FA_COUNTRY_ALLOWLIST": Key(
        None, 'ISO regions accepted for phones, e.g. ``["BE", "FR"]``; None: any.'
    ),
    "T2M2FA_DEFAULT_REGION": Key(None, "Region of numbers written without ``+``."),
    "T2M2FA_REMEMBER_COOKIE_SECURE": Key(True, "Set False only for local http."),
    "T2M2FA_REMEMBER_COOKIE_PREFIX": Key(
        "t2m2fa_pc_", "One remember cookie per user: this prefix + a keyed hash of the user id."
    ),
    "T2M2FA_APP_NAME": Key(
        None,
        "Name at the start of every SMS: 1-30 ASCII letters, digits, spaces or ``._-`` "
        "(keeps a code SMS one segment).",
        shown="the app's import name",
    ),
    "T2M2FA_DEFAULT_NEXT": Key("/", "Where to go after login without a safe ``next``."),
    "T2M2FA_LOGIN_VIEW": Key(
        None, "Where an expired half-login goes.", shown="Flask-Login's login_view"
    ),
    "T2M2FA_URL_PREFIX": Key("/t2m2fa", "Prefix of the extension's pages and JSON endpoints."),
    "T2M2FA_DEFAULT_MODE": Key(
        "standard", "Policy mode of accounts that never set one: standard or enforced."
    ),
    "T2M2FA_DEFAULT_ENABLE_FOR_NEW_USERS": Key(
        False, "Policy of accounts that never set one: 2FA on for new users."
    ),
    "T2M2FA_DEFAULT_REMEMBER_PC_ALLOWED": Key(
        True, "Policy of accounts that never set one: Remember this PC allowed."
    ),
    "T2M2FA_DEFAULT_REMEMBER_PC_DAYS": Key(
        None,
        "Policy of accounts that never set one: days a remembered PC lasts (None: no expiry).",
        1,
        COOKIE_MAX_DAYS,
    ),
    "T2M2FA_FRAME_OPTIONS": Key(
        "DENY",
        "X-Frame-Options and CSP frame-ancestors of the extension's pages: DENY, "
        "SAMEORIGIN (a host that frames its own pages) or None (the host sets them).",
    ),
    "T2M2FA_SQLITE_SYNCHRONOUS": Key(
        "NORMAL",
        "On a SQLite engine init_app sets WAL, a 10 s busy timeout and this synchronous "
        "level: NORMAL (a power cut may lose the last commits) or FULL (an fsync per "
        "commit); None leaves the host's engine as it is.",
    ),
    "T2M2FA_NOTIFY_LOCK": Key(True, "Tell the user by SMS when his second factor is locked."),
    "T2M2FA_NOTIFY_NUMBER_CHANGE": Key(
        True, "Tell the old number by SMS when a user's number changes."
    ),
    "T2M2FA_NOTIFY_NEW_PC": Key(False, "Tell the user by SMS when a new PC is remembered."),
    "T2M2FA_NOTIFY_FAILED_CODE": Key(
        True,
        "Tell the user by SMS at the first wrong code of a login whose password was right "
        "(at most once an hour, within the SMS caps).",
    ),
    "T2M2FA_NOTIFY_RECOVERY_USED": Key(
        True, "Tell the user by SMS when one of his recovery codes is used."
    ),
    "T2M2FA_NOTICE_TEXTS": Key(
        None,
        'Overrides of notice texts: ``{"lock" | "number_change" | "new_pc" | "failed_code" | '
        '"recovery_used": "text with %(app)s and %(date)s"}`` (``failed_code`` may add '
        "``%(device)s``); each must fit three SMS.",
    ),
    "T2M2FA_LANGUAGES": Key(
        ("en", "fr", "pl"),
        "Languages of the pages and SMS when the extension selects the locale "
        "(no Flask-Babel of the host's own).",
    ),
    "T2M2FA_ADMIN_STEP_UP": Key(
        timedelta(minutes=15),
        "How recent an administrator's last code must be for an admin page or action.",
        _MINUTE,
        60 * _MINUTE,
    ),
    "T2M2FA_SECURITY_STEP_UP": Key(
        timedelta(minutes=20),
        "How recent the user's last code must be to change or remove a number on his "
        "Security page.",
        _MINUTE,
        60 * _MINUTE,
    ),
    # A recovery code carries about 49 bits, so the slow hash is defence in depth for a stolen
    # database, not what stops guessing online (the wrong-code budgets do): a host may lower
    # the memory for small machines, and tests use the floor, 8 KiB.
    "T2M2FA_RECOVERY_HASH_MEMORY_KIB": Key(
        19456,
        "Memory (KiB) of the argon2id hash of recovery codes (2 passes, 1 lane); the default "
        "is OWASP's 19 MiB.",
        8,
        1_048_576,
    ),
    # Retention (flask t2m2fa purge): never shorter than the rule that reads the rows.
    "T2M2FA_RETENTION_CHALLENGES_DAYS": Key(7, "Days challenges are kept.", 1),
    "T2M2FA_RETENTION_SENT_SMS_DAYS": Key(
        7, "Days send records are kept (the SMS caps look back one day).", 2
    ),
    "T2M2FA_RETENTION_FAILURES_DAYS": Key(
        31, "Days wrong-code records are kept (they count for 30 days).", 31
    ),
    "T2M2FA_RETENTION_AUDIT_DAYS": Key(365, "Days audit rows are kept.", 31),
}

#: The retention windows in days, by the key that sets each (``flask t2m2fa purge``).
RETENTION = tuple(name for name in KEYS if name.startswith("T2M2FA_RETENTION_"))
#: The defaults alone, as ``init_app`` puts them into ``app.config``.
DEFAULTS: dict[str, Any] = {name: key.default for name, key in KEYS.items()}


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
    recovery_hash_memory_kib: int = 19456


def load(cfg: Mapping[str, Any], *, app_name: str) -> Settings:
    """Validate the ``T2M2FA_*`` keys of ``cfg`` (defaults already applied)."""
    secret = cfg.get("SECRET_KEY")

    def number(name: str) -> int:
        return checks.integer(cfg, name, KEYS[name])

    def duration(name: str) -> timedelta:
        return checks.duration(cfg, name, KEYS[name])

    for name in RETENTION:  # checked at start, read by ``flask t2m2fa purge``
        number(name)
    return Settings(
        code_length=number("T2M2FA_CODE_LENGTH"),
        code_lifetime=duration("T2M2FA_CODE_LIFETIME"),
        code_key=checks.secret_key(cfg, "T2M2FA_CODE_KEY", secret, "code"),
        phone_key=checks.secret_key(cfg, "T2M2FA_PHONE_KEY", secret, "phone"),
        cookie_key=checks.secret_key(cfg, "T2M2FA_CODE_KEY", secret, "cookie-name"),
        max_attempts_per_challenge=number("T2M2FA_MAX_ATTEMPTS_PER_CHALLENGE"),
        max_failures_per_day=number("T2M2FA_MAX_FAILURES_PER_DAY"),
        max_failures_per_30_days=number("T2M2FA_MAX_FAILURES_PER_30_DAYS"),
        resend_cooldown=duration("T2M2FA_RESEND_COOLDOWN"),
        max_sms_per_login=number("T2M2FA_MAX_SMS_PER_LOGIN"),
        max_sms_per_user_per_day=number("T2M2FA_MAX_SMS_PER_USER_PER_DAY"),
        max_sms_per_number_per_day=number("T2M2FA_MAX_SMS_PER_NUMBER_PER_DAY"),
        pending_lifetime=duration("T2M2FA_PENDING_LIFETIME"),
        country_allowlist=checks.allowlist(cfg),
        default_region=cfg["T2M2FA_DEFAULT_REGION"],
        remember_cookie_secure=bool(cfg["T2M2FA_REMEMBER_COOKIE_SECURE"]),
        remember_cookie_prefix=str(cfg["T2M2FA_REMEMBER_COOKIE_PREFIX"]),
        app_name=checks.app_name(cfg, app_name),
        default_next=str(cfg["T2M2FA_DEFAULT_NEXT"]),
        login_view=cfg["T2M2FA_LOGIN_VIEW"],
        url_prefix=str(cfg["T2M2FA_URL_PREFIX"]),
        default_mode=checks.choice(cfg, "T2M2FA_DEFAULT_MODE", ("standard", "enforced")),
        default_enable_for_new_users=bool(cfg["T2M2FA_DEFAULT_ENABLE_FOR_NEW_USERS"]),
        default_remember_pc_allowed=bool(cfg["T2M2FA_DEFAULT_REMEMBER_PC_ALLOWED"]),
        default_remember_pc_days=checks.optional_integer(
            cfg, "T2M2FA_DEFAULT_REMEMBER_PC_DAYS", KEYS["T2M2FA_DEFAULT_REMEMBER_PC_DAYS"]
        ),
        frame_options=checks.frame_options(cfg),
        notify=checks.notify(cfg),
        notice_texts=checks.notice_texts(cfg),
        languages=checks.languages(cfg),
        admin_step_up=duration("T2M2FA_ADMIN_STEP_UP"),
        security_step_up=duration("T2M2FA_SECURITY_STEP_UP"),
        recovery_hash_memory_kib=number("T2M2FA_RECOVERY_HASH_MEMORY_KIB"),
    )
