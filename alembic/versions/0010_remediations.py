"""remediations opened by an erasure, and the officers' signed decisions closing them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel

from alembic import op
from govern.catalog import append_only

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remediations",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("erasure_seq", sa.Integer(), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["training_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("remediations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remediations_ledger_seq"), ["ledger_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_remediations_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_remediations_subject_hash"), ["subject_hash"], unique=False)
    op.create_table(
        "remediation_decisions",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("remediation_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("justification", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("successor_run_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["remediation_id"], ["remediations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("remediation_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remediation_decisions_ledger_seq"), ["ledger_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_remediation_decisions_remediation_id"), ["remediation_id"], unique=True)
    append_only.protect(op, "remediations", (("id",),))
    append_only.protect(op, "remediation_decisions", (("id",), ("remediation_id",)))


def downgrade() -> None:
    for table in ("remediation_decisions", "remediations"):
        append_only.unprotect(op, table)
    with op.batch_alter_table("remediation_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remediation_decisions_remediation_id"))
        batch_op.drop_index(batch_op.f("ix_remediation_decisions_ledger_seq"))
    op.drop_table("remediation_decisions")
    with op.batch_alter_table("remediations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remediations_subject_hash"))
        batch_op.drop_index(batch_op.f("ix_remediations_run_id"))
        batch_op.drop_index(batch_op.f("ix_remediations_ledger_seq"))
    op.drop_table("remediations")
