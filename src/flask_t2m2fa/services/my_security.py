"""What the user's own security page shows: his numbers, his remembered PCs, his policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..rules import policy, user_agents
from ..rules.policy import Policy
from ..state import State, UserRef
from . import accounts, phone_change, remember


@dataclass(frozen=True)
class PhoneView:
    role: str
    verified: str | None
    #: A number typed on this page (or by an administrator) whose code was not entered yet.
    pending: str | None


@dataclass(frozen=True)
class PcView:
    id: int
    browser: str | None
    system: str | None
    created_at: datetime
    last_used_at: datetime
    this_one: bool


@dataclass(frozen=True)
class Overview:
    two_factor_on: bool
    locked: bool
    policy: Policy
    remember_allowed: bool
    backup_required: bool
    phones: list[PhoneView]
    pcs: list[PcView]


def overview(state: State, user: UserRef, *, this_pc_id: int | None) -> Overview:
    """Everything the page shows, masked: no number and no token leaves this function."""
    current = accounts.policy_for(state, user.account_id)
    settings = accounts.settings_of(state, user.user_id)
    enabled = settings.enabled if settings is not None else None
    changing = phone_change.pending_change(state, user.user_id)
    phones = []
    for role in phone_change.ROLES:
        verified = accounts.phone_of(state, user.user_id, role, verified=True)
        waiting = accounts.phone_of(state, user.user_id, role, verified=False)
        if changing is not None and changing.role == phone_change.CHANGING[role]:
            waiting = changing
        phones.append(
            PhoneView(
                role, verified.masked if verified else None, waiting.masked if waiting else None
            )
        )
    pcs = [
        PcView(row.id, *user_agents.parse(row.label), row.created_at, row.last_used_at,
               row.id == this_pc_id)
        for row in remember.live_of(state, user.user_id)
    ]  # fmt: skip
    return Overview(
        two_factor_on=policy.two_factor_required(current, user_enabled=enabled),
        locked=bool(settings and settings.locked_at),
        policy=current,
        remember_allowed=policy.remember_offered(current),
        backup_required=policy.backup_required(is_admin=user.is_admin),
        phones=phones,
        pcs=pcs,
    )
