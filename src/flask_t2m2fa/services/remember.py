"""Remembered PCs in the database: issue, check against the current policy, revoke."""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request

from ..events import Event
from ..models import RememberedPc
from ..rules import trust
from ..rules.notices import Notice
from ..rules.policy import Rejection, backup_missing, remembered_pc_rejection
from ..state import State, UserRef
from . import accounts, audit, notices
from .snapshot import UserSnapshot


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
    notices.to_verified(state, user, Notice.NEW_PC, event_key=new.selector)
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


def check(state: State, user: UserRef, token: object, snap: UserSnapshot) -> RememberedPc | None:
    """The remembered PC that ``token`` proves for ``user`` under his account's policy now
    (``snap``: what the login read about him), else None.

    An administrator without a verified backup phone gets no PC's shortcut: his login goes
    through the code and then the backup's enrolment. Every outcome is audited (``pc_used`` or
    ``pc_rejected`` with the reason).
    """
    now = state.now()
    row, why = _find(state, user, token)
    rejection: Rejection | None = why
    if row is not None:
        backup = snap.phone(accounts.BACKUP, verified=True)
        rejection = remembered_pc_rejection(
            snap.policy,
            created_at=row.created_at,
            revoked=row.revoked_at is not None,
            now=now,
            backup_missing=backup_missing(is_admin=user.is_admin, has_verified_backup=bool(backup)),
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


def live_of(state: State, user_id: str) -> list[RememberedPc]:
    """The user's remembered PCs that are not revoked, newest use first."""
    return list(
        state.session.scalars(
            sa.select(RememberedPc)
            .where(RememberedPc.user_id == user_id, RememberedPc.revoked_at.is_(None))
            .order_by(RememberedPc.last_used_at.desc())
        ).all()
    )


def this_pc(state: State, user: UserRef, token: object) -> int | None:
    """The id of the user's remembered PC that ``token`` proves (any policy), else None."""
    row, _ = _find(state, user, token)
    return row.id if row is not None and row.revoked_at is None else None


def revoke_one(state: State, user: UserRef, pc_id: int) -> bool:
    """Revoke one of the user's own PCs; False when it is not his or already revoked."""
    row = state.session.get(RememberedPc, pc_id)
    if row is None or row.user_id != user.user_id or row.revoked_at is not None:
        return False
    row.revoked_at = state.now()
    audit.record(state, Event.PC_REVOKED, user, reason=f"by_user id={pc_id}")
    return True


def revoke_others(state: State, user: UserRef, *, keep_pc_id: int | None, reason: str) -> int:
    """Revoke every live PC of ``user`` except ``keep_pc_id`` (the one in use); how many."""
    statement = sa.update(RememberedPc).where(
        RememberedPc.user_id == user.user_id, RememberedPc.revoked_at.is_(None)
    )
    if keep_pc_id is not None:
        statement = statement.where(RememberedPc.id != keep_pc_id)
    result = state.session.execute(statement.values(revoked_at=state.now()))
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.record(state, Event.PCS_REVOKED, user, reason=f"{reason} count={count} kept={keep_pc_id}")
    return count
