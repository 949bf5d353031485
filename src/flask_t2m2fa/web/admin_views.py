"""The admin pages: security policy, users, one user's security dialog, audit (and CSV)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf

from ..i18n import gettext as _
from ..rules import policy as policy_rules
from ..rules.notices import N_
from ..rules.policy import COOKIE_MAX_DAYS, MODES, Policy
from ..services import accounts, admin_audit, admin_users, policy_changes, unit_of_work
from ..services.admin_actions import Refused
from ..state import get_state
from . import admin_common as common
from . import admin_confirm, sessions, wording
from .admin_blueprint import admin_bp
from .admin_guard import actor, admin_only, not_found

EVENT_KINDS = sorted(
    {"policy_changed", "two_factor_enabled", "two_factor_disabled", "phone_changed",
     "phone_verified", "user_unlocked", "user_locked", "pcs_revoked", "code_sent",
     "code_verified", "code_failed", "pc_used", "pc_rejected", "pc_remembered",
     "code_requested", "sessions_ended"}
)  # fmt: skip
#: What the last action did, shown once on the next page (the extension's own key, not the
#: host's flash messages: a host layout that shows those would say it twice).
_NOTICE_KEY = "_t2m2fa_admin_notice"


def _page(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(
        f"t2m2fa/admin/{template}",
        csrf=generate_csrf(),
        state_word=common.state_word,
        notice=session.pop(_NOTICE_KEY, None),
        when=wording.when,
        now=get_state().now(),
        **context,
    )
    return Response(html, status)


def _tell(text: str, endpoint: str, **values: Any) -> Response:
    """Say ``text`` on the next page (once), and redirect there."""
    session[_NOTICE_KEY] = text
    return redirect(url_for(endpoint, **values))  # type: ignore[return-value]


def _form_policy(form: Any, prefix: str) -> Policy:
    """The policy a form shows (``prefix`` "was_": as it was loaded, "": as submitted)."""
    mode = form.get(f"{prefix}mode", "")
    days_text = form.get(f"{prefix}remember_pc_days", "").strip()
    never = form.get(f"{prefix}expiry", "never") == "never"
    if mode not in MODES:
        raise Refused(N_("Choose Standard or Enforced."), field="mode")
    days = None
    if not never:
        if not days_text.isdigit() or not 1 <= int(days_text) <= COOKIE_MAX_DAYS:
            days_range = N_("Enter a number of days from 1 to %(max)s.")
            raise Refused(days_range, field="days", max=COOKIE_MAX_DAYS)
        days = int(days_text)
    new_users = form.get(f"{prefix}enable_for_new_users") == "y"
    remember = form.get(f"{prefix}remember_pc_allowed") == "y"
    recovery = form.get(f"{prefix}recovery_codes_allowed") == "y"
    return Policy(mode, new_users, remember, days, recovery)


@admin_bp.route("/policy", methods=["GET", "POST"])
@admin_only(json=False)
def policy() -> Response:
    """Account > Security Policy > Modify 2-Factor Authentication policy."""
    state, me = get_state(), actor()
    current = accounts.policy_for(state, me.account_id)
    if request.method == "GET":
        return _page("policy.html", policy=current, max_days=COOKIE_MAX_DAYS)
    try:
        loaded, wanted = _form_policy(request.form, "was_"), _form_policy(request.form, "")
    except Refused as refused:
        error = common.shown(refused)
        return _page("policy.html", 400, policy=current, max_days=COOKIE_MAX_DAYS, error=error)
    confirm = None
    if not admin_confirm.confirmed(request.form):
        confirm = admin_confirm.for_policy(state, me, loaded, wanted, request.form)
    if confirm is not None:
        return _page("policy.html", policy=current, max_days=COOKIE_MAX_DAYS, confirm=confirm)
    # Only what this form changed: another administrator's change meanwhile is kept.
    changes = policy_rules.differences(loaded, wanted)
    saved = policy_changes.update(state, me.account_id, changes, actor=me)
    unit_of_work.commit(state.session)
    sessions.keep_acting_user(state, me.account_id)  # a switch to Enforced ended it
    said = [_("Policy saved.") if saved.changed else _("Nothing changed.")]
    if saved.revoked:
        said.append(_("%(count)s remembered PC(s) revoked.", count=saved.revoked))
    return _tell(" ".join(said), "t2m2fa_admin.policy")


@admin_bp.get("/users")
@admin_only(json=False)
def users() -> Response:
    """Users: state, masked phones, remembered PCs, last code login; search, sort, pages."""
    args = request.args
    search, sort = args.get("search", "")[:100], args.get("sort", "name")
    found = admin_users.listing(
        get_state(), actor(), search=search, sort=sort, page=common.page_number(args)
    )
    return _page(
        "users.html",
        found=found,
        search=search,
        sort=sort,
        ago=wording.ago,
        label=wording.device_label,
    )


@admin_bp.route("/users/<user_id>", methods=["GET", "POST"])
@admin_only(json=False)
def user(user_id: str) -> Response:
    """Users > Properties > Security: every action of the dialog posts here with ``action``."""
    state = get_state()
    found = admin_users.find(state, actor(), user_id)
    if found is None:
        return not_found(json=False)
    error: common.Shown | None = None
    confirm: admin_confirm.Confirm | None = None
    if request.method == "POST":
        action = request.form.get("action", "")
        if action not in common.ACTIONS:
            return not_found(json=False)
        if action in admin_confirm.USER_ACTIONS and not admin_confirm.confirmed(request.form):
            name = state.name_of(found[0])
            confirm = admin_confirm.for_user_action(state, action, name, found[1], request.form)
        else:
            try:
                done = common.perform(state, action, found[1], request.form)
                return _tell(common.done_text(done), "t2m2fa_admin.user", user_id=user_id)
            except Refused as refused:
                error = common.shown(refused)
    current = accounts.policy_for(state, found[1].account_id)
    view = admin_users.view(state, *found, current)
    return _page(
        "user.html",
        200 if error is None else error.status,
        u=view,
        policy=current,
        error=error,
        confirm=confirm,
        ago=wording.ago,
        label=wording.device_label,
        form=request.form if error else {},
        waits=admin_users.resend_waits(state, found[1].user_id),
    )


@admin_bp.get("/audit")
@admin_only(json=False)
def audit() -> Response:
    """The account's events: filters user, kind, period; pages; ``?format=csv`` exports."""
    state, me, args = get_state(), actor(), request.args
    error: common.Shown | None = None
    try:
        filters = common.audit_filters(args)
    except Refused as refused:
        filters, error = admin_audit.Filters(), common.shown(refused)
    if args.get("format") == "csv" and error is None:
        return _csv(admin_audit.all_lines(state, me.account_id, filters))
    found = admin_audit.page_of(state, me.account_id, filters, page=common.page_number(args))
    people = sorted((state.name_of(u), state.ref(u).user_id) for u in state.users_in(me.account_id))
    return _page(
        "audit.html", found=found, args=args, kinds=EVENT_KINDS, people=people, error=error
    )


def _csv(lines: list[admin_audit.Line]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "event", "outcome", "user", "by", "reason", "number"])
    for line in lines:
        row = [wording.iso(line.at), line.event, line.outcome, line.user, line.actor or "",
               line.reason or "", line.destination or ""]  # fmt: skip
        writer.writerow([_neutral(cell) for cell in row])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=t2m2fa-audit.csv"
    return response


#: What a spreadsheet may read as the start of a formula (OWASP "CSV Injection"): = + - @,
#: and TAB and CR, which some spreadsheets skip before looking at the next character.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutral(cell: str) -> str:
    """``cell`` made inert for a spreadsheet: a leading ``'`` keeps it text."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell
