"""A governed workspace for the tests that train: a pack, a recipe on a tiny model, an engineer
and an officer, every subject's consent, and the example dataset registered.

Shared by the gate, run, release, lineage, report and evaluation tests so that they all build
the same pipeline the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import _new_key, make_workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "support_records.jsonl"

PACK = """\
name: NAME
version: "1.0.0"
description: consent, approvals and DP, for the tests that train
disclaimer: test pack, not legal advice
rules:
  provenance: {}
  consent:
    purpose: model_training
    on_missing: fail
  pii:
    score_threshold: 0.5
    ignore_entity_types: [LOCATION]
  synthetic:
    require_generator: true
  dp:
    required: true
    max_epsilon_per_run: PER_RUN
    max_delta: 1.0e-4
    lifetime_epsilon_budget: BUDGET
  approvals:
    required_role: officer
    min_distinct_approvers: 1
    separation_of_duties: true
"""

RECIPE = """\
name = "NAME-test"
output_dir = "runs"
checkpoint_every = 2
[model]
path = "MODEL"
[data]
format = "prompt_completion"
max_length = 48
[lora]
r = 4
alpha = 8
target_modules = ["q_proj", "v_proj"]
[dp]
target_epsilon = 3.0
delta = 1e-5
max_grad_norm = 1.0
accountant = "rdp"
clipping = "hooks"
[schedule]
steps = 3
logical_batch_size = 16
physical_batch_size = 8
learning_rate = 0.01
"""


_TEMPLATES: dict[tuple[Any, ...], Path] = {}


def governed_workspace(
    root: Path,
    tiny_model: Path,
    *,
    pack: str = "gate",
    budget: float = 100.0,
    jurisdiction: str | None = None,
) -> tuple[Any, Any, Any, Any]:
    """(workspace, engineer, officer, snapshot) at root/ws: pack `pack` written and activated by the
    officer, recipe `train/<pack>.toml`, every subject's consent, the example dataset registered
    and scanned. Built once per test session for each set of arguments, then copied."""
    import shutil
    import tempfile

    from govern.ledger.keys import load_identity
    from govern.workspace import Workspace

    key = (pack, budget, jurisdiction, str(tiny_model))
    if key not in _TEMPLATES:
        template = Path(tempfile.mkdtemp(prefix="govern-template-"))
        built = _build(template, tiny_model, pack, budget, jurisdiction)
        built.catalog.dispose()
        _TEMPLATES[key] = template
    shutil.copytree(_TEMPLATES[key] / "ws", root / "ws", symlinks=True)
    shutil.copy(_TEMPLATES[key] / "consents.csv", root / "consents.csv")
    workspace = Workspace(root / "ws")
    with workspace.catalog.reading() as session:
        from govern.catalog.models import Snapshot

        snapshot = session.exec(__import__("sqlmodel").select(Snapshot)).one()
    return (
        workspace,
        load_identity(workspace.root / "erin.key"),
        load_identity(workspace.root / "olga.key"),
        snapshot,
    )


def _build(root: Path, tiny_model: Path, pack: str, budget: float, jurisdiction: str | None) -> Any:
    from govern.consent.registry import import_consent
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.pii.scans import scan_snapshot
    from govern.policy.activation import activate_pack
    from govern.workspace import Workspace

    workspace = make_workspace(root / "ws").workspace
    (workspace.root / "policies" / f"{pack}.yaml").write_text(
        PACK.replace("NAME", pack)
        .replace("BUDGET", str(budget))
        .replace("PER_RUN", str(min(3.5, budget)))
    )
    (workspace.root / "train" / f"{pack}.toml").write_text(
        RECIPE.replace("NAME", pack).replace("MODEL", str(tiny_model))
    )
    workspace = Workspace(workspace.root)
    engineer, officer = (
        _new_key(workspace, "engineer", "erin"),
        _new_key(workspace, "officer", "olga"),
    )
    activate_pack(workspace, officer, pack)
    subjects = sorted(
        {json.loads(line)["subject_id"] for line in EXAMPLES.read_text().splitlines()}
    )
    consents = root / "consents.csv"
    consents.write_text(
        "subject_id,purpose,status,time\n"
        + "".join(f"{s},model_training,granted,2024-01-01\n" for s in subjects)
    )
    import_consent(workspace, officer, consents)
    spec = DatasetSpec(
        name="support",
        source="example helpdesk export",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject_id",
        text_fields=("prompt", "completion"),
        id_field="id",
        jurisdiction=jurisdiction,
    )
    snapshot = add_dataset(workspace, engineer, spec, EXAMPLES).snapshot
    scan_snapshot(workspace, engineer, snapshot.id, processes=1)
    return workspace
