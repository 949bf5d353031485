"""The admin JSON endpoints (``openapi.yaml``): policy, users, one user's actions, audit.

Same guard as the pages (:mod:`admin_guard`) in its JSON form: JSON bodies only, no cross-site
callers, 401/403, 403 ``step_up_required``; a user outside the account is a 404. Stricter than
the pages, which take a form's blanks and stray values for "no filter" or "first page": a body
that is no JSON object is a 400 ``bad_request`` (no action runs on it), and a query parameter
out of ``openapi.yaml`` (not a page number, a sort or a date, or given twice) a 400 ``refused``.
"""

from __future__ import annotations

import dataclasses

from flask import Response, jsonify, request

from ..services import accounts, admin_audit, admin_users, policy_changes, unit_of_work
from ..services.admin_actions import Refused
from ..state import get_state
from . import admin_common as common
from . import sessions, wording
from .admin_blueprint import admin_api_bp
from .admin_guard import actor, admin_only, not_found
from .guards import json_object_or_problem, problem


def _refused(refused: Refused) -> Response:
    extra = {"field": refused.field} if refused.field else {}
    return problem("refused", refused.status, message=common.refusal_text(refused), **extra)


@admin_api_bp.route("/api/policy", methods=["GET", "PATCH"])
@admin_only(json=True)
def api_policy() -> Response:
    """GET the account's policy; PATCH changes only the fields given."""
    state, me = get_state(), actor()
    if request.method == "GET":
        current = accounts.policy_for(state, me.account_id)
        return jsonify({"policy": common.policy_body(current)})
    data = json_object_or_problem()
    if isinstance(data, Response):
        return data
    try:
        changes = common.policy_changes(data)
    except Refused as refused:
        return _refused(refused)
    saved = policy_changes.update(state, me.account_id, changes, actor=me)
    unit_of_work.commit(state.session)
    sessions.keep_acting_user(state, me.account_id)  # a switch to Enforced ended it
    body = {"policy": common.policy_body(saved.policy), "changed": saved.changed}
    return jsonify({**body, "revoked_pcs": saved.revoked})


@admin_api_bp.get("/api/users")
@admin_only(json=True)
def api_users() -> Response:
    """The account's users: ``search`` (name), ``sort`` (``name`` or ``state``), ``page``."""
    args = request.args
    try:
        common.single_valued(args, ("search", "sort", "page"))
        sort, page = common.api_sort(args), common.api_page(args)
    except Refused as refused:
        return _refused(refused)
    found = admin_users.listing(
        get_state(), actor(), search=args.get("search", ""), sort=sort, page=page
    )
    return jsonify(
        {
            "users": [common.user_body(v) for v in found.users],
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
        }
    )


@admin_api_bp.get("/api/users/<user_id>")
@admin_only(json=True)
def api_user(user_id: str) -> Response:
    state = get_state()
    found = admin_users.find(state, actor(), user_id)
    if found is None:
        return not_found(json=True)
    current = accounts.policy_for(state, found[1].account_id)
    return jsonify({"user": common.user_body(admin_users.view(state, *found, current))})


@admin_api_bp.post("/api/users/<user_id>/<action>")
@admin_only(json=True)
def api_user_action(user_id: str, action: str) -> Response:
    """One action of the user dialog (``enable``, ``disable``, ``unlock``, ``set-phone``, ...)."""
    state = get_state()
    found = admin_users.find(state, actor(), user_id)
    if found is None or action not in common.ACTIONS:
        return not_found(json=True)
    data = json_object_or_problem()
    if isinstance(data, Response):
        return data
    try:
        done = common.perform(state, action, found[1], data)
    except Refused as refused:
        return _refused(refused)
    current = accounts.policy_for(state, found[1].account_id)
    view = admin_users.view(state, *found, current)
    message = common.done_text(done)
    return jsonify({"status": "ok", "message": message, "user": common.user_body(view)})


@admin_api_bp.get("/api/audit")
@admin_only(json=True)
def api_audit() -> Response:
    """The account's events, newest first: ``user``, ``kind``, ``since``, ``until``, ``page``."""
    state, args = get_state(), request.args
    try:
        common.single_valued(args, ("user", "kind", "since", "until", "page"))
        filters, page = common.audit_filters(args, strict=True), common.api_page(args)
    except Refused as refused:
        return _refused(refused)
    found = admin_audit.page_of(state, actor().account_id, filters, page=page)
    lines = [{**dataclasses.asdict(line), "at": wording.iso(line.at)} for line in found.lines]
    return jsonify(
        {"events": lines, "total": found.total, "page": found.page, "pages": found.pages}
    )
