"""The code page: enter the code, tick "Remember this PC", resend to the same or backup phone."""

from __future__ import annotations

from flask import Response, render_template, url_for

from ..forms import CodeForm, ResendForm
from ..i18n import gettext as _
from ..services import login, recovery
from ..services.verification import Verdict
from ..state import State, get_state
from . import answers, login_session, pending, wording
from .answers import redirect
from .blueprint import bp

DESTINATIONS = ("primary", "backup")


def _to_login() -> Response:
    pending.end()
    return redirect(login_session.login_view_url(get_state()))


def pending_code_step(state: State) -> tuple[pending.Pending, login.CodeStep] | Response:
    """The browser's pending login and its code step, or where a browser without one goes: the
    enrolment page while it still owes a number, else the host's login page."""
    pend = pending.current(state)
    if pend is not None and pend.awaiting_number:
        return redirect(url_for("t2m2fa.enrol"))
    step = login_session.current_step(state, pend) if pend is not None else None
    if pend is None or step is None:
        return _to_login()
    return pend, step


def _render(
    pend: pending.Pending,
    step: login.CodeStep,
    form: CodeForm,
    *,
    message: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    now = get_state().now()
    html = render_template(
        "t2m2fa/code.html",
        step=step,
        status_line=wording.step_status(step, now, say_next=False),
        resend_in=wording.seconds_until(step.next_send_at, now) if step.next_send_at else None,
        resend_when=wording.when_next(step, now),
        enrolling=pend.enrolling is not None,
        recovery_offered=recovery.offered(get_state(), pend.user_id, step.purpose),
        form=form,
        resend_form=ResendForm(),
        message=message,
        notice=notice,
    )
    return Response(html, status)


@bp.route("/code", methods=["GET", "POST"])
def code() -> Response:
    state = get_state()
    found = pending_code_step(state)
    if isinstance(found, Response):
        return found
    pend, step = found
    form = CodeForm()
    if not form.is_submitted():
        notice = pending.pop_notice()
        return _render(pend, step, form, notice=notice.get("text") if notice else None)
    if not form.validate():  # CSRF token missing or wrong, or a body that is no form: no attempt
        why = form.body_error or _("The form expired: try again.")
        return _render(pend, step, form, message=why, status=400)
    remember_pc = form.remember_pc.data is True
    outcome = login_session.submit(state, pend, form.code.data or "", remember_pc=remember_pc)
    if isinstance(outcome, login.Finished):
        return login_session.finished(state, outcome, pend)
    if not isinstance(outcome, Verdict):
        return redirect(
            url_for("t2m2fa.code" if isinstance(outcome, login.CodeStep) else "t2m2fa.enrol")
        )
    after = login_session.current_step(state, pend) or step
    message = wording.verdict_message(outcome, after, state.now())
    http_status = answers.VERDICT_STATUS[outcome.outcome]
    return _render(pend, after, CodeForm(formdata=None), message=message, status=http_status)


@bp.route("/resend", methods=["POST"])
def resend() -> Response:
    state = get_state()
    pend = pending.current(state)
    if pend is None:
        return _to_login()
    if pend.awaiting_number:
        return redirect(url_for("t2m2fa.enrol"))
    form = ResendForm()
    destination = form.destination.data
    if form.body_error:  # not a form at all: say so, send nothing
        step = login_session.current_step(state, pend)
        if step is None:
            return _to_login()
        return _render(pend, step, CodeForm(formdata=None), message=form.body_error, status=400)
    if not form.validate() or destination not in DESTINATIONS:
        return redirect(url_for("t2m2fa.code"))
    result = login_session.resend(state, pend, destination)
    if result is None:
        return _to_login()
    text = wording.resend_notice(
        result.sent, result.to, result.refusal, result.step, state.now(), say_next=False
    )
    pending.set_notice({"text": text})
    return redirect(url_for("t2m2fa.code"))
