"""Demo data: two accounts, each with its own administrator; users with verified phones, and
one user without 2FA for the administrator to set up from the admin pages."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from example_app.auth import hash_password
from example_app.extensions import db, two_factor
from example_app.models import Account, User

DEMO_ACCOUNT = "demo-account"
#: A second customer: its administrator must neither see nor touch the demo account.
OTHER_ACCOUNT = "other-account"


@dataclass(frozen=True)
class DemoUser:
    """One demo login; the numbers are valid Belgian mobile numbers nobody owns in the demo."""

    username: str
    full_name: str
    is_admin: bool
    #: None: 2FA is off for this user until an administrator turns it on.
    primary_phone: str | None
    backup_phone: str | None
    account: str = DEMO_ACCOUNT


DEMO_USERS = (
    DemoUser("admin", "Ada Admin", True, "+32470123456", "+32470123457"),
    DemoUser("user", "Udo User", False, "+32470123458", "+32470123459"),
    DemoUser("guest", "Gus Guest", False, None, None),
    DemoUser("trainee", "Tess Trainee", False, None, None),
    DemoUser("other-admin", "Otto Other", True, "+32470123460", "+32470123461", OTHER_ACCOUNT),
    DemoUser("other-user", "Olga Other", False, "+32470123462", "+32470123463", OTHER_ACCOUNT),
)


def new_demo_passwords() -> dict[str, str]:
    """A fresh random password per demo user (shown by the demo, never reused elsewhere)."""
    return {user.username: secrets.token_urlsafe(9) for user in DEMO_USERS}


def is_seeded() -> bool:
    """True when the demo account already exists (the data is seeded once, on first run)."""
    query = sa.select(Account.id).where(Account.name == DEMO_ACCOUNT)
    return db.session.scalars(query).first() is not None


def seed_demo_data(passwords: Mapping[str, str]) -> Account:
    """Create the demo accounts, their 2FA policy and their users with verified phones.

    Runs in an app context, once: call :func:`is_seeded` first. Returns the demo account.

    :param passwords: the password of users of :data:`DEMO_USERS`, by username.
    """
    accounts = {name: Account(name=name) for name in (DEMO_ACCOUNT, OTHER_ACCOUNT)}
    db.session.add_all(accounts.values())
    db.session.flush()
    for account in accounts.values():
        two_factor.set_policy(account.id, mode="standard", remember_pc_allowed=True)
    for spec in DEMO_USERS:
        user = User(
            account=accounts[spec.account],
            username=spec.username,
            full_name=spec.full_name,
            is_admin=spec.is_admin,
            # A user without a password given cannot log in (a random one nobody knows).
            password_hash=hash_password(passwords.get(spec.username) or secrets.token_hex(16)),
        )
        db.session.add(user)
        db.session.flush()
        if spec.primary_phone is not None:
            two_factor.enable_for(
                user,
                primary_phone=spec.primary_phone,
                backup_phone=spec.backup_phone,
                verified=True,
            )
    db.session.commit()
    return accounts[DEMO_ACCOUNT]
