"""What an administrator sees of his account's users: the list and one user's security.

The host lists its users (``users_of``) and names them (``display_name``); the extension adds
what it keeps: the 2FA state word, masked phones, remembered PCs, last second-factor login.
The list is filtered and sorted in Python on the account's users, then one page is enriched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..models import AuditEvent, Failure, Phone, RememberedPc, UserSettings
from ..rules import admin_scope, budgets, policy
from ..rules.ids import row_id
from ..rules.policy import Policy
from ..state import State, UserRef
from . import accounts, admin_actions, challenges, counters, recovery, verification


@dataclass(frozen=True)
class PhoneView:
    role: str
    masked: str
    verified: bool


@dataclass(frozen=True)
class PcView:
    id: int
    label: str
    network: str | None
    created_at: datetime
    last_used_at: datetime
    #: Past the account's expiry: it no longer stands in for the code, but a longer expiry
    #: would bring it back, so it is listed (and revoked by "Revoke all") until revoked.
    expired: bool = False


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
    #: The user's recovery codes: his current set's size (0: none) and how many are unused.
    recovery: recovery.Holding = recovery.NONE


@dataclass(frozen=True)
class UserPage:
    users: list[UserView]
    total: int
    page: int
    pages: int


def _loadable(user_id: str) -> bool:
    """May ``user_id`` (from a URL) go to the host's user loader? A whole number that no
    integer column holds (negative, zero, 2**63 and more) may not: a loader that does
    ``session.get(User, int(user_id))`` would raise inside the driver (a 500) on it."""
    if not user_id.isprintable() or len(user_id) > 64:
        return False
    if user_id.lstrip("-").isascii() and user_id.lstrip("-").isdigit():
        return row_id(user_id) is not None
    return True


def find(state: State, actor: UserRef, user_id: str) -> tuple[Any, UserRef] | None:
    """The user ``user_id`` if the actor may administer him, else None (answered as 404)."""
    try:
        user = state.find_user(user_id) if _loadable(user_id) else None
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
        counted = counters.read_failures(state, row)
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


def view(
    state: State,
    user: Any,
    ref: UserRef,
    current: Policy,
    holding: recovery.Holding | None = None,
) -> UserView:
    """One user as the dialog shows him; ``holding``: his recovery codes when the caller read
    them for a whole page at once (else read here)."""
    if holding is None:
        holding = recovery.holdings(state, [ref.user_id]).get(ref.user_id, recovery.NONE)
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
        pcs=[_pc_view(p, current, state.now()) for p in pcs],
        last_code_login=last_code_login(state, ref.user_id),
        failures=failures,
        recovery=holding,
    )


def _pc_view(row: RememberedPc, current: Policy, now: datetime) -> PcView:
    why = policy.remembered_pc_rejection(current, created_at=row.created_at, revoked=False, now=now)
    expired = why is policy.Rejection.EXPIRED
    return PcView(row.id, row.label, row.network, row.created_at, row.last_used_at, expired)


#: The codes of a login: a login code, and the codes of an enrolment at login.
_LOGIN_PURPOSES = ("login", "verify_primary", "verify_backup")


def last_code_login(state: State, user_id: str) -> datetime | None:
    """When the user last logged in with a code: a login code or an enrolment's code, but not
    a code he read out to his administrator, who entered it in the admin dialog."""
    entered_by_admin = sa.select(AuditEvent.challenge_id).where(
        AuditEvent.user_id == user_id,
        AuditEvent.event == "phone_verified",
        AuditEvent.actor_id.is_not(None),
        AuditEvent.challenge_id.is_not(None),
    )
    return state.session.scalar(
        sa.select(sa.func.max(AuditEvent.at)).where(
            AuditEvent.user_id == user_id,
            AuditEvent.event == "code_verified",
            AuditEvent.reason.in_(_LOGIN_PURPOSES),
            AuditEvent.challenge_id.not_in(entered_by_admin),
        )
    )


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def state_words(state: State, refs: list[UserRef], current: Policy) -> dict[str, str]:
    """The state word of many users in a few queries (sorting thousands by state)."""
    ids, now = [r.user_id for r in refs], state.now()
    rows: dict[str, UserSettings] = {}
    verified: set[str] = set()
    failures: dict[str, list[datetime]] = {}
    for chunk in _chunks(ids):
        found = state.session.scalars(
            sa.select(UserSettings).where(UserSettings.user_id.in_(chunk))
        )
        rows.update({row.user_id: row for row in found})
        verified.update(
            state.session.scalars(
                sa.select(Phone.user_id).where(
                    Phone.user_id.in_(chunk),
                    Phone.role == accounts.PRIMARY,
                    Phone.verified_at.is_not(None),
                )
            )
        )
        fails = sa.select(Failure.user_id, Failure.failed_at).where(
            Failure.user_id.in_(chunk), Failure.failed_at > now - budgets.THIRTY_DAYS
        )
        for user_id, at in state.session.execute(fails.order_by(Failure.failed_at)):
            failures.setdefault(user_id, []).append(at)
    words = {}
    for user_id in ids:
        row = rows.get(user_id)
        counted = [
            at for at in failures.get(user_id, [])
            if row is None or row.unlocked_at is None or at > row.unlocked_at
        ]  # fmt: skip
        locked = row is not None and row.locked_at is not None
        gate = budgets.gate(now, counted, locked=locked, budget=state.budget)
        words[user_id] = admin_scope.user_state(
            required=policy.two_factor_required(current, user_enabled=row.enabled if row else None),
            locked=gate is budgets.Gate.LOCKED,
            paused=gate is budgets.Gate.PAUSED,
            verified_primary=user_id in verified,
        )
    return words


def listing(
    state: State, actor: UserRef, *, search: str = "", sort: str = "name", page: int = 1,
    per_page: int = 25,
) -> UserPage:  # fmt: skip
    """One page of the actor's account's users, searched by name, sorted by name or state."""
    current = accounts.policy_for(state, actor.account_id)
    users = [(u, state.ref(u)) for u in state.users_in(actor.account_id)]
    named = [(state.name_of(u), u, r) for u, r in users if r.account_id == actor.account_id]
    needle = search.strip().casefold()
    if needle:
        named = [item for item in named if needle in item[0].casefold()]
    named.sort(key=lambda item: item[0].casefold())
    if sort == "state":
        words = state_words(state, [r for _, _, r in named], current)
        named.sort(key=lambda item: admin_scope.state_rank(words[item[2].user_id]))  # stable
    total = len(named)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    chunk = named[(page - 1) * per_page : page * per_page]
    held = recovery.holdings(state, [r.user_id for _, _, r in chunk])  # one statement
    views = [view(state, u, r, current, held.get(r.user_id, recovery.NONE)) for _, u, r in chunk]
    return UserPage(views, total, page, pages)


def resend_waits(state: State, user_id: str) -> dict[str, int]:
    """Seconds until a code may be sent to each pending number of the user (by role; 0: now),
    for the dialog's countdown; a role is missing when no code may go to it in this attempt."""
    waits: dict[str, int] = {}
    now = state.now()
    for role in admin_actions.ROLES:
        phone = accounts.phone_of(state, user_id, role, verified=False)
        live = admin_actions.live_of(state, user_id, phone)
        if phone is None or live is None:
            continue
        at = challenges.next_send_at(state, live, phone)
        if at is not None:
            waits[accounts.public_role(role)] = max(0, math.ceil((at - now).total_seconds()))
    return waits
