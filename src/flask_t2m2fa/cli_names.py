"""The CLI names accounts and users as the host does (``account_named=``, ``display_name=``)."""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa

from .models import AccountPolicy, UserSettings
from .state import State, get_state


def _known_account_id(state: State, account_id: str) -> bool:
    if state.users_of is not None and state.users_in(account_id):
        return True
    if state.session.get(AccountPolicy, account_id) is not None:
        return True
    return (
        state.session.scalar(
            sa.select(UserSettings.user_id).where(UserSettings.account_id == account_id).limit(1)
        )
        is not None
    )


def account(text: str) -> str:
    """The account id of ``text`` (the host's account name, or an id the extension knows).

    :raises click.ClickException: neither.
    """
    state = get_state()
    if state.account_named is not None:
        found = state.account_named(text)
        if found is not None:
            return str(found)
    if _known_account_id(state, text):
        return text
    kind = "account name or id" if state.account_named is not None else "account id"
    raise click.ClickException(f"unknown {kind} {text!r}")


def _load(state: State, user_id: str) -> Any:
    try:
        return state.find_user(user_id)
    except (ValueError, TypeError, LookupError):  # a name given where the host expects an id
        return None


def user(text: str) -> Any:
    """The user with id ``text``, else the one user the host names ``text``.

    :raises click.ClickException: no such user, or the name is ambiguous.
    """
    state = get_state()
    found = _load(state, text)
    if found is not None:
        return found
    if state.display_name is not None:
        ids = state.session.scalars(sa.select(UserSettings.user_id)).all()
        named = [u for u in (_load(state, i) for i in ids) if u is not None]
        matches = [u for u in named if state.name_of(u) == text]
        if len(matches) > 1:
            raise click.ClickException(f"several users are named {text!r}: use the user id")
        if matches:
            return matches[0]
    raise click.ClickException(f"no user with id or name {text!r}")


def name(user_id: str | None) -> str:
    """The host's name of ``user_id`` for the audit list ("-" for none)."""
    if user_id is None:
        return "-"
    state = get_state()
    return state.name_of(_load(state, user_id))
