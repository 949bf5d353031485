"""t2m2fa: an account policy may turn recovery codes off (recovery_codes_allowed, on by default)

Revision ID: t2m2fa_0010
Revises: t2m2fa_0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t2m2fa_0010"
down_revision = "t2m2fa_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("t2m2fa_account_policies") as batch:
        batch.add_column(
            sa.Column(
                "recovery_codes_allowed", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("t2m2fa_account_policies") as batch:
        batch.drop_column("recovery_codes_allowed")
