"""synthetic data: generator provenance, validations, signed review verdicts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel

from alembic import op
from govern.catalog import append_only

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "synthetic_sources",
        sa.Column("dataset_id", _STR(length=40), nullable=False),
        sa.Column("generator", _STR(length=200), nullable=False),
        sa.Column("generator_config_hash", _STR(length=64), nullable=False),
        sa.Column("seed_snapshot_ids", _STR(), nullable=False),
        sa.Column("created_at", _STR(length=40), nullable=False),
        sa.Column("created_by", _STR(length=32), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.PrimaryKeyConstraint("dataset_id"),
    )
    with op.batch_alter_table("synthetic_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_synthetic_sources_ledger_seq"), ["ledger_seq"], unique=False
        )

    op.create_table(
        "synthetic_validations",
        sa.Column("id", _STR(length=64), nullable=False),
        sa.Column("snapshot_id", _STR(length=64), nullable=False),
        sa.Column("reference_snapshot_id", _STR(length=64), nullable=False),
        sa.Column("config", _STR(), nullable=False),
        sa.Column("config_hash", _STR(length=64), nullable=False),
        sa.Column("scan_id", _STR(length=64), nullable=True),
        sa.Column("result", _STR(), nullable=False),
        sa.Column("created_at", _STR(length=40), nullable=False),
        sa.Column("created_by", _STR(length=32), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshots.id"]),
        sa.ForeignKeyConstraint(["reference_snapshot_id"], ["snapshots.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("synthetic_validations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_synthetic_validations_ledger_seq"), ["ledger_seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_synthetic_validations_snapshot_id"), ["snapshot_id"], unique=False
        )

    op.create_table(
        "synthetic_reviews",
        sa.Column("id", _STR(length=32), nullable=False),
        sa.Column("validation_id", _STR(length=64), nullable=False),
        sa.Column("snapshot_id", _STR(length=64), nullable=False),
        sa.Column("verdicts", _STR(), nullable=False),
        sa.Column("reviewed", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("reviewer_key_id", _STR(length=32), nullable=False),
        sa.Column("signed_at", _STR(length=40), nullable=False),
        sa.Column("signature", _STR(length=128), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["validation_id"], ["synthetic_validations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("synthetic_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_synthetic_reviews_ledger_seq"), ["ledger_seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_synthetic_reviews_validation_id"), ["validation_id"], unique=False
        )

    append_only.protect(op, "synthetic_sources", (("dataset_id",),))
    append_only.protect(op, "synthetic_validations", (("id",),))
    append_only.protect(op, "synthetic_reviews", (("id",),))


def downgrade() -> None:
    for table in ("synthetic_reviews", "synthetic_validations", "synthetic_sources"):
        append_only.unprotect(op, table)
        op.drop_table(table)
