"""Recovery codes in the browser: "Use a recovery code" at a login's code step, and the set
made on the Security page (behind the step-up), shown once with a text download.

The JSON twins are ``/api/recovery`` and ``/api/security/recovery-codes`` (:mod:`.api_views`,
:mod:`.security_api`).
"""

from __future__ import annotations

from flask import Response, render_template, session, url_for

from ..forms import CodeForm, StrictBodyForm
from ..i18n import gettext as _
from ..rules import recovery as rule
from ..rules.notices import N_
from ..services import login, recovery, unit_of_work
from ..services.challenges import LOGIN
from ..services.verification import Verdict
from ..state import get_state
from . import answers, login_session, wording
from .answers import redirect
from .blueprint import bp
from .code_views import pending_code_step
from .security_views import NOTICE_KEY, logged_in, me
from .step_up import requires_step_up

#: The message of a code that cannot be one (a 400 that counts nothing).
MALFORMED = N_("Send a recovery code: ten letters and digits, like abcde-23456.")
#: Why no set was made.
NO_NUMBER = N_("Verify a mobile number first: recovery codes stand in for it.")
TURNED_OFF = N_("Recovery codes are turned off for this account.")


def _render(
    step: login.CodeStep, form: CodeForm, *, message: str | None = None, status: int = 200
) -> Response:
    html = render_template("t2m2fa/recovery.html", step=step, form=form, message=message)
    return Response(html, status)


@bp.route("/recovery", methods=["GET", "POST"])
def use_recovery_code() -> Response:
    state = get_state()
    found = pending_code_step(state)
    if isinstance(found, Response):
        return found
    pend, step = found
    # A new number is proved by its own code only; an account may turn recovery codes off.
    if step.purpose != LOGIN or not recovery.allowed_for(state, pend.user_id):
        return redirect(url_for("t2m2fa.code"))
    form = CodeForm()
    if not form.is_submitted():
        return _render(step, form)
    if not form.validate():  # CSRF token missing or wrong, or a body that is no form: no attempt
        why = form.body_error or _("The form expired: try again.")
        return _render(step, form, message=why, status=400)
    code = rule.normalize(form.code.data)
    if code is None:  # cannot be a code: nothing to count
        return _render(step, form, message=_(MALFORMED), status=400)
    remember_pc = form.remember_pc.data is True
    outcome = login_session.submit(state, pend, None, remember_pc=remember_pc, recovery_code=code)
    if isinstance(outcome, login.Finished):
        return login_session.finished(state, outcome, pend)
    if not isinstance(outcome, Verdict):
        return redirect(
            url_for("t2m2fa.code" if isinstance(outcome, login.CodeStep) else "t2m2fa.enrol")
        )
    after = login_session.current_step(state, pend) or step
    message = wording.verdict_message(outcome, after, state.now())
    http_status = answers.VERDICT_STATUS[outcome.outcome]
    return _render(after, CodeForm(formdata=None), message=message, status=http_status)


@bp.post("/security/recovery-codes")
@logged_in
@requires_step_up("security")
def generate_recovery_codes() -> Response:
    state = get_state()
    if not StrictBodyForm().validate():
        return answers.redirect(url_for("t2m2fa.security"))
    user = me(state)
    codes = recovery.generate(state, user)
    if codes is None:
        unit_of_work.rollback(state.session)
        why = NO_NUMBER if recovery.allowed(state, user.account_id) else TURNED_OFF
        session[NOTICE_KEY] = _(why)
        return answers.redirect(url_for("t2m2fa.security"))
    unit_of_work.commit(state.session)
    shown = [rule.display(code) for code in codes]
    heading = _("%(app)s recovery codes", app=state.settings.app_name)
    text = "\n".join([heading, "", *shown]) + "\n"
    html = render_template("t2m2fa/recovery_codes.html", codes=shown, download=text)
    return Response(html, 200)
