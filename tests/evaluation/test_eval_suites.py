"""Evaluation suites: metrics checked against their libraries, suite files, a suite run end to end
on the tiny model, and the PII regurgitation probe on a run made to memorise a planted address."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.errors import BadInput
from govern.evaluation import metrics
from govern.evaluation.suites import load_suite

SUITE = """\
name: heldout-answers
snapshot: {snapshot}
prompt_field: prompt
reference_field: completion
metrics: [exact_match, rouge_l, chrf, accuracy, loss]
limit: 12
generation:
  max_new_tokens: 12
  batch_size: 6
bootstrap:
  resamples: 200
  confidence: 0.9
pii_probe: true
"""


# --------------------------------------------------------------------------- metrics, no model


def test_metrics_equal_the_libraries_on_fixed_strings() -> None:
    from rouge_score import rouge_scorer
    from sacrebleu import sentence_chrf

    pairs = [
        ("The refund is sent within five days.", "Refunds are sent within five working days."),
        ("open settings then security", "Open Settings, choose Security."),
        ("", "anything"),
    ]
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    for prediction, reference in pairs:
        assert metrics.rouge_l(prediction, reference) == pytest.approx(
            scorer.score(reference, prediction)["rougeL"].fmeasure
        )
        assert metrics.chrf(prediction, reference) == pytest.approx(
            sentence_chrf(prediction, [reference]).score
        )
    assert metrics.rouge_l("a b c d", "a b c d") == 1.0
    assert metrics.exact_match("  Hello, World! ", "hello world") == 1.0
    assert metrics.exact_match("hello worlds", "hello world") == 0.0
    assert metrics.accuracy("Billing. The charge was pending", "billing") == 1.0
    assert metrics.accuracy("Shipping", "billing") == 0.0


def test_bootstrap_interval_holds_the_mean_and_shrinks_with_more_items() -> None:
    few = metrics.bootstrap([1.0, 0.0] * 5, resamples=2000, confidence=0.95, seed=1)
    many = metrics.bootstrap([1.0, 0.0] * 500, resamples=2000, confidence=0.95, seed=1)
    assert few.low < few.mean == 0.5 < few.high
    assert (many.high - many.low) < (few.high - few.low) / 5
    constant = metrics.bootstrap([0.25] * 7, resamples=500, confidence=0.9, seed=0)
    assert constant.low == constant.mean == constant.high == 0.25
    diff = metrics.paired_difference([1, 1, 1, 0], [0, 0, 1, 0], 1000, 0.9, 0)
    assert diff.mean == 0.5 and diff.low <= 0.5 <= diff.high
    with pytest.raises(ValueError):
        metrics.bootstrap([], 100, 0.9, 0)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("metrics: [exact_match", "metrics: [bleurt"), r"line 5: metrics\.0: Input should be"),
        (("limit: 12", "limit: 12\nlimt: 3"), r"line 7: limt: Extra inputs are not permitted"),
        (("  batch_size: 6", "  batch_size: 0"), r"line 9: generation\.batch_size"),
        (("confidence: 0.9", "confidence: 1.5"), r"line 12: bootstrap\.confidence"),
        (("name: heldout-answers", "name: other"), r"line 1: name: 'other' must match"),
        (
            ("reference_field: completion", "reference_field: prompt"),
            r"reference_field: must differ",
        ),
    ],
)
def test_a_bad_suite_file_names_its_line_and_key(tmp_path: Path, edit, expected) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "heldout-answers.yaml"
    path.write_text(SUITE.format(snapshot="abcdef123456").replace(*edit))
    with pytest.raises(BadInput, match=expected) as caught:
        load_suite(path)
    assert str(path) in str(caught.value)


def test_the_shipped_example_suite_parses_and_init_scaffolds_it(tmp_path: Path) -> None:
    from govern.resources import shipped_dir
    from govern.workspace import Workspace

    suite = load_suite(shipped_dir("evals") / "support-answers.yaml")
    assert suite.metrics and suite.pii_probe
    workspace = Workspace.init(tmp_path / "ws").workspace
    assert (workspace.root / "evals" / "support-answers.yaml").is_file()


# --------------------------------------------------------------------------- a suite run


@pytest.mark.slow
def test_a_suite_runs_base_and_adapter_and_is_ledgered(dp_world) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from govern.cli import cli
    from govern.evaluation.suite_run import evaluate_suite, suite_results
    from govern.ledger.verify import verify_workspace
    from govern.policy.approvals import approve

    world, result = dp_world
    approve(world.workspace, world.officer, world.heldout_snapshot.id)
    suites = world.workspace.root / "evals"
    (suites / "heldout-answers.yaml").write_text(SUITE.format(snapshot=world.heldout_snapshot.id))
    out = evaluate_suite(world.workspace, world.engineer, result["run_id"], "heldout-answers")
    assert out["items"] == 12 and out["snapshot_id"] == world.heldout_snapshot.id
    assert set(out["metrics"]) == {"exact_match", "rouge_l", "chrf", "accuracy", "loss"}
    for name, estimate in out["metrics"].items():
        for side in ("base", "adapter", "delta"):
            e = estimate[side]
            assert e["low"] <= e["mean"] <= e["high"], (name, side, e)
    loss = out["metrics"]["loss"]
    assert loss["delta"]["mean"] == pytest.approx(loss["adapter"]["mean"] - loss["base"]["mean"])
    assert out["pii_probe"]["outputs"] == 12 and out["generation"]["decoding"] == "greedy"
    with world.workspace.catalog.reading() as session:
        stored = suite_results(session, result["run_id"])
    assert [s["ledger_seq"] for s in stored] == [out["ledger_seq"]]
    assert stored[0]["metrics"] == out["metrics"]
    assert verify_workspace(world.workspace).ok
    # A pack pinning the suite's content counts this run; once the file is edited, its new content
    # hashes differently, and a pin of that content does not count the run of the old one.
    from govern.evaluation.release_quality import suite_rule
    from govern.evaluation.suites import load_suite, suite_path

    reviewed = load_suite(suite_path(world.workspace, "heldout-answers")).hash
    assert stored[0]["suite_hash"] == reviewed
    assert suite_rule(stored, {"name": "heldout-answers", "sha256": reviewed}).passed
    assert "UNPINNED" in suite_rule(stored, "heldout-answers").message
    (suites / "heldout-answers.yaml").write_text(
        SUITE.format(snapshot=world.heldout_snapshot.id).replace("limit: 12", "limit: 1")
    )
    weakened = load_suite(suite_path(world.workspace, "heldout-answers")).hash
    assert weakened != reviewed
    assert not suite_rule(stored, {"name": "heldout-answers", "sha256": weakened}).passed
    (suites / "heldout-answers.yaml").write_text(SUITE.format(snapshot=world.heldout_snapshot.id))
    # Nothing generated is kept: the entry holds numbers, ids and hashes only.
    assert "Agent" not in json.dumps(stored[0])

    # The CLI prints the table; a training snapshot is refused as a suite's held-out data.
    engineer_key = world.workspace.root / "erin.key"
    runner = CliRunner()
    shown = runner.invoke(
        cli,
        [
            "eval",
            result["run_id"],
            "--suite",
            "heldout-answers",
            "--workspace",
            str(world.workspace.root),
            "--key",
            str(engineer_key),
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert "ROUGE-L" in shown.output and "adapter - base" in shown.output
    assert f"suite sha256 {reviewed}" in shown.output  # what an officer pins in the pack
    (suites / "leaky.yaml").write_text(
        SUITE.format(snapshot=world.train_snapshot.id).replace("heldout-answers", "leaky")
    )
    refused = runner.invoke(
        cli,
        [
            "eval",
            result["run_id"],
            "--suite",
            "leaky",
            "--workspace",
            str(world.workspace.root),
            "--key",
            str(engineer_key),
        ],
    )
    assert refused.exit_code == 1 and "used to train" in refused.output
    neither = runner.invoke(
        cli,
        [
            "eval",
            result["run_id"],
            "--workspace",
            str(world.workspace.root),
            "--key",
            str(engineer_key),
        ],
    )
    assert neither.exit_code == 2 and "exactly one of --snapshot" in neither.output


PLANTED = "dana.wu@example.org"
EMAIL_PACK_NOTE = "ignore_entity_types: [LOCATION]"


@pytest.mark.slow
def test_the_pii_probe_finds_a_planted_address_a_non_private_run_memorised(
    tmp_path: Path, eval_tiny_model: Path
) -> None:
    from govern.canonical import keyed_hash
    from govern.evaluation.regurgitation import PROBE_DOMAIN
    from govern.evaluation.suite_run import evaluate_suite
    from govern.training.runs import start_run
    from tests.evaluation.conftest import EVAL_PACK, make_world

    # The officer's pack lets e-mail addresses through (a real choice some teams make), so a
    # snapshot carrying one is approved and a non-private run memorises it.
    pack = EVAL_PACK.replace(EMAIL_PACK_NOTE, "ignore_entity_types: [LOCATION, EMAIL_ADDRESS]")

    def plant(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            record = json.loads(line)
            record["completion"] = f" Write to {PLANTED}."
            out.append(json.dumps(record) + "\n")
        return out

    world = make_world(tmp_path, eval_tiny_model, pack=pack, train_lines=plant)
    # Twice the shared memorising recipe's steps at a third of its rate: batches come from the OS
    # CSPRNG, and at 0.01 some runs oscillated and never wrote the whole address (3 of 7 tries).
    recipes = world.workspace.root / "train"
    (recipes / "memorise-long.toml").write_text(
        (recipes / "memorise.toml")
        .read_text()
        .replace("steps = 150", "steps = 300")
        .replace("learning_rate = 0.01", "learning_rate = 0.003")
    )
    run = start_run(
        world.workspace,
        world.engineer,
        Path("train/memorise-long.toml"),
        [world.train_snapshot.id],
    )
    (world.workspace.root / "evals" / "probe.yaml").write_text(
        SUITE.format(snapshot=world.heldout_snapshot.id)
        .replace("heldout-answers", "probe")
        .replace("metrics: [exact_match, rouge_l, chrf, accuracy, loss]", "metrics: [rouge_l]")
        .replace("max_new_tokens: 12", "max_new_tokens: 40")
    )
    out = evaluate_suite(world.workspace, world.engineer, run["run_id"], "probe")
    probe = out["pii_probe"]
    assert probe["outputs_with_pii"] >= 1 and probe["findings_by_type"].get("EMAIL_ADDRESS")
    assert probe["matched_training_values"] == 1
    expected = keyed_hash(world.workspace.subject_secret, PROBE_DOMAIN + PLANTED)
    assert probe["matched"] == [{"entity_type": "EMAIL_ADDRESS", "value_hash": expected}]
    assert world.train_snapshot.id in probe["searched_snapshots"]
    with world.workspace.catalog.reading() as session:
        from govern import ledger

        payloads = [e.payload for e in ledger.iter_entries(session)]
    assert not any(PLANTED in p for p in payloads if "suite_hash" in p)


@pytest.mark.slow
def test_blind_review_round_trip_win_rate_agreement_and_release_rules(dp_world) -> None:  # type: ignore[no-untyped-def]
    import contextlib
    import csv

    from govern.errors import IntegrityFailure, Refused
    from govern.evaluation.blind_review import (
        import_verdicts,
        review_summary,
        sample_for_review,
    )
    from govern.evaluation.release_quality import quality_rules
    from govern.ledger.verify import verify_workspace
    from govern.policy.approvals import approve
    from govern.training.run_status import get_run
    from tests.conftest import _new_key

    world, result = dp_world
    workspace = world.workspace
    with contextlib.suppress(Refused):  # approved already when the suite test ran first
        approve(workspace, world.officer, world.heldout_snapshot.id)
    (workspace.root / "evals" / "blind.yaml").write_text(
        SUITE.format(snapshot=world.heldout_snapshot.id).replace("heldout-answers", "blind")
    )
    sheet = world.root / "sheet.csv"
    sample = sample_for_review(
        workspace, world.engineer, result["run_id"], "blind", 8, sheet, ("correctness",)
    )
    rows = list(csv.DictReader(sheet.open()))
    assert len(rows) == 8 == len(sample["items"])
    assert set(rows[0]) == {
        "item",
        "prompt",
        "output_a",
        "output_b",
        "preference",
        "correctness_a",
        "correctness_b",
        "notes",
    }
    secret = workspace.state_dir / "secrets" / f"review-{sample['sample_id']}.json"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assignment = json.loads(secret.read_text())["assignment"]
    # Both reviewers prefer the adapter on every item but the first, which they call a tie.
    for index, row in enumerate(rows):
        adapter_side = "A" if assignment[row["item"]] == "adapter" else "B"
        row["preference"] = "tie" if index == 0 else adapter_side
        row[f"correctness_{adapter_side.lower()}"] = "4"
    filled = world.root / "filled.csv"
    with filled.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    rita = _new_key(workspace, "reviewer", "rita")
    ravi = _new_key(workspace, "reviewer", "ravi")
    with pytest.raises(Refused):  # the engineer who trained the run may not review it
        import_verdicts(workspace, world.engineer, sample["sample_id"], filled)
    bad = world.root / "bad.csv"
    bad.write_text(filled.read_text().replace(",tie,", ",maybe,", 1))
    with pytest.raises(BadInput, match=r"bad\.csv, line 2: preference: write A, B or tie"):
        import_verdicts(workspace, rita, sample["sample_id"], bad)
    one = import_verdicts(workspace, rita, sample["sample_id"], filled)
    assert one["adapter_wins"] == 7 and one["ties"] == 1 and one["agreement_alpha"] is None
    with pytest.raises(Refused, match="already reviewed"):
        import_verdicts(workspace, rita, sample["sample_id"], filled)
    two = import_verdicts(workspace, ravi, sample["sample_id"], filled)
    assert two["adapter_wins"] == 14 and two["win_rate"] == 1.0
    assert two["agreement_alpha"] == pytest.approx(1.0)
    low, high = two["win_rate_interval"]
    assert 0.7 < low < 1.0 and high == pytest.approx(1.0)
    with workspace.catalog.reading() as session:
        run = get_run(session, result["run_id"])
        rules = {
            r.rule: r
            for r in quality_rules(
                session,
                run,
                {
                    "require_suite": "blind",
                    "min_review_win_rate": 0.6,
                    "min_review_agreement": 0.8,
                    "max_pii_regurgitation": 0,
                },
            )
        }
        assert rules["release.review_win_rate"].passed
        assert rules["release.review_agreement"].passed
        assert not rules["release.suite"].passed  # sampled, but the suite itself was not scored
        # Passes exactly when a probed suite run found no training value (none when run alone).
        pii = rules["release.pii_regurgitation"]
        assert pii.passed == (pii.evidence["matched_training_values"] == 0)
        strict = quality_rules(session, run, {"min_review_win_rate": 0.99})
        assert not strict[0].passed
        assert review_summary(session, run.id)["samples"][0]["reviewers"] == 2
    assert verify_workspace(workspace).ok
    # An assignment file edited after the sample was drawn cannot unblind a sheet.
    secret.chmod(0o600)
    secret.write_text(secret.read_text().replace('"adapter"', '"base"', 1))
    fin = _new_key(workspace, "reviewer", "fin")
    with pytest.raises(IntegrityFailure, match="assignment file was changed"):
        import_verdicts(workspace, fin, sample["sample_id"], filled)
