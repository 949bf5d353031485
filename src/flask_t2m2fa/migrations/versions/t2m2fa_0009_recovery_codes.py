"""t2m2fa: single-use recovery codes, kept as argon2id hashes (t2m2fa_recovery_codes)

Revision ID: t2m2fa_0009
Revises: t2m2fa_0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "t2m2fa_0009"
down_revision = "t2m2fa_0008"
branch_labels = None
depends_on = None

_TABLE = "t2m2fa_recovery_codes"
#: DATETIME(6) on MariaDB and MySQL, as every other time column (gateway.sqltypes).
_When = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.String(length=8), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", _When, nullable=False),
        sa.Column("used_at", _When, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_t2m2fa_recovery_codes"),
    )
    op.create_index("ix_t2m2fa_recovery_codes_user_id", _TABLE, ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_t2m2fa_recovery_codes_user_id", table_name=_TABLE)
    op.drop_table(_TABLE)
