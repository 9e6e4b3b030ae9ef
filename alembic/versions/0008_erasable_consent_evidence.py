"""consent evidence moves to an erasable table; consent events keep a salted hash of it

Evidence references often embed the subject id ("signup-form-v3/subj-0001"). In the append-only
consent_events table they could never be erased. Each one moves to consent_evidence (clear text
and a random salt, deletable by erasure) and the event keeps SHA-256(salt || evidence_ref).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
import sqlmodel

from alembic import op
from govern.catalog import append_only

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

EVENTS = "consent_events"
EVIDENCE = "consent_evidence"


def _commitment(salt: str, evidence_ref: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + evidence_ref.encode("utf-8")).hexdigest()


def _create_evidence_table() -> None:
    op.create_table(
        EVIDENCE,
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("evidence_ref", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], [f"{EVENTS}.id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table(EVIDENCE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_evidence_subject_hash"), ["subject_hash"], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    append_only.unprotect(op, EVENTS)
    with op.batch_alter_table(EVENTS, schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    moved = []
    for event_id, subject_hash, evidence_ref in bind.execute(sa.text(
            f"SELECT id, subject_hash, evidence_ref FROM {EVENTS} WHERE evidence_ref IS NOT NULL")).all():
        salt = secrets.token_hex(16)
        moved.append({"event_id": event_id, "subject_hash": subject_hash, "salt": salt, "evidence_ref": evidence_ref})
        bind.execute(sa.text(f"UPDATE {EVENTS} SET evidence_hash = :h WHERE id = :i"),
                     {"h": _commitment(salt, evidence_ref), "i": event_id})
    with op.batch_alter_table(EVENTS, schema=None) as batch_op:
        batch_op.drop_column("evidence_ref")
    _create_evidence_table()
    if moved:
        bind.execute(sa.text(f"INSERT INTO {EVIDENCE} (event_id, subject_hash, salt, evidence_ref) "
                             "VALUES (:event_id, :subject_hash, :salt, :evidence_ref)"), moved)
    append_only.protect(op, EVENTS, (("id",),))
    append_only.protect(op, EVIDENCE, (("event_id",),), deletable=True)


def downgrade() -> None:
    bind = op.get_bind()
    kept = bind.execute(sa.text(f"SELECT event_id, evidence_ref FROM {EVIDENCE}")).all()
    append_only.unprotect(op, EVIDENCE)
    op.drop_table(EVIDENCE)
    append_only.unprotect(op, EVENTS)
    with op.batch_alter_table(EVENTS, schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_ref", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    for event_id, evidence_ref in kept:
        bind.execute(sa.text(f"UPDATE {EVENTS} SET evidence_ref = :r WHERE id = :i"), {"r": evidence_ref, "i": event_id})
    with op.batch_alter_table(EVENTS, schema=None) as batch_op:
        batch_op.drop_column("evidence_hash")
    append_only.protect(op, EVENTS, (("id",),))
