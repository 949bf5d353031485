"""Account policies, user settings and phones in the database: the admin side of the extension."""

from __future__ import annotations

import sqlalchemy as sa

from ..events import Event
from ..models import AccountPolicy, Phone, UserSettings
from ..rules import keys, phones
from ..rules.policy import Policy
from ..state import State, UserRef
from . import audit, dialects, snapshot

PRIMARY = "primary"
BACKUP = "backup"
#: Stored role of a number the user typed at an enrolment login, until its code is entered.
#: Ordinary look-ups never find it, so it is a destination only in the login it was typed in.
ENTERED = {PRIMARY: "enrol-p", BACKUP: "enrol-b"}


def public_role(role: str) -> str:
    """``primary`` or ``backup``, also for a number typed at enrolment."""
    return {entered: public for public, entered in ENTERED.items()}.get(role, role)


#: Built once (SQLAlchemy reuses its compiled forms). The row read refreshes the session's copy.
_LOCK = dialects.RowLock(UserSettings, key="b_user_id", values={"touched_at": sa.bindparam("now")})


def policy_for(state: State, account_id: str) -> Policy:
    """The account's current policy, or the configured default when it never set one."""
    return snapshot.policy_of(state, state.session.get(AccountPolicy, account_id))


def settings_of(state: State, user_id: str) -> UserSettings | None:
    return state.session.get(UserSettings, user_id)


def lock_settings(state: State, user_id: str) -> UserSettings | None:
    """Lock the user's settings row first thing, for the rest of the transaction.

    On PostgreSQL and MariaDB/MySQL this row lock serialises every verify and send of one user;
    on SQLite the write takes the database's write lock. Counters read after it are therefore
    exact (on MariaDB/MySQL at ``READ COMMITTED``, which ``init_app`` demands). One ``UPDATE …
    RETURNING`` (``SELECT … FOR UPDATE`` on MariaDB: :class:`~.dialects.RowLock`); a step takes
    it once and passes the row on (a second call in the same transaction finds the lock held and
    returns at once).
    """
    return _LOCK.execute(state.session, {"b_user_id": user_id, "now": state.now()})


def ensure_settings(state: State, user: UserRef, *, enabled: bool) -> UserSettings:
    row = settings_of(state, user.user_id)
    now = state.now()
    if row is None:
        row = UserSettings(
            user_id=user.user_id,
            account_id=user.account_id,
            enabled=enabled,
            touched_at=now,
            created_at=now,
        )
        state.session.add(row)
    row.enabled, row.account_id = enabled, user.account_id
    return row


def phone_of(state: State, user_id: str, role: str, *, verified: bool) -> Phone | None:
    """The user's verified (or pending) number for ``role`` (a step that read a
    :class:`~.snapshot.UserSnapshot` asks it instead: no statement)."""
    return snapshot.pick_phone(phones_of(state, user_id), role, verified=verified)


def phones_of(state: State, user_id: str) -> list[Phone]:
    """All of the user's phones (verified, pending and entered), oldest first: one query."""
    query = sa.select(Phone).where(Phone.user_id == user_id).order_by(Phone.id)
    return list(state.session.scalars(query).all())


def number_of(state: State, phone: Phone) -> str:
    """Decrypt a stored number, only to hand it to the sender."""
    number = keys.decrypt(state.settings.phone_key, phone.number_encrypted, context=phone.user_id)
    if number is None:
        raise RuntimeError("cannot decrypt a stored phone number: was T2M2FA_PHONE_KEY changed?")
    return number


def number_digest(state: State, e164: str) -> str:
    return keys.keyed_digest(state.settings.code_key, "number", e164)


def set_phone(state: State, user: UserRef, role: str, text: str, *, verified: bool) -> Phone:
    """Record a number for ``role``; unverified, it waits beside the verified one until checked.

    :raises phones.PhoneError: not a valid mobile number of an allowed country, or the backup
        equals the primary.
    """
    s = state.settings
    e164 = phones.normalise(
        text, default_region=s.default_region, allowed_regions=s.country_allowlist
    )
    digest = number_digest(state, e164)
    other = BACKUP if role == PRIMARY else PRIMARY
    others = state.session.scalars(
        sa.select(Phone.number_digest).where(Phone.user_id == user.user_id, Phone.role == other)
    ).all()
    if digest in others:
        raise phones.PhoneError("the backup phone must differ from the primary phone")
    current = phone_of(state, user.user_id, role, verified=True)
    if current is not None and current.number_digest == digest:
        return current
    now = state.now()
    replaced = sa.delete(Phone).where(Phone.user_id == user.user_id, Phone.role == role)
    if not verified:
        replaced = replaced.where(Phone.verified_at.is_(None))
    state.session.execute(replaced)
    phone = Phone(
        user_id=user.user_id,
        role=role,
        masked=phones.mask(e164),
        number_digest=digest,
        number_encrypted=keys.encrypt(s.phone_key, e164, context=user.user_id),
        verified_at=now if verified else None,
        created_at=now,
    )
    state.session.add(phone)
    state.session.flush()
    return phone


def mark_verified(
    state: State,
    phone: Phone,
    *,
    account_id: str,
    actor: UserRef | None = None,
    challenge_id: str | None = None,
) -> None:
    """A pending number proved it receives codes: it replaces the verified one of its role.

    Only :func:`.phone_change.settle` calls it: a replacement is a number change there.

    :param actor: the administrator who entered the code the user read to him (then
        ``challenge_id`` is the code's challenge: that code was no login of the user).
    """
    role = public_role(phone.role)
    promote(state, phone, role)
    audit.record(
        state,
        Event.PHONE_VERIFIED,
        None,
        account_id=account_id,
        user_id=phone.user_id,
        reason=role,
        destination=phone.masked,
        actor=actor,
        challenge_id=challenge_id,
    )


def promote(state: State, phone: Phone, role: str) -> None:
    """Make the pending ``phone`` the verified number of ``role``; the role's other numbers
    (the old verified one, one typed at an enrolment) go."""
    state.session.execute(
        sa.delete(Phone).where(
            Phone.user_id == phone.user_id,
            Phone.role.in_((role, ENTERED[role])),
            Phone.id != phone.id,
        )
    )
    phone.role, phone.verified_at = role, state.now()


def unlock(state: State, user: UserRef, *, actor: UserRef | None = None) -> bool:
    """Lift a lock; failures before now stop counting. False when the user was not locked."""
    row = lock_settings(state, user.user_id)
    if row is None or row.locked_at is None:
        return False
    now = state.now()
    row.locked_at, row.unlocked_at = None, now
    audit.record(state, Event.USER_UNLOCKED, user, actor=actor)
    return True
