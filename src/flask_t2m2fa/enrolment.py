"""Enrolment at next login: the user enters and verifies his own number (Talk2M step 2B).

An administrator turned 2FA on and left the number to the user. At login the user types a
mobile number; it is stored as *entered* (a role that ordinary look-ups never find) and gets a
``verify_primary`` code through the usual challenge machinery. Only a right code makes it the
verified primary. An administrator then does the same for a backup number that differs.

A typed number is a destination only here: for a user in this state, in the login it was
typed in. A later login ignores it, so an abandoned enrolment sends nothing to it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response

from . import accounts, challenges, flow, handoff, keys, pending, phones
from .challenges import VERIFY_BACKUP, VERIFY_PRIMARY
from .models import Challenge, Phone
from .pending import Enrolling, Pending
from .state import State, UserRef

_PURPOSE = {accounts.PRIMARY: VERIFY_PRIMARY, accounts.BACKUP: VERIFY_BACKUP}


class EnrolmentClosed(Exception):
    """The user is not (or no longer) in the state where he may enter a number."""


def may_enrol(state: State, user: UserRef, role: str) -> bool:
    """Is ``user`` still one who must enter the number of ``role``? Checked at every number."""
    settings = accounts.settings_of(state, user.user_id)
    if settings is None or not settings.enabled or settings.locked_at is not None:
        return False
    if role == accounts.PRIMARY:
        return flow.next_phone(state, user, done=None) is None
    return (
        role == accounts.BACKUP
        and user.is_admin
        and accounts.phone_of(state, user.user_id, accounts.PRIMARY, verified=True) is not None
        and accounts.phone_of(state, user.user_id, accounts.BACKUP, verified=True) is None
    )


def submit_number(state: State, user: UserRef, pend: Pending, text: object) -> flow.CodeStep:
    """Take the typed number of the role being enrolled and send it a code. The caller commits.

    :raises EnrolmentClosed: the user is not in the enrolment state for that role.
    :raises phones.PhoneError: not a valid mobile number of an allowed country, or a backup
        equal to the primary. Nothing is stored or sent then.
    """
    enrolling = pend.enrolling
    if enrolling is None or not may_enrol(state, user, enrolling.role):
        raise EnrolmentClosed()
    if not isinstance(text, str):
        raise phones.PhoneError("not a phone number")
    s = state.settings
    e164 = phones.normalise(
        text, default_region=s.default_region, allowed_regions=s.country_allowlist
    )
    digest = accounts.number_digest(state, e164)
    if enrolling.role == accounts.BACKUP:
        primary = accounts.phone_of(state, user.user_id, accounts.PRIMARY, verified=True)
        if primary is not None and primary.number_digest == digest:
            raise phones.PhoneError("the backup phone must differ from the primary phone")
    phone = _store_entered(state, user, enrolling.role, e164, digest)
    request = challenges.Request(
        _PURPOSE[enrolling.role],
        phone,
        login_id=enrolling.login_id,
        remember_me=enrolling.remember_me,
        next_url=enrolling.next_url,
        # The backup's first number comes right after the primary's code: only the caps apply.
        # Any number typed again for the same role waits for the cool-down.
        follows_success=enrolling.role == accounts.BACKUP and pend.awaiting_number,
    )
    challenge = challenges.issue(state, user, request)
    assert challenge is not None  # a first challenge is always created
    return flow.code_step(state, user, challenge)


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


def after_code(state: State, user: UserRef, pend: Pending, done: Challenge) -> Response | None:
    """After the last code of a login: an administrator without a backup must enter one now.

    Also when he left an earlier enrolment after his primary: he logs in with its code, then
    the backup is due. Returns the answer asking for the backup number, or None when the
    login ends as usual.
    """
    enrolling = pend.enrolling
    if enrolling is not None and done.purpose != _PURPOSE[enrolling.role]:
        return None
    if (enrolling is None or enrolling.role == accounts.PRIMARY) and may_enrol(
        state, user, accounts.BACKUP
    ):
        backup = Enrolling(accounts.BACKUP, done.login_id, done.remember_me, done.next_url)
        state.session.commit()
        pending.await_number(backup)
        return handoff.enrolment_answer(accounts.BACKUP, backup_required=True)
    if enrolling is not None:
        pending.enrolment_done()
    return None


def awaiting_answer(state: State, pend: Pending) -> Response:
    """What the JSON code endpoints answer while the user has not yet entered his number."""
    enrolling = pend.enrolling
    assert enrolling is not None
    user = state.find_user(pend.user_id)
    admin = bool(user is not None and state.ref(user).is_admin)
    return handoff.enrolment_answer(enrolling.role, backup_required=admin, json=True)
