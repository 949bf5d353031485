"""t2m2fa: per-user sign-in uniquifier (sessions and "Keep me signed in" end when it changes)

Revision ID: t2m2fa_0003
Revises: t2m2fa_0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "t2m2fa_0003"
down_revision = "t2m2fa_0002"
branch_labels = None
depends_on = None

# MariaDB and MySQL: microseconds kept (a plain DATETIME drops them).
_When = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "t2m2fa_session_epochs",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("uniquifier", sa.String(length=32), nullable=False),
        sa.Column("changed_at", _When, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_t2m2fa_session_epochs")),
    )


def downgrade() -> None:
    op.drop_table("t2m2fa_session_epochs")
