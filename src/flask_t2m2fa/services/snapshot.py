"""One frozen read of what a step decides on about a user: policy, settings, uniquifier, phones.

A step (the session check of a request, a login's start, a verify, a resend) reads it once, with
:func:`read` (one statement), and passes it down to what decides: nothing keeps it for later,
nothing has to be told when a row changes. A step that changes the rows it holds (a number
verified in the middle of a login) reads a new one.

The rows inside are the SQLAlchemy session's own objects (the identity map's), so the writes of
the step (``settings.locked_at = now``) go to the same rows the decision was taken on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ..models import ID, AccountPolicy, Phone, SessionEpoch, UserSettings
from ..rules import policy
from ..rules.policy import Policy
from ..rules.sessions import INITIAL_UNIQUIFIER
from ..state import State


@dataclass(frozen=True)
class UserSnapshot:
    """What one statement read about a user and his account."""

    user_id: str
    account_id: str
    #: The account's policy (the configured default when it never set one).
    policy: Policy
    #: None: the user never had a second factor set up.
    settings: UserSettings | None
    #: The sign-in uniquifier his sessions carry (:mod:`.epochs`).
    uniquifier: str
    #: Every phone of the user (verified, pending, entered), oldest first.
    phones: tuple[Phone, ...]

    @property
    def enabled(self) -> bool | None:
        return self.settings.enabled if self.settings is not None else None

    @property
    def two_factor_required(self) -> bool:
        return policy.two_factor_required(self.policy, user_enabled=self.enabled)

    def phone(self, role: str, *, verified: bool) -> Phone | None:
        """The verified (or pending) number of ``role``."""
        return pick_phone(self.phones, role, verified=verified)


def pick_phone(phones: Sequence[Phone], role: str, *, verified: bool) -> Phone | None:
    """The newest of ``phones`` in ``role`` that is verified (or not)."""
    found = [p for p in phones if p.role == role and (p.verified_at is not None) == verified]
    return max(found, key=lambda phone: phone.id) if found else None


def policy_of(state: State, row: AccountPolicy | None) -> Policy:
    """The policy a row says, or the configured default when the account has no row."""
    if row is None:
        s = state.settings
        return Policy(
            s.default_mode,
            s.default_enable_for_new_users,
            s.default_remember_pc_allowed,
            s.default_remember_pc_days,
        )
    return Policy(
        row.mode,
        row.enable_for_new_users,
        row.remember_pc_allowed,
        row.remember_pc_days,
        row.recovery_codes_allowed,
    )


def build(
    state: State,
    user_id: str,
    account_id: str,
    policy_row: AccountPolicy | None,
    settings: UserSettings | None,
    epoch: SessionEpoch | None,
    phones: Sequence[Phone],
) -> UserSnapshot:
    """A snapshot of rows that a statement read (this module's, or ``counters``' verify read)."""
    return UserSnapshot(
        user_id=user_id,
        account_id=account_id,
        policy=policy_of(state, policy_row),
        settings=settings,
        uniquifier=epoch.uniquifier if epoch is not None else INITIAL_UNIQUIFIER,
        phones=tuple(sorted(phones, key=lambda phone: phone.id)),
    )


#: One row carrying the statement's parameters, and every row of the user outer-joined to it:
#: one row per phone (or one row of NULLs when he has none). Each join's ``ON`` names the anchor,
#: so every join relates its two sides: with the parameters in the ``ON`` clauses alone, MySQL's
#: compiler (not the others) takes the anchor for a cartesian product and warns on every
#: statement. Built once, so SQLAlchemy reuses its compiled form.
ANCHOR = sa.select(
    sa.bindparam("account_id", type_=ID).label("account_id"),
    sa.bindparam("user_id", type_=ID).label("user_id"),
).subquery("anchor")
_USER_ROWS = (
    sa.select(AccountPolicy, UserSettings, SessionEpoch, Phone)
    .select_from(ANCHOR)
    .outerjoin(AccountPolicy, AccountPolicy.account_id == ANCHOR.c.account_id)
    .outerjoin(UserSettings, UserSettings.user_id == ANCHOR.c.user_id)
    .outerjoin(SessionEpoch, SessionEpoch.user_id == ANCHOR.c.user_id)
    .outerjoin(Phone, Phone.user_id == ANCHOR.c.user_id)
    .order_by(Phone.id)
)


def read(state: State, user_id: str, account_id: str) -> UserSnapshot:
    """The account's policy and the user's settings, uniquifier and phones: one statement."""
    rows = state.session.execute(_USER_ROWS, {"user_id": user_id, "account_id": account_id}).all()
    policy_row, settings, epoch, _phone = rows[0]  # the anchor makes one row at least
    phones = [phone for *_rest, phone in rows if phone is not None]
    return build(state, user_id, account_id, policy_row, settings, epoch, phones)
