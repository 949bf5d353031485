"""The checks of single ``T2M2FA_*`` values: each raises :class:`ConfigError` naming the key.

The bounds themselves live in the table of :mod:`.config` (:class:`Key`), so a rule's number is
written once, there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .rules import keys, notices
from .rules.notices import Notice

_APP_NAME_RE = re.compile(r"[A-Za-z0-9 ._-]{1,30}")


class ConfigError(ValueError):
    """A ``T2M2FA_*`` value is missing or outside the bounds the security rules allow."""


@dataclass(frozen=True)
class Key:
    """One configuration key: its default, its bounds (numeric keys) and what it means.

    :param shown: how the manual shows a default computed at start (a ``None`` default).
    """

    default: Any
    meaning: str
    low: int | timedelta | None = None
    high: int | timedelta | None = None
    shown: str | None = None


def integer(cfg: Mapping[str, Any], name: str, key: Key) -> int:
    """A whole number within ``key``'s bounds (no upper bound when ``key.high`` is None)."""
    value, low, high = cfg[name], key.low, key.high
    assert isinstance(low, int), f"{name} has no integer bounds"
    too_high = isinstance(high, int) and isinstance(value, int) and value > high
    if isinstance(value, bool) or not isinstance(value, int) or value < low or too_high:
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigError(f"{name} must be an integer {bounds}, got {value!r}")
    return value


def duration(cfg: Mapping[str, Any], name: str, key: Key) -> timedelta:
    """A :class:`~datetime.timedelta` (or seconds) within ``key``'s bounds."""
    value, low, high = cfg[name], key.low, key.high
    assert isinstance(low, timedelta) and isinstance(high, timedelta), f"{name}: no bounds"
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or not low <= value <= high:
        raise ConfigError(f"{name} must be a duration from {low} to {high}, got {value!r}")
    return value


def secret_key(cfg: Mapping[str, Any], key: str, secret_key: Any, label: str) -> bytes:
    value = cfg[key]
    if value is None:
        if not secret_key:
            raise ConfigError(f"set SECRET_KEY or {key}: the extension derives its keys from it")
        return keys.derive_key(secret_key, label)
    raw = value.encode() if isinstance(value, str) else value
    if not isinstance(raw, bytes) or len(raw) < 32:
        raise ConfigError(f"{key} must be at least 32 bytes (256 bits) of secret")
    return keys.derive_key(raw, label)


def optional_integer(cfg: Mapping[str, Any], name: str, key: Key) -> int | None:
    return None if cfg[name] is None else integer(cfg, name, key)


def allowlist(cfg: Mapping[str, Any]) -> frozenset[str] | None:
    value = cfg["T2M2FA_COUNTRY_ALLOWLIST"]
    if value is None:
        return None
    regions = frozenset(str(region).upper() for region in value)
    if not regions or not all(re.fullmatch("[A-Z]{2}", region) for region in regions):
        raise ConfigError("T2M2FA_COUNTRY_ALLOWLIST must list ISO region codes such as 'BE'")
    return regions


def choice(cfg: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = cfg[key]
    if value not in choices:
        raise ConfigError(f"{key} must be one of {choices}, got {value!r}")
    return str(value)


def frame_options(cfg: Mapping[str, Any]) -> str | None:
    if cfg["T2M2FA_FRAME_OPTIONS"] is None:
        return None
    return choice(cfg, "T2M2FA_FRAME_OPTIONS", ("DENY", "SAMEORIGIN"))


def app_name(cfg: Mapping[str, Any], fallback: str) -> str:
    name = cfg["T2M2FA_APP_NAME"]
    if name is None:
        name = re.sub(r"[^A-Za-z0-9 ._-]", "", fallback)[:30] or "Login"
    # A code SMS must stay one segment: a short plain-ASCII name keeps it so.
    if not isinstance(name, str) or not _APP_NAME_RE.fullmatch(name):
        raise ConfigError("T2M2FA_APP_NAME must be 1-30 ASCII letters, digits, spaces or ._-")
    return str(name)


def notify(cfg: Mapping[str, Any]) -> dict[Notice, bool]:
    return {
        Notice.LOCKED: bool(cfg["T2M2FA_NOTIFY_LOCK"]),
        Notice.NUMBER_CHANGED: bool(cfg["T2M2FA_NOTIFY_NUMBER_CHANGE"]),
        Notice.NEW_PC: bool(cfg["T2M2FA_NOTIFY_NEW_PC"]),
        Notice.FAILED_CODE: bool(cfg["T2M2FA_NOTIFY_FAILED_CODE"]),
        Notice.RECOVERY_USED: bool(cfg["T2M2FA_NOTIFY_RECOVERY_USED"]),
    }


def notice_texts(cfg: Mapping[str, Any]) -> dict[str, str]:
    """Each override must fill in and fit three SMS even with the longest app name."""
    value = cfg["T2M2FA_NOTICE_TEXTS"] or {}
    kinds = {notice.value for notice in Notice}
    if not isinstance(value, Mapping) or not set(value) <= kinds:
        raise ConfigError(f"T2M2FA_NOTICE_TEXTS must map some of {sorted(kinds)} to texts")
    for kind, text in value.items():
        device = notices.LONGEST_DEVICE if kind == Notice.FAILED_CODE.value else None
        try:
            notices.render(str(text), app_name="x" * 30, moment=notices.LONGEST_DATE, device=device)
        except notices.NoticeTextError as exc:
            raise ConfigError(f"T2M2FA_NOTICE_TEXTS[{kind!r}]: {exc}") from None
    return {str(kind): str(text) for kind, text in value.items()}


def languages(cfg: Mapping[str, Any]) -> tuple[str, ...]:
    value = cfg["T2M2FA_LANGUAGES"]
    if isinstance(value, str) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError("T2M2FA_LANGUAGES must list language codes such as 'en', 'fr'")
    return tuple(value)
