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


def _known_accounts(state: State) -> list[str]:
    """The accounts the extension has rows of (a policy, or a user's settings)."""
    policies = sa.select(AccountPolicy.account_id)
    settings = sa.select(UserSettings.account_id).distinct()
    return sorted(set(state.session.scalars(policies)) | set(state.session.scalars(settings)))


def _listed(state: State, account_id: str | None) -> list[Any]:
    """The host's users a display name is looked for among: those of ``account_id`` (else of
    every account the extension knows) when the host lists them, else those with settings."""
    if state.users_of is not None:
        found: list[Any] = []
        for one in [account_id] if account_id is not None else _known_accounts(state):
            try:
                found += state.users_in(one)
            except (ValueError, TypeError, LookupError):  # an id the host cannot read
                continue
        return found
    query = sa.select(UserSettings.user_id)
    if account_id is not None:
        query = query.where(UserSettings.account_id == account_id)
    return [u for u in (_load(state, i) for i in state.session.scalars(query)) if u is not None]


def _named(state: State, text: str, account_id: str | None) -> list[Any]:
    """The users called ``text``: by the host's login name (``users_named=``), else by his
    display name; only those of ``account_id`` when given."""
    by_login = state.users_called(text) if state.users_named is not None else []
    in_account = [u for u in by_login if account_id in (None, state.ref(u).account_id)]
    if not in_account and state.display_name is not None:
        in_account = [u for u in _listed(state, account_id) if state.name_of(u) == text]
    unique = {state.ref(u).user_id: u for u in in_account}
    return list(unique.values())


def user(text: str, account_text: str | None = None) -> Any:
    """The user with id ``text``, else the one user the host names ``text``: his login name
    (``users_named=``) or his display name, also of a user without 2FA settings yet.

    :param account_text: the user's account (name or id), to tell apart users of several
        accounts with the same name.
    :raises click.ClickException: an unknown account, no such user, or several.
    """
    state = get_state()
    account_id = account(account_text) if account_text is not None else None
    found = _load(state, text)
    if found is not None and account_id in (None, state.ref(found).account_id):
        return found
    matches = _named(state, text, account_id)
    if len(matches) == 1:
        return matches[0]
    where = f" in account {account_text!r}" if account_text is not None else ""
    if not matches:
        raise click.ClickException(f"no user with id or name {text!r}{where}")
    accounts = sorted({state.ref(u).account_id for u in matches})
    if len(accounts) > 1:
        raise click.ClickException(
            f"{len(matches)} users are named {text!r}, in accounts {', '.join(accounts)}:"
            " add --account ACCOUNT"
        )
    raise click.ClickException(f"several users{where} are named {text!r}: use the user id")


def name(user_id: str | None) -> str:
    """The host's name of ``user_id`` for the audit list ("-" for none)."""
    if user_id is None:
        return "-"
    state = get_state()
    return state.name_of(_load(state, user_id))
