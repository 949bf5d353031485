"""Live challenges (not used, not replaced), read through their partial index on SQLite too;
and the newest challenge of a login (the one its codes are judged against).

Why: after an ``ANALYZE`` taken while no code was live, SQLite has no statistics for the partial
index ``ix_t2m2fa_challenges_live`` and walks all of a user's challenges through
``(user_id, purpose)`` instead (a login 1.55× slower at 20,000 challenges of the user: see
``bench/history_growth.py --analyze``). ``INDEXED BY`` pins the plan. PostgreSQL plans by the
partial index's own condition and gets a plain alias.

Every query of :data:`LIVE` must keep :func:`live` in its ``WHERE`` (the index's condition):
SQLite refuses an ``INDEXED BY`` it cannot use.

The newest challenge of a login is read through :data:`BY_LOGIN`, pinned to the ``login_id``
index the same way: asked for ``user_id = ? AND login_id = ? ORDER BY created_at DESC``, SQLite
prefers ``(user_id, created_at)``, which gives the order for free, and walks every challenge the
user ever had (6 ms instead of 0.08 ms at 20,000 of his own: ``bench/history_growth.py``); a
login has a handful.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Alias

from ..models import Challenge

INDEX = "ix_t2m2fa_challenges_live"


LOGIN_INDEX = "ix_t2m2fa_challenges_login_id"


class _IndexedBy(Alias):
    """The challenges table under an alias that SQLite reads through ``index`` (a plain alias
    elsewhere)."""

    inherit_cache = True
    index = ""


class _IndexedByLive(_IndexedBy):
    inherit_cache = True
    index = INDEX


class _IndexedByLogin(_IndexedBy):
    inherit_cache = True
    index = LOGIN_INDEX


@compiles(_IndexedByLive, "sqlite")
@compiles(_IndexedByLogin, "sqlite")
def _indexed_by(element: _IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    text: str = compiler.visit_alias(element, **kw)  # type: ignore[no-untyped-call]
    if kw.get("asfrom"):
        text += f" INDEXED BY {element.index}"
    return text


LIVE = _IndexedByLive._construct(Challenge.__table__, name="live_challenges")
BY_LOGIN = _IndexedByLogin._construct(Challenge.__table__, name="login_challenges")


def live(
    user_id: str | sa.BindParameter[str], purpose: str | sa.BindParameter[str]
) -> sa.ColumnElement[bool]:
    """The user's live challenges of ``purpose`` in :data:`LIVE` (the index's condition)."""
    return sa.and_(
        LIVE.c.user_id == user_id,
        LIVE.c.purpose == purpose,
        LIVE.c.consumed_at.is_(None),
        LIVE.c.superseded_at.is_(None),
    )


def login_of(
    challenge_id: str | sa.BindParameter[str], user_id: str | sa.BindParameter[str]
) -> sa.ScalarSelect[str]:
    """The login of the user's challenge ``challenge_id``, as a subquery (one statement finds a
    login's live challenge through the challenge a session names)."""
    return (
        sa.select(Challenge.login_id)
        .where(Challenge.id == challenge_id, Challenge.user_id == user_id)
        .scalar_subquery()
    )


def newest_of_login(
    user_id: str | sa.BindParameter[str], login_id: str | sa.ScalarSelect[str]
) -> sa.ScalarSelect[str]:
    """The id of the newest challenge of the user's login (the live one: see
    ``challenges.live_of_login``), as a subquery read through the login's index."""
    c = BY_LOGIN.c
    dead = sa.or_(c.consumed_at.is_not(None), c.superseded_at.is_not(None))
    return (
        sa.select(c.id)
        .where(c.login_id == login_id, c.user_id == user_id)
        .order_by(c.created_at.desc(), sa.case((dead, 1), else_=0))
        .limit(1)
        .scalar_subquery()
    )


def usable(
    challenges: Any,
    now: datetime | sa.BindParameter[datetime],
    max_attempts: int | sa.BindParameter[int],
) -> sa.ColumnElement[bool]:
    """SQL mirror of :func:`flask_t2m2fa.rules.budgets.challenge_usable` on ``challenges`` (the
    table's columns, or :data:`LIVE`'s): what the atomic claim and the cool-down take-over ask."""
    return sa.and_(
        challenges.consumed_at.is_(None),
        challenges.superseded_at.is_(None),
        challenges.expires_at > now,
        challenges.attempts < max_attempts,
    )
