"""Sharded runs compose in parallel: the ε of disjoint shards is the worst shard's, never their sum."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("opacus")

from opacus.accountants import RDPAccountant

from govern.errors import BadInput, Refused
from govern.training.accounting import compose_epsilon
from govern.training.parallel import pool_epsilon, sharded_epsilon
from govern.training.recipe import recipe_from_dict
from govern.training.shard_settings import shard_count
from govern.training.shards import ShardSpec, shard_of

DELTA = 1e-5
SMALL = [(1.1, 0.05, 40)]  # a shard with few subjects would have a higher q; here: a cheap one
LARGE = [(0.9, 0.1, 60)]


def _opacus(history: list[tuple[float, float, int]]) -> float:
    accountant = RDPAccountant()
    for sigma, rate, steps in history:
        for _ in range(steps):
            accountant.step(noise_multiplier=sigma, sample_rate=rate)
    return float(accountant.get_epsilon(delta=DELTA))


def test_a_sharded_runs_epsilon_is_the_maximum_of_its_shards_epsilon() -> None:
    shards = [({"a", "b"}, SMALL), ({"c"}, LARGE), ({"d", "e"}, SMALL)]
    epsilon = sharded_epsilon(shards, DELTA, "rdp")
    assert epsilon == pytest.approx(max(_opacus(SMALL), _opacus(LARGE)), rel=1e-6)
    assert epsilon == pytest.approx(_opacus(LARGE), rel=1e-6)
    assert epsilon < compose_epsilon([SMALL, LARGE, SMALL], DELTA, "rdp")  # not sequential


def test_a_subject_in_two_shards_is_refused() -> None:
    with pytest.raises(Refused) as caught:
        sharded_epsilon([({"a", "b"}, SMALL), ({"b", "c"}, LARGE)], DELTA, "rdp")
    assert caught.value.reasons == ["a subject is in shards 0 and 1"]


def test_a_pool_composes_unsharded_runs_with_the_worst_slot_of_each_family() -> None:
    earlier = [(1.0, 0.02, 30)]
    families = {"f": {0: [SMALL], 1: [LARGE]}}
    got = pool_epsilon([earlier], families, DELTA, "rdp")
    assert got == pytest.approx(_opacus([*earlier, *LARGE]), rel=1e-6)
    # a retrained slot composes sequentially with the run it replaced (the same subjects)
    retrained = {"f": {0: [SMALL, SMALL], 1: [LARGE]}}
    want = max(_opacus([*earlier, *SMALL, *SMALL]), _opacus([*earlier, *LARGE]))
    assert pool_epsilon([earlier], retrained, DELTA, "rdp") == pytest.approx(want, rel=1e-6)
    assert pool_epsilon([], {}, DELTA, "rdp") == 0.0


def test_slots_are_keyed_by_the_seed_and_stable_when_a_subject_leaves() -> None:
    subjects = [f"{i:064x}" for i in range(200)]
    slots = {s: shard_of(s, 4, seed=7) for s in subjects}
    assert set(slots.values()) == {0, 1, 2, 3}
    assert all(shard_of(s, 4, seed=7) == slots[s] for s in subjects[1:])  # a pure function
    assert [shard_of(s, 4, seed=8) for s in subjects] != list(slots.values())
    spec = ShardSpec("f", 2, 4, 7)
    assert {s for s in subjects if spec.holds(s)} == {s for s, i in slots.items() if i == 2}
    assert ShardSpec.from_payload({"shard": spec.as_dict()}) == spec
    assert ShardSpec.from_payload({"shard": {**spec.as_dict(), "index": 4}}) is None


def _raw(**train: Any) -> dict[str, Any]:
    return {
        "model": {"path": "m"},
        "data": {"format": "text"},
        "lora": {"target_modules": ["q_proj"]},
        "dp": {"noise_multiplier": 1.0},
        "schedule": {"steps": 2, "logical_batch_size": 4, "learning_rate": 0.01},
        **({"train": train} if train else {}),
    }


def test_the_recipe_train_section_sets_the_shards_and_keeps_other_recipes_hash() -> None:
    plain = recipe_from_dict(_raw(), check_model=False)
    assert shard_count(plain.settings) == 1 and "train" not in plain.settings
    sharded = recipe_from_dict(_raw(shards=4), check_model=False)
    assert shard_count(sharded.settings) == 4 and sharded.hash != plain.hash
    with pytest.raises(BadInput, match="train.shards"):
        recipe_from_dict(_raw(shards=0), check_model=False)
    with pytest.raises(BadInput, match="train.wide: unknown key"):
        recipe_from_dict(_raw(wide=1), check_model=False)
    no_dp = _raw(shards=2)
    no_dp["dp"] = {"enabled": False}
    with pytest.raises(BadInput, match="dp.enabled = false"):
        recipe_from_dict(no_dp, check_model=False)


def test_a_shard_whose_count_or_seed_disagrees_with_its_family_composes_sequentially() -> None:
    from govern.training.parallel import group_by_shard

    sequential, families = group_by_shard(
        [
            (ShardSpec("f", 0, 2, 7), SMALL),
            (ShardSpec("f", 1, 2, 7), LARGE),
            (ShardSpec("f", 1, 4, 7), LARGE),  # another shard count: its subjects are not disjoint
            (ShardSpec("f", 0, 2, 8), SMALL),  # another seed: likewise
            (None, SMALL),
            (ShardSpec("g", 0, 2, 7), []),  # nothing charged: nothing to compose
        ]
    )
    assert families == {"f": {0: [SMALL], 1: [LARGE]}}
    assert sequential == [LARGE, SMALL, SMALL]
