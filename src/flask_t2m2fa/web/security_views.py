"""The user's own security page: numbers, remembered PCs, policy; change a number, revoke PCs.

Only a fully logged-in user reaches it (a half-logged-in one is anonymous to Flask-Login).
Changing or removing a number needs a second-factor code not older than
``T2M2FA_SECURITY_STEP_UP`` (20 minutes by default; step-up);
the JSON twins are in ``openapi.yaml`` and in :mod:`.security_api`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from flask import Response, abort, render_template, session, url_for
from flask_login import current_user

from ..forms import ChangePhoneForm, CodeForm, RevokePcForm, StrictBodyForm
from ..i18n import gettext as _
from ..rules.ids import row_id
from ..rules.phones import PhoneError
from ..services import my_security, phone_change, recovery, remember, unit_of_work
from ..services.phone_change import Changed, ChangeRefused
from ..services.verification import Outcome, Verdict
from ..state import State, UserRef, get_state
from . import answers, login_session, security_wording, sessions, wording
from .blueprint import bp
from .guards import problem
from .step_up import requires_step_up

#: Session key: the Security page's notice after a redirect (shown once).
NOTICE_KEY = "_t2m2fa_security_notice"
P = ParamSpec("P")
R = TypeVar("R")


def logged_in(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Only a fully logged-in user: others go to the login page (JSON: 401)."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not current_user.is_authenticated:
            if answers.wants_json():
                return problem("login_required", 401, message=_("Log in first."))
            return answers.redirect(login_session.login_view_url(get_state()))
        return view(*args, **kwargs)

    return guarded


def me(state: State) -> UserRef:
    return state.ref(current_user)


def this_pc_id(state: State, user: UserRef) -> int | None:
    token = login_session.presented_token(state, user)
    return remember.this_pc(state, user, token) if token else None


def recovery_left_notice() -> str | None:
    """After a login with a recovery code, once: how many are left, and what to do."""
    left = session.pop(login_session.RECOVERY_LEFT_KEY, None)
    if not isinstance(left, int):
        return None
    if left == 0:
        return _("You logged in with your last recovery code: generate new ones now.")
    return _("You logged in with a recovery code: %(left)s left. Generate new ones.", left=left)


def _render(
    state: State, *, message: str | None = None, status: int = 200, **extra: Any
) -> Response:
    user = me(state)
    view = my_security.overview(state, user, this_pc_id=this_pc_id(state, user))
    html = render_template(
        "t2m2fa/security.html",
        view=view,
        wording=security_wording,
        notice=message or session.pop(NOTICE_KEY, None) or recovery_left_notice(),
        recovery_left=recovery.left(state, user.user_id),
        recovery_allowed=recovery.allowed(state, user.account_id),
        form=extra.pop("form", None) or ChangePhoneForm(),
        code_form=extra.pop("code_form", None) or CodeForm(),
        plain_form=StrictBodyForm(),
        when=wording.when,
        now=state.now(),
        **extra,
    )
    return Response(html, status)


def _back(text: str) -> Response:
    session[NOTICE_KEY] = text
    return answers.redirect(url_for("t2m2fa.security"))


@bp.get("/security")
@logged_in
def security() -> Response:
    return _render(get_state())


@bp.post("/security/pcs/revoke")
@logged_in
def revoke_pc() -> Response:
    state = get_state()
    form = RevokePcForm()
    if not form.validate():
        return _render(state, message=_("The form expired: try again."), status=400)
    pc_id = row_id(form.pc_id.data)  # 2**64 or -1: no such PC, like an unknown one
    if pc_id is None or not remember.revoke_one(state, me(state), pc_id):
        unit_of_work.rollback(state.session)
        abort(404)  # another user's PC or none: the same answer
    unit_of_work.commit(state.session)
    return _back(_(security_wording.PC_REVOKED))


@bp.post("/security/pcs/revoke-others")
@logged_in
def revoke_other_pcs() -> Response:
    state = get_state()
    if not StrictBodyForm().validate():
        return _render(state, message=_("The form expired: try again."), status=400)
    user = me(state)
    count = remember.revoke_others(
        state, user, keep_pc_id=this_pc_id(state, user), reason="by_user"
    )
    unit_of_work.commit(state.session)
    return _back(security_wording.pcs_revoked(count))


@dataclass(frozen=True)
class Asked:
    """A code was (or could not be) sent to the typed number."""

    sent: bool
    masked: str
    message: str


def ask_code(state: State, user: UserRef, role: object, text: object) -> Asked | str:
    """Keep the typed number as pending and send it a code; the error to show when refused."""
    try:
        issued = phone_change.request_change(state, user, str(role), text)
    except (PhoneError, ChangeRefused) as exc:
        unit_of_work.rollback(state.session)
        return security_wording.invalid_number(str(exc))
    unit_of_work.commit(state.session)
    phone = phone_change.pending_change(state, user.user_id)
    masked = phone.masked if phone is not None else ""
    if issued.sent or issued.reused:
        return Asked(True, masked, security_wording.code_sent(masked))
    message = security_wording.code_not_sent(masked, issued.retry_at, state.now())
    return Asked(False, masked, message)


def confirm_code(state: State, code: object) -> Changed | Verdict:
    """Judge the code of the pending number; keep this session signed in after a change."""
    user = me(state)
    result = phone_change.confirm(state, user, code, keep_pc_id=this_pc_id(state, user))
    unit_of_work.commit(state.session)  # a wrong code counts like any other
    if isinstance(result, Changed):
        sessions.keep_this_session(state, current_user)
    return result


def verdict_text(verdict: Verdict) -> str:
    if verdict.outcome is Outcome.LOCKED:
        return wording.locked_message()
    if verdict.outcome is Outcome.PAUSED:
        return wording.paused_message(verdict.retry_at, get_state().now())
    return _(security_wording.WRONG_CODE)


@bp.post("/security/phone")
@logged_in
@requires_step_up("security")
def change_phone() -> Response:
    state = get_state()
    form = ChangePhoneForm()
    if not form.validate():
        return _render(state, message=_("The form expired: try again."), status=400)
    result = ask_code(state, me(state), form.role.data, form.phone.data or "")
    if isinstance(result, str):
        return _render(state, message=result, status=400, form=form)
    return _back(result.message)


@bp.post("/security/phone/confirm")
@logged_in
@requires_step_up("security")
def confirm_phone() -> Response:
    state = get_state()
    form = CodeForm()
    if not form.validate():
        return _render(state, message=_("The form expired: try again."), status=400)
    result = confirm_code(state, form.code.data or "")
    if isinstance(result, Changed):
        return _back(security_wording.changed(result))
    status = answers.VERDICT_STATUS[result.outcome]
    return _render(state, message=verdict_text(result), status=status)


@bp.post("/security/backup/remove")
@logged_in
@requires_step_up("security")
def remove_backup() -> Response:
    state = get_state()
    if not StrictBodyForm().validate():
        return _render(state, message=_("The form expired: try again."), status=400)
    try:
        removed = phone_change.remove_backup(state, me(state))
    except ChangeRefused as exc:
        unit_of_work.rollback(state.session)
        return _render(state, message=_(str(exc)), status=409)
    unit_of_work.commit(state.session)
    if removed:
        sessions.keep_this_session(state, current_user)
    text = security_wording.BACKUP_REMOVED if removed else security_wording.NO_BACKUP
    return _back(_(text))
