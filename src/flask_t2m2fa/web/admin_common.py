"""What the admin pages and the admin JSON endpoints share: parsing, actions, refusals, bodies."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from ..i18n import gettext as _
from ..rules import admin_scope
from ..rules.ids import row_id
from ..rules.notices import N_
from ..rules.policy import COOKIE_MAX_DAYS, MODES, Policy
from ..services import admin_actions, admin_users, unit_of_work
from ..services.admin_actions import Done, Refused, Target
from ..services.admin_audit import Filters
from ..state import State
from . import wording
from .admin_guard import actor


def _role(data: Mapping[str, Any]) -> str:
    role = data.get("role")
    return role if isinstance(role, str) else ""


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _pc(data: Mapping[str, Any]) -> int:
    """The ``pc_id`` of a form (digits) or of a JSON body (a number): a whole number that no
    row can have (negative, 2**63 and more, or a string in JSON) is an unknown PC (404)."""
    raw = data.get("pc_id")
    form = isinstance(data, MultiDict)
    number = row_id(raw, text_ok=form)
    if number is not None:
        return number
    if (isinstance(raw, int) and not isinstance(raw, bool)) or (
        isinstance(raw, str) and _WHOLE_NUMBER.fullmatch(raw)
    ):
        raise Refused(N_("No such remembered PC."), status=404)
    raise Refused(N_("pc_id must be the id of a remembered PC."))


Action = Callable[[State, Target, Mapping[str, Any]], Done]
#: Every action of the user dialog, by the name used in forms and JSON paths.
ACTIONS: dict[str, Action] = {
    "enable": lambda s, t, d: admin_actions.enable(s, t, d.get("primary"), d.get("backup")),
    "disable": lambda s, t, d: admin_actions.disable(s, t),
    "unlock": lambda s, t, d: admin_actions.unlock(s, t),
    "set-phone": lambda s, t, d: admin_actions.set_phone(
        s, t, _role(d), d.get("number"), send=d.get("verify") != "at_login"
    ),
    "verify-phone": lambda s, t, d: admin_actions.verify(s, t, _role(d), d.get("code")),
    "resend": lambda s, t, d: admin_actions.resend(s, t, _role(d)),
    "cancel": lambda s, t, d: admin_actions.cancel(s, t, _role(d)),
    "revoke-pc": lambda s, t, d: admin_actions.revoke_pcs(s, t, _pc(d)),
    "revoke-pcs": lambda s, t, d: admin_actions.revoke_pcs(s, t),
    "void-recovery": lambda s, t, d: admin_actions.void_recovery_codes(s, t),
}


def perform(state: State, action: str, ref: Any, data: Mapping[str, Any]) -> Done:
    """Run one action on the user ``ref`` and commit; :class:`Refused` leaves nothing changed.

    A refused action rolls back, except a wrong code: its counted attempt must stay.
    """
    try:
        done = ACTIONS[action](state, Target(actor(), ref), data)
    except Refused as refused:
        if action == "verify-phone":
            unit_of_work.commit(state.session)  # the failed attempt counts
        else:
            unit_of_work.rollback(state.session)
        raise refused
    unit_of_work.commit(state.session)
    return done


@dataclasses.dataclass(frozen=True)
class Shown:
    """A refusal as a page shows it: the message in the reader's language."""

    message: str
    field: str | None
    status: int


def translated(msgid: str, params: Mapping[str, str | int]) -> str:
    """``msgid`` in the reader's language, filled from ``params``; a ``reason`` (a phone error's,
    why no code was sent) is a message id too and is translated first."""
    filled = dict(params)
    reason = filled.get("reason")
    if isinstance(reason, str):
        filled["reason"] = _(reason)
    return _(msgid, **filled)


def refusal_text(refused: Refused) -> str:
    """The refusal's message in the reader's language (a phone error's reason included)."""
    return translated(refused.msgid, refused.params)


def done_text(done: Done) -> str:
    """What an action did, in the reader's language."""
    return " ".join(translated(note.msgid, note.params) for note in done.notes)


def shown(refused: Refused) -> Shown:
    return Shown(refusal_text(refused), refused.field, refused.status)


#: The 2FA state word of a user (:func:`admin_scope.user_state`) as the admin pages show it.
STATE_WORDS = {
    admin_scope.ON: N_("on"),
    admin_scope.OFF: N_("off"),
    admin_scope.ENROLMENT: N_("enrolment pending"),
    admin_scope.PAUSED: N_("paused"),
    admin_scope.LOCKED: N_("locked"),
}


#: The two kinds of "enrolment pending" told apart: 2FA is on in both, the number is not verified.
_AWAITING_CODE = N_("on: the number waits for its code")
_AWAITING_NUMBER = N_("on: the user enters his number at his next login")


def state_word(word: str, view: admin_users.UserView | None = None) -> str:
    """A user's 2FA state word in the reader's language (the JSON keeps the English word).

    With the user's ``view``, "enrolment pending" says which wait it is: it follows "Two-factor
    login is on.", so it must not sound as if it were off.
    """
    if word == admin_scope.ENROLMENT and view is not None:
        waiting = any(p.role == "primary" and not p.verified for p in view.phones)
        return _(_AWAITING_CODE if waiting else _AWAITING_NUMBER)
    return _(STATE_WORDS[word]) if word in STATE_WORDS else word


