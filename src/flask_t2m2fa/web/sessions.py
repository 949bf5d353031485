"""The extension governs the host's Flask-Login sessions and "Keep me signed in" cookies.

Why: Flask-Login restores a login from the session, or from its remember cookie for a year,
with nothing but what ``get_id()`` returned. Left alone, both outlive every rule of the second
factor: a revoke, a 2FA disable, a switch to Enforced.

How (Flask-Security's ``fs_uniquifier`` pattern, without touching the host's user model), with
Flask-Login's public API only:

* Each user has a random *uniquifier* in ``t2m2fa_session_epochs`` (none yet: ``"0"``);
  :func:`bump` gives a new one. Revoking remembered PCs (also the host's password-change hook),
  disabling or enabling 2FA, new phone numbers and "sign out everywhere" bump it.
* The extension logs a user in with ``login_user(StandIn(user, token))``
  (:mod:`.stand_in`): Flask-Login stores the login token
  ``t2m2fa.<uniquifier>.<kind>.<host id>`` (:mod:`flask_t2m2fa.rules.sessions`) as the user's
  id, in the session and in its remember cookie (its documented "alternative tokens").
* The host registers its loader through the extension, in one line:
  ``login_manager.user_loader(two_factor.user_loader(load_user))``. Every load, from the
  session or from the remember cookie, is judged by
  :func:`flask_t2m2fa.rules.sessions.session_rejection` against the current uniquifier,
  policy, 2FA setting and (for an administrator) verified backup phone before the host's loader
  sees the plain id. A rejected login is ended with ``logout_user()``, which also has
  Flask-Login delete its remember cookie. A login restored from the cookie is marked as such
  (in the extension's own session key), and judged so for the rest of the session.

A loader that is not governed fails at ``init_app`` or at the first request, naming the line to
add. Sessions and cookies holding a plain id (made before the extension, or by the host's own
``login_user``) log nobody in. Cost: one statement per request of a logged-in user
(:func:`..services.snapshot.read`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user, login_fresh, login_user, logout_user

from ..rules import policy
from ..rules.sessions import (
    Kind,
    LoginToken,
    SessionRejection,
    parse,
    session_rejection,
)
from ..services import accounts, snapshot
from ..services.epochs import bump as bump
from ..services.epochs import uniquifier_of
from ..state import EXTENSION_KEY, State, get_state
from .stand_in import StandIn, real

#: Session key of the extension: the login token in force in this session, as the extension
#: made it (a cookie restore is recorded with the kind ``RESTORED``).
MARKER = "_t2m2fa_login"
#: Request flag: the login is being ended, so the loads ``logout_user`` makes find nobody.
_ENDING = "_t2m2fa_ending_login"
_GOVERNED = "_t2m2fa_governed"
UserLoader = Callable[[str], Any]

ONE_LINE = "login_manager.user_loader(two_factor.user_loader(load_user))"


def governed(load_user: UserLoader) -> UserLoader:
    """``load_user`` behind the judgement (what :meth:`TwoFactor.user_loader` returns)."""
    if getattr(load_user, _GOVERNED, False):
        return load_user

    @functools.wraps(load_user)
    def load(value: str) -> Any:
        if EXTENSION_KEY not in current_app.extensions:  # a LoginManager shared with other apps
            return load_user(value)
        return _load(get_state(), load_user, value)

    setattr(load, _GOVERNED, True)
    return load


def init_app(app: Flask) -> None:
    """Govern ``app``'s Flask-Login logins (called by :meth:`TwoFactor.init_app`)."""
    state: State = app.extensions[EXTENSION_KEY]
    if state.load_user is None:  # the extension's own look-ups take plain host ids
        state.load_user = host_loader
    manager = getattr(app, "login_manager", None)
    if manager is not None and manager.user_callback is not None:
        require_governed(manager)
    app.before_request(_require_governed_loader)  # a loader registered after init_app


def _require_governed_loader() -> None:
    manager = getattr(current_app, "login_manager", None)
    if manager is not None:
        require_governed(manager)


