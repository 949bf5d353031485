"""Flask glue: the login hand-off, the end of a login, and the answers in HTML or JSON."""

from __future__ import annotations

import secrets
from typing import Any, cast

from flask import Response, jsonify, request, session, url_for
from flask import redirect as _redirect
from flask_login import login_user

from . import accounts, flow, pending, policy, trust
from .models import RememberedPc
from .state import State, UserRef
from .urls import is_same_site

REMEMBER_HEADER = "X-T2M2FA-Remember"


def wants_json() -> bool:
    """JSON clients send JSON or prefer it to HTML."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def redirect(location: str) -> Response:
    """``flask.redirect``, typed as the app's response class it returns."""
    return cast(Response, _redirect(location))


def json_body() -> Any:
    """The request's JSON, or None when it is absent or malformed (also when nested too deep)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:  # the stdlib decoder's answer to [[[[...]]]]; silent= misses it
        return None


def safe_next(state: State, target: str | None) -> str:
    if target and is_same_site(target, host=request.host, scheme=request.scheme):
        return target
    return state.settings.default_next


def login_view_url(state: State) -> str:
    from flask import current_app

    view = state.settings.login_view or getattr(
        getattr(current_app, "login_manager", None), "login_view", None
    )
    return url_for(view) if isinstance(view, str) else "/"


def presented_token(state: State, user: UserRef) -> str | None:
    """The remember-PC token this client presents for ``user``: cookie, header or JSON field."""
    s = state.settings
    cookie = request.cookies.get(
        trust.cookie_name(s.cookie_key, s.remember_cookie_prefix, user.user_id)
    )
    if cookie:
        return cookie
    header = request.headers.get(REMEMBER_HEADER)
    if header:
        return header
    body = json_body() if request.is_json else None
    field = body.get("remember_token") if isinstance(body, dict) else None
    return field if isinstance(field, str) else None


def set_pc_cookie(
    state: State, response: Response, user: UserRef, row: RememberedPc, token: str
) -> None:
    s = state.settings
    current = accounts.policy_for(state, user.account_id)
    max_age = policy.cookie_max_age(current, created_at=row.created_at, now=state.now())
    response.set_cookie(
        trust.cookie_name(s.cookie_key, s.remember_cookie_prefix, user.user_id),
        token,
        max_age=int(max_age.total_seconds()),
        secure=s.remember_cookie_secure,
        httponly=True,
        samesite="Lax",
        path="/",
    )


def finish(
    state: State,
    user: Any,
    *,
    remember_me: bool,
    next_url: str | None,
    new_pc: tuple[RememberedPc, str] | None = None,
) -> Response:
    """Log ``user`` in with a fresh session, and answer with the next page."""
    session.clear()  # the session is renewed at the privilege change
    login_user(user, remember=remember_me)
    target = safe_next(state, next_url)
    if wants_json():
        body: dict[str, Any] = {"status": "ok", "next": target}
        if new_pc is not None:
            body["remember_token"] = new_pc[1]
        return jsonify(body)
    response = redirect(target)
    if new_pc is not None:
        set_pc_cookie(state, response, state.ref(user), *new_pc)
    return response


def pending_answer(step: flow.CodeStep) -> Response:
    if wants_json():
        return jsonify(step.to_json())
    return redirect(url_for("t2m2fa.code"))


def enrolment_answer(role: str, *, backup_required: bool, json: bool = False) -> Response:
    """Ask for the number of ``role``: the enrolment page, or JSON ``enrolment_required``."""
    if json or wants_json():
        body = {"status": "enrolment_required", "role": role, "backup_required": backup_required}
        return jsonify(body)
    return redirect(url_for("t2m2fa.enrol"))


def problem(status: str, http_status: int, **extra: Any) -> Response:
    response = jsonify({"status": status, **extra})
    response.status_code = http_status
    return response


def login(state: State, user: Any, *, remember_me: bool, next_url: str | None) -> Response:
    """The hand-off after the host checked the password (see :meth:`TwoFactor.login`)."""
    ref = state.ref(user)
    target = safe_next(state, next_url)
    outcome = flow.start(
        state, ref, token=presented_token(state, ref), remember_me=remember_me, next_url=target
    )
    state.session.commit()
    if outcome is None:
        return finish(state, user, remember_me=remember_me, next_url=target)
    if isinstance(outcome, RememberedPc):
        response = finish(state, user, remember_me=remember_me, next_url=target)
        s = state.settings
        name = trust.cookie_name(s.cookie_key, s.remember_cookie_prefix, ref.user_id)
        cookie = request.cookies.get(name)
        if cookie and not wants_json():
            set_pc_cookie(state, response, ref, outcome, cookie)  # refreshed on use
        return response
    if isinstance(outcome, flow.Locked):
        return _blocked("locked", 403)
    if isinstance(outcome, flow.NeedsSetup):
        return _blocked("setup_required", 403)
    if isinstance(outcome, flow.NeedsEnrolment):
        enrolling = pending.Enrolling(accounts.PRIMARY, secrets.token_hex(16), remember_me, target)
        pending.begin_enrolment(ref.user_id, enrolling, state.now())
        return enrolment_answer(accounts.PRIMARY, backup_required=ref.is_admin)
    pending.begin(ref.user_id, outcome.challenge.id, state.now())
    return pending_answer(outcome)


def _blocked(status: str, http_status: int) -> Response:
    from flask import render_template

    session.clear()
    if wants_json():
        return problem(status, http_status)
    return Response(render_template("t2m2fa/message.html", status=status), http_status)


def remember_label() -> str:
    agent = request.user_agent.string or "unknown client"
    return agent[:100]
