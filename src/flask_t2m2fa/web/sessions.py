"""The extension governs the host's Flask-Login sessions and "Keep me signed in" cookies.

Why: Flask-Login restores a login from the session, or from its remember cookie for a year,
with nothing but the user id. Left alone, both outlive every rule of the second factor: a
revoke, a 2FA disable, a switch to Enforced.

How (Flask-Security's ``fs_uniquifier`` pattern, without touching the host's user model):

* Each user has a random *uniquifier* in ``t2m2fa_session_epochs`` (none yet: ``"0"``);
  :func:`bump` gives a new one. Revoking remembered PCs (also the host's password-change hook),
  disabling or enabling 2FA, new phone numbers and "sign out everywhere" bump it.
* When ``login_user`` runs (signal ``user_logged_in``), the extension replaces Flask-Login's
  ``session["_user_id"]`` by a login token ``t2m2fa.<uniquifier>.<kind>.<host id>`` (see
  :mod:`flask_t2m2fa.rules.sessions`); Flask-Login copies that value into its remember
  cookie, so the cookie carries the uniquifier too.
* The host's ``user_loader`` is wrapped: every load, from the session or from the remember
  cookie, is judged by :func:`flask_t2m2fa.rules.sessions.session_rejection` against the current
  uniquifier, policy, 2FA setting and (for an administrator) verified backup phone before the
  host's loader sees the id. A rejected login is
  ended and Flask-Login is told to delete its remember cookie. A login restored from the
  cookie is marked as such, and judged so for the rest of the session.

What a host does: nothing. ``init_app`` wraps the ``user_loader`` registered before it, and a
``before_request`` wraps one registered later. Sessions and cookies made before the extension
governed them (a plain id) no longer log anybody in: users log in once more.
Cost: one statement per request of a logged-in user (:func:`..services.snapshot.read`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import user_logged_in

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

#: Session key holding the token the extension wrote, to tell a session from a cookie restore.
MARKER = "_t2m2fa_login"
_FLASK_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember_seconds", MARKER)
UserLoader = Callable[[str], Any]


def init_app(app: Flask) -> None:
    """Govern ``app``'s Flask-Login logins (called by :meth:`TwoFactor.init_app`)."""
    user_logged_in.connect(_on_login)  # once: blinker keeps one connection per receiver
    state: State = app.extensions[EXTENSION_KEY]
    if state.load_user is None:  # the extension's own look-ups take plain host ids
        state.load_user = host_loader
    manager = getattr(app, "login_manager", None)
    if manager is not None:
        _wrap(manager)
    app.before_request(_wrap_late_loader)


def _wrap_late_loader() -> None:
    manager = getattr(current_app, "login_manager", None)
    if manager is not None:
        _wrap(manager)


def _wrap(manager: Any) -> None:
    """Put the judgement in front of ``manager``'s user loader (once)."""
    original: UserLoader | None = manager._user_callback
    if original is None or getattr(original, "_t2m2fa_governed", False):
        return

    @functools.wraps(original)
    def load(value: str) -> Any:
        if EXTENSION_KEY not in current_app.extensions:  # a LoginManager shared with other apps
            return original(value)
        return _load(get_state(), original, value)

    load._t2m2fa_governed = True  # type: ignore[attr-defined]
    manager._user_callback = load


def host_loader(user_id: str) -> Any:
    """The host's own ``user_loader``, behind the wrapper."""
    callback = current_app.login_manager._user_callback  # type: ignore[attr-defined]
    return getattr(callback, "__wrapped__", callback)(user_id)


def _load(state: State, original: UserLoader, value: str) -> Any:
    token = parse(value)
    restoring = session.get(MARKER) != value
    user = original(token.user_id) if token is not None else None
    if user is None or judge(state, user, token, restoring=restoring) is not None:
        end_login()
        return None
    if restoring:
        marked = token.restored().encode() if token is not None else value
        session["_user_id"] = session[MARKER] = marked
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


#: Where :func:`expect_login` leaves what the step that ends in ``login_user`` read.
_LOGIN_FACTS = "_t2m2fa_login_facts"


def expect_login(user_id: str, uniquifier: str, *, two_factor_required: bool) -> None:
    """The extension is about to call ``login_user`` for a step that has just read the user's
    uniquifier and whether he needs the second factor: :func:`_on_login` takes them from here
    instead of reading them again (for this request, this user, once)."""
    setattr(g, _LOGIN_FACTS, (user_id, uniquifier, two_factor_required))


def end_login() -> None:
    """Forget the login in this session; Flask-Login then ignores and deletes its cookie."""
    for key in _FLASK_LOGIN_KEYS:
        session.pop(key, None)
    session["_remember"] = "clear"


def _on_login(sender: Flask, user: Any = None, **_: Any) -> None:
    """Swap the plain id Flask-Login stored for a login token."""
    if not has_request_context() or EXTENSION_KEY not in current_app.extensions:
        return
    state = get_state()
    ref = state.ref(user)
    facts: tuple[str, str, bool] | None = g.pop(_LOGIN_FACTS, None)
    if facts is None or facts[0] != ref.user_id:  # the host's own login_user
        snap = snapshot.read(state, ref.user_id, ref.account_id)
        facts = (ref.user_id, snap.uniquifier, snap.two_factor_required)
    _user_id, uniquifier, required = facts
    kind = Kind.NONE
    if required:
        # The extension finishes a login on its own blueprint only after a right code.
        kind = Kind.CODE if "t2m2fa" in request.blueprints else Kind.REMEMBERED_PC
    token = LoginToken(uniquifier, kind, str(session["_user_id"]))
    session["_user_id"] = session[MARKER] = token.encode()


def keep_this_session(state: State, user: Any) -> None:
    """After a bump that ended the user's other sessions: re-issue this session's login token.

    The token keeps how this login was made, with the new uniquifier; a "Keep me signed in"
    cookie of this browser is rewritten by Flask-Login with it at the end of the request.
    """
    old = parse(session.get("_user_id"))
    if old is None:
        return
    new = LoginToken(uniquifier_of(state, state.ref(user).user_id), old.kind, old.user_id)
    session["_user_id"] = session[MARKER] = new.encode()
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if cookie in request.cookies:
        session["_remember"] = "set"


def keep_acting_user(state: State, account_id: str) -> None:
    """After an account-wide restart of sessions (a switch to Enforced): the user who made the
    change in this request keeps his session, with his new uniquifier."""
    if not has_request_context():
        return
    from flask_login import current_user

    if current_user.is_authenticated and state.ref(current_user).account_id == account_id:
        keep_this_session(state, current_user)
