"""Demo data: one account with an administrator and a plain user, both with verified phones."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from example_app.auth import hash_password
from example_app.extensions import db, two_factor
from example_app.models import Account, User

DEMO_ACCOUNT = "demo-account"


@dataclass(frozen=True)
class DemoUser:
    """One demo login; the numbers are valid Belgian mobile numbers nobody owns in the demo."""

    username: str
    full_name: str
    is_admin: bool
    primary_phone: str
    backup_phone: str


DEMO_USERS = (
    DemoUser("admin", "Ada Admin", True, "+32470123456", "+32470123457"),
    DemoUser("user", "Udo User", False, "+32470123458", "+32470123459"),
)


def new_demo_passwords() -> dict[str, str]:
    """A fresh random password per demo user (shown by the demo, never reused elsewhere)."""
    return {user.username: secrets.token_urlsafe(9) for user in DEMO_USERS}


def is_seeded() -> bool:
    """True when the demo account already exists (the data is seeded once, on first run)."""
    query = sa.select(Account.id).where(Account.name == DEMO_ACCOUNT)
    return db.session.scalars(query).first() is not None


def seed_demo_data(passwords: Mapping[str, str]) -> Account:
    """Create the demo account, its 2FA policy and its users with verified phones.

    Runs in an app context, once: call :func:`is_seeded` first.

    :param passwords: the password of each user in :data:`DEMO_USERS`, by username.
    """
    account = Account(name=DEMO_ACCOUNT)
    db.session.add(account)
    db.session.flush()
    two_factor.set_policy(
        account.id, mode="standard", enable_for_new_users=True, remember_pc_allowed=True
    )
    for spec in DEMO_USERS:
        user = User(
            account=account,
            username=spec.username,
            full_name=spec.full_name,
            is_admin=spec.is_admin,
            password_hash=hash_password(passwords[spec.username]),
        )
        db.session.add(user)
        db.session.flush()
        two_factor.enable_for(
            user, primary_phone=spec.primary_phone, backup_phone=spec.backup_phone, verified=True
        )
    db.session.commit()
    return account
