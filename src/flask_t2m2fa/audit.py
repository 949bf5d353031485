"""Write an audit row (in the caller's transaction) and send the matching signal."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app, has_request_context, request
from sqlalchemy.orm import Session

from .models import AuditEvent
from .signals import BY_EVENT

logger = logging.getLogger("flask_t2m2fa.audit")


def record(
    session: Session,
    event: str,
    *,
    at: datetime,
    account_id: str | None,
    user_id: str | None,
    outcome: str = "ok",
    reason: str | None = None,
    destination: str | None = None,
    challenge_id: str | None = None,
) -> AuditEvent:
    """Add one audit event and emit its signal.

    :param destination: a *masked* number (``phones.mask``) or a role name, never a number.
    """
    ip = request.remote_addr if has_request_context() else None
    row = AuditEvent(
        at=at,
        account_id=account_id,
        user_id=user_id,
        event=event,
        outcome=outcome,
        reason=reason,
        destination=destination,
        challenge_id=challenge_id,
        ip=ip,
    )
    session.add(row)
    logger.info(
        "t2m2fa %s outcome=%s user=%s account=%s reason=%s destination=%s",
        event,
        outcome,
        user_id,
        account_id,
        reason,
        destination,
    )
    BY_EVENT[event].send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        account_id=account_id,
        user_id=user_id,
        outcome=outcome,
        reason=reason,
        destination=destination,
        challenge_id=challenge_id,
    )
    return row
