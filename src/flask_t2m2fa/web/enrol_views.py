"""Enrolment at next login: the page and the JSON endpoint where the user enters his number."""

from __future__ import annotations

from flask import Response, jsonify, render_template

from ..forms import EnrolForm
from ..i18n import gettext as _
from ..rules import policy
from ..rules.phones import PhoneError
from ..services import enrolment, login, unit_of_work
from ..state import State, get_state
from . import answers, login_session, pending, wording
from .answers import redirect
from .blueprint import bp
from .guards import json_endpoint, json_object, problem


def _render(
    pend: pending.Pending, form: EnrolForm, *, message: str | None, status: int
) -> Response:
    enrolling = pend.enrolling
    assert enrolling is not None
    state = get_state()
    user = state.find_user(pend.user_id)
    admin = bool(user is not None and state.ref(user).is_admin)
    html = render_template(
        "t2m2fa/enrol.html",
        form=form,
        role=enrolling.role,
        backup_required=policy.backup_required(is_admin=admin),
        message=message,
    )
    return Response(html, status)


def _submit(state: State, pend: pending.Pending, text: object) -> login.CodeStep | str:
    """Send a code to the typed number: the new code step, or why the number was refused (a
    :class:`PhoneError` message: a message id, still to translate).

    :raises enrolment.EnrolmentClosed: no longer a user who may enter a number.
    """
    user = state.find_user(pend.user_id)
    if user is None or pend.enrolling is None:
        raise enrolment.EnrolmentClosed()
    ref = state.ref(user)
    try:
        issued = enrolment.submit_number(state, ref, pend.enrolling, text)
    except PhoneError as exc:
        unit_of_work.rollback(state.session)
        return str(exc)
    except enrolment.EnrolmentClosed:
        unit_of_work.rollback(state.session)
        raise
    step = login.describe(state, ref, issued.challenge, issued)
    unit_of_work.commit(state.session)
    login_session.follow(state, pend, step.challenge_id)
    return step


@bp.route("/enrol", methods=["GET", "POST"])
def enrol() -> Response:
    state = get_state()
    pend = pending.current(state)
    if pend is None or pend.enrolling is None:
        return _to_login(state)
    form = EnrolForm()
    if not form.is_submitted():
        return _render(pend, form, message=None, status=200)
    if not form.validate():  # CSRF token missing or wrong, or a body that is no form: no SMS
        why = form.body_error or _("The form expired: try again.")
        return _render(pend, form, message=why, status=400)
    try:
        result = _submit(state, pend, form.phone.data or "")
    except enrolment.EnrolmentClosed:
        return _to_login(state)
    if isinstance(result, login.CodeStep):
        return answers.code_step(result, state.now())
    return _render(pend, form, message=wording.unusable_number(result), status=400)


@bp.route("/api/enrol", methods=["POST"], provide_automatic_options=False)
@json_endpoint
def api_enrol() -> Response:
    state = get_state()
    pend = pending.current(state)
    if pend is None:
        return problem("login_required", 401, message=_("Log in with your password first."))
    if pend.enrolling is None:
        return problem("enrolment_closed", 409, message=_("No number is awaited for this login."))
    try:
        result = _submit(state, pend, json_object().get("phone"))
    except enrolment.EnrolmentClosed:
        pending.end()
        return problem("login_required", 401, message=_("This login ended: log in again."))
    if isinstance(result, login.CodeStep):
        return jsonify(answers.code_step_body(result, state.now()))
    return problem("invalid_phone", 400, message=_(result))


def _to_login(state: State) -> Response:
    pending.end()
    return redirect(login_session.login_view_url(state))
