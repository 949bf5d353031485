"""Logging out: this browser, or every session and "Keep me signed in" cookie of a user.

Why a helper: the obvious ``logout_user()`` then ``session.clear()`` wipes the instruction
Flask-Login leaves in the session to delete its remember cookie, so the browser stays logged
in through "Keep me signed in". :func:`logout` empties the session first, then logs out.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, session
from flask_login import current_user, logout_user

from ..services import epochs, host_transaction
from ..state import get_state


def logout() -> None:
    """Log the current browser out: session emptied, remember cookie deleted, no pending login.

    With server-side sessions (Flask-Session) the emptied session is deleted from the store.
    """
    # Load the login first: on an emptied session Flask-Login would restore it from the cookie.
    _ = current_user.is_authenticated
    session.clear()
    logout_user()  # leaves the order to delete the remember cookie, and signals the logout


def sign_out_everywhere(user: Any) -> None:
    """End every session and "Keep me signed in" cookie of ``user``, on every device (flushed;
    the caller commits).

    When ``user`` is the one logged in here, this browser is logged out too. Remembered PCs
    are kept: they stand in for the code, not for the password (revoke them separately).
    """
    state = get_state()
    ref = state.ref(user)
    epochs.bump(state, ref, reason="sign_out_everywhere")
    host_transaction.joined(state.session)
    if not has_request_context():  # the CLI, a worker
        return
    if current_user.is_authenticated and state.ref(current_user).user_id == ref.user_id:
        logout()
