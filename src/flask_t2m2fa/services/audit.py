"""Write an audit row in the caller's transaction; its signal goes out after the commit."""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, request

from ..events import Event
from ..models import AuditEvent
from ..signals import BY_EVENT
from ..state import State, UserRef
from . import unit_of_work

logger = logging.getLogger("flask_t2m2fa.audit")


def record(
    state: State,
    event: Event,
    user: UserRef | None,
    *,
    account_id: str | None = None,
    user_id: str | None = None,
    outcome: str = "ok",
    reason: str | None = None,
    destination: str | None = None,
    challenge_id: str | None = None,
    actor: UserRef | None = None,
) -> None:
    """Add one audit event about ``user`` (or about the ids given instead).

    :param destination: a *masked* number (``phones.mask``) or a role name, never a number.
    :param actor: the administrator who did it, when it was not the user himself.
    """
    if user is not None:
        account_id, user_id = user.account_id, user.user_id
    fields = {
        "account_id": account_id,
        "user_id": user_id,
        "outcome": outcome,
        "reason": reason,
        "destination": destination,
        "challenge_id": challenge_id,
        "actor_id": actor.user_id if actor is not None else None,
    }
    ip = request.remote_addr if has_request_context() else None
    state.session.add(AuditEvent(at=state.now(), event=event.value, ip=ip, **fields))
    logger.info(
        "t2m2fa %s outcome=%s user=%s account=%s reason=%s destination=%s actor=%s",
        event.value,
        outcome,
        user_id,
        account_id,
        reason,
        destination,
        fields["actor_id"],
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    unit_of_work.queue(state.session, unit_of_work.QueuedSignal(BY_EVENT[event], app, fields))
