"""Checking account name, user name and password, with one answer for every kind of failure.

An unknown account, an unknown user and a wrong password must be indistinguishable, in the
answer and in its timing: when no user matches, a password is still checked against a dummy
hash made with the same method, so every attempt costs one hash computation.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from example_app.extensions import db
from example_app.models import Account, User

#: ``(stored_hash, password) -> bool``; tests pass a counting one.
PasswordCheck = Callable[[str, str], bool]

DEFAULT_PASSWORD_METHOD = "scrypt"  # noqa: S105  # a hash method name, not a password


def password_method() -> str:
    """The werkzeug hashing method of the current app (tests choose a cheap one)."""
    return str(current_app.config.get("EXAMPLE_PASSWORD_METHOD", DEFAULT_PASSWORD_METHOD))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_method())


@functools.lru_cache(maxsize=8)
def _dummy_hash(method: str) -> str:
    # A hash of a random password nobody knows: checking against it costs the same as a real one.
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def normalise_name(name: str) -> str:
    """Account and user names are compared without surrounding blanks and case-insensitively."""
    return name.strip().casefold()


def find_user(account_name: str, username: str) -> User | None:
    """The user ``username`` of account ``account_name``, in one query whatever is missing."""
    query = (
        sa.select(User)
        .join(Account, User.account_id == Account.id)
        .where(Account.name == normalise_name(account_name))
        .where(User.username == normalise_name(username))
    )
    return db.session.scalars(query).one_or_none()


def authenticate(
    account_name: str,
    username: str,
    password: str,
    *,
    check: PasswordCheck = check_password_hash,
) -> User | None:
    """The user these credentials belong to, or None for any kind of mismatch.

    Exactly one password check runs in every case, so an unknown account or user takes as
    long as a wrong password.
    """
    user = find_user(account_name, username)
    stored = user.password_hash if user is not None else _dummy_hash(password_method())
    password_ok = check(stored, password)
    if user is None or not password_ok:
        return None
    return user
