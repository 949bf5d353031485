"""t2m2fa: the gateway tables (t2m2fa_outbox, t2m2fa_outbox_reports, t2m2fa_gateway_modems)

They are created only where they are missing: ``flask t2m2fa init-db``, ``db.create_all()`` or a
gateway worker (``t2m2fa-gateway run``) may have created them before this revision ran. The
outbox keeps each message's number and text only encrypted (``sealed``).

Revision ID: t2m2fa_0002
Revises: t2m2fa_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql

revision = "t2m2fa_0002"
down_revision = "t2m2fa_0001"
branch_labels = None
depends_on = None

# SQLite only gives INTEGER PRIMARY KEY its rowid behaviour (autoincrement) for plain INTEGER.
_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# MariaDB and MySQL: microseconds kept (a plain DATETIME drops them).
_When = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

_OUTBOX_INDEXES = {
    "ix_t2m2fa_outbox_claim": ["state", "next_attempt_at"],
    "ix_t2m2fa_outbox_modem_sent": ["modem", "sent_at"],
    "ix_t2m2fa_outbox_finished": ["finished_at"],
    "ix_t2m2fa_outbox_sim_sent": ["sim", "sent_at"],
    "ix_t2m2fa_outbox_state_created": ["state", "created_at"],
}


def _missing(table: str) -> bool:
    if context.is_offline_mode():
        return True
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing("t2m2fa_outbox"):
        _create_outbox()
    if _missing("t2m2fa_outbox_reports"):
        _create_reports()
    if _missing("t2m2fa_gateway_modems"):
        _create_modems()


def _create_outbox() -> None:
    op.create_table(
        "t2m2fa_outbox",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("destination_masked", sa.String(length=32), nullable=False),
        sa.Column("recipient_key", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _When, nullable=False),
        sa.Column("failover_from", sa.String(length=200), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", _When, nullable=True),
        sa.Column("modem", sa.String(length=200), nullable=True),
        sa.Column("sim", sa.String(length=32), nullable=True),
        sa.Column("reference", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("error_outcome", sa.String(length=16), nullable=True),
        sa.Column("cms_code", sa.Integer(), nullable=True),
        sa.Column("created_at", _When, nullable=False),
        sa.Column("expires_at", _When, nullable=True),
        sa.Column("sent_at", _When, nullable=True),
        sa.Column("finished_at", _When, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for name, columns in _OUTBOX_INDEXES.items():
        op.create_index(name, "t2m2fa_outbox", columns)


def _create_reports() -> None:
    op.create_table(
        "t2m2fa_outbox_reports",
        sa.Column("message_id", _Id, autoincrement=False, nullable=False),
        sa.Column("modem", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=False),
        sa.Column("recipient_match", sa.String(length=16), nullable=False),
        sa.Column("sent_at", _When, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("reported_at", _When, nullable=True),
        sa.Column("discharged_at", _When, nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index(
        "ix_t2m2fa_outbox_reports_match",
        "t2m2fa_outbox_reports",
        ["modem", "reference", "state"],
    )


def _create_modems() -> None:
    op.create_table(
        "t2m2fa_gateway_modems",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("signal_dbm", sa.Integer(), nullable=True),
        sa.Column("operator", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("updated_at", _When, nullable=False),
        sa.Column("registration", sa.String(length=32), nullable=True),
        sa.Column("sim_state", sa.String(length=32), nullable=True),
        sa.Column("imsi", sa.String(length=16), nullable=True),
        sa.Column("iccid", sa.String(length=22), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("t2m2fa_gateway_modems")
    op.drop_index("ix_t2m2fa_outbox_reports_match", table_name="t2m2fa_outbox_reports")
    op.drop_table("t2m2fa_outbox_reports")
    for name in reversed(list(_OUTBOX_INDEXES)):
        op.drop_index(name, table_name="t2m2fa_outbox")
    op.drop_table("t2m2fa_outbox")
