"""Change an account's policy field by field, and record users created under it.

A form or a CLI call changes only what it names: the other fields keep their stored value
(:func:`rules.policy.updated`). Nothing changed means no new version and no audit line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..events import Event
from ..models import AccountPolicy, UserSettings
from ..rules import policy as rules
from ..rules.policy import ENFORCED, Policy
from ..state import State, UserRef
from . import accounts, audit


@dataclass(frozen=True)
class PolicySaved:
    policy: Policy
    #: The fields that changed, with their new value ({} : nothing was written).
    changed: dict[str, Any]
    #: Remembered PCs revoked by this change (Enforced, or Remember this PC no longer allowed).
    revoked: int


def update(
    state: State, account_id: str, changes: dict[str, Any], *, actor: UserRef | None = None
) -> PolicySaved:
    """Apply ``changes`` to the account's current policy. The caller commits.

    :raises ValueError: an unknown field or a value out of bounds (nothing is written).
    """
    from . import epochs, remember  # they import accounts

    before = accounts.policy_for(state, account_id)
    after = rules.updated(before, changes)
    changed = rules.differences(before, after)
    if not changed:
        return PolicySaved(after, {}, 0)
    row = state.session.get(AccountPolicy, account_id)
    if row is None:
        row = AccountPolicy(account_id=account_id, version=0)
        state.session.add(row)
    row.mode, row.enable_for_new_users = after.mode, after.enable_for_new_users
    row.remember_pc_allowed, row.remember_pc_days = (
        after.remember_pc_allowed,
        after.remember_pc_days,
    )
    row.recovery_codes_allowed = after.recovery_codes_allowed
    row.version, row.updated_at = (row.version or 0) + 1, state.now()
    reason = f"v{row.version} " + " ".join(f"{k}={v}" for k, v in changed.items())
    audit.record(
        state, Event.POLICY_CHANGED, None, account_id=account_id, reason=reason, actor=actor
    )
    revoked = 0
    # A shortened expiry needs no revocation: each PC is judged by the current rule at use.
    if after.mode == ENFORCED or not after.remember_pc_allowed:
        revoked = remember.revoke(state, account_id=account_id, reason="policy_changed")
    if after.mode == ENFORCED and before.mode != ENFORCED:
        # Every session is started again under the new rule; the acting administrator's own
        # is kept by the web layer (web.sessions.keep_acting_user).
        epochs.bump_account(state, account_id, reason="policy_enforced")
    return PolicySaved(after, changed, revoked)


def user_created(state: State, user: UserRef) -> UserSettings:
    """Record a new user's 2FA switch as the account's policy says now; the caller commits.

    Only users recorded here (or by an administrator) get "2FA for new users": users who
    existed before the flag was set are not changed by it.
    """
    existing = accounts.settings_of(state, user.user_id)
    if existing is not None:
        return existing
    current = accounts.policy_for(state, user.account_id)
    return accounts.ensure_settings(state, user, enabled=rules.enabled_at_creation(current))
