"""t2m2fa: initial tables (policies, settings, phones, challenges, sends, failures, PCs, audit)

Revision ID: t2m2fa_0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "t2m2fa_0001"
down_revision = None
branch_labels = ("t2m2fa",)
depends_on = None

# MariaDB and MySQL: microseconds kept (a plain DATETIME drops them); a short VARBINARY.
_When = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_Binary128 = sa.LargeBinary(length=128).with_variant(mysql.VARBINARY(128), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "t2m2fa_account_policies",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("enable_for_new_users", sa.Boolean(), nullable=False),
        sa.Column("remember_pc_allowed", sa.Boolean(), nullable=False),
        sa.Column("remember_pc_days", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _When, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_t2m2fa_account_policies")),
    )
    op.create_table(
        "t2m2fa_audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _When, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("destination", sa.String(length=32), nullable=True),
        sa.Column("challenge_id", sa.String(length=32), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t2m2fa_audit_events")),
    )
    op.create_index(
        op.f("ix_t2m2fa_audit_events_account_id"),
        "t2m2fa_audit_events",
        ["account_id"],
        unique=False,
    )
    op.create_index(op.f("ix_t2m2fa_audit_events_at"), "t2m2fa_audit_events", ["at"], unique=False)
    op.create_index(
        op.f("ix_t2m2fa_audit_events_user_id"), "t2m2fa_audit_events", ["user_id"], unique=False
    )

    op.create_table(
        "t2m2fa_challenges",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("destination", sa.String(length=8), nullable=False),
        sa.Column("phone_id", sa.Integer(), nullable=True),
        sa.Column("login_id", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _When, nullable=False),
        sa.Column("expires_at", _When, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumed_at", _When, nullable=True),
        sa.Column("superseded_at", _When, nullable=True),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("send_failed", sa.Boolean(), nullable=False),
        sa.Column("remember_me", sa.Boolean(), nullable=False),
        sa.Column("remember_pc", sa.Boolean(), nullable=False),
        sa.Column("next_url", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t2m2fa_challenges")),
    )
    op.create_index(
        op.f("ix_t2m2fa_challenges_login_id"), "t2m2fa_challenges", ["login_id"], unique=False
    )
    op.create_index(
        "ix_t2m2fa_challenges_user_purpose",
        "t2m2fa_challenges",
        ["user_id", "purpose"],
        unique=False,
    )

    op.create_table(
        "t2m2fa_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("challenge_id", sa.String(length=32), nullable=False),
        sa.Column("failed_at", _When, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t2m2fa_failures")),
    )
    op.create_index(
        "ix_t2m2fa_failures_user_at", "t2m2fa_failures", ["user_id", "failed_at"], unique=False
    )

    op.create_table(
        "t2m2fa_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("number_encrypted", _Binary128, nullable=False),
        sa.Column("number_digest", sa.String(length=64), nullable=False),
        sa.Column("masked", sa.String(length=32), nullable=False),
        sa.Column("verified_at", _When, nullable=True),
        sa.Column("created_at", _When, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t2m2fa_phones")),
    )
    op.create_index(op.f("ix_t2m2fa_phones_user_id"), "t2m2fa_phones", ["user_id"], unique=False)

    op.create_table(
        "t2m2fa_remembered_pcs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selector", sa.String(length=24), nullable=False),
        sa.Column("validator_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", _When, nullable=False),
        sa.Column("last_used_at", _When, nullable=False),
        sa.Column("revoked_at", _When, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t2m2fa_remembered_pcs")),
        sa.UniqueConstraint("selector", name=op.f("uq_t2m2fa_remembered_pcs_selector")),
    )
    op.create_index(
        op.f("ix_t2m2fa_remembered_pcs_account_id"),
        "t2m2fa_remembered_pcs",
        ["account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_t2m2fa_remembered_pcs_user_id"), "t2m2fa_remembered_pcs", ["user_id"], unique=False
    )

    op.create_table(
        "t2m2fa_sent_sms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("login_id", sa.String(length=32), nullable=False),
        sa.Column("number_digest", sa.String(length=64), nullable=False),
        sa.Column("sent_at", _When, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t2m2fa_sent_sms")),
    )
    op.create_index(
        op.f("ix_t2m2fa_sent_sms_login_id"), "t2m2fa_sent_sms", ["login_id"], unique=False
    )
    op.create_index(
        op.f("ix_t2m2fa_sent_sms_number_digest"), "t2m2fa_sent_sms", ["number_digest"], unique=False
    )
    op.create_index(
        op.f("ix_t2m2fa_sent_sms_user_id"), "t2m2fa_sent_sms", ["user_id"], unique=False
    )

    op.create_table(
        "t2m2fa_user_settings",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("locked_at", _When, nullable=True),
        sa.Column("unlocked_at", _When, nullable=True),
        sa.Column("touched_at", _When, nullable=False),
        sa.Column("created_at", _When, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_t2m2fa_user_settings")),
    )
    op.create_index(
        op.f("ix_t2m2fa_user_settings_account_id"),
        "t2m2fa_user_settings",
        ["account_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_t2m2fa_user_settings_account_id"), table_name="t2m2fa_user_settings")

    op.drop_table("t2m2fa_user_settings")
    op.drop_index(op.f("ix_t2m2fa_sent_sms_user_id"), table_name="t2m2fa_sent_sms")
    op.drop_index(op.f("ix_t2m2fa_sent_sms_number_digest"), table_name="t2m2fa_sent_sms")
    op.drop_index(op.f("ix_t2m2fa_sent_sms_login_id"), table_name="t2m2fa_sent_sms")

    op.drop_table("t2m2fa_sent_sms")
    op.drop_index(op.f("ix_t2m2fa_remembered_pcs_user_id"), table_name="t2m2fa_remembered_pcs")
    op.drop_index(op.f("ix_t2m2fa_remembered_pcs_account_id"), table_name="t2m2fa_remembered_pcs")

    op.drop_table("t2m2fa_remembered_pcs")
    op.drop_index(op.f("ix_t2m2fa_phones_user_id"), table_name="t2m2fa_phones")

    op.drop_table("t2m2fa_phones")
    op.drop_index("ix_t2m2fa_failures_user_at", table_name="t2m2fa_failures")

    op.drop_table("t2m2fa_failures")
    op.drop_index("ix_t2m2fa_challenges_user_purpose", table_name="t2m2fa_challenges")
    op.drop_index(op.f("ix_t2m2fa_challenges_login_id"), table_name="t2m2fa_challenges")

    op.drop_table("t2m2fa_challenges")
    op.drop_index(op.f("ix_t2m2fa_audit_events_user_id"), table_name="t2m2fa_audit_events")
    op.drop_index(op.f("ix_t2m2fa_audit_events_at"), table_name="t2m2fa_audit_events")
    op.drop_index(op.f("ix_t2m2fa_audit_events_account_id"), table_name="t2m2fa_audit_events")

    op.drop_table("t2m2fa_audit_events")
    op.drop_table("t2m2fa_account_policies")
