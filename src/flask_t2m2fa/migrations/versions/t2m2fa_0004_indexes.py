"""t2m2fa: indexes that keep a login's cost flat as history grows

The supersede UPDATE reads only live challenges (a partial index on SQLite and PostgreSQL);
the SMS caps read the last day by user and by number (composite indexes ending in sent_at,
replacing the single-column ones they cover).

Revision ID: t2m2fa_0004
Revises: t2m2fa_0003
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t2m2fa_0004"
down_revision = "t2m2fa_0003"
branch_labels = None
depends_on = None

LIVE = sa.text("consumed_at IS NULL AND superseded_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_t2m2fa_challenges_live",
        "t2m2fa_challenges",
        ["user_id", "purpose"],
        unique=False,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index("ix_t2m2fa_sent_sms_user_at", "t2m2fa_sent_sms", ["user_id", "sent_at"])
    op.create_index("ix_t2m2fa_sent_sms_number_at", "t2m2fa_sent_sms", ["number_digest", "sent_at"])
    op.drop_index("ix_t2m2fa_sent_sms_user_id", table_name="t2m2fa_sent_sms")
    op.drop_index("ix_t2m2fa_sent_sms_number_digest", table_name="t2m2fa_sent_sms")


def downgrade() -> None:
    op.create_index("ix_t2m2fa_sent_sms_number_digest", "t2m2fa_sent_sms", ["number_digest"])
    op.create_index("ix_t2m2fa_sent_sms_user_id", "t2m2fa_sent_sms", ["user_id"])
    op.drop_index("ix_t2m2fa_sent_sms_number_at", table_name="t2m2fa_sent_sms")
    op.drop_index("ix_t2m2fa_sent_sms_user_at", table_name="t2m2fa_sent_sms")
    op.drop_index("ix_t2m2fa_challenges_live", table_name="t2m2fa_challenges")
