"""`govern runs list` stays light: ε comes from the verified checkpoint/completion entries, so the
listing loads neither torch nor Opacus nor transformers (it took 5-6 s when it composed ε anew)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from govern.policy.approvals import approve
from govern.training.accounting import epsilon_of_history
from govern.training.run_status import get_run, run_status
from govern.training.runs import record_charge, start_run

HEAVY = ("torch", "opacus", "transformers", "peft")


def _list_runs_in_child(root: Path) -> tuple[list[dict], list[str], float]:  # type: ignore[type-arg]
    code = (
        "import sys, json, time\n"
        "started = time.perf_counter()\n"
        "from govern.cli import main\n"
        "try:\n"
        f"    main(['runs', 'list', '--json', '--workspace', {str(root)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "took = time.process_time()\n"
        f"print('\\nHEAVY', json.dumps([m for m in {HEAVY!r} if m in sys.modules]), took)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    listing, _, tail = out.rpartition("\nHEAVY ")
    heavy, took = tail.rsplit(" ", 1)
    return json.loads(listing), json.loads(heavy), float(took)


def test_runs_list_reads_epsilon_from_the_ledger_without_heavy_imports(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    from tests.pipeline import governed_workspace

    workspace, engineer, officer, snapshot = governed_workspace(tmp_path, tiny_model_dir)
    approve(workspace, officer, snapshot.id)
    result = start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    assert result["private"] and result["epsilon"] > 0

    listed, heavy, took = _list_runs_in_child(workspace.root)
    assert heavy == []
    assert [r["id"] for r in listed] == [result["run_id"]]
    assert listed[0]["status"] == "completed"
    assert listed[0]["epsilon_spent"] == pytest.approx(result["epsilon"], rel=1e-12)
    print(f"govern runs list in a fresh process: {took:.2f} s of CPU")

    # A charge the ledger holds past the newest ε-bearing entry (a crash between checkpoints):
    # the listing composes ε over every charge instead of showing the stale figure.
    with workspace.catalog.transaction() as session:
        record_charge(
            session,
            engineer,
            result["run_id"],
            result["steps"] + 1,
            2,
            result["noise_multiplier"],
            result["sample_rate"],
        )
    with workspace.catalog.reading() as session:
        status = run_status(session, get_run(session, result["run_id"]))
    charged = [(result["noise_multiplier"], result["sample_rate"], result["charged_steps"] + 1)]
    assert status["charged_steps"] == result["charged_steps"] + 1
    assert status["epsilon_spent"] == pytest.approx(
        epsilon_of_history(charged, result["delta"], result["accountant"]), rel=1e-12
    )
    assert status["epsilon_spent"] > result["epsilon"]
