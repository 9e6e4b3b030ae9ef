"""Red team: a second process acting between the gate's admission and `run.started` (or `run.resumed`).

The gate admits in a read session; the run is recorded later under the ledger's write lock. What
another process commits in between (a revoked consent, say) must stop the run there: the gate
re-checks under the lock (`Gate.recheck`) and ledgers the refusal with the race it saw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govern import ledger
from govern.consent.registry import revoke
from govern.errors import Refused
from govern.evaluation.privacy_audit import canaries
from govern.training import runs
from govern.training.loop import Interrupted
from govern.training.run_status import get_run, run_status

pytestmark = pytest.mark.slow

RACE = "consent, approvals, erasures or the pack changed since admission"


def _events(workspace: Any) -> list[tuple[int, str, dict[str, Any]]]:
    with workspace.catalog.reading() as session:
        return [(e.seq, e.event, json.loads(e.payload)) for e in ledger.iter_entries(session)]


def test_a_revocation_committed_after_admission_stops_the_run(
    trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, engineer, officer, _first, snapshot = trained
    original = canaries.plant_canaries

    def revoke_meanwhile(*args: Any, **kwargs: Any) -> Any:  # another process, same instant
        revoke(workspace, officer, "subj-0010")
        return original(*args, **kwargs)

    monkeypatch.setattr(canaries, "plant_canaries", revoke_meanwhile)
    started_before = sum(1 for _, e, _p in _events(workspace) if e == "run.started")
    with pytest.raises(Refused) as refused:
        runs.start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    events = _events(workspace)
    assert sum(1 for _, e, _p in events if e == "run.started") == started_before
    _seq, event, payload = events[-1]
    assert event == "gate.refused" and payload["race"] == RACE, events[-3:]
    assert any("consent" in reason for reason in payload["reasons"]), payload["reasons"]
    assert events[-2][1].startswith("consent."), "the revocation came between admission and refusal"
    assert refused.value.reasons == payload["reasons"]


def test_a_revocation_committed_while_a_resume_is_admitted_stops_the_resume(
    trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, engineer, officer, _first, snapshot = trained
    checkpointed = runs.LedgerHooks.on_checkpoint

    def stop_after_checkpoint(self: Any, state: dict[str, Any], path: Path) -> None:
        checkpointed(self, state, path)
        raise Interrupted("stopped at a step boundary")  # as Ctrl-C does

    monkeypatch.setattr(runs.LedgerHooks, "on_checkpoint", stop_after_checkpoint)
    with pytest.raises(Interrupted):
        runs.start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    monkeypatch.setattr(runs.LedgerHooks, "on_checkpoint", checkpointed)
    run_id = next(p["run_id"] for _, e, p in reversed(_events(workspace)) if e == "run.interrupted")
    run_json = Path(get_run_dir(workspace, run_id)) / "run.json"
    before = run_json.read_text()

    started = runs.LedgerHooks.on_start

    def revoke_meanwhile(self: Any, info: dict[str, Any]) -> None:  # after the gate admitted it
        revoke(workspace, officer, "subj-0010")
        started(self, info)

    monkeypatch.setattr(runs.LedgerHooks, "on_start", revoke_meanwhile)
    with pytest.raises(Refused):
        runs.resume_run(workspace, engineer, run_id)
    events = _events(workspace)
    _seq, event, payload = events[-1]
    assert event == "gate.refused" and payload["race"] == RACE, events[-3:]
    assert payload["resuming_run"] == run_id
    assert not any(e == "run.resumed" for _, e, _p in events)
    with workspace.catalog.reading() as session:
        assert run_status(session, get_run(session, run_id))["status"] == "interrupted"
    assert run_json.read_text() == before, "a refused resume leaves the run's own file as it was"


def get_run_dir(workspace: Any, run_id: str) -> str:
    with workspace.catalog.reading() as session:
        return get_run(session, run_id).output_dir
