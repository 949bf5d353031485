"""A number change: the new number proves itself before it replaces the old.

A logged-in user changes his own numbers on his security page; the web layer has already
checked a recent second factor (step-up). The typed number is stored under a *changing* role
(:data:`CHANGING`) that no login look-up finds, so a pending number never becomes a login
destination; a ``change_phone`` code goes to it. Only the right code makes it the verified
number of its role. Then the old number (or, for a first backup, the primary) is told by SMS,
the user's other remembered PCs are revoked and every other session ends (the caller keeps
this one).

An administrator's new number for a user (verified with the code in his dialog, or by the
user at his next login) goes through the same :func:`settle`: when it takes the place of a
verified number it is the same change, audited with the administrator as actor. A first
number (an enrolment) is no change. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..events import Event
from ..models import Challenge, Phone
from ..rules import keys, phones, policy
from ..rules.notices import N_, Notice
from ..state import State, UserRef
from . import accounts, audit, challenges, epochs, notices, remember, verification
from .challenges import Issued
from .verification import Outcome, Verdict

CHANGE_PHONE = "change_phone"
#: Stored role of a number typed on the security page until its code is entered.
CHANGING = {accounts.PRIMARY: "chg-p", accounts.BACKUP: "chg-b"}
#: The role a pending number takes once verified, by its stored role.
_ROLE_OF = {
    **{stored: role for role, stored in CHANGING.items()},
    **{stored: role for role, stored in accounts.ENTERED.items()},
}
ROLES = (accounts.PRIMARY, accounts.BACKUP)


class ChangeRefused(Exception):
    """The change is not allowed. The message is safe to show once translated: an ``N_`` message
    id of the catalogues, which the web layer passes through gettext."""


@dataclass(frozen=True)
class Changed:
    """A new number replaced the old one of ``role``."""

    role: str
    masked: str
    notice_sent: bool
    pcs_revoked: int


def pending_change(state: State, user_id: str) -> Phone | None:
    """The number typed for a change whose code was not entered yet."""
    return state.session.scalars(
        sa.select(Phone)
        .where(Phone.user_id == user_id, Phone.role.in_(CHANGING.values()))
        .order_by(Phone.id.desc())
        .limit(1)
    ).first()


def request_change(state: State, user: UserRef, role: str, text: object) -> Issued:
    """Keep ``text`` as the pending number of ``role`` and send it a code.

    :raises phones.PhoneError: not a valid mobile number of an allowed country, or equal to the
        number of the other role. Nothing is stored or sent then.
    :raises ChangeRefused: no such role, or 2FA is not set up for the user.
    """
    # Locked first: concurrent changes of one user queue here, and each sees the sends of the
    # one before it (one code per cool-down, whatever the numbers).
    settings = accounts.lock_settings(state, user.user_id)
    if role not in ROLES or settings is None or settings.locked_at is not None:
        raise ChangeRefused(N_("your numbers cannot be changed now"))
    if not isinstance(text, str):
        raise phones.PhoneError(phones.NOT_A_NUMBER)
    s = state.settings
    e164 = phones.normalise(
        text, default_region=s.default_region, allowed_regions=s.country_allowlist
    )
    digest = accounts.number_digest(state, e164)
    other = accounts.BACKUP if role == accounts.PRIMARY else accounts.PRIMARY
    other_phone = accounts.phone_of(state, user.user_id, other, verified=True)
    if other_phone is not None and other_phone.number_digest == digest:
        raise phones.PhoneError(phones.SAME_AS_PRIMARY)
    state.session.execute(
        sa.delete(Phone).where(Phone.user_id == user.user_id, Phone.role.in_(CHANGING.values()))
    )
    phone = Phone(
        user_id=user.user_id,
        role=CHANGING[role],
        masked=phones.mask(e164),
        number_digest=digest,
        number_encrypted=keys.encrypt(s.phone_key, e164, context=user.user_id),
        verified_at=None,
        created_at=state.now(),
    )
    state.session.add(phone)
    state.session.flush()
    return challenges.issue(state, user, challenges.Request(CHANGE_PHONE, phone))


def live_challenge(state: State, user_id: str) -> Challenge | None:
    """The user's newest change code, if any (the verifier judges whether it is still live)."""
    return state.session.scalars(
        sa.select(Challenge)
        .where(Challenge.user_id == user_id, Challenge.purpose == CHANGE_PHONE)
        .order_by(Challenge.created_at.desc())
        .limit(1)
    ).first()


