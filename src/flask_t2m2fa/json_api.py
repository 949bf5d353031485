"""JSON endpoints for desktop and script clients (described in ``openapi.yaml``).

They take JSON bodies only and refuse cross-site callers (``Origin`` / ``Sec-Fetch-Site``):
a cross-site page cannot send a JSON body without a CORS pre-flight, which we never grant.
That is why they carry no CSRF token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, jsonify, request

from . import enrolment, flow, handoff, pending, steps
from .blueprint import bp
from .state import get_state
from .verification import Outcome

MAX_BODY = 4096
_HTTP_STATUS = {Outcome.WRONG: 401, Outcome.EXPIRED: 401, Outcome.PAUSED: 429, Outcome.LOCKED: 403}


def _cross_site() -> bool:
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        return (parts.scheme, parts.netloc) != (request.scheme, request.host)
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")


def guard() -> Response | None:
    if _cross_site():
        return handoff.problem("forbidden_origin", 403)
    if request.method == "POST":
        if request.content_length is not None and request.content_length > MAX_BODY:
            return handoff.problem("too_large", 413)
        if request.mimetype != "application/json":
            return handoff.problem("json_required", 415)
    return None


def body() -> dict[str, Any]:
    """The JSON object of the request, or {} for anything else."""
    data = handoff.json_body()
    return data if isinstance(data, dict) else {}


def pending_or_problem() -> pending.Pending | Response:
    pend = pending.current(get_state())
    return pend if pend is not None else handoff.problem("login_required", 401)


@bp.route("/api/challenge", methods=["GET"])
def api_challenge() -> Response:
    state = get_state()
    pend = guard() or pending_or_problem()
    if isinstance(pend, Response):
        return pend
    if pend.awaiting_number:
        return enrolment.awaiting_answer(state, pend)
    user = state.find_user(pend.user_id)
    live = steps.live_challenge(state, pend)
    if user is None or live is None:
        return handoff.problem("login_required", 401)
    return jsonify(flow.code_step(state, state.ref(user), live).to_json())


@bp.route("/api/verify", methods=["POST"])
def api_verify() -> Response:
    pend = guard() or pending_or_problem()
    if isinstance(pend, Response):
        return pend
    if pend.awaiting_number:
        return handoff.problem("enrolment_required", 409)
    data = body()
    result = steps.submit(get_state(), pend, data.get("code"), data.get("remember_pc") is True)
    if isinstance(result, Response):
        return result
    extra: dict[str, Any] = {}
    if result.outcome is Outcome.WRONG:
        extra["attempts_left"] = result.attempts_left
    if result.retry_at is not None:
        extra["retry_at"] = result.retry_at.isoformat().replace("+00:00", "Z")
    return handoff.problem(result.outcome.value, _HTTP_STATUS[result.outcome], **extra)


@bp.route("/api/resend", methods=["POST"])
def api_resend() -> Response:
    pend = guard() or pending_or_problem()
    if isinstance(pend, Response):
        return pend
    if pend.awaiting_number:
        return handoff.problem("enrolment_required", 409)
    answer = steps.resend(get_state(), pend, body().get("destination"))
    if answer is None:
        return handoff.problem("login_required", 401)
    return jsonify(answer.to_json())
