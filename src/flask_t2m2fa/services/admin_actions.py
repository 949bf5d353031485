"""An administrator's actions on one user of his account (Talk2M "Users > Properties > Security").

Each action runs in the caller's transaction, is audited with the administrator as actor
(numbers masked) and returns :class:`Done`, or raises :class:`Refused` with a message for the
field concerned; both carry message ids of the catalogues, which the web layer translates. The
caller commits. Typed numbers are checked before anything is stored or sent. An administrator (the
target) never ends up with 2FA on and no backup number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from ..events import Event
from ..models import Challenge, Phone, RememberedPc
from ..rules import phones, policy
from ..rules.notices import N_
from ..rules.sending_limits import REASONS
from ..state import State, UserRef
from . import (
    accounts,
    audit,
    challenges,
    epochs,
    phone_change,
    recovery,
    remember,
    verification,
)
from .challenges import VERIFY_BACKUP, VERIFY_PRIMARY
from .verification import Outcome

PURPOSE = {accounts.PRIMARY: VERIFY_PRIMARY, accounts.BACKUP: VERIFY_BACKUP}
ROLES = tuple(PURPOSE)

#: What an action on a number did, by the number's role (one message id per role: the
#: sentence is translated whole).
ALREADY_VERIFIED = {
    accounts.PRIMARY: N_("%(phone)s is already the verified primary number."),
    accounts.BACKUP: N_("%(phone)s is already the verified backup number."),
}
NOW_VERIFIED = {
    accounts.PRIMARY: N_("%(phone)s is now the verified primary number."),
    accounts.BACKUP: N_("%(phone)s is now the verified backup number."),
}
CANCELLED = {
    accounts.PRIMARY: N_("The pending primary number %(phone)s was cancelled."),
    accounts.BACKUP: N_("The pending backup number %(phone)s was cancelled."),
}


@dataclass(frozen=True)
class Note:
    """One sentence of what an action did: a message id and its ``%(name)s`` values. A
    ``reason`` value is a message id too (translated before it is put in)."""

    msgid: str
    params: Mapping[str, str | int]

    @property
    def english(self) -> str:
        return self.msgid % dict(self.params) if self.params else self.msgid


@dataclass(frozen=True)
class Done:
    """What an action did, sentence by sentence (the web layer translates each)."""

    notes: tuple[Note, ...]

    @classmethod
    def of(cls, msgid: str, **params: str | int) -> Done:
        return cls((Note(msgid, params),))

    @property
    def message(self) -> str:
        """The sentences in English (logs, tests, a caller without translations)."""
        return " ".join(note.english for note in self.notes)


class Refused(Exception):
    """The action was refused; nothing was changed. ``field`` names the form field, if any.

    ``msgid`` is the English text of the catalogues (marked ``N_``) with ``%(name)s`` taken
    from ``params``; ``message`` is it filled in English. A ``reason`` param is a
    :class:`~flask_t2m2fa.rules.phones.PhoneError` message, itself a message id: the web layer
    translates both (``web.admin_common.refusal_text``). No param may be named ``text``: that
    is gettext's own argument.
    """

    def __init__(
        self, msgid: str, *, field: str | None = None, status: int = 400, **params: str | int
    ) -> None:
        message = msgid % params if params else msgid
        super().__init__(message)
        self.msgid, self.params, self.message = msgid, params, message
        self.field, self.status = field, status


@dataclass(frozen=True)
class Target:
    actor: UserRef
    user: UserRef


def _e164(state: State, text: object, field: str) -> str:
    shown = text if isinstance(text, str) else ""
    try:
        return phones.normalise(
            shown,
            default_region=state.settings.default_region,
            allowed_regions=state.settings.country_allowlist,
        )
    except phones.PhoneError as exc:
        if not shown.strip():
            raise Refused(phones.UNUSABLE, field=field, reason=str(exc)) from exc
        typed = N_("%(number)s cannot be used: %(reason)s.")
        raise Refused(typed, field=field, number=shown.strip(), reason=str(exc)) from exc


def _has(state: State, user_id: str, role: str) -> bool:
    return any(accounts.phone_of(state, user_id, role, verified=v) for v in (True, False))


def _send_code(state: State, t: Target, phone: Phone, *, audited: bool = False) -> Note:
    """Send ``phone`` a code; ``audited``: record that the administrator asked for it (a
    number he has just set is audited as ``phone_changed`` already)."""
    request = challenges.Request(PURPOSE[phone.role], phone)
    issued = challenges.issue(state, t.user, request)
    if audited:
        audit.record(
            state,
            Event.CODE_REQUESTED,
            t.user,
            outcome="sent" if issued.sent else "not_sent",
            reason=phone.role,
            destination=phone.masked,
            actor=t.actor,
        )
    if issued.sent:
        return Note(N_("A code was sent to %(phone)s."), {"phone": phone.masked})
    why = REASONS[issued.refusal] if issued.refusal else N_("the send failed")
    if issued.retry_at is not None:  # the dialog counts down to it (admin_users.resend_waits)
        return Note(
            N_(
                'No code was sent to %(phone)s yet (%(reason)s): send it with "Resend the '
                'code" when its countdown ends, or it is verified at the next login.'
            ),
            {"phone": phone.masked, "reason": why},
        )
    return Note(
        N_("No code was sent to %(phone)s now (%(reason)s); it is verified at the next login."),
        {"phone": phone.masked, "reason": why},
    )


def set_phone(state: State, t: Target, role: str, text: object, *, send: bool = True) -> Done:
    """Record a pending number for ``role`` and send it a code (enterable now, or at login)."""
    if role not in ROLES:
        raise Refused(N_("unknown phone role"), status=404)
    e164 = _e164(state, text, role)
    accounts.lock_settings(state, t.user.user_id)  # changes of one user's numbers queue here
    try:
        phone = accounts.set_phone(state, t.user, role, e164, verified=False)
    except phones.PhoneError as exc:
        raise Refused(phones.UNUSABLE, field=role, reason=str(exc)) from exc
    audit.record(
        state, Event.PHONE_CHANGED, t.user, reason=f"{role} pending", destination=phone.masked,
        actor=t.actor,
    )  # fmt: skip
    if phone.verified_at is not None:
        return Done.of(ALREADY_VERIFIED[role], phone=phone.masked)
    if send:
        return Done((_send_code(state, t, phone),))
    return Done.of(N_("%(phone)s will be verified at the next login."), phone=phone.masked)


def enable(state: State, t: Target, primary: object = None, backup: object = None) -> Done:
    """Turn 2FA on; typed numbers get a code now, none typed: the user enrols at next login."""
    typed = {r: v for r, v in ((accounts.PRIMARY, primary), (accounts.BACKUP, backup)) if v}
    for role, text in typed.items():
        _e164(state, text, role)  # every field checked before anything is stored
    if (
        policy.backup_required(is_admin=t.user.is_admin)
        and accounts.BACKUP not in typed
        and not _has(state, t.user.user_id, accounts.BACKUP)
        and (typed or _has(state, t.user.user_id, accounts.PRIMARY))
    ):
        raise Refused(N_("An administrator needs a backup number too."), field=accounts.BACKUP)
    accounts.ensure_settings(state, t.user, enabled=True)
    notes = [note for role, text in typed.items() for note in set_phone(state, t, role, text).notes]
    epochs.bump(state, t.user, reason="two_factor_enabled")
    audit.record(state, Event.TWO_FACTOR_ENABLED, t.user, actor=t.actor)
    if not typed and not _has(state, t.user.user_id, accounts.PRIMARY):
        notes.append(Note(N_("The user enters and verifies his number at his next login."), {}))
    return Done((Note(N_("Two-factor login is on."), {}), *notes))


def verify(state: State, t: Target, role: str, code: object) -> Done:
    """The administrator enters the code the user read to him: the pending number is verified.

    Only a code sent to that very number verifies it (``challenges.phone_of``). When it
    replaces a verified number, that is the user's number change (notice to the old number,
    his sessions, cookies and remembered PCs ended), audited with the administrator as actor.
    """
    accounts.lock_settings(state, t.user.user_id)
    phone = (
        accounts.phone_of(state, t.user.user_id, role, verified=False) if role in ROLES else None
    )
    live = live_of(state, t.user.user_id, phone)
    if phone is None or live is None:
        raise Refused(
            N_("No code is waiting for this number: send one first."),
            field=f"{role}_code",
            status=409,
        )
    verdict = verification.verify(state, t.user, live.id, code)
    if verdict.outcome is not Outcome.OK:
        audit.record(
            state,
            Event.PHONE_VERIFIED,
            t.user,
            outcome="refused",
            reason=f"{role} {verdict.outcome.value}",
            destination=phone.masked,
            actor=t.actor,
        )
        raise _refused_code(verdict, field=f"{role}_code")
    if verdict.challenge is None or challenges.phone_of(state, verdict.challenge) is not phone:
        raise _refused_code(verification.Verdict(Outcome.EXPIRED), field=f"{role}_code")
    # The user's own number change, made by the administrator (one path: phone_change.settle).
    changed = phone_change.settle(state, t.user, phone, actor=t.actor, challenge_id=live.id)
    done = Note(NOW_VERIFIED[phone.role], {"phone": phone.masked})
    if changed is None:
        return Done((done,))
    told = (Note(N_("The old number was told by SMS."), {}),) if changed.notice_sent else ()
    ended = (
        Note(
            N_("The user's remembered PCs (%(count)s) were forgotten and his sessions ended."),
            {"count": changed.pcs_revoked},
        )
        if changed.pcs_revoked
        else Note(N_("The user's sessions ended (he had no remembered PC)."), {})
    )
    return Done((done, *told, ended))


def _refused_code(verdict: verification.Verdict, *, field: str) -> Refused:
    if verdict.outcome is Outcome.WRONG:
        left = verdict.attempts_left
        return Refused(N_("Wrong code: %(left)s attempt(s) left."), field=field, left=left)
    if verdict.outcome is Outcome.EXPIRED:
        return Refused(N_("This code can no longer be used: send a new one."), field=field)
    return Refused(
        N_("The user's second factor is paused or locked: codes are not checked now."),
        field=field,
    )


def live_of(state: State, user_id: str, phone: Phone | None) -> Challenge | None:
    """The newest live code sent to exactly this pending number (its digest and role)."""
    if phone is None:
        return None
    return state.session.scalars(
        sa.select(Challenge)
        .where(
            Challenge.user_id == user_id,
            Challenge.purpose == PURPOSE[phone.role],
            Challenge.number_digest == phone.number_digest,
            Challenge.consumed_at.is_(None),
            Challenge.superseded_at.is_(None),
        )
        .order_by(Challenge.created_at.desc())
        .limit(1)
    ).first()


def resend(state: State, t: Target, role: str) -> Done:
    phone = (
        accounts.phone_of(state, t.user.user_id, role, verified=False) if role in ROLES else None
    )
    if phone is None:
        raise Refused(N_("There is no pending number to verify."), status=409)
    return Done((_send_code(state, t, phone, audited=True),))


def cancel(state: State, t: Target, role: str) -> Done:
    """Forget a pending number (its code dies with it)."""
    phone = (
        accounts.phone_of(state, t.user.user_id, role, verified=False) if role in ROLES else None
    )
    if phone is None:
        raise Refused(N_("There is no pending number to cancel."), status=409)
    settings = accounts.settings_of(state, t.user.user_id)
    on = settings is not None and policy.two_factor_required(
        accounts.policy_for(state, t.user.account_id), user_enabled=settings.enabled
    )
    only_backup = role == accounts.BACKUP and not accounts.phone_of(
        state, t.user.user_id, role, verified=True
    )
    if on and only_backup and policy.backup_required(is_admin=t.user.is_admin):
        raise Refused(
            N_("An administrator with two-factor login on must keep a backup number."), status=409
        )
    state.session.execute(
        sa.update(Challenge)
        .where(Challenge.phone_id == phone.id, Challenge.superseded_at.is_(None))
        .values(superseded_at=state.now())
    )
    state.session.delete(phone)
    audit.record(
        state, Event.PHONE_CHANGED, t.user, reason=f"{role} cancelled", destination=phone.masked,
        actor=t.actor,
    )  # fmt: skip
    return Done.of(CANCELLED[phone.role], phone=phone.masked)


def disable(state: State, t: Target) -> Done:
    current = accounts.policy_for(state, t.user.account_id)
    if not policy.may_disable_two_factor(current):
        raise Refused(
            N_(
                "The account's policy is Enforced: two-factor login applies to every user and "
                "cannot be turned off for one. Switch the policy to Standard first."
            ),
            status=409,
        )
    accounts.ensure_settings(state, t.user, enabled=False)
    remember.revoke(state, user_id=t.user.user_id, reason="two_factor_disabled")
    epochs.bump(state, t.user, reason="two_factor_disabled")
    audit.record(state, Event.TWO_FACTOR_DISABLED, t.user, actor=t.actor)
    return Done.of(N_("Two-factor login is off for this user."))


def unlock(state: State, t: Target) -> Done:
    if not accounts.unlock(state, t.user, actor=t.actor):
        raise Refused(N_("This user is not locked."), status=409)
    return Done.of(N_("The user is unlocked: earlier wrong codes no longer count."))


def revoke_pcs(state: State, t: Target, pc_id: int | None = None) -> Done:
    """Forget one remembered PC of the user (``pc_id``) or all of them."""
    statement = sa.update(RememberedPc).where(
        RememberedPc.user_id == t.user.user_id, RememberedPc.revoked_at.is_(None)
    )
    if pc_id is not None:
        statement = statement.where(RememberedPc.id == pc_id)
    count = int(
        getattr(state.session.execute(statement.values(revoked_at=state.now())), "rowcount", 0) or 0
    )
    if pc_id is not None and count == 0:
        raise Refused(N_("No such remembered PC."), status=404)
    audit.record(state, Event.PCS_REVOKED, t.user, reason=f"admin count={count}", actor=t.actor)
    epochs.bump(state, t.user, reason="pcs_revoked admin")
    return Done.of(N_("%(count)s remembered PC(s) revoked."), count=count)


def void_recovery_codes(state: State, t: Target) -> Done:
    """Void the user's recovery codes (a lost or leaked set): he makes a new set himself."""
    left = recovery.void(state, t.user, actor=t.actor)
    return Done.of(N_("The user's recovery codes are void (%(left)s were left)."), left=left)
