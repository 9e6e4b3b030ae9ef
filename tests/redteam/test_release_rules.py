"""Red team: release rules. Each rule must read only what a verified ledger entry vouches for
(DESIGN invariant 9), and a later, weaker measurement must not launder an earlier failing one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from govern import ledger
from govern.catalog.models import Approval, LedgerEntry
from govern.clock import now as clock_now
from govern.evaluation.release import check_release
from govern.evaluation.suite_run import SUITE_EVENT
from govern.policy.activation import activate_pack
from govern.training.runs import get_run
from tests.redteam.conftest import insert_row

pytestmark = pytest.mark.slow

RELEASE = """
release:
  require_evaluation: true
  require_privacy_audit: true
  require_compliance_report: true
  max_days_since_approval: 30
  require_suite: held-out
  max_pii_regurgitation: 0
"""


def _with_release_rules(trained: Any) -> tuple[Any, Any, Any, str]:
    workspace, engineer, officer, run_id, _ = trained
    pack = workspace.root / "policies" / "gate.yaml"
    pack.write_text(pack.read_text() + RELEASE)
    activate_pack(workspace, officer, "gate", reason="release rules for the red team")
    return workspace, engineer, officer, run_id


def _rule(workspace: Any, run_id: str, name: str, **kwargs: Any) -> Any:
    with workspace.catalog.reading() as session:
        rules = check_release(workspace, session, get_run(session, run_id), **kwargs)
    return next(r for r in rules if r.rule == name)


def _row(run_id: str, created_by: str) -> dict[str, Any]:
    return {
        "id": "f" * 32,
        "run_id": run_id,
        "created_at": "2026-12-03T00:00:00Z",
        "created_by": created_by,
        "ledger_seq": 1,
    }


def test_an_evaluation_row_written_around_govern_does_not_count(trained: Any) -> None:
    workspace, engineer, _officer, run_id = _with_release_rules(trained)
    snapshot_id = trained[4].id  # the training snapshot itself: `govern eval` would refuse it
    insert_row(
        workspace,
        "evaluations",
        {
            **_row(run_id, engineer.key_id),
            "snapshot_id": snapshot_id,
            "examples": 50,
            "base_loss": 3.0,
            "base_perplexity": 20.0,
            "adapter_loss": 1.0,
            "adapter_perplexity": 2.7,
        },
    )
    assert not _rule(workspace, run_id, "release.evaluation").passed


def test_a_privacy_audit_row_written_around_govern_does_not_count(trained: Any) -> None:
    workspace, engineer, _officer, run_id = _with_release_rules(trained)
    insert_row(
        workspace,
        "privacy_audits",
        {
            **_row(run_id, engineer.key_id),
            "canaries": 100,
            "included": 50,
            "exposure_mean": 0.1,
            "exposure_max": 0.5,
            "auc": 0.5,
            "epsilon_lower_bound": 0.0,
            "confidence": 0.95,
            "accountant_epsilon": 3.0,
            "consistent": 1,
            "result": "{}",
        },
    )
    assert not _rule(workspace, run_id, "release.privacy_audit").passed


def test_an_unsigned_report_entry_does_not_count(trained: Any) -> None:
    workspace, _engineer, officer, run_id = _with_release_rules(trained)
    with workspace.catalog.reading() as session:
        head = ledger.head(session)
    assert head is not None
    insert_row(
        workspace,
        "ledger_entries",
        {
            "seq": head.seq + 1,
            "recorded_at": "2026-12-03T00:00:00Z",
            "actor_key_id": officer.key_id,
            "event": "report.rendered",
            "refs": json.dumps([run_id]),
            "payload": "{}",
            "prev_hash": head.entry_hash,
            "entry_hash": "0" * 64,
            "signature": "00" * 64,
        },
    )
    assert not _rule(workspace, run_id, "release.compliance_report").passed


def test_an_approval_row_written_around_govern_does_not_refresh_approval_age(
    trained: Any,
) -> None:
    workspace, _engineer, _officer, run_id = _with_release_rules(trained)
    later = clock_now() + timedelta(days=60)  # the real approval is now 60 days old
    assert not _rule(workspace, run_id, "release.approval_age", now=later).passed
    with workspace.catalog.reading() as session:
        real = session.exec(select(Approval).order_by(col(Approval.ledger_seq).desc())).first()
    assert real is not None
    forged = {
        **real.model_dump(),
        "id": "f" * 32,
        "ledger_seq": real.ledger_seq + 100,
        "signed_at": later.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    insert_row(workspace, "approvals", forged)
    assert not _rule(workspace, run_id, "release.approval_age", now=later).passed


def _suite_entry(
    workspace: Any,
    engineer: Any,
    run_id: str,
    limit: int,
    matched: int,
    suite_hash: str | None = None,
) -> None:
    """The entry `govern eval RUN --suite held-out` appends (suite_run.evaluate_suite)."""
    payload = {
        "run_id": run_id,
        "suite": "held-out",
        "suite_hash": suite_hash or f"{limit:064x}",
        "snapshot_id": "0" * 64,
        "items": limit,
        "generation": {"max_new_tokens": 32 if limit > 1 else 1, "batch_size": 16},
        "metrics": {},
        "pii_probe": {"outputs": limit, "matched_training_values": matched, "matched": []},
    }
    with workspace.catalog.transaction() as session:
        ledger.append(session, engineer, SUITE_EVENT, [run_id, "0" * 64], payload)


def test_a_weaker_probe_run_later_does_not_launder_a_failing_one(trained: Any) -> None:
    workspace, engineer, _officer, run_id = _with_release_rules(trained)
    _suite_entry(workspace, engineer, run_id, limit=200, matched=7)
    assert not _rule(workspace, run_id, "release.pii_regurgitation").passed
    _suite_entry(workspace, engineer, run_id, limit=1, matched=0)
    with workspace.catalog.reading() as session:
        assert session.exec(select(LedgerEntry).where(LedgerEntry.event == SUITE_EVENT)).all()
    assert not _rule(workspace, run_id, "release.pii_regurgitation").passed


def _audit(workspace: Any, auditor: Any, run_id: str, lower_bound: float) -> str:
    """A privacy audit as `govern audit privacy` ledgers it (audit.audit_run), by an auditor."""
    from govern.canonical import canonical_json
    from govern.catalog.models import PrivacyAudit
    from govern.clock import new_id, utc_now

    row = PrivacyAudit(
        id=new_id(),
        run_id=run_id,
        canaries=100,
        included=50,
        exposure_mean=0.1,
        exposure_max=0.5,
        auc=0.5,
        epsilon_lower_bound=lower_bound,
        confidence=0.95,
        accountant_epsilon=3.0,
        consistent=lower_bound <= 3.0,
        result=canonical_json({}),
        created_at=utc_now(),
        created_by=auditor.key_id,
        ledger_seq=0,
    )
    with workspace.catalog.transaction() as session:
        ledger.record(session, auditor, "run.privacy_audited", row, [run_id])
    return row.id


def test_a_passing_privacy_audit_run_later_does_not_hide_a_failing_one(trained: Any) -> None:
    from govern.errors import Refused
    from govern.evaluation.release import release_run
    from tests.conftest import _new_key

    workspace, _engineer, officer, run_id = _with_release_rules(trained)
    auditor = _new_key(workspace, "auditor", "aldo")
    failing = _audit(workspace, auditor, run_id, lower_bound=7.5)
    assert not _rule(workspace, run_id, "release.privacy_audit").passed
    passing = _audit(workspace, auditor, run_id, lower_bound=0.2)
    rule = _rule(workspace, run_id, "release.privacy_audit")
    assert not rule.passed, "a later passing audit hid the failing one"
    assert rule.evidence["audit"] == failing and failing in rule.message
    assert rule.evidence["failing_audits"] == [failing]
    assert set(rule.evidence["audits"]) == {failing, passing}
    with pytest.raises(Refused) as refused:
        release_run(workspace, officer, run_id)
    reason = next(r for r in refused.value.reasons if r.startswith("release.privacy_audit"))
    assert failing in reason


SUITE = """\
name: held-out
snapshot: "{snapshot}"
metrics: [exact_match, rouge_l, loss]
limit: {limit}
"""


def _suite_file(workspace: Any, limit: int) -> str:
    """Write evals/held-out.yaml, as an engineer may at any time; its hash as the ledger records it."""
    from govern.evaluation.suites import load_suite, suite_path

    (workspace.root / "evals").mkdir(exist_ok=True)
    (workspace.root / "evals" / "held-out.yaml").write_text(
        SUITE.format(snapshot="0" * 64, limit=limit)
    )
    return load_suite(suite_path(workspace, "held-out")).hash


def test_a_suite_required_by_name_alone_is_labelled_unpinned(trained: Any) -> None:
    workspace, engineer, _officer, run_id = _with_release_rules(trained)
    weakened = _suite_file(workspace, limit=1)  # edited down to one item
    _suite_entry(workspace, engineer, run_id, limit=1, matched=0, suite_hash=weakened)
    rule = _rule(workspace, run_id, "release.suite")
    assert rule.passed  # the pack pins nothing, so any content of the suite counts...
    assert "UNPINNED" in rule.message and rule.evidence["pinned"] is False  # ...said out loud
    assert weakened in rule.message  # with the hash an officer would pin after review


def test_a_weakened_suite_does_not_satisfy_a_pinned_require_suite(trained: Any) -> None:
    workspace, engineer, officer, run_id, _ = trained
    reviewed = _suite_file(workspace, limit=200)
    pack = workspace.root / "policies" / "gate.yaml"
    pinned = "require_suite: {name: held-out, sha256: " + reviewed + "}"
    pack.write_text(pack.read_text() + RELEASE.replace("require_suite: held-out", pinned))
    activate_pack(workspace, officer, "gate", reason="the officer pins the reviewed suite")
    weakened = _suite_file(workspace, limit=1)  # the engineer edits the suite afterwards
    assert weakened != reviewed
    _suite_entry(workspace, engineer, run_id, limit=1, matched=0, suite_hash=weakened)
    rule = _rule(workspace, run_id, "release.suite")
    assert not rule.passed, "a run of the weakened suite satisfied the pinned require_suite"
    assert rule.evidence["pinned_sha256"] == reviewed and reviewed[:12] in rule.message
    assert rule.evidence["other_versions"][0]["suite_hash"] == weakened
    _suite_entry(workspace, engineer, run_id, limit=200, matched=0, suite_hash=reviewed)
    rule = _rule(workspace, run_id, "release.suite")
    assert rule.passed and rule.evidence["suite_hash"] == reviewed
    assert "UNPINNED" not in rule.message
