"""The notice of a failed second factor: at a login's first wrong code, tell the user by SMS.

A right password followed by a wrong code means the password is known (ASVS 5.0 6.3.5, the OWASP
MFA cheat sheet): the user hears of it at the first sign, not only when the lock comes. Called
from the one wrong-code path of a login (:func:`.login.submit`, under both the code page and the
JSON API); :func:`..rules.notices.failed_code_due` decides on what the verify step read
(:class:`..rules.notices.WrongCodeFacts`). Codes of enrolment, of a number change, of the step-up
or of an administrator's action are not a login's second factor: they never tell.
"""

from __future__ import annotations

from ..i18n import gettext
from ..rules import notices as rules
from ..rules import user_agents
from ..rules.notices import NotDue, Notice
from ..state import State, UserRef
from . import accounts, notices
from .challenges import LOGIN
from .verification import Outcome, Verdict

_CAPS = (NotDue.USER_CAP, NotDue.NUMBER_CAP)


def device_text(user_agent: str) -> str:
    """ "Firefox on Windows" (translated), what the SMS says the wrong code came from."""
    browser, system = user_agents.names(user_agent)
    if browser and system:
        return gettext("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or gettext("an unknown browser")


def tell(state: State, user: UserRef, verdict: Verdict, *, user_agent: str) -> bool:
    """Send the failed-code notice to the user's verified primary if it is due; True if queued.

    A refused or failed notice never changes the verdict; a cap that keeps it back is audited.
    """
    challenge, snap, facts = verdict.challenge, verdict.snapshot, verdict.wrong_code
    if verdict.outcome is not Outcome.WRONG or challenge is None or challenge.purpose != LOGIN:
        return False
    phone = snap.phone(accounts.PRIMARY, verified=True) if snap is not None else None
    if phone is None or facts is None:
        return False
    switched_on = state.settings.notify.get(Notice.FAILED_CODE, True)
    why = rules.failed_code_due(state.now(), facts, switched_on=switched_on, limits=state.limits)
    if why is not None and why in _CAPS:
        notices.refused(state, user, Notice.FAILED_CODE, phone, reason=why.value)
    if why is not None:
        return False
    device = device_text(user_agent)
    key = challenge.login_id or challenge.id
    return notices.send(state, user, Notice.FAILED_CODE, phone, event_key=key, device=device)
