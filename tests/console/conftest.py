"""A workspace for the console tests, built once and copied: keys for every role, the officer's
pack in force, consent, a raw dataset scanned and anonymized and approved, a clean dataset
awaiting approval (its provenance holds markup, to prove it renders inert), a rendered report
and, where govern[train] is installed, a DP-LoRA run and a gate refusal.

`browser_signer` stands in for the browser in tests that drive the HTTP API directly: it signs
the login challenge and each action's bytes with the key file, exactly as console.js does.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _new_key, make_workspace, write_jsonl
from tests.pipeline import EXAMPLES, PACK, RECIPE

XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
CLEAN_RECORDS = [
    {
        "id": "c-001",
        "subject_id": "subj-0010",
        "prompt": "Customer: How do I change my plan?\nAgent:",
        "completion": " Open Billing, choose Plans, then pick the new plan.",
    },
    {
        "id": "c-002",
        "subject_id": "subj-0011",
        "prompt": "Customer: Where are my invoices?\nAgent:",
        "completion": " Invoices are under Billing, History.",
    },
    {
        "id": "c-003",
        "subject_id": "subj-0012",
        "prompt": "Customer: Can I export my data?\nAgent:",
        "completion": " Yes: Settings, Privacy, Export.",
    },
]


@dataclass
class ConsoleWorkspace:
    """What the console tests are given: the workspace and who is in it."""

    workspace: Any
    keys: dict[str, Path]  # role -> key file
    raw: str
    approved: str
    pending: str
    failing: str
    run_id: str | None


_TEMPLATE: dict[str, Path] = {}


def _build(root: Path) -> dict[str, Any]:
    from govern.consent.registry import import_consent
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.pii.scans import anonymize_snapshot, scan_snapshot
    from govern.policy.activation import activate_pack
    from govern.policy.approvals import approve
    from govern.reports import make_report

    workspace = make_workspace(root / "ws").workspace
    (workspace.root / "policies" / "console.yaml").write_text(
        PACK.replace("NAME", "console").replace("BUDGET", "10").replace("PER_RUN", "3.5")
    )
    engineer, officer = (
        _new_key(workspace, "engineer", "erin"),
        _new_key(workspace, "officer", "olga"),
    )
    auditor = _new_key(workspace, "auditor", "aldo")
    _new_key(workspace, "reviewer", "rita")
    activate_pack(workspace, officer, "console", reason="console tests")
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
        jurisdiction="EU",
    )
    raw = add_dataset(workspace, engineer, spec, EXAMPLES).snapshot
    scan_snapshot(workspace, engineer, raw.id, processes=1)
    approved = anonymize_snapshot(workspace, engineer, raw.id).derived.snapshot.id
    approve(workspace, officer, approved, note="reviewed the residual findings")
    clean = DatasetSpec(
        name="tickets-clean",
        source=f"hand-written tickets {XSS}",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject_id",
        text_fields=("prompt", "completion"),
        id_field="id",
        jurisdiction="EU",
    )
    pending = add_dataset(
        workspace, engineer, clean, write_jsonl(root / "clean.jsonl", CLEAN_RECORDS)
    ).snapshot
    scan_snapshot(workspace, engineer, pending.id, processes=1)
    unconsented = DatasetSpec(
        name="walk-ins",
        source="front desk notes",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject_id",
        text_fields=("prompt", "completion"),
        id_field="id",
        jurisdiction="EU",
    )
    failing = add_dataset(
        workspace,
        engineer,
        unconsented,
        write_jsonl(
            root / "walk-ins.jsonl",
            [
                {**CLEAN_RECORDS[0], "id": "w-001", "subject_id": "subj-9001"},
                {**CLEAN_RECORDS[1], "id": "w-002"},
            ],
        ),
    ).snapshot
    scan_snapshot(workspace, engineer, failing.id, processes=1)
    make_report(workspace, auditor, "dataset", approved, "html")
    run_id = _train(workspace, engineer, auditor, raw.id, approved, root)
    return {
        "raw": raw.id,
        "approved": approved,
        "pending": pending.id,
        "failing": failing.id,
        "run_id": run_id,
    }


def _train(
    workspace: Any, engineer: Any, auditor: Any, raw: str, approved: str, root: Path
) -> str | None:
    """A DP-LoRA run on a tiny model and a refused one, when govern[train] is installed."""
    try:
        import opacus  # noqa: F401

        from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    except ImportError:
        return None
    from govern.errors import Refused
    from govern.reports import make_report
    from govern.training.runs import start_run

    model = build_tiny_model(root / "model", corpus_from_jsonl(EXAMPLES, ("text",)))
    (workspace.root / "train" / "console.toml").write_text(
        RECIPE.replace("NAME", "console").replace("MODEL", str(model))
    )
    result = start_run(
        workspace, engineer, Path(workspace.root / "train" / "console.toml"), [approved]
    )
    with contextlib.suppress(Refused):  # ledgered as gate.refused, with every reason
        start_run(workspace, engineer, Path(workspace.root / "train" / "console.toml"), [raw])
    make_report(workspace, auditor, "run", result["run_id"], "html")
    return str(result["run_id"])


def console_workspace(target: Path) -> ConsoleWorkspace:
    """A private copy of the console workspace at target/ws (built once per test session)."""
    from govern.workspace import Workspace

    if "root" not in _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="govern-console-"))
        facts = _build(template)
        (template / "facts.json").write_text(json.dumps(facts))
        _TEMPLATE["root"] = template
    template = _TEMPLATE["root"]
    shutil.copytree(template / "ws", target / "ws", symlinks=True)
    facts = json.loads((template / "facts.json").read_text())
    workspace = Workspace(target / "ws")
    keys = {
        role: workspace.root / f"{name}.key"
        for role, name in (
            ("engineer", "erin"),
            ("officer", "olga"),
            ("auditor", "aldo"),
            ("reviewer", "rita"),
        )
    }
    keys["admin"] = workspace.keys_dir / "admin.key"
    return ConsoleWorkspace(
        workspace,
        keys,
        facts["raw"],
        facts["approved"],
        facts["pending"],
        facts["failing"],
        facts["run_id"],
    )


@pytest.fixture
def console_ws(tmp_path: Path) -> Any:
    found = console_workspace(tmp_path)
    yield found
    found.workspace.catalog.dispose()


class BrowserStandIn:
    """Drives the console's HTTP API as console.js does, signing with a key file's private key."""

    def __init__(self, client: Any, key_file: Path) -> None:
        from govern.ledger.keys import load_identity

        self.client = client
        self.key = load_identity(key_file)
        self.csrf = ""

    def login(self) -> Any:
        import re

        page = self.client.get("/login")
        login_csrf = re.search(r'name="csrf-token" content="([^"]*)"', page.text).group(1)  # type: ignore[union-attr]
        challenge = self.client.post(
            "/login/challenge", headers={"X-CSRF-Token": login_csrf}
        ).json()
        answer = self.client.post(
            "/login",
            headers={"X-CSRF-Token": login_csrf},
            json={
                "challenge": challenge["challenge"],
                "signature": self.key.sign(bytes.fromhex(challenge["message"])),
            },
        )
        assert answer.status_code == 200, answer.text
        home = self.client.get(answer.json()["redirect"])
        self.csrf = re.search(r'name="csrf-token" content="([^"]*)"', home.text).group(1)  # type: ignore[union-attr]
        return answer

    def act(self, name: str, **inputs: str) -> Any:
        """Start an action and sign every byte string asked for; the last response."""
        response = self.client.post(
            f"/actions/{name}", headers={"X-CSRF-Token": self.csrf}, json={"inputs": inputs}
        )
        while response.status_code == 200 and response.json().get("status") == "sign":
            step = response.json()
            response = self.client.post(
                f"/actions/pending/{step['action']}",
                headers={"X-CSRF-Token": self.csrf},
                json={"signature": self.key.sign(bytes.fromhex(step["message"]))},
            )
        return response


@pytest.fixture
def make_browser() -> Any:
    """make_browser(app, key_file) -> a logged-in BrowserStandIn over Starlette's TestClient."""
    from starlette.testclient import TestClient

    clients = []

    def make(app: Any, key_file: Path, login: bool = True) -> BrowserStandIn:
        client = TestClient(app, base_url="http://127.0.0.1")
        clients.append(client)
        browser = BrowserStandIn(client, key_file)
        if login:
            browser.login()
        return browser

    yield make
    for client in clients:
        client.close()
