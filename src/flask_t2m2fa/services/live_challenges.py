"""Live challenges (not used, not replaced), read through their partial index on SQLite too;
and the newest challenge of a login (the one its codes are judged against).

Why: after an ``ANALYZE`` taken while no code was live, SQLite has no statistics for the partial
index ``ix_t2m2fa_challenges_live`` and walks all of a user's challenges through
``(user_id, purpose)`` instead (a login 1.55× slower at 20,000 challenges of the user: see
``bench/history_growth.py --analyze``). ``INDEXED BY`` pins the plan. PostgreSQL plans by the
partial index's own condition and gets a plain alias.

Every query of :data:`LIVE` must keep :func:`live` in its ``WHERE`` (the index's condition):
SQLite refuses an ``INDEXED BY`` it cannot use.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Alias

from ..models import Challenge

INDEX = "ix_t2m2fa_challenges_live"

_Query = TypeVar("_Query", bound=sa.Select[Any])


class _IndexedByLive(Alias):
    """The challenges table under an alias that SQLite reads through :data:`INDEX`."""

    inherit_cache = True


@compiles(_IndexedByLive, "sqlite")
def _indexed_by(element: _IndexedByLive, compiler: SQLCompiler, **kw: Any) -> str:
    text: str = compiler.visit_alias(element, **kw)  # type: ignore[no-untyped-call]
    if kw.get("asfrom"):
        text += f" INDEXED BY {INDEX}"
    return text


LIVE = _IndexedByLive._construct(Challenge.__table__, name="live_challenges")


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
    query: _Query,
    user_id: str | sa.BindParameter[str],
    login_id: str | sa.ScalarSelect[str],
) -> _Query:
    """``query`` narrowed to the newest challenge of the login (the live one: see
    ``challenges.live_of_login``)."""
    dead = sa.or_(Challenge.consumed_at.is_not(None), Challenge.superseded_at.is_not(None))
    return (
        query.where(Challenge.user_id == user_id, Challenge.login_id == login_id)
        .order_by(Challenge.created_at.desc(), sa.case((dead, 1), else_=0))
        .limit(1)
    )
