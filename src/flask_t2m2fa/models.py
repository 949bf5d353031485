"""The extension's tables, all prefixed ``t2m2fa_``.

They are declared once, on the extension's own declarative base, and :func:`register` copies
them and the gateway outbox's tables into the host's ``db.metadata`` at ``init_app``:
``db.create_all()`` creates them all, so the default sender has its outbox. The shipped
migrations own their schema; :func:`owned_tables` names them for the host's autogenerate to
leave alone. The classes are plain SQLAlchemy 2.0 mapped classes, queried through the host's
``db.session``.

Nothing here holds a code, a token or a phone number in clear: codes and remember-PC validators
are hashes, numbers are AES-GCM ciphertext plus a keyed digest (to compare) and a masked form
(to display).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gateway.outbox.schema import metadata as outbox_metadata
from gateway.sqltypes import MYSQL_DIALECTS, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
ID = sa.String(64)
#: At most 128 bytes (a number's ciphertext): ``VARBINARY`` on MariaDB, not a ``BLOB``.
BINARY_128 = sa.LargeBinary(128).with_variant(mysql.VARBINARY(128), *MYSQL_DIALECTS)
_LIVE = sa.text("consumed_at IS NULL AND superseded_at IS NULL")
#: A partial index (SQLite and PostgreSQL) of the codes that can still be entered. MariaDB and
#: MySQL have no partial index: there the index holds every challenge, and its last two columns
#: (NULL while live) end the walk at the live ones, however long the user's history.
LIVE_CHALLENGES: dict[str, Any] = {"sqlite_where": _LIVE, "postgresql_where": _LIVE}
LIVE_CHALLENGES_COLUMNS = ("user_id", "purpose", "consumed_at", "superseded_at")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class AccountPolicy(Base):
    """One account's 2FA policy; ``version`` grows with every change (each one audited)."""

    __tablename__ = "t2m2fa_account_policies"
    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(16))
    enable_for_new_users: Mapped[bool]
    remember_pc_allowed: Mapped[bool]
    remember_pc_days: Mapped[int | None]
    #: Recovery codes may be made and used (issue 23); off: not offered, and refused.
    recovery_codes_allowed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]


class UserSettings(Base):
    """A user's 2FA switch, lock state and the row every per-user change locks first."""

    __tablename__ = "t2m2fa_user_settings"
    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(ID, index=True)
    enabled: Mapped[bool]
    locked_at: Mapped[datetime | None]
    #: Failures before this moment no longer count towards the budgets.
    unlocked_at: Mapped[datetime | None]
    #: Written by every verify and send: the write takes the row lock that serialises them
    #: (MariaDB and MySQL take it with ``SELECT … FOR UPDATE`` and leave this column alone).
    touched_at: Mapped[datetime]
    created_at: Mapped[datetime]


