"""The confirmation step of the admin pages: account-wide or user-wide destructive actions
(switch to Enforced, "Remember this PC" no longer allowed, Revoke all, Disable, void the
recovery codes) first show
what they will do, with the counts, and run only when the form comes back with
``confirmed=y``. The JSON API has no such step: a client that calls it means it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..i18n import gettext as _
from ..rules.policy import ENFORCED, Policy
from ..services import admin_counts, recovery
from ..state import State, UserRef

#: The user-dialog actions that ask first.
USER_ACTIONS = ("revoke-pcs", "disable", "void-recovery")


@dataclass(frozen=True)
class Confirm:
    """What the action will do, its button, and the submitted fields to post again."""

    text: str
    button: str
    fields: list[tuple[str, str]]


def confirmed(form: Mapping[str, Any]) -> bool:
    return form.get("confirmed") == "y"


def _resubmitted(form: Any) -> list[tuple[str, str]]:
    skip = ("csrf_token", "confirmed")
    return [(k, v) for k, v in form.items(multi=True) if k not in skip]


def for_user_action(state: State, action: str, name: str, user: UserRef, form: Any) -> Confirm:
    """The confirmation of ``action`` (one of :data:`USER_ACTIONS`) on the user ``name``."""
    pcs = admin_counts.live_pcs(state, user_id=user.user_id)
    if action == "disable":
        text = _(
            "This turns two-factor login off for %(name)s, revokes %(pcs)s remembered PC(s) and "
            "ends all his sessions: he logs in again with his password only.",
            name=name,
            pcs=pcs,
        )
        return Confirm(text, _("Yes, disable"), _resubmitted(form))
    if action == "void-recovery":
        left = recovery.left(state, user.user_id)
        text = _(
            "This voids the %(left)s unused recovery code(s) of %(name)s: they no longer log "
            "him in, and he makes a new set on his Security page.",
            name=name,
            left=left,
        )
        return Confirm(text, _("Yes, void them"), _resubmitted(form))
    text = _(
        "This revokes %(pcs)s remembered PC(s) of %(name)s and ends all his sessions: "
        "he logs in again with a code on every PC.",
        name=name,
        pcs=pcs,
    )
    return Confirm(text, _("Yes, revoke all"), _resubmitted(form))


def for_policy(
    state: State, actor: UserRef, loaded: Policy, wanted: Policy, form: Any
) -> Confirm | None:
    """The confirmation a policy change needs, or None when it destroys nothing."""
    account_id = actor.account_id
    if wanted.mode == ENFORCED and loaded.mode != ENFORCED:
        text = _(
            "Switching to Enforced revokes %(pcs)s remembered PC(s) and ends every session of "
            "the account's %(users)s other user(s), those that entered a code too: each logs in "
            "again with a code (your own session stays).",
            pcs=admin_counts.live_pcs(state, account_id=account_id),
            users=admin_counts.other_users(state, account_id, keep_user_id=actor.user_id),
        )
        return Confirm(text, _("Yes, switch to Enforced"), _resubmitted(form))
    if loaded.remember_pc_allowed and not wanted.remember_pc_allowed:
        text = _(
            'Turning "Remember this PC" off revokes %(pcs)s remembered PC(s); sessions that '
            "skipped the code with one of them end.",
            pcs=admin_counts.live_pcs(state, account_id=account_id),
        )
        return Confirm(text, _("Yes, turn it off"), _resubmitted(form))
    return None
