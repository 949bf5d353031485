"""What a destructive admin action would reach, counted before the administrator confirms it.

The confirmation step says the numbers ("This revokes 3 remembered PCs and ends the sessions of
5 users"); the counts use the same predicates as the actions.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..models import RememberedPc
from ..state import State


def live_pcs(state: State, *, account_id: str | None = None, user_id: str | None = None) -> int:
    """Remembered PCs not revoked yet, of one user or of a whole account."""
    query = sa.select(sa.func.count()).where(RememberedPc.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(RememberedPc.user_id == user_id)
    if account_id is not None:
        query = query.where(RememberedPc.account_id == account_id)
    return int(state.session.scalar(query.select_from(RememberedPc)) or 0)


def other_users(state: State, account_id: str, *, keep_user_id: str) -> int:
    """The account's users but the acting administrator: a switch to Enforced ends their
    sessions (those with 2FA settings by :func:`epochs.bump_account`, the others because a
    session made without a second factor ends once one is required)."""
    refs = (state.ref(user) for user in state.users_in(account_id))
    return sum(1 for ref in refs if ref.user_id != keep_user_id)
