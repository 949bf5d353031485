"""t2m2fa: the audit names the administrator who acted; remembered PCs keep a coarse network

Revision ID: t2m2fa_0005
Revises: t2m2fa_0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t2m2fa_0005"
down_revision = "t2m2fa_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("t2m2fa_audit_events") as batch:
        batch.add_column(sa.Column("actor_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("t2m2fa_remembered_pcs") as batch:
        batch.add_column(sa.Column("network", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("t2m2fa_remembered_pcs") as batch:
        batch.drop_column("network")
    with op.batch_alter_table("t2m2fa_audit_events") as batch:
        batch.drop_column("actor_id")
