"""The one guard of every admin view: same-site, logged in, administrator, CSRF, step-up.

Refusals, in this order: a cross-site browser request (403 ``forbidden_origin``); not logged in
(also half-logged-in: the code not entered yet) → JSON 401 ``login_required`` / the login page;
not an administrator → 403 ``forbidden``; an HTML form post without the right CSRF token →
400; no code within ``T2M2FA_ADMIN_STEP_UP`` → step-up. The view itself answers 404 for a user
outside the administrator's account.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlencode

from flask import Response, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf

from ..i18n import gettext as _
from ..state import UserRef, get_state
from . import answers, login_session, step_up
from .guards import CROSS_SITE, is_cross_site, problem

P = ParamSpec("P")
R = TypeVar("R")
CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def refuse(status: str, http_status: int, message: str, *, json: bool) -> Response:
    if json:
        return problem(status, http_status, message=message)
    html = render_template("t2m2fa/message.html", status=status, message=message)
    return Response(html, http_status)


def actor() -> UserRef:
    """The administrator of the current request (only inside a guarded view)."""
    return get_state().ref(current_user)


def _refusal(*, json: bool) -> Response | None:
    state = get_state()
    # A JSON view's blueprint already refused cross-site and non-JSON requests (guards.refusal).
    if not json and request.method in CHANGING and is_cross_site():
        return refuse("forbidden_origin", 403, _(CROSS_SITE), json=False)
    if not current_user.is_authenticated:
        if json:
            return problem("login_required", 401, message=_("Log in first."))
        target = login_session.login_view_url(state)
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return answers.redirect(f"{target}?{urlencode({'next': back})}" if back else target)
    if not state.is_admin(current_user):
        message = _("Only an account administrator may do this.")
        return refuse("forbidden", 403, message, json=json)
    if not json and request.method in CHANGING:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            message = _("The form expired: reload the page and try again.")
            return refuse("csrf", 400, message, json=False)
    if not step_up.is_fresh(state):
        return step_up.required_answer(json=json)
    return None


def admin_only(*, json: bool) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Decorate an admin view (``json``: a JSON endpoint)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            refused = _refusal(json=json)
            return refused if refused is not None else view(*args, **kwargs)

        return guarded

    return decorate


def not_found(*, json: bool) -> Response:
    """A user outside the administrator's account, or no such user: the same 404."""
    return refuse("not_found", 404, _("No such user in your account."), json=json)


def users_url() -> str:
    return url_for("t2m2fa_admin.users")
