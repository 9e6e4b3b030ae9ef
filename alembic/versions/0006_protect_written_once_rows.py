"""protect the rows that are written once: identities, datasets, snapshots, record index, scans, decisions, runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from __future__ import annotations

from alembic import op

from govern.catalog import append_only

PROTECTED = {
    "identities": (("key_id",),),
    "datasets": (("id",), ("name",)),
    "snapshots": (("id",),),
    "snapshot_records": (("snapshot_id", "position"), ("snapshot_id", "record_key")),
    "scans": (("id",),),
    "scan_findings": (("scan_id", "seq"),),
    "policy_decisions": (("id",),),
    "training_runs": (("id",),),
}

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, keys in PROTECTED.items():
        append_only.protect(op, table, keys)


def downgrade() -> None:
    for table in PROTECTED:
        append_only.unprotect(op, table)
