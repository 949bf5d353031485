"""What an administrator sees of his account's users: the list and one user's security.

The host lists its users (``users_of``) and names them (``display_name``); the extension adds
what it keeps: the 2FA state word, masked phones, remembered PCs, last second-factor login.
The list is filtered and sorted in Python on the account's users, then one page is enriched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..models import AuditEvent, Phone, RememberedPc, UserSettings
from ..rules import admin_scope, budgets, policy
from ..rules.policy import Policy
from ..state import State, UserRef
from . import accounts, verification


@dataclass(frozen=True)
class PhoneView:
    role: str
    masked: str
    verified: bool


@dataclass(frozen=True)
class PcView:
    id: int
    label: str
    created_at: datetime
    last_used_at: datetime


@dataclass(frozen=True)
class UserView:
    user_id: str
    name: str
    is_admin: bool
    state: str
    paused_until: datetime | None
    phones: list[PhoneView]
    pcs: list[PcView]
    last_code_login: datetime | None
    failures: int


@dataclass(frozen=True)
class UserPage:
    users: list[UserView]
    total: int
    page: int
    pages: int


def find(state: State, actor: UserRef, user_id: str) -> tuple[Any, UserRef] | None:
    """The user ``user_id`` if the actor may administer him, else None (answered as 404)."""
    try:
        user = state.find_user(user_id) if user_id.isprintable() and len(user_id) <= 64 else None
    except (ValueError, TypeError, LookupError):  # not an id the host's loader understands
        user = None
    if user is None:
        return None
    ref = state.ref(user)
    allowed = admin_scope.in_scope(
        actor_is_admin=actor.is_admin, actor_account=actor.account_id, target_account=ref.account_id
    )
    return (user, ref) if allowed else None


def _state_word(
    state: State, current: Policy, ref: UserRef, row: UserSettings | None
) -> tuple[str, datetime | None, int]:
    paused_until, failures, locked = None, 0, False
    if row is not None:
        counted = verification.counted_failures(state, row)
        gate = verification.gate_of(state, row, counted)
        failures, locked = len(counted), gate.gate is budgets.Gate.LOCKED
        if gate.gate is budgets.Gate.PAUSED:
            paused_until = gate.retry_at
    verified = accounts.phone_of(state, ref.user_id, accounts.PRIMARY, verified=True)
    word = admin_scope.user_state(
        required=policy.two_factor_required(current, user_enabled=row.enabled if row else None),
        locked=locked,
        paused=paused_until is not None,
        verified_primary=verified is not None,
    )
    return word, paused_until, failures


def view(state: State, user: Any, ref: UserRef, current: Policy) -> UserView:
    row = accounts.settings_of(state, ref.user_id)
    word, paused_until, failures = _state_word(state, current, ref, row)
    phones = state.session.scalars(
        sa.select(Phone).where(Phone.user_id == ref.user_id).order_by(Phone.role, Phone.id)
    ).all()
    pcs = state.session.scalars(
        sa.select(RememberedPc)
        .where(RememberedPc.user_id == ref.user_id, RememberedPc.revoked_at.is_(None))
        .order_by(RememberedPc.last_used_at.desc())
    ).all()
    last = state.session.scalar(
        sa.select(sa.func.max(AuditEvent.at)).where(
            AuditEvent.user_id == ref.user_id,
            AuditEvent.event == "code_verified",
            AuditEvent.reason == "login",
        )
    )
    return UserView(
        user_id=ref.user_id,
        name=state.name_of(user),
        is_admin=ref.is_admin,
        state=word,
        paused_until=paused_until,
        phones=[
            PhoneView(accounts.public_role(p.role), p.masked, p.verified_at is not None)
            for p in phones
            if p.role in (accounts.PRIMARY, accounts.BACKUP)
        ],
        pcs=[PcView(p.id, p.label, p.created_at, p.last_used_at) for p in pcs],
        last_code_login=last,
        failures=failures,
    )


def listing(
    state: State, actor: UserRef, *, search: str = "", sort: str = "name", page: int = 1,
    per_page: int = 25,
) -> UserPage:  # fmt: skip
    """One page of the actor's account's users, searched by name, sorted by name or state."""
    current = accounts.policy_for(state, actor.account_id)
    users = [(u, state.ref(u)) for u in state.users_in(actor.account_id)]
    users = [(u, r) for u, r in users if r.account_id == actor.account_id]
    named = [(state.name_of(u), u, r) for u, r in users]
    needle = search.strip().casefold()
    if needle:
        named = [item for item in named if needle in item[0].casefold()]
    named.sort(key=lambda item: item[0].casefold())
    if sort == "state":
        ranked = [(view(state, u, r, current), n) for n, u, r in named]
        ranked.sort(key=lambda item: (admin_scope.state_rank(item[0].state), item[1].casefold()))
        views = [v for v, _ in ranked]
    else:
        views = []
    total = len(named)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    if sort == "state":
        return UserPage(views[start : start + per_page], total, page, pages)
    chunk = named[start : start + per_page]
    return UserPage([view(state, u, r, current) for _, u, r in chunk], total, page, pages)
