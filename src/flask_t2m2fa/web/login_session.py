"""The login across requests: run a login service, commit once, keep the session in step.

The pending (half-logged-in) state in the Flask session follows what the service did: the
live challenge after a new code, the number awaited during enrolment, nothing once logged in.
This is the one place that commits during a login.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request, session, url_for

from ..models import Challenge, RememberedPc
from ..rules import policy, trust
from ..rules.sessions import LoginToken
from ..rules.urls import is_same_site
from ..services import accounts, challenges, live_challenges, login, unit_of_work
from ..services.verification import Outcome, Verdict
from ..state import State, UserRef
from . import answers, pending, sessions, step_up, wording
from .guards import json_object

REMEMBER_HEADER = "X-T2M2FA-Remember"
#: Session key: how the current login was completed (``code``, ``remembered_pc``, ``password``).
VIA_KEY = "_t2m2fa_via"
#: The ways of completing a login that prove the second factor.
SECOND_FACTORS = ("code", "recovery_code")
#: Session key: the login just ended with a recovery code; the Security page says how many
#: are left (and forgets it).
RECOVERY_LEFT_KEY = "_t2m2fa_recovery_left"


def safe_next(state: State, target: str | None) -> str:
    if target and is_same_site(target, host=request.host, scheme=request.scheme):
        return target
    return state.settings.default_next


def login_view_url(state: State) -> str:
    view = state.settings.login_view or getattr(
        getattr(current_app, "login_manager", None), "login_view", None
    )
    return url_for(view) if isinstance(view, str) else "/"


def presented_token(state: State, user: UserRef) -> str | None:
    """The remember-PC token this client presents for ``user``: cookie, header or JSON field."""
    cookie = request.cookies.get(_cookie_name(state, user))
    if cookie:
        return cookie
    header = request.headers.get(REMEMBER_HEADER)
    if header:
        return header
    field = json_object().get("remember_token") if request.is_json else None
    return field if isinstance(field, str) else None


def _cookie_name(state: State, user: UserRef) -> str:
    s = state.settings
    return trust.cookie_name(s.cookie_key, s.remember_cookie_prefix, user.user_id)


def begin(state: State, user: Any, *, remember_me: bool, next_url: str | None) -> Response:
    """The hand-off after the host checked the password (see :meth:`TwoFactor.login`)."""
    ref = state.ref(user)
    target = safe_next(state, next_url)
    token = presented_token(state, ref)
    outcome = login.start(state, ref, token=token, remember_me=remember_me, next_url=target)
    unit_of_work.commit(state.session)
    now = state.now()
    if isinstance(outcome, login.NoSecondFactor):
        return finish(
            state,
            user,
            outcome.uniquifier,
            remember_me=remember_me,
            next_url=target,
            via="password",
        )
    if isinstance(outcome, login.Remembered):
        response = finish(
            state,
            user,
            outcome.uniquifier,
            remember_me=remember_me,
            next_url=target,
            via="remembered_pc",
        )
        cookie = request.cookies.get(_cookie_name(state, ref))
        if cookie and not answers.wants_json():
            set_pc_cookie(state, response, ref, outcome.pc, cookie)  # refreshed on use
        return response
    if isinstance(outcome, login.Locked):
        session.clear()
        return answers.blocked("locked", 403, wording.locked_message())
    if isinstance(outcome, login.Paused):
        session.clear()
        message = wording.paused_message(outcome.retry_at, now)
        response = answers.blocked(
            "try_later", 429, message, retry_at=wording.iso(outcome.retry_at)
        )
        response.headers["Retry-After"] = str(wording.seconds_until(outcome.retry_at, now))
        return response
    if isinstance(outcome, login.NumberNeeded):
        pending.begin_enrolment(ref.user_id, outcome.enrolling, now)
        return answers.number_needed(outcome)
    pending.begin(ref.user_id, outcome.challenge_id, now)
    return answers.code_step(outcome, now)


def submit(
    state: State,
    pend: pending.Pending,
    candidate: object,
    *,
    remember_pc: bool,
    recovery_code: str | None = None,
) -> login.SubmitOutcome:
    """Judge a code for the pending login, commit, and follow the outcome in the session.

    With ``recovery_code`` (normalized, ``rules.recovery``) that code is judged instead of
    ``candidate``, under the same budgets.
    """
    user = state.find_user(pend.user_id)
    if user is None:  # deleted meanwhile
        pending.end()
        return Verdict(Outcome.EXPIRED)
    label = (request.user_agent.string or "unknown client")[:100]
    ref, challenge_id = state.ref(user), pend.challenge_id or ""
    outcome = (
        login.submit(
            state,
            ref,
            challenge_id,
            candidate,
            remember_pc=remember_pc,
            enrolling=pend.enrolling,
            label=label,
        )
        if recovery_code is None
        else login.submit_recovery(
            state,
            ref,
            challenge_id,
            recovery_code,
            remember_pc=remember_pc,
            enrolling=pend.enrolling,
            label=label,
        )
    )
    unit_of_work.commit(state.session)
    if isinstance(outcome, login.CodeStep):
        follow(state, pend, outcome.challenge_id)
    elif isinstance(outcome, login.NumberNeeded):
        pending.await_number(outcome.enrolling)
    return outcome


def resend(state: State, pend: pending.Pending, destination: str) -> login.Resent | None:
    """Ask for a new code to ``destination``; None when the pending login is gone."""
    user = state.find_user(pend.user_id)
    live = live_challenge(state, pend)
    if user is None or live is None:
        return None
    result = login.resend(state, state.ref(user), live, destination)
    unit_of_work.commit(state.session)
    follow(state, pend, result.step.challenge_id)
    return result


def live_challenge(state: State, pend: pending.Pending) -> Challenge | None:
    """The live challenge of the pending login: the newest of the login the session names.

    The session names one challenge of the login; a resend or a next step adds newer ones
    without touching the session, so a client that keeps its first cookie stays in step.
    """
    if not pend.challenge_id:
        return None
    login = live_challenges.login_of(pend.challenge_id, pend.user_id)
    return challenges.live_of_login(state, pend.user_id, login)


def follow(state: State, pend: pending.Pending, challenge_id: str) -> None:
    """Point the session at a new challenge only when its login is not the one named already.

    A resend and the next step of the same login leave the session (and its cookie) as it
    was; the first code after an enrolment number, or a code taken over from another login
    (the cool-down), is a change the session must follow.
    """
    anchor = state.session.get(Challenge, pend.challenge_id) if pend.challenge_id else None
    target = state.session.get(Challenge, challenge_id)
    if anchor is None or target is None or anchor.login_id != target.login_id:
        pending.switch(challenge_id)


def current_step(state: State, pend: pending.Pending) -> login.CodeStep | None:
    """The code step of the pending login as it stands, or None when it is gone."""
    user = state.find_user(pend.user_id)
    live = live_challenge(state, pend)
    if user is None or live is None:
        return None
    return login.describe(state, state.ref(user), live)


def finish(
    state: State,
    user: Any,
    uniquifier: str,
    *,
    remember_me: bool,
    next_url: str | None,
    via: str = "code",
    new_pc: tuple[RememberedPc, str] | None = None,
    recovery_left: int | None = None,
) -> Response:
    """Log ``user`` in with a fresh session, and answer with the next page.

    :param uniquifier: the user's, as the step that ends here read it (its token carries it).
    After a recovery code the next page is the Security page, which says how many are left.
    """
    session.clear()  # the session is renewed at the privilege change
    token = LoginToken(uniquifier, sessions.KIND_OF_VIA[via], state.ref(user).user_id)
    sessions.log_in(user, token, remember=remember_me)
    session[VIA_KEY] = via
    if via in SECOND_FACTORS:
        # Admin actions and number changes need a recent second factor (web.step_up); a
        # recovery code is one, and its user, without his phones, must be able to change them.
        step_up.record(state)
    target = safe_next(state, next_url)
    if recovery_left is not None:
        target = url_for("t2m2fa.security")
        session[RECOVERY_LEFT_KEY] = recovery_left
    if answers.wants_json():
        body: dict[str, Any] = {"status": "ok", "next": target}
        if recovery_left is not None:
            body["recovery_codes_left"] = recovery_left
        if new_pc is not None:
            body["remember_token"] = new_pc[1]
        return jsonify(body)
    response = answers.redirect(target)
    if new_pc is not None:
        set_pc_cookie(state, response, state.ref(user), *new_pc)
    return response


def finished(state: State, outcome: login.Finished, pend: pending.Pending) -> Response:
    user = state.find_user(pend.user_id)
    return finish(
        state,
        user,
        outcome.uniquifier,
        remember_me=outcome.remember_me,
        next_url=outcome.next_url,
        new_pc=outcome.new_pc,
        via="code" if outcome.recovery_left is None else "recovery_code",
        recovery_left=outcome.recovery_left,
    )


def set_pc_cookie(
    state: State, response: Response, user: UserRef, row: RememberedPc, token: str
) -> None:
    current = accounts.policy_for(state, user.account_id)
    max_age = policy.cookie_max_age(current, created_at=row.created_at, now=state.now())
    response.set_cookie(
        _cookie_name(state, user),
        token,
        max_age=int(max_age.total_seconds()),
        secure=state.settings.remember_cookie_secure,
        httponly=True,
        samesite="Lax",
        path="/",
    )
