"""Each user's sign-in uniquifier: a new one ends every session and "Keep me signed in" cookie.

Flask-Security's ``fs_uniquifier`` pattern, kept in the extension's own table so that the host's
user model is untouched; :mod:`flask_t2m2fa.web.sessions` checks it at every request.
"""

from __future__ import annotations

import secrets

from ..events import Event
from ..models import SessionEpoch
from ..rules.sessions import INITIAL_UNIQUIFIER
from ..state import State, UserRef
from . import audit


def uniquifier_of(state: State, user_id: str) -> str:
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
