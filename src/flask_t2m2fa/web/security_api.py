"""The JSON twins of the security page (``openapi.yaml``): the same rules as the HTML forms.

Only a fully logged-in user (else 401 ``login_required``); changing or removing a number needs
a second-factor code within ``T2M2FA_SECURITY_STEP_UP`` (else 403 ``step_up_required``, as the
forms). A refused number is 400 ``invalid_phone`` and nothing is sent; another user's PC (or a
``pc_id`` no row can have) is 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Response, jsonify
from flask_login import current_user

from ..i18n import gettext as _
from ..rules import recovery as recovery_rule
from ..rules.ids import row_id
from ..services import my_security, phone_change, recovery, remember, unit_of_work
from ..services.phone_change import Changed, ChangeRefused
from ..state import get_state
from . import answers, security_wording, sessions
from .blueprint import api_bp
from .guards import json_object_or_problem, problem
from .security_views import (
    Asked,
    ask_code,
    confirm_code,
    me,
    this_pc_id,
)
from .step_up import requires_step_up
from .wording import iso

P = ParamSpec("P")
R = TypeVar("R")


def json_logged_in(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Only a fully logged-in user; anyone else gets 401 ``login_required``."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not current_user.is_authenticated:
            return problem("login_required", 401, message=_("Log in first."))
        return view(*args, **kwargs)

    return guarded


def _ok(message: str, **extra: Any) -> Response:
    return jsonify({"status": "ok", "message": message, **extra})


@api_bp.get("/api/security")
@json_logged_in
def api_security() -> Response:
    state = get_state()
    user = me(state)
    view = my_security.overview(state, user, this_pc_id=this_pc_id(state, user))
    return jsonify(
        {
            "status": "ok",
            "two_factor_on": view.two_factor_on,
            "locked": view.locked,
            "remember_allowed": view.remember_allowed,
            "backup_required": view.backup_required,
            "policy": security_wording.policy_lines(view),
            "phones": [
                {"role": p.role, "verified": p.verified, "pending": p.pending} for p in view.phones
            ],
            "recovery_codes_left": recovery.left(state, user.user_id),
            "recovery_codes_allowed": recovery.allowed(state, user.account_id),
            "pcs": [
                {
                    "id": pc.id,
                    "label": security_wording.pc_label(pc),
                    "created_at": iso(pc.created_at),
                    "last_used_at": iso(pc.last_used_at),
                    "this_pc": pc.this_one,
                }
                for pc in view.pcs
            ],
        }
    )


@api_bp.post("/api/security/pcs/revoke")
@json_logged_in
def api_revoke_pc() -> Response:
    body = json_object_or_problem()
    if isinstance(body, Response):
        return body
    state = get_state()
    pc_id = row_id(body.get("pc_id"), text_ok=False)  # 2**64, -1, "5": no such PC
    if pc_id is None or not remember.revoke_one(state, me(state), pc_id):
        unit_of_work.rollback(state.session)
        return problem("not_found", 404, message=_("There is no such remembered PC."))
    unit_of_work.commit(state.session)
    return _ok(_(security_wording.PC_REVOKED))


@api_bp.post("/api/security/pcs/revoke-others")
@json_logged_in
def api_revoke_other_pcs() -> Response:
    body = json_object_or_problem()
    if isinstance(body, Response):
        return body
    state = get_state()
    user = me(state)
    count = remember.revoke_others(
        state, user, keep_pc_id=this_pc_id(state, user), reason="by_user"
    )
    unit_of_work.commit(state.session)
    return _ok(security_wording.pcs_revoked(count), revoked=count)


@api_bp.post("/api/security/phone")
@json_logged_in
@requires_step_up("security", json=True)
def api_change_phone() -> Response:
    """Keep the new number as pending and send it a code (role ``backup`` adds a backup)."""
    body = json_object_or_problem()
    if isinstance(body, Response):
        return body
    state = get_state()
    role, text = body.get("role", "primary"), body.get("phone")
    if role not in phone_change.ROLES or not isinstance(text, str):
        return problem("bad_request", 400, message=_("Send a role and a phone number."))
    result = ask_code(state, me(state), role, text)
    if not isinstance(result, Asked):
        return problem("invalid_phone", 400, message=result)
    status = "code_sent" if result.sent else "code_not_sent"
    return jsonify({"status": status, "sent_to": result.masked, "message": result.message})


@api_bp.post("/api/security/phone/confirm")
@json_logged_in
@requires_step_up("security", json=True)
def api_confirm_phone() -> Response:
    body = json_object_or_problem()
    if isinstance(body, Response):
        return body
    state = get_state()
    result = confirm_code(state, body.get("code", ""))
    if isinstance(result, Changed):
        return _ok(
            security_wording.changed(result),
            role=result.role,
            phone=result.masked,
            notice_sent=result.notice_sent,
            pcs_revoked=result.pcs_revoked,
        )
    return answers.verdict(result, None, state.now(), signed_in=True)


@api_bp.post("/api/security/backup/remove")
@json_logged_in
@requires_step_up("security", json=True)
def api_remove_backup() -> Response:
    body = json_object_or_problem()
    if isinstance(body, Response):
        return body
    state = get_state()
    try:
        removed = phone_change.remove_backup(state, me(state))
    except ChangeRefused as exc:
        unit_of_work.rollback(state.session)
        return problem("backup_required", 409, message=_(str(exc)))
    unit_of_work.commit(state.session)
    if removed:
        sessions.keep_this_session(state, current_user)
    text = security_wording.BACKUP_REMOVED if removed else security_wording.NO_BACKUP
    return _ok(_(text), removed=removed)


@api_bp.post("/api/security/recovery-codes")
@json_logged_in
@requires_step_up("security", json=True)
def api_generate_recovery_codes() -> Response:
    """A new set of recovery codes, shown this once (the previous set dies)."""
    body = json_object_or_problem()
    if isinstance(body, Response):
        return body
    state = get_state()
    user = me(state)
    if not recovery.allowed(state, user.account_id):
        message = _("Recovery codes are turned off for this account.")
        return problem("recovery_disabled", 403, message=message)
    codes = recovery.generate(state, user)
    if codes is None:
        unit_of_work.rollback(state.session)
        message = _("Verify a mobile number first: recovery codes stand in for it.")
        return problem("no_second_factor", 409, message=message)
    unit_of_work.commit(state.session)
    shown = [recovery_rule.display(code) for code in codes]
    message = _("Save these codes now: they are shown only once. Each works for one login.")
    return _ok(message, codes=shown)
