"""t2m2fa: a code proves exactly the number it was sent to; the cool-down reads recent codes

Challenges keep the keyed digest of the number their code went to (a confirm compares it with
the pending number's, never a row id, which SQLite reuses). An index on (user_id, created_at)
finds the user's codes of the last minute (was the newest one entered right?) without walking
his history.

Revision ID: t2m2fa_0006
Revises: t2m2fa_0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t2m2fa_0006"
down_revision = "t2m2fa_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("t2m2fa_challenges") as batch:
        batch.add_column(sa.Column("number_digest", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_t2m2fa_challenges_user_created", "t2m2fa_challenges", ["user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_t2m2fa_challenges_user_created", table_name="t2m2fa_challenges")
    with op.batch_alter_table("t2m2fa_challenges") as batch:
        batch.drop_column("number_digest")
