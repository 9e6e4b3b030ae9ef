"""privacy charges name their ledger entry; record hashes are indexed (budgets follow subjects and records)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (not a batch rebuild), so the append-only triggers on the table stay in place.
    op.add_column("privacy_charges", sa.Column("ledger_seq", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_privacy_charges_ledger_seq", "privacy_charges", ["ledger_seq"])
    op.create_index("ix_snapshot_records_record_hash", "snapshot_records", ["record_hash"])


def downgrade() -> None:
    op.drop_index("ix_snapshot_records_record_hash", table_name="snapshot_records")
    op.drop_index("ix_privacy_charges_ledger_seq", table_name="privacy_charges")
    with op.batch_alter_table("privacy_charges") as batch_op:
        batch_op.drop_column("ledger_seq")
