"""Enrolment at next login: the user enters and verifies his own number (Talk2M step 2B).

An administrator turned 2FA on and left the number to the user. At login the user types a
mobile number; it is stored as *entered* (a role that ordinary look-ups never find) and gets a
``verify_primary`` code through the usual challenge machinery. Only a right code makes it the
verified primary. An administrator then does the same for a backup number that differs.

A typed number is a destination only here: for a user in this state, in the login it was
typed in. A later login ignores it, so an abandoned enrolment sends nothing to it again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from ..models import Challenge, Phone
from ..rules import keys, phones, policy
from ..state import State, UserRef
from . import accounts, challenges, snapshot
from .challenges import VERIFY_BACKUP, VERIFY_PRIMARY, Issued
from .snapshot import UserSnapshot

_PURPOSE = {accounts.PRIMARY: VERIFY_PRIMARY, accounts.BACKUP: VERIFY_BACKUP}


@dataclass(frozen=True)
class Enrolling:
    """The user enters their own number at this login (an administrator left it to them).

    ``role`` is the number being entered and checked now; ``login_id``, ``remember_me`` and
    ``next_url`` carry the login over to the challenges of the enrolment.
    """

    role: str
    login_id: str
    remember_me: bool
    next_url: str | None


class EnrolmentClosed(Exception):
    """The user is not (or no longer) in the state where he may enter a number."""


def new_enrolling(role: str, remember_me: bool, next_url: str | None) -> Enrolling:
    return Enrolling(role, secrets.token_hex(16), remember_me, next_url)


def may_enrol(snap: UserSnapshot, user: UserRef, role: str) -> bool:
    """Is ``user`` still one who must enter the number of ``role``? Checked at every number,
    on what the step read about him after the lock."""
    settings = snap.settings
    if settings is None or settings.locked_at is not None:
        return False
    if not policy.two_factor_required(snap.policy, user_enabled=settings.enabled):
        return False
    if role == accounts.PRIMARY:
        return not any(
            snap.phone(r, verified=v)
            for r in (accounts.PRIMARY, accounts.BACKUP)
            for v in (True, False)
        )
    return (
        role == accounts.BACKUP
        and policy.backup_required(is_admin=user.is_admin)
        and snap.phone(accounts.PRIMARY, verified=True) is not None
        and snap.phone(accounts.BACKUP, verified=True) is None
    )


def submit_number(state: State, user: UserRef, enrolling: Enrolling, text: object) -> Issued:
    """Take the typed number of the role being enrolled and send it a code. The caller commits.

    :raises EnrolmentClosed: the user is not in the enrolment state for that role.
    :raises phones.PhoneError: not a valid mobile number of an allowed country, or a backup
        equal to the primary. Nothing is stored or sent then.
    """
    accounts.lock_settings(state, user.user_id)  # concurrent numbers of one user queue here
    snap = snapshot.read(state, user.user_id, user.account_id)
    if not may_enrol(snap, user, enrolling.role):
        raise EnrolmentClosed()
    if not isinstance(text, str):
        raise phones.PhoneError(phones.NOT_A_NUMBER)
    s = state.settings
    e164 = phones.normalise(
        text, default_region=s.default_region, allowed_regions=s.country_allowlist
    )
    digest = accounts.number_digest(state, e164)
    if enrolling.role == accounts.BACKUP:
        primary = snap.phone(accounts.PRIMARY, verified=True)
        if primary is not None and primary.number_digest == digest:
            raise phones.PhoneError(phones.SAME_AS_PRIMARY)
    phone = _store_entered(state, user, enrolling.role, e164, digest)
    request = challenges.Request(
        _PURPOSE[enrolling.role],
        phone,
        login_id=enrolling.login_id,
        remember_me=enrolling.remember_me,
        next_url=enrolling.next_url,
    )
    return challenges.issue(state, user, request)


def _store_entered(state: State, user: UserRef, role: str, e164: str, digest: str) -> Phone:
    """Keep the typed number, replacing any number typed earlier for the same role."""
    entered = accounts.ENTERED[role]
    state.session.execute(
        sa.delete(Phone).where(Phone.user_id == user.user_id, Phone.role == entered)
    )
    phone = Phone(
        user_id=user.user_id,
        role=entered,
        masked=phones.mask(e164),
        number_digest=digest,
        number_encrypted=keys.encrypt(state.settings.phone_key, e164, context=user.user_id),
        verified_at=None,
        created_at=state.now(),
    )
    state.session.add(phone)
    state.session.flush()
    return phone


def backup_due(
    snap: UserSnapshot, user: UserRef, enrolling: Enrolling | None, done: Challenge
) -> Enrolling | None:
    """After the last code of a login: must an administrator without a backup enter one now?

    Also when he left an earlier enrolment after his primary: he logs in with its code, then
    the backup is due. Returns the enrolment of the backup, or None when the login ends.
    """
    if enrolling is not None and done.purpose != _PURPOSE[enrolling.role]:
        return None
    if (enrolling is None or enrolling.role == accounts.PRIMARY) and may_enrol(
        snap, user, accounts.BACKUP
    ):
        return Enrolling(accounts.BACKUP, done.login_id, done.remember_me, done.next_url)
    return None
