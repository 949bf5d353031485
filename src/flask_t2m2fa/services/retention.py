"""Retention: delete challenges, sent-SMS, failures and audit rows older than their windows.

Without it these tables grow with every login, and a user's own history (anyone with his
password can add to it) would slow his logins. Each window is configurable
(``T2M2FA_RETENTION_*``, days, in the table of ``config.py``) but never shorter than the rule
that reads the rows: failures count for 30 days, the SMS caps look back one day; audit rows
are kept longest. Run by ``flask t2m2fa purge`` (from cron or a systemd timer: see the
manual's administration page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from .. import config_checks as checks
from ..config import KEYS
from ..models import AuditEvent, Challenge, Failure, SentSms
from ..state import State

_TABLES: dict[str, tuple[type[Any], str]] = {
    "T2M2FA_RETENTION_CHALLENGES_DAYS": (Challenge, "created_at"),
    "T2M2FA_RETENTION_SENT_SMS_DAYS": (SentSms, "sent_at"),
    "T2M2FA_RETENTION_FAILURES_DAYS": (Failure, "failed_at"),
    "T2M2FA_RETENTION_AUDIT_DAYS": (AuditEvent, "at"),
}


@dataclass(frozen=True)
class Purged:
    table: str
    days: int
    rows: int


def window_days(config: Mapping[str, Any], key: str) -> int:
    """The configured window of ``key`` in days, within its bounds."""
    return checks.integer({key: config.get(key, KEYS[key].default)}, key, KEYS[key])


def purge(state: State, config: Mapping[str, Any], *, dry_run: bool = False) -> list[Purged]:
    """Delete (or with ``dry_run`` only count) the rows past their windows. The caller commits."""
    now, done = state.now(), []
    for key, (model, column) in _TABLES.items():
        days = window_days(config, key)
        old = getattr(model, column) < now - timedelta(days=days)
        if dry_run:
            count = state.session.scalar(sa.select(sa.func.count()).select_from(model).where(old))
        else:
            result = state.session.execute(sa.delete(model).where(old))
            count = getattr(result, "rowcount", 0)
        done.append(Purged(model.__tablename__, days, int(count or 0)))
    return done
