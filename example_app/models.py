"""The host's own models: accounts (tenants) and their users.

The two-factor extension never touches these tables; it asks for a user's account and role
through the callbacks given to ``init_app``.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from example_app.extensions import Base


class Account(Base):
    """A customer account, e.g. a company; user names are unique within one account."""

    __tablename__ = "example_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored in lower case; login compares case-insensitively.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    users: Mapped[list[User]] = relationship(back_populates="account")


class User(Base):
    """A person who logs in with account name, user name and password.

    Implements the small protocol Flask-Login expects (``is_authenticated``, ``get_id`` ...)
    itself instead of inheriting ``UserMixin``.
    """

    __tablename__ = "example_users"
    __table_args__ = (UniqueConstraint("account_id", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("example_accounts.id"))
    #: Stored in lower case; login compares case-insensitively.
    username: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    account: Mapped[Account] = relationship(back_populates="users")

    is_active = True
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"
