"""The half-logged-in state: password checked, code not yet entered.

The session holds only the user id, the id of a challenge of this login and when the login
started; Flask-Login's ``current_user`` stays anonymous, so no protected page is reachable. The
live code is the login's newest (:func:`login_session.live_challenge`): a resend or the next
step does not change the session, so a JSON client that keeps its first cookie stays in step.
The state dies after ``T2M2FA_PENDING_LIFETIME`` (≤ 10 minutes) whatever the resends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import session

from ..services.enrolment import Enrolling
from ..state import State
from . import signout

KEY = "_t2m2fa"


@dataclass(frozen=True)
class Pending:
    user_id: str
    #: Empty while an enrolling user has not yet entered the number of ``enrolling.role``.
    challenge_id: str
    started_at: datetime
    enrolling: Enrolling | None = None

    @property
    def awaiting_number(self) -> bool:
        return self.enrolling is not None and not self.challenge_id


def begin(user_id: str, challenge_id: str, now: datetime) -> None:
    """Enter the half-logged-in state with a fresh session (any earlier login ends)."""
    signout.logout()
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
    enrolling = _enrolling(raw.get("enrol"))
    if not cid and enrolling is None:
        end()
        return None
    return Pending(uid, cid, started, enrolling)


def _enrolling(raw: object) -> Enrolling | None:
    if not isinstance(raw, dict):
        return None
    role, lid, rm, nxt = raw.get("role"), raw.get("lid"), raw.get("rm"), raw.get("next")
    if not (isinstance(role, str) and isinstance(lid, str) and isinstance(rm, bool)):
        return None
    return Enrolling(role, lid, rm, nxt if isinstance(nxt, str) else None)


def set_notice(notice: dict[str, Any]) -> None:
    """Keep what the last action did (a resend) for the next page of the code step, once."""
    raw = dict(session[KEY])
    raw["notice"] = notice
    session[KEY] = raw


def pop_notice() -> dict[str, Any] | None:
    raw = session.get(KEY)
    if not isinstance(raw, dict) or "notice" not in raw:
        return None
    raw = dict(raw)
    notice = raw.pop("notice")
    session[KEY] = raw
    return notice if isinstance(notice, dict) else None


def begin_enrolment(user_id: str, enrolling: Enrolling, now: datetime) -> None:
    """Enter the half-logged-in state of a user who must first enter a phone number."""
    begin(user_id, "", now)
    await_number(enrolling)


def await_number(enrolling: Enrolling) -> None:
    """Wait for the number of ``enrolling.role``; no code is live until it comes."""
    raw = dict(session[KEY])
    raw["cid"] = ""
    raw["enrol"] = {
        "role": enrolling.role,
        "lid": enrolling.login_id,
        "rm": enrolling.remember_me,
        "next": enrolling.next_url,
    }
    session[KEY] = raw


def switch(challenge_id: str) -> None:
    """Name a challenge of another login (or the first code after an enrolment number)."""
    raw = dict(session[KEY])
    raw["cid"] = challenge_id
    session[KEY] = raw


def end() -> None:
    session.pop(KEY, None)