def require_governed(manager: Any) -> None:
    """Refuse to run with a user loader the extension does not judge: its sessions and
    "Keep me signed in" cookies would outlive every rule of the second factor."""
    if not getattr(manager.user_callback, _GOVERNED, False):
        raise RuntimeError(
            "flask_t2m2fa must judge every Flask-Login session: register your user loader"
            f" through the extension, in one line: {ONE_LINE}"
        )


def host_loader(user_id: str) -> Any:
    """The host's own ``user_loader``, behind the judgement: it takes plain host ids."""
    callback = current_app.login_manager.user_callback  # type: ignore[attr-defined]
    if callback is None:
        raise RuntimeError(f"flask_t2m2fa needs load_user= or a Flask-Login {ONE_LINE}")
    return getattr(callback, "__wrapped__", callback)(user_id)


def _load(state: State, load_user: UserLoader, value: str) -> Any:
    if g.get(_ENDING):
        return None
    token = parse(value)
    restoring = session.get(MARKER) != value
    user = load_user(token.user_id) if token is not None else None
    if user is None or judge(state, user, token, restoring=restoring) is not None:
        end_login()
        return None
    if restoring and token is not None:
        session[MARKER] = token.restored().encode()
    return user


def judge(
    state: State, user: Any, token: LoginToken | None, *, restoring: bool
) -> SessionRejection | None:
    """Why ``user``'s login with ``token`` no longer stands, or None."""
    ref = state.ref(user)
    snap = snapshot.read(state, ref.user_id, ref.account_id)  # one statement per request
    backup = snap.phone(accounts.BACKUP, verified=True)
    return session_rejection(
        token if token is not None and token.user_id == ref.user_id else None,
        uniquifier=snap.uniquifier,
        two_factor_required=snap.two_factor_required,
        remember_allowed=policy.remember_offered(snap.policy),
        restoring=restoring,
        backup_missing=policy.backup_missing(
            is_admin=ref.is_admin, has_verified_backup=bool(backup)
        ),
    )


def end_login() -> None:
    """End the login of this session; Flask-Login then deletes its remember cookie.

    Called from inside the loader: ``logout_user`` loads the login once more, which finds
    nobody while :data:`_ENDING` is set.
    """
    setattr(g, _ENDING, True)
    try:
        logout_user()
    finally:
        g.pop(_ENDING, None)
    session.pop(MARKER, None)


#: How a login was completed (``login_session.VIA_KEY``) -> the kind its token records. A
#: recovery code is a code entered in this login: under Enforced its session stands as one.
KIND_OF_VIA = {
    "password": Kind.NONE,
    "code": Kind.CODE,
    "recovery_code": Kind.CODE,
    "remembered_pc": Kind.REMEMBERED_PC,
}


def log_in(user: Any, token: LoginToken, *, remember: bool, fresh: bool = True) -> bool:
    """``login_user`` with ``token`` as the id Flask-Login keeps; False when the host's user
    is not active (Flask-Login then logs nobody in)."""
    encoded = token.encode()
    if not login_user(StandIn(user, encoded), remember=remember, fresh=fresh):
        return False
    session[MARKER] = encoded
    return True


def keep_this_session(state: State, user: Any) -> None:
    """After a bump that ended the user's other sessions: log this session in again.

    The token keeps how this login was made, with the new uniquifier; a "Keep me signed in"
    cookie of this browser is rewritten by Flask-Login with it at the end of the request.
    """
    old = parse(session.get(MARKER))
    if old is None:
        return
    new = LoginToken(uniquifier_of(state, state.ref(user).user_id), old.kind, old.user_id)
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    log_in(real(user), new, remember=cookie in request.cookies, fresh=login_fresh())


def keep_acting_user(state: State, account_id: str) -> None:
    """After an account-wide restart of sessions (a switch to Enforced): the user who made the
    change in this request keeps his session, with his new uniquifier."""
    if not has_request_context():
        return
    if current_user.is_authenticated and state.ref(current_user).account_id == account_id:
        keep_this_session(state, current_user)
