"""Subject-level DP: subjects are sampled, capped and clipped as one unit, and ε is per subject."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from govern.errors import BadInput
from govern.training.accounting import default_delta
from govern.training.data import Collator, ExampleDataset, encode_records
from govern.training.model import build_training_model, load_tokenizer, trainable_parameters
from govern.training.plan import plan_run
from govern.training.randomness import CSPRNG, RunRandomness
from govern.training.subjects import (
    SubjectDPEngine,
    collate_subjects,
    pack_subjects,
    sampled_subjects,
    subject_groups,
)

torch = pytest.importorskip("torch")
RDPAccountant = pytest.importorskip("opacus.accountants").RDPAccountant

SUBJECT_DP = {"unit": "subject", "max_records_per_subject": 3}


def _subject_recipe(make_recipe: Any, **overrides: Any) -> Any:
    dp = {**SUBJECT_DP, **overrides.pop("dp", {})}
    schedule = {"logical_batch_size": 8, "physical_batch_size": 12, **overrides.pop("schedule", {})}
    return make_recipe(dp=dp, schedule=schedule, **overrides)


def _examples(recipe: Any, support_data: Any) -> tuple[ExampleDataset, Collator, list[str]]:
    tokenizer = load_tokenizer(recipe.tokenizer_path)
    examples = encode_records(list(support_data.read()), tokenizer, recipe["data"])
    return (
        ExampleDataset(examples),
        Collator(tokenizer.pad_token_id),
        support_data.record_subjects(),
    )


def _engine(recipe: Any, subjects: list[str], clip: float) -> tuple[Any, SubjectDPEngine]:
    model = build_training_model(recipe, torch.device("cpu"))
    gen = torch.Generator().manual_seed(3)
    for name, p in model.named_parameters():  # B = 0 at start would make A's gradient 0
        if "lora_B" in name:
            p.data = torch.randn(p.shape, generator=gen) * 0.1
    optimizer = torch.optim.SGD(trainable_parameters(model), lr=1.0)
    plan = plan_run(recipe, len(subjects), len(set(subjects)))
    plan = type(plan)(**{**plan.as_dict(), "noise_multiplier": 0.0, "max_grad_norm": clip})
    engine = SubjectDPEngine.build(
        model, optimizer, plan, "hooks", RunRandomness(CSPRNG, torch.device("cpu"))
    )
    engine.use_subjects(subject_groups(subjects))
    return model, engine


def _contribution(
    recipe: Any,
    dataset: ExampleDataset,
    collator: Collator,
    subjects: list[str],
    groups: list[list[int]],
    clip: float,
) -> dict[str, Any]:
    """The noise-free update (times the logical batch) one step on these subjects makes."""
    model, engine = _engine(recipe, subjects, clip)
    start = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    batch = collate_subjects(dataset, collator, groups)
    engine.physical_step(model, engine.optimizer, batch, torch.device("cpu"), 8)
    engine.close()
    logical = engine.plan.logical_batch_size
    return {n: (start[n] - p.detach()) * logical for n, p in model.named_parameters() if n in start}


def _norm(update: dict[str, Any]) -> float:
    return float(torch.cat([v.flatten() for v in update.values()]).norm())


@pytest.mark.slow
def test_one_subjects_records_changed_leave_every_other_subjects_clipped_contribution_unchanged(
    make_recipe: Any, support_data: Any
) -> None:
    recipe = _subject_recipe(make_recipe)
    dataset, collator, subjects = _examples(recipe, support_data)
    groups = subject_groups(subjects)
    many = [g[:3] for g in groups if len(g) >= 3]
    a, b, c = many[0], many[1], many[2]
    clip = 0.05  # small: every subject's combined gradient is clipped
    others = _contribution(recipe, dataset, collator, subjects, [a, c], clip)
    for b_records in (b, many[3]):  # subject B's records, then other records in B's place
        both = _contribution(recipe, dataset, collator, subjects, [a, b_records, c], clip)
        alone = _contribution(recipe, dataset, collator, subjects, [b_records], clip)
        for name in others:
            torch.testing.assert_close(both[name] - alone[name], others[name], rtol=1e-3, atol=1e-6)
        assert _norm(alone) == pytest.approx(clip, rel=1e-3)  # B's records clipped as ONE unit
    # record by record, B's three records would have added up to three clipped terms
    singles = [_contribution(recipe, dataset, collator, subjects, [[i]], clip) for i in b]
    summed = {n: sum(s[n] for s in singles) for n in singles[0]}
    assert _norm(summed) > 1.5 * clip


def test_each_step_samples_subjects_and_at_most_the_cap_of_their_records() -> None:
    groups = subject_groups(["s1"] * 9 + ["s2"] * 2 + ["s3"])
    assert groups == [list(range(9)), [9, 10], [11]]
    draws = [sampled_subjects(groups, 1.0, 3, None) for _ in range(20)]
    for draw in draws:
        assert [len(records) for records in draw] == [3, 2, 1]
        assert set(draw[0]) <= set(range(9)) and len(set(draw[0])) == 3
    assert len({tuple(d[0]) for d in draws}) > 1, "the capped records were not chosen at random"
    counts = Counter(len(sampled_subjects(groups, 0.5, 3, None)) for _ in range(400))
    assert 0 in counts and 3 in counts  # Poisson: a subject joins independently


def test_physical_batches_never_split_a_subject() -> None:
    draw = [[0, 1, 2], [3, 4], [5, 6, 7], [8]]
    batches = pack_subjects(draw, 5)
    assert batches == [[[0, 1, 2], [3, 4]], [[5, 6, 7], [8]]]
    assert pack_subjects([], 5) == [[]]  # an empty draw still takes one (noised) step


@pytest.mark.slow
def test_subject_runs_feed_the_accountant_the_subject_rate_and_state_the_unit_on_the_card(
    make_recipe: Any, tmp_path: Path, support_data: Any
) -> None:
    from govern.training import train

    recipe = _subject_recipe(make_recipe, dp={"noise_multiplier": 0.9}, schedule={"steps": 3})
    result = train(recipe, support_data, run_dir=tmp_path / "run")
    subjects = len(set(support_data.record_subjects()))
    assert subjects < support_data.count()  # some subjects have several records
    rate = 8 / subjects
    charges = [
        json.loads(line) for line in (tmp_path / "run" / "charges.jsonl").read_text().splitlines()
    ]
    assert [c["sample_rate"] for c in charges] == [rate] * 3
    assert result["accountant_history"] == [[0.9, rate, 3]]
    assert result["privacy_unit"] == "subject" and result["max_records_per_subject"] == 3
    assert result["delta"] == default_delta(subjects)
    fresh = RDPAccountant()
    for _ in range(3):
        fresh.step(noise_multiplier=0.9, sample_rate=rate)
    independent = fresh.get_epsilon(delta=result["delta"])
    assert result["epsilon"] == pytest.approx(independent, rel=1e-9)
    card = (tmp_path / "run" / "adapter" / "README.md").read_text()
    assert "adding or removing one data subject" in card and "at most 3" in card
    assert f"epsilon: {result['epsilon']}" in card and "privacy_unit: subject" in card


def test_a_record_level_run_states_its_unit_and_keeps_its_plan_form(make_recipe: Any) -> None:
    recipe = make_recipe()
    assert recipe.privacy_unit == "record" and "unit" not in recipe["dp"]
    plan = plan_run(recipe, 160)
    assert "unit" not in plan.as_dict() and plan.units == 160


def test_subject_recipes_refuse_ghost_clipping_no_dp_and_a_batch_below_the_cap(
    make_recipe: Any,
) -> None:
    with pytest.raises(BadInput) as caught:
        make_recipe(
            dp={"unit": "subject", "max_records_per_subject": 9, "clipping": "ghost"},
            schedule={"physical_batch_size": 4},
        )
    text = str(caught.value)
    assert "dp.clipping" in text and "schedule.physical_batch_size" in text
    with pytest.raises(BadInput, match=r"dp\.max_records_per_subject"):
        make_recipe(dp={"max_records_per_subject": 2})


def test_subject_plans_count_subjects_for_the_rate_and_delta(make_recipe: Any) -> None:
    recipe = _subject_recipe(make_recipe)
    plan = plan_run(recipe, 160, 40)
    assert plan.sample_rate == 8 / 40 and plan.units == 40 and plan.delta == default_delta(40)
    assert plan.as_dict()["unit"] == "subject" and plan.as_dict()["max_records_per_subject"] == 3
    with pytest.raises(BadInput, match="subjects"):
        plan_run(recipe, 160, 4)
