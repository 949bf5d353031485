"""Send a notice (DESIGN R-47) by SMS through the same sender, within the per-number caps.

One call at the place where the event happens (the lock in :mod:`.verification`, the new PC in
:mod:`.remember`, the number change in :mod:`.phone_change`, a login's first wrong code in
:mod:`.failed_code`). A notice is sent at most once per
event: the event's key is kept on the transaction, so a second call for the same event sends
nothing. It counts against the same caps as the codes (per number and per user per day), and
a refused, disabled or failed notice never stops what caused it: it is audited instead.
"""

from __future__ import annotations

from datetime import timedelta

from ..events import Event
from ..i18n import gettext
from ..models import Phone
from ..rules import notices, sending_limits
from ..rules.notices import Notice
from ..state import State, UserRef
from . import accounts, audit, challenges, sends

#: A notice still worth reading a day later; after that the gateway drops it.
NOTICE_LIFETIME = timedelta(days=1)
_SENT_KEY = "t2m2fa_notices_sent"


def text_of(state: State, notice: Notice, *, device: str | None = None) -> str:
    """The filled text: the host's override, else the translated catalogue text.

    :param device: "Firefox on Windows", for the failed-code notice.
    :raises NoticeTextError: the text does not fit three SMS (a bad override or translation).
    """
    override = state.settings.notice_texts.get(notice.value)
    template = override if override is not None else gettext(notices.TEXTS[notice])
    app_name, now = state.settings.app_name, state.now()
    return notices.render(template, app_name=app_name, moment=now, device=device)


def to_verified(state: State, user: UserRef, notice: Notice, *, event_key: str) -> bool:
    """:func:`send` to the user's verified primary (his verified backup when he has none)."""
    phone = accounts.phone_of(state, user.user_id, accounts.PRIMARY, verified=True)
    if phone is None:
        phone = accounts.phone_of(state, user.user_id, accounts.BACKUP, verified=True)
    return send(state, user, notice, phone, event_key=event_key)


def send(
    state: State,
    user: UserRef,
    notice: Notice,
    phone: Phone | None,
    *,
    event_key: str,
    device: str | None = None,
) -> bool:
    """Tell ``user`` about ``notice`` on ``phone`` (a verified number); True when queued.

    :param event_key: names the event (e.g. the lock time); the same key sends once.
    :param device: what :func:`text_of` puts in a failed-code notice.
    """
    sent_keys: set[str] = state.session.info.setdefault(_SENT_KEY, set())
    key = f"{user.user_id}:{notice.value}:{event_key}"
    switches = state.settings.notify
    if phone is None or not notices.is_due(notice, switches, already_sent=key in sent_keys):
        return False
    sent_keys.add(key)
    history = challenges.history(state, user.user_id, phone.number_digest, login_id=None)
    decision = sending_limits.decide(state.now(), history, state.limits, cooldown=False)
    if decision.refusal is not None:
        _audit(state, user, notice, phone, outcome="refused", reason=decision.refusal.value)
        return False
    try:
        text = text_of(state, notice, device=device)
        sends.hand_over(state, phone, text, expires_at=state.now() + NOTICE_LIFETIME, kind="notice")
    except Exception as exc:  # the event stands; the operator reads why
        _audit(state, user, notice, phone, outcome="failed", reason=type(exc).__name__)
        return False
    sends.record_sent(state, user.user_id, phone.number_digest, notices.sent_label(notice))
    _audit(state, user, notice, phone, outcome="ok", reason=None)
    return True


def refused(state: State, user: UserRef, notice: Notice, phone: Phone, *, reason: str) -> None:
    """Audit a notice that a rule kept from going out (a cap), like :func:`send` does."""
    _audit(state, user, notice, phone, outcome="refused", reason=reason)


def _audit(
    state: State, user: UserRef, notice: Notice, phone: Phone, *, outcome: str, reason: str | None
) -> None:
    why = notice.value if reason is None else f"{notice.value} {reason}"
    audit.record(
        state, Event.NOTICE_SENT, user, outcome=outcome, reason=why, destination=phone.masked
    )
