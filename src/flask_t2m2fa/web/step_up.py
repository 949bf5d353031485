"""Step-up in the session: when the last code was entered, and the guard of sensitive views.

Minimal version (issue 10) until the administration branch's step-up lands with its own code
page: :func:`record` runs when a login completes with a code; :func:`requires_step_up` lets a
view run only within the window, else a JSON client gets 403 ``step_up_required`` and a
browser a page asking to log in again with a code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar

from flask import Response, render_template, session

from ..i18n import gettext as _
from ..rules import step_up as rule
from ..state import State, get_state
from . import answers
from .guards import problem

#: Session key: when the current session last passed a second-factor code (epoch seconds).
AT_KEY = "_t2m2fa_2fa_at"
DEFAULT_WINDOW = timedelta(minutes=20)

P = ParamSpec("P")
R = TypeVar("R")


def record(state: State) -> None:
    """This session just passed a second-factor code."""
    session[AT_KEY] = int(state.now().timestamp())


def last_check() -> datetime | None:
    raw = session.get(AT_KEY)
    return datetime.fromtimestamp(raw, UTC) if isinstance(raw, int) else None


def is_fresh(state: State, window: timedelta | None = None) -> bool:
    limit = window if window is not None else DEFAULT_WINDOW
    return rule.is_fresh(last_check(), now=state.now(), window=limit)


def required_answer(*, json: bool = False) -> Response:
    message = _("Confirm it is you: log out and log in again with a code sent to your phone.")
    if json or answers.wants_json():
        return problem("step_up_required", 403, message=message)
    html = render_template("t2m2fa/message.html", status="step_up_required", message=message)
    return Response(html, 403)


def requires_step_up(
    window: timedelta | None = None, *, json: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Decorate a view of a logged-in user: run it only after a recent second-factor code."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not is_fresh(get_state(), window):
                return required_answer(json=json)
            return view(*args, **kwargs)

        return guarded

    return decorate