class Phone(Base):
    """A primary or backup number; a pending (unverified) one never replaces a verified one."""

    __tablename__ = "t2m2fa_phones"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    role: Mapped[str] = mapped_column(sa.String(8))
    number_encrypted: Mapped[bytes] = mapped_column(BINARY_128)
    number_digest: Mapped[str] = mapped_column(sa.String(64))
    masked: Mapped[str] = mapped_column(sa.String(32))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Challenge(Base):
    """One code sent (or due) to one phone, for one purpose of one user."""

    __tablename__ = "t2m2fa_challenges"
    __table_args__ = (
        sa.Index("ix_t2m2fa_challenges_user_purpose", "user_id", "purpose"),
        # The supersede UPDATE finds the one live code, however long the user's history.
        sa.Index("ix_t2m2fa_challenges_live", *LIVE_CHALLENGES_COLUMNS, **LIVE_CHALLENGES),
        # The cool-down reads the user's codes of the last minute (``rules.sending_limits``).
        sa.Index("ix_t2m2fa_challenges_user_created", "user_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID)
    account_id: Mapped[str] = mapped_column(ID)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    destination: Mapped[str] = mapped_column(sa.String(8))
    phone_id: Mapped[int | None]
    #: The keyed digest of the number the code went to: a code proves exactly this number.
    number_digest: Mapped[str | None] = mapped_column(sa.String(64))
    #: All challenges of one login share it: the per-login SMS cap counts by it.
    login_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None]
    #: Set when a newer code for the same user and purpose replaced this one.
    superseded_at: Mapped[datetime | None]
    sent: Mapped[bool] = mapped_column(default=False)
    message_id: Mapped[str | None] = mapped_column(sa.String(64))
    send_failed: Mapped[bool] = mapped_column(default=False)
    remember_me: Mapped[bool] = mapped_column(default=False)
    #: The user ticked "Remember this PC" on an earlier step of this login.
    remember_pc: Mapped[bool] = mapped_column(default=False)
    next_url: Mapped[str | None] = mapped_column(sa.String(2000))


class SentSms(Base):
    """One SMS handed to the sender, for the cool-down and the per-login/user/number caps.

    The caps read the last day by user and by number: the indexes end with ``sent_at`` so that
    older rows are never walked.
    """

    __tablename__ = "t2m2fa_sent_sms"
    __table_args__ = (
        sa.Index("ix_t2m2fa_sent_sms_user_at", "user_id", "sent_at"),
        sa.Index("ix_t2m2fa_sent_sms_number_at", "number_digest", "sent_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ID)
    login_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    number_digest: Mapped[str] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime]


class Failure(Base):
    """One wrong (or malformed) code, for the rolling 24-hour and 30-day budgets."""

    __tablename__ = "t2m2fa_failures"
    __table_args__ = (sa.Index("ix_t2m2fa_failures_user_at", "user_id", "failed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ID)
    challenge_id: Mapped[str] = mapped_column(sa.String(32))
    failed_at: Mapped[datetime]


class RecoveryCode(Base):
    """One single-use recovery code: an argon2id hash and a short keyed tag, never the code.

    A new set replaces (deletes) the user's previous one; a used code keeps its row, with
    ``used_at``, until then.
    """

    __tablename__ = "t2m2fa_recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    account_id: Mapped[str] = mapped_column(ID)
    #: ``rules.recovery.tag``: which rows a typed code is checked against.
    tag: Mapped[str] = mapped_column(sa.String(8))
    code_hash: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RememberedPc(Base):
    """A browser or client that stands in for the code; only the validator's hash is kept."""

    __tablename__ = "t2m2fa_remembered_pcs"
    id: Mapped[int] = mapped_column(primary_key=True)
    selector: Mapped[str] = mapped_column(sa.String(24), unique=True)
    validator_hash: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[str] = mapped_column(ID, index=True)
    account_id: Mapped[str] = mapped_column(ID, index=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    #: Where it was remembered, coarsely (``trust.coarse_network``), for the administrator.
    network: Mapped[str | None] = mapped_column(sa.String(50))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SessionEpoch(Base):
    """A user's sign-in uniquifier: a new one ends every session and "Keep me signed in"."""

    __tablename__ = "t2m2fa_session_epochs"
    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    uniquifier: Mapped[str] = mapped_column(sa.String(32))
    changed_at: Mapped[datetime]


class AuditEvent(Base):
    """One line of the audit trail. Numbers are masked; codes and tokens never appear."""

    __tablename__ = "t2m2fa_audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    account_id: Mapped[str | None] = mapped_column(ID, index=True)
    user_id: Mapped[str | None] = mapped_column(ID, index=True)
    #: Who acted, when it was not the user himself (an administrator); None otherwise.
    actor_id: Mapped[str | None] = mapped_column(ID)
    event: Mapped[str] = mapped_column(sa.String(32))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    destination: Mapped[str | None] = mapped_column(sa.String(32))
    challenge_id: Mapped[str | None] = mapped_column(sa.String(32))
    ip: Mapped[str | None] = mapped_column(sa.String(45))


metadata = Base.metadata


def register(target: sa.MetaData) -> None:
    """Copy the extension's and the outbox's tables into the host's ``db.metadata`` (once).

    The outbox joins even with another sender: one schema whatever the sender, the same one
    the shipped migrations create.
    """
    for source in (metadata, outbox_metadata):
        for table in source.sorted_tables:
            if table.key not in target.tables:
                table.to_metadata(target)


def owned_tables() -> frozenset[str]:
    """Every table the extension's migrations create: its own and the gateway outbox's."""
    return frozenset(metadata.tables) | frozenset(outbox_metadata.tables)
