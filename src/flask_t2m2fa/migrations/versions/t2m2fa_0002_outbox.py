"""t2m2fa: the gateway outbox tables (t2m2fa_outbox, t2m2fa_gateway_modems)

They are created only where they are missing: ``flask t2m2fa init-db``, ``db.create_all()`` or a
gateway worker (``t2m2fa-gateway run``) may have created them before this revision ran.

Revision ID: t2m2fa_0002
Revises: t2m2fa_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "t2m2fa_0002"
down_revision = "t2m2fa_0001"
branch_labels = None
depends_on = None

# SQLite only gives INTEGER PRIMARY KEY its rowid behaviour (autoincrement) for plain INTEGER.
_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _missing(table: str) -> bool:
    if context.is_offline_mode():
        return True
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing("t2m2fa_outbox"):
        _create_outbox()
    if _missing("t2m2fa_gateway_modems"):
        op.create_table(
            "t2m2fa_gateway_modems",
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("worker", sa.String(length=200), nullable=False),
            sa.Column("state", sa.String(length=32), nullable=False),
            sa.Column("detail", sa.String(length=200), nullable=True),
            sa.Column("signal_dbm", sa.Integer(), nullable=True),
            sa.Column("operator", sa.String(length=64), nullable=True),
            sa.Column("last_error", sa.String(length=200), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )


def _create_outbox() -> None:
    op.create_table(
        "t2m2fa_outbox",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("destination_masked", sa.String(length=32), nullable=False),
        sa.Column("recipient_key", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failover_from", sa.String(length=200), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modem", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("error_outcome", sa.String(length=16), nullable=True),
        sa.Column("cms_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_t2m2fa_outbox_claim", "t2m2fa_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_t2m2fa_outbox_modem_sent", "t2m2fa_outbox", ["modem", "sent_at"])
    op.create_index("ix_t2m2fa_outbox_finished", "t2m2fa_outbox", ["finished_at"])


def downgrade() -> None:
    op.drop_table("t2m2fa_gateway_modems")
    op.drop_index("ix_t2m2fa_outbox_finished", table_name="t2m2fa_outbox")
    op.drop_index("ix_t2m2fa_outbox_modem_sent", table_name="t2m2fa_outbox")
    op.drop_index("ix_t2m2fa_outbox_claim", table_name="t2m2fa_outbox")
    op.drop_table("t2m2fa_outbox")
