"""Enrolment at next login: the page and the JSON endpoint where the user enters his number."""

from __future__ import annotations

from flask import Response, render_template

from . import enrolment, handoff, json_api, pending
from .blueprint import bp
from .forms import EnrolForm
from .handoff import redirect
from .phones import PhoneError
from .state import State, get_state


def _render(
    pend: pending.Pending, form: EnrolForm, *, message: str | None, status: int
) -> Response:
    enrolling = pend.enrolling
    assert enrolling is not None
    state = get_state()
    user = state.find_user(pend.user_id)
    html = render_template(
        "t2m2fa/enrol.html",
        form=form,
        role=enrolling.role,
        backup_required=bool(user is not None and state.ref(user).is_admin),
        message=message,
    )
    return Response(html, status)


def _submit(state: State, pend: pending.Pending, text: object) -> Response | str:
    """Send a code to the typed number: the code step's answer, or the error message to show.

    :raises enrolment.EnrolmentClosed: no longer a user who may enter a number.
    """
    user = state.find_user(pend.user_id)
    if user is None:
        raise enrolment.EnrolmentClosed()
    try:
        step = enrolment.submit_number(state, state.ref(user), pend, text)
    except PhoneError as exc:
        state.session.rollback()
        return str(exc)
    except enrolment.EnrolmentClosed:
        state.session.rollback()
        raise
    state.session.commit()
    pending.switch(step.challenge.id)
    return handoff.pending_answer(step)


@bp.route("/enrol", methods=["GET", "POST"])
def enrol() -> Response:
    state = get_state()
    pend = pending.current(state)
    if pend is None or pend.enrolling is None:
        return _to_login(state)
    form = EnrolForm()
    if not form.is_submitted():
        return _render(pend, form, message=None, status=200)
    if not form.validate():  # CSRF token missing or wrong: nothing is sent
        return _render(pend, form, message=None, status=400)
    try:
        result = _submit(state, pend, form.phone.data or "")
    except enrolment.EnrolmentClosed:
        return _to_login(state)
    if isinstance(result, Response):
        return result
    return _render(pend, form, message=f"This number cannot be used: {result}.", status=400)


@bp.route("/api/enrol", methods=["POST"])
def api_enrol() -> Response:
    state = get_state()
    pend = json_api.guard() or json_api.pending_or_problem()
    if isinstance(pend, Response):
        return pend
    if pend.enrolling is None:
        return handoff.problem("enrolment_closed", 409)
    try:
        result = _submit(state, pend, json_api.body().get("phone"))
    except enrolment.EnrolmentClosed:
        pending.end()
        return handoff.problem("login_required", 401)
    if isinstance(result, Response):
        return result
    return handoff.problem("invalid_phone", 400, message=result)


def _to_login(state: State) -> Response:
    pending.end()
    return redirect(handoff.login_view_url(state))
