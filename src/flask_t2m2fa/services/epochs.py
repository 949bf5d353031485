"""Each user's sign-in uniquifier: a new one ends every session and "Keep me signed in" cookie.

Flask-Security's ``fs_uniquifier`` pattern, kept in the extension's own table so that the host's
user model is untouched; :mod:`flask_t2m2fa.web.sessions` checks it at every request.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from ..events import Event
from ..models import SessionEpoch, UserSettings
from ..rules.sessions import INITIAL_UNIQUIFIER
from ..state import State, UserRef
from . import audit


def uniquifier_of(state: State, user_id: str) -> str:
    """The user's uniquifier now (a step that read a snapshot has it already)."""
    row = state.session.get(SessionEpoch, user_id)
    return row.uniquifier if row is not None else INITIAL_UNIQUIFIER


def bump(state: State, user: UserRef, *, reason: str) -> None:
    """End every session and "Keep me signed in" cookie of ``user`` (in the caller's commit)."""
    now = state.now()
    row = state.session.get(SessionEpoch, user.user_id)
    if row is None:
        row = SessionEpoch(user_id=user.user_id)
        state.session.add(row)
    row.uniquifier, row.changed_at = secrets.token_hex(8), now
    audit.record(state, Event.SESSIONS_ENDED, user, reason=reason)


def bump_account(state: State, account_id: str, *, reason: str) -> int:
    """End every session and "Keep me signed in" cookie of the account's users; return how many.

    Users without a settings row never had a second factor: their logins are judged by the
    policy at each request anyway (see :func:`flask_t2m2fa.rules.sessions.session_rejection`).
    """
    now = state.now()
    user_ids = state.session.scalars(
        sa.select(UserSettings.user_id).where(UserSettings.account_id == account_id)
    ).all()
    rows = {
        row.user_id: row
        for row in state.session.scalars(
            sa.select(SessionEpoch).where(SessionEpoch.user_id.in_(user_ids))
        )
    }
    for user_id in user_ids:
        row = rows.get(user_id)
        if row is None:
            row = SessionEpoch(user_id=user_id)
            state.session.add(row)
        row.uniquifier, row.changed_at = secrets.token_hex(8), now
    audit.record(
        state,
        Event.SESSIONS_ENDED,
        None,
        account_id=account_id,
        reason=f"{reason} count={len(user_ids)}",
    )
    return len(user_ids)
