"""t2m2fa: the gateway's table of received SMS (t2m2fa_received)

The gateway worker reads and deletes the SMS its modems receive, so that the SIM never fills,
and keeps them here: the sender masked and as a keyed digest, the sender and text sealed with
the outbox keys. Created only where it is missing (a gateway worker may have made it first).

Revision ID: t2m2fa_0007
Revises: t2m2fa_0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "t2m2fa_0007"
down_revision = "t2m2fa_0006"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_When = sa.DateTime(timezone=True)
_TABLE = "t2m2fa_received"


def upgrade() -> None:
    if not context.is_offline_mode() and sa.inspect(op.get_bind()).has_table(_TABLE):
        return
    op.create_table(
        _TABLE,
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("modem", sa.String(length=200), nullable=False),
        sa.Column("sender_masked", sa.String(length=32), nullable=False),
        sa.Column("sender_digest", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("received_at", _When, nullable=False),
        sa.Column("sent_at", _When, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_t2m2fa_received_at", _TABLE, ["received_at"])
    op.create_index("ix_t2m2fa_received_sender", _TABLE, ["sender_digest", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_t2m2fa_received_sender", table_name=_TABLE)
    op.drop_index("ix_t2m2fa_received_at", table_name=_TABLE)
    op.drop_table(_TABLE)