POLICY_FIELDS = (
    "mode",
    "enable_for_new_users",
    "remember_pc_allowed",
    "remember_pc_days",
    "recovery_codes_allowed",
)


def policy_changes(data: Mapping[str, Any]) -> dict[str, Any]:
    """The policy fields a JSON body sets, type-checked. :raises Refused: a bad value."""
    changes = {k: data[k] for k in POLICY_FIELDS if k in data}
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise Refused(N_("unknown field(s): %(fields)s"), fields=", ".join(sorted(unknown)))
    if "mode" in changes and changes["mode"] not in MODES:
        raise Refused(N_("mode must be one of %(modes)s"), field="mode", modes=", ".join(MODES))
    for key in ("enable_for_new_users", "remember_pc_allowed", "recovery_codes_allowed"):
        if key in changes and not isinstance(changes[key], bool):
            raise Refused(N_("%(key)s must be true or false"), field=key, key=key)
    days = changes.get("remember_pc_days")
    if isinstance(days, float) and days.is_integer():  # 30.0 is an integer in JSON Schema
        days = changes["remember_pc_days"] = int(days)
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= COOKIE_MAX_DAYS
    ):
        raise Refused(
            N_("remember_pc_days must be null or 1 to %(max)s"),
            field="remember_pc_days",
            max=COOKIE_MAX_DAYS,
        )
    return changes


def policy_body(policy: Policy) -> dict[str, Any]:
    return dataclasses.asdict(policy)


def _iso(moment: datetime | None) -> str | None:
    return wording.iso(moment) if moment is not None else None


def user_body(view: admin_users.UserView) -> dict[str, Any]:
    return {
        "id": view.user_id,
        "name": view.name,
        "is_admin": view.is_admin,
        "state": view.state,
        "paused_until": _iso(view.paused_until),
        "failures": view.failures,
        "phones": [dataclasses.asdict(p) for p in view.phones],
        "remembered_pcs": [
            {
                "id": p.id,
                "label": wording.device_label(p.label),
                "network": p.network,
                "created_at": _iso(p.created_at),
                "last_used_at": _iso(p.last_used_at),
                "expired": p.expired,
            }
            for p in view.pcs
        ],
        "last_code_login": _iso(view.last_code_login),
        "recovery_codes": {"total": view.recovery.total, "left": view.recovery.left},
    }


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(text: object, *, blank_ok: bool) -> datetime | None:
    """A date (YYYY-MM-DD) as the start of that day in UTC; absent (or, from a form, blank):
    None. :raises Refused: anything else."""
    if text is None or (blank_ok and text == ""):
        return None
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        raise Refused(N_("%(value)s is not a date (YYYY-MM-DD)"), value=str(text)[:40])
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise Refused(N_("%(value)s is not a date (YYYY-MM-DD)"), value=text) from None


def audit_filters(args: Mapping[str, Any], *, strict: bool = False) -> Filters:
    """Filters from query parameters ``user``, ``kind``, ``since``, ``until`` (dates).

    :param strict: the JSON API's reading: a blank date is no date (a form sends its empty
        fields, so the page takes them for "no filter").
    """
    user, kind = args.get("user") or None, args.get("kind") or None
    since = _day(args.get("since"), blank_ok=not strict)
    return Filters(user, kind, since, _day(args.get("until"), blank_ok=not strict))


def page_number(args: Mapping[str, Any]) -> int:
    """The page a page asks for: anything but a page number is the first page."""
    raw = args.get("page", "1")
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 7 else 1


# --- The JSON API's stricter reading of query parameters (``openapi.yaml``) ----------------

#: Pages past the last one show the last; so does any page number longer than this.
_MAX_PAGE = 10**9


def api_page(args: Mapping[str, Any]) -> int:
    """``page``: a whole number from 1 (1 when absent). :raises Refused: anything else."""
    raw = args.get("page")
    if raw is None:
        return 1
    digits = raw.lstrip("0") if isinstance(raw, str) and raw.isascii() and raw.isdigit() else ""
    if not digits:
        raise Refused(N_("page must be a whole number from 1"), field="page")
    return _MAX_PAGE if len(digits) > 9 else int(digits)


SORTS = ("name", "state")


def api_sort(args: Mapping[str, Any]) -> str:
    """``sort``: ``name`` (when absent) or ``state``. :raises Refused: anything else."""
    sort = args.get("sort", "name")
    if sort not in SORTS:
        raise Refused(N_("sort must be one of %(sorts)s"), field="sort", sorts=", ".join(SORTS))
    return str(sort)


def single_valued(args: Any, names: Iterable[str]) -> None:
    """Each of ``names`` is given at most once. :raises Refused: one is repeated."""
    for name in names:
        if len(args.getlist(name)) > 1:
            raise Refused(N_("%(name)s may be given only once"), field=name, name=name)