def confirm(
    state: State, user: UserRef, candidate: object, *, keep_pc_id: int | None
) -> Changed | Verdict:
    """Judge the code of the pending number; when right, make it the verified one of its role.

    The code must have been sent to the pending number itself: a code of a number typed before
    it (replaced meanwhile) proves nothing about it and is judged as no code at all.
    """
    live = live_challenge(state, user.user_id)
    if live is None or challenges.phone_of(state, live) is None:
        return Verdict(Outcome.EXPIRED)
    verdict = verification.verify(state, user, live.id, candidate)
    if verdict.outcome is not Outcome.OK:
        return verdict
    phone = challenges.phone_of(state, live)
    if phone is None or phone.role not in CHANGING.values():
        return Verdict(Outcome.EXPIRED)
    changed = settle(state, user, phone, keep_pc_id=keep_pc_id)
    assert changed is not None  # a number typed on the security page is always a change
    return changed


def settle(
    state: State,
    user: UserRef,
    phone: Phone,
    *,
    keep_pc_id: int | None = None,
    actor: UserRef | None = None,
    challenge_id: str | None = None,
) -> Changed | None:
    """A pending ``phone`` proved it receives codes: it becomes the verified number of its role.

    The one place where a number change takes effect, whoever made it: the user on his security
    page (``phone`` is :data:`CHANGING`), an administrator who entered the code the user read
    to him (``actor``, and ``challenge_id`` of that code: it was no login of the user), or the
    user entering at login the code of a number his administrator left pending. When it takes
    the place of a verified number (or is a security page's first backup) the old number (else
    the primary) is told, the user's remembered PCs but ``keep_pc_id`` are revoked and all his
    sessions and "Keep me signed in" cookies end. A first number is only verified: None.
    """
    own = phone.role in CHANGING.values()
    role = _ROLE_OF.get(phone.role, phone.role)
    old = accounts.phone_of(state, user.user_id, role, verified=True)
    if old is None and not own:  # an enrolment: nothing was there to change
        accounts.mark_verified(
            state, phone, account_id=user.account_id, actor=actor, challenge_id=challenge_id
        )
        return None
    told = old or accounts.phone_of(state, user.user_id, accounts.PRIMARY, verified=True)
    # The notice goes out before the old row is deleted: it needs the old number.
    sent = notices.send(state, user, Notice.NUMBER_CHANGED, told, event_key=f"phone{phone.id}")
    if own:
        accounts.promote(state, phone, role)
    else:
        accounts.mark_verified(
            state, phone, account_id=user.account_id, actor=actor, challenge_id=challenge_id
        )
    revoked = remember.revoke_others(state, user, keep_pc_id=keep_pc_id, reason="phone_changed")
    epochs.bump(state, user, reason="phone_changed")
    audit.record(
        state, Event.PHONE_CHANGED, user, reason=role, destination=phone.masked, actor=actor
    )
    return Changed(role, phone.masked, sent, revoked)


def remove_backup(state: State, user: UserRef) -> bool:
    """Remove the backup number (verified or pending); False when there is none.

    :raises ChangeRefused: an administrator must keep his backup phone.
    """
    if policy.backup_required(is_admin=user.is_admin):
        raise ChangeRefused(N_("an administrator must keep a backup phone"))
    roles = (accounts.BACKUP, CHANGING[accounts.BACKUP], accounts.ENTERED[accounts.BACKUP])
    result = state.session.execute(
        sa.delete(Phone).where(Phone.user_id == user.user_id, Phone.role.in_(roles))
    )
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        epochs.bump(state, user, reason="phone_removed")
        audit.record(state, Event.PHONE_REMOVED, user, reason=accounts.BACKUP)
    return removed > 0
