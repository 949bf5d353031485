"""The sentences of the user's security page, translated (``web.wording`` holds the code step's).

Kept beside :mod:`.wording` so that every sentence a person reads is in ``web/`` and goes
through :func:`flask_t2m2fa.i18n.gettext`.
"""

from __future__ import annotations

from datetime import datetime

from ..i18n import gettext as _
from ..rules.notices import N_
from ..services.my_security import Overview, PcView
from ..services.phone_change import Changed
from . import wording


def policy_lines(view: Overview) -> list[str]:
    """What the account's policy means for this user, one sentence each."""
    lines = []
    if view.locked:
        lines.append(_("Your second factor is locked: ask your administrator to unlock it."))
    if view.two_factor_on:
        lines.append(_("Two-factor login is on: each login needs a code sent by SMS."))
    else:
        lines.append(_("Two-factor login is off for you: your password is enough."))
    if view.policy.mode == "enforced":
        lines.append(_("Your account enforces two-factor login for every user."))
    if not view.remember_allowed:
        lines.append(_("Remember this PC is not allowed in this account."))
    elif view.policy.remember_pc_days is None:
        lines.append(_("A remembered PC stays remembered until you revoke it."))
    else:
        days = view.policy.remember_pc_days
        lines.append(_("A remembered PC is forgotten after %(days)s days.", days=days))
    if view.backup_required:
        lines.append(_("As an administrator you must keep a backup phone."))
    return lines


def pc_label(pc: PcView) -> str:
    browser = pc.browser or _("Unknown browser")
    if pc.system is None:
        return browser
    return _("%(browser)s on %(system)s", browser=browser, system=pc.system)


def role_name(role: str) -> str:
    return _("Primary phone") if role == "primary" else _("Backup phone")


def code_sent(masked: str) -> str:
    return _(
        "We sent a code by SMS to %(phone)s: enter it to confirm the new number.", phone=masked
    )


def code_not_sent(masked: str, retry_at: datetime | None, now: datetime) -> str:
    """No code went to the number typed: say when one can (the cool-down, a cap)."""
    if retry_at is None:
        return _("No code was sent to %(phone)s now: try again in a minute.", phone=masked)
    if retry_at <= now:
        later = _("You can ask for a new code now.")
    else:
        later = _("You can ask for a new code %(when)s.", when=wording.relative(retry_at, now))
    return _("No code was sent to %(phone)s. %(next)s", phone=masked, next=later)


def invalid_number(reason: str) -> str:
    return _("This number cannot be used: %(reason)s. Nothing was sent.", reason=_(reason))


def changed(result: Changed) -> str:
    parts = [_("Your %(role)s is now %(phone)s.", role=role_name(result.role).lower(),
               phone=result.masked)]  # fmt: skip
    if result.notice_sent:
        parts.append(_("The old number was told by SMS."))
    parts.append(
        _(
            "Your other remembered PCs (%(count)s) were forgotten and your other sessions "
            "ended; this PC stays signed in.",
            count=result.pcs_revoked,
        )
    )
    return " ".join(parts)


def pcs_revoked(count: int) -> str:
    return _("%(count)s other PCs were signed out.", count=count)


PC_REVOKED = N_("This PC is no longer remembered.")
BACKUP_REMOVED = N_("Your backup phone was removed.")
NO_BACKUP = N_("You have no backup phone.")
WRONG_CODE = N_("Wrong or expired code: the number was not changed.")
