"""Step-up in the session: when the last code was entered, and the guard of admin views.

:func:`record` runs when a login completes with a code (:func:`login_session.finish`). The
guard :func:`requires_step_up` lets a view run only when that moment is within the window
(``T2M2FA_ADMIN_STEP_UP``, or ``T2M2FA_SECURITY_STEP_UP`` for the Security page); otherwise a
browser is sent to the step-up page (a fresh code to the verified primary) and back, and a
JSON client gets 403 ``step_up_required`` with the endpoints to call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal, ParamSpec, TypeVar

from flask import Response, request, session, url_for

from ..i18n import gettext as _
from ..rules import step_up as rule
from ..rules.notices import N_
from ..rules.urls import is_same_site
from ..state import State, get_state
from . import answers
from .guards import problem

#: Session key: when the current session last passed a second-factor code (epoch seconds).
AT_KEY = "_t2m2fa_2fa_at"
#: Session key: the live step-up challenge.
CHALLENGE_KEY = "_t2m2fa_step_up"
#: The message of 403 ``step_up_required`` (a message id: translated when answered).
MESSAGE = N_("Confirm it is you: enter a new code sent to your phone.")

P = ParamSpec("P")
R = TypeVar("R")


def record(state: State) -> None:
    """This session just passed a second-factor code."""
    session[AT_KEY] = int(state.now().timestamp())
    session.pop(CHALLENGE_KEY, None)


def last_check() -> datetime | None:
    raw = session.get(AT_KEY)
    return datetime.fromtimestamp(raw, UTC) if isinstance(raw, int) else None


#: Which setting gives the window: the admin pages' or the user's Security page's.
Scope = Literal["admin", "security"]


def window_of(state: State, scope: Scope | timedelta) -> timedelta:
    """``T2M2FA_ADMIN_STEP_UP`` or ``T2M2FA_SECURITY_STEP_UP`` (or a host's own window)."""
    if isinstance(scope, timedelta):
        return scope
    settings = state.settings
    return settings.security_step_up if scope == "security" else settings.admin_step_up


def is_fresh(state: State, scope: Scope | timedelta = "admin") -> bool:
    return rule.is_fresh(last_check(), now=state.now(), window=window_of(state, scope))


def back_to() -> str:
    """Where to return after the step-up: this page, or for a form post the page it came from."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = request.referrer
    if referrer and is_same_site(referrer, host=request.host, scheme=request.scheme):
        return referrer
    return get_state().settings.default_next


def required_answer(*, json: bool = False) -> Response:
    """The refusal of a stale session: JSON 403 ``step_up_required``, or the step-up page."""
    if json or answers.wants_json():
        return problem(
            "step_up_required",
            403,
            message=_(MESSAGE),
            send_code=url_for("t2m2fa.api.api_step_up"),
            verify=url_for("t2m2fa.api.api_step_up_verify"),
        )
    return answers.redirect(url_for("t2m2fa.step_up_page", next=back_to()))


def requires_step_up(
    scope: Scope | timedelta = "admin", *, json: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Decorate a view of a logged-in user: run it only after a recent second-factor code.

    :param scope: whose window: ``"admin"`` (``T2M2FA_ADMIN_STEP_UP``, 15 minutes) or
        ``"security"`` (``T2M2FA_SECURITY_STEP_UP``, 20 minutes), read at each request; or a
        host view's own window (a ``timedelta``).
    :param json: the view is a JSON endpoint (always answer 403 ``step_up_required``).
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not is_fresh(get_state(), scope):
                return required_answer(json=json)
            return view(*args, **kwargs)

        return guarded

    return decorate
