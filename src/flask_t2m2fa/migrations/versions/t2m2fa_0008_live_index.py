"""t2m2fa: the live-challenges index also ends its walk at the live codes on MariaDB and MySQL

They have no partial index, so ``ix_t2m2fa_challenges_live`` holds every challenge there; with
``consumed_at`` and ``superseded_at`` (NULL while live) after ``(user_id, purpose)`` the lookup
of the live code reads only live rows. SQLite and PostgreSQL keep the partial index, with the two
columns added (always NULL in it) so that one definition serves every database.

Revision ID: t2m2fa_0008
Revises: t2m2fa_0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t2m2fa_0008"
down_revision = "t2m2fa_0007"
branch_labels = None
depends_on = None

INDEX, TABLE = "ix_t2m2fa_challenges_live", "t2m2fa_challenges"
LIVE = sa.text("consumed_at IS NULL AND superseded_at IS NULL")


def _create(columns: list[str]) -> None:
    op.create_index(INDEX, TABLE, columns, sqlite_where=LIVE, postgresql_where=LIVE)


def upgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    _create(["user_id", "purpose", "consumed_at", "superseded_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    _create(["user_id", "purpose"])
