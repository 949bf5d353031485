"""The half-logged-in state: password checked, code not yet entered.

The session holds only the user id, the live challenge id and when the login started; Flask-
Login's ``current_user`` stays anonymous, so no protected page is reachable. The state dies
after ``T2M2FA_PENDING_LIFETIME`` (≤ 10 minutes) whatever the resends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import session
from flask_login import logout_user

from .state import State

KEY = "_t2m2fa"


@dataclass(frozen=True)
class Pending:
    user_id: str
    challenge_id: str
    started_at: datetime


def begin(user_id: str, challenge_id: str, now: datetime) -> None:
    """Enter the half-logged-in state with a fresh session (any earlier login ends)."""
    session.clear()
    logout_user()
    session[KEY] = {"uid": user_id, "cid": challenge_id, "at": int(now.timestamp())}


def current(state: State) -> Pending | None:
    """The pending login of this session, or None (none, malformed or too old)."""
    raw = session.get(KEY)
    if not isinstance(raw, dict):
        return None
    uid, cid, at = raw.get("uid"), raw.get("cid"), raw.get("at")
    if not (isinstance(uid, str) and isinstance(cid, str) and isinstance(at, int)):
        end()
        return None
    started = datetime.fromtimestamp(at, UTC)
    now = state.now()
    if now >= started + state.settings.pending_lifetime:
        end()
        return None
    return Pending(uid, cid, started)


def switch(challenge_id: str) -> None:
    """A resend replaced the live challenge: follow it, keeping the login's start time."""
    raw = dict(session[KEY])
    raw["cid"] = challenge_id
    session[KEY] = raw


def end() -> None:
    session.pop(KEY, None)
