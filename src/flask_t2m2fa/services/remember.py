"""Remembered PCs in the database: issue, check against the current policy, revoke."""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request

from ..events import Event
from ..models import RememberedPc
from ..rules import trust
from ..rules.policy import Policy, Rejection, remembered_pc_rejection
from ..state import State, UserRef
from . import audit


def issue(state: State, user: UserRef, *, label: str) -> tuple[RememberedPc, str]:
    """Remember this PC for ``user``; return the row and the token (shown once, never kept)."""
    now = state.now()
    new = trust.new_token()
    row = RememberedPc(
        selector=new.selector,
        validator_hash=new.validator_hash,
        user_id=user.user_id,
        account_id=user.account_id,
        label=label[:100],
        network=trust.coarse_network(request.remote_addr if has_request_context() else None),
        created_at=now,
        last_used_at=now,
    )
    state.session.add(row)
    state.session.flush()  # its id names it in the audit (the user agent stays out of it)
    audit.record(state, Event.PC_REMEMBERED, user, reason=f"pc_id={row.id}")
    return row, new.token


def _find(state: State, user: UserRef, token: object) -> tuple[RememberedPc | None, Rejection]:
    parts = trust.split(token)
    if parts is None:
        return None, Rejection.UNKNOWN
    selector, validator = parts
    row = state.session.scalars(
        sa.select(RememberedPc).where(RememberedPc.selector == selector)
    ).first()
    if row is None or not trust.validator_matches(validator, row.validator_hash):
        return None, Rejection.UNKNOWN
    if row.user_id != user.user_id:
        # A token of another user, presented with this user's password: ignore it.
        return None, Rejection.OTHER_USER
    return row, Rejection.UNKNOWN


def check(state: State, user: UserRef, token: object, policy: Policy) -> RememberedPc | None:
    """The remembered PC that ``token`` proves for ``user`` under ``policy`` now, else None.

    Every outcome is audited (``pc_used`` or ``pc_rejected`` with the reason).
    """
    now = state.now()
    row, why = _find(state, user, token)
    rejection: Rejection | None = why
    if row is not None:
        rejection = remembered_pc_rejection(
            policy, created_at=row.created_at, revoked=row.revoked_at is not None, now=now
        )
    if rejection is not None:
        audit.record(state, Event.PC_REJECTED, user, outcome="rejected", reason=rejection.value)
        return None
    assert row is not None
    row.last_used_at = now
    audit.record(state, Event.PC_USED, user, reason=f"pc_id={row.id}")
    return row


def revoke(
    state: State, *, user_id: str | None = None, account_id: str | None = None, reason: str
) -> int:
    """Revoke every live remembered PC of a user, or of a whole account; return how many."""
    if user_id is None and account_id is None:
        raise ValueError("revoke needs a user_id or an account_id")
    now = state.now()
    statement = sa.update(RememberedPc).where(RememberedPc.revoked_at.is_(None))
    if user_id is not None:
        statement = statement.where(RememberedPc.user_id == user_id)
    if account_id is not None:
        statement = statement.where(RememberedPc.account_id == account_id)
    result = state.session.execute(statement.values(revoked_at=now))
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.record(
        state,
        Event.PCS_REVOKED,
        None,
        account_id=account_id,
        user_id=user_id,
        reason=f"{reason} count={count}",
    )
    return count
