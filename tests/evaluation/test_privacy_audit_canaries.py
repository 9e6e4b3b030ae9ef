"""Canaries: drawn from the CSPRNG, planted only when included, kept secret in a 0600 file, resumed alike."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from govern.errors import BadInput, IntegrityFailure
from govern.evaluation.privacy_audit.canaries import (
    CANARY_FILE,
    DEFAULT_ALPHABET,
    draw_canaries,
    read_canary_file,
    reference_secrets,
    training_records,
    write_canary_file,
)

DATA = {
    "format": "prompt_completion",
    "prompt_field": "prompt",
    "completion_field": "completion",
    "text_field": "text",
}


def test_canaries_are_distinct_random_secrets_included_about_half_the_time() -> None:
    canaries = draw_canaries(2000, 10)
    assert len(set(canaries.secrets)) == 2000
    assert all(len(s) == 10 and set(s) <= set(DEFAULT_ALPHABET) for s in canaries.secrets)
    assert 850 < canaries.included_count < 1150  # Binomial(2000, 1/2): 10 standard deviations
    assert draw_canaries(2000, 10).secrets != canaries.secrets  # no seed: every draw differs


def test_only_included_canaries_become_training_records_in_the_recipe_format() -> None:
    canaries = draw_canaries(50, 8, repeats=3)
    records = training_records(canaries, DATA)
    assert len(records) == 3 * canaries.included_count
    assert {r["completion"].strip() for r in records} == set(canaries.included_secrets())
    assert all(r["prompt"] == canaries.prefix for r in records)
    text = training_records(canaries, {**DATA, "format": "text"})
    assert all(r["text"].startswith(canaries.prefix + " ") for r in text)


def test_references_are_reproducible_from_their_seed_and_never_a_canary() -> None:
    canaries = draw_canaries(
        20, 4, alphabet="ab" * 1 + "cd"
    )  # a small space, so collisions are likely
    refs = reference_secrets(canaries, 200, seed=3)
    assert refs == reference_secrets(canaries, 200, seed=3)
    assert not set(refs) & set(canaries.secrets)


def test_the_canary_file_is_private_hashed_and_tamper_evident(tmp_path: Path) -> None:
    canaries = draw_canaries(10, 8)
    digest = write_canary_file(tmp_path, canaries)
    path = tmp_path / CANARY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded, again = read_canary_file(tmp_path, digest)
    assert loaded == canaries and again == digest
    with pytest.raises(BadInput, match="already has canaries"):
        write_canary_file(tmp_path, canaries)
    data = json.loads(path.read_text())
    data["included"] = [not x for x in data["included"]]
    path.write_text(json.dumps(data))
    with pytest.raises(IntegrityFailure, match="altered"):
        read_canary_file(tmp_path, digest)


def test_recipe_audit_section() -> None:
    from govern.training.recipe import AUDIT_DEFAULTS, recipe_from_dict

    base = {
        "model": {"path": "m"},
        "data": {"format": "text"},
        "lora": {"target_modules": ["q_proj"]},
        "dp": {"noise_multiplier": 1.0},
        "schedule": {"steps": 2, "logical_batch_size": 4, "learning_rate": 0.1},
    }
    plain = recipe_from_dict(base, check_model=False)
    assert (
        "audit" not in plain.settings and plain.canaries is None
    )  # recipes without it keep their hash
    audited = recipe_from_dict({**base, "audit": {"canaries": 64}}, check_model=False)
    assert audited.canaries == {"canaries": 64, **AUDIT_DEFAULTS} and audited.hash != plain.hash
    with pytest.raises(BadInput, match="canary_repeats"):
        recipe_from_dict(
            {**base, "audit": {"canaries": 64, "canary_repeats": 5}}, check_model=False
        )
    with pytest.raises(BadInput, match="audit.seed: unknown key"):
        recipe_from_dict({**base, "audit": {"canaries": 64, "seed": 1}}, check_model=False)
    with pytest.raises(BadInput, match="at least 2 canaries"):
        recipe_from_dict({**base, "audit": {"canaries": 1}}, check_model=False)
    nonprivate = {**base, "dp": {"enabled": False}, "audit": {"canaries": 8, "canary_repeats": 5}}
    assert recipe_from_dict(nonprivate, check_model=False).canaries["canary_repeats"] == 5


def test_trainer_plants_included_canaries_and_a_resume_reuses_the_committed_file(
    eval_tiny_model: Path, tmp_path: Path
) -> None:
    """A run stopped after its first checkpoint resumes with the same canaries, and refuses altered ones."""
    from govern.gate import Gate
    from govern.training import TrainingHooks, read_run, resume, train
    from govern.training.recipe import recipe_from_dict
    from tests.evaluation.conftest import make_world

    class StopAtFirstCheckpoint(TrainingHooks):
        def on_checkpoint(self, checkpoint: dict[str, Any], path: Path) -> None:
            raise RuntimeError("simulated crash")

    raw = {
        "model": {"path": str(eval_tiny_model)},
        "data": {"format": "prompt_completion", "max_length": 48},
        "lora": {"r": 2, "target_modules": ["q_proj"]},
        "output_dir": str(tmp_path),
        "checkpoint_every": 1,
        "dp": {"noise_multiplier": 1.0, "delta": 1e-5, "accountant": "rdp", "clipping": "hooks"},
        "schedule": {"steps": 2, "logical_batch_size": 8, "learning_rate": 0.01},
        "audit": {"canaries": 16, "canary_length": 6},
    }
    recipe = recipe_from_dict(raw, source="t.toml", base_dir=tmp_path)
    world = make_world(tmp_path / "world", eval_tiny_model)
    data = Gate(world.workspace).admit(world.engineer, [world.train_snapshot.id], recipe).data
    run_dir = tmp_path / "run"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(recipe, data, run_dir=run_dir, hooks=StopAtFirstCheckpoint())
    info = read_run(run_dir)
    canaries, digest = read_canary_file(run_dir)
    assert info["canaries"]["file_sha256"] == digest and info["canaries"]["count"] == 16
    assert "included" not in json.dumps(info["canaries"])  # run.json never holds the mask
    assert not set(canaries.secrets) & set(json.dumps(info).split('"'))
    assert (
        info["plan"]["num_examples"] == 120
    )  # the training half's records only: canaries are not counted in N (q = L/N of the records)

    original = (run_dir / CANARY_FILE).read_bytes()
    (run_dir / CANARY_FILE).write_bytes(original.replace(b"true", b"TRUE", 1))
    with pytest.raises(IntegrityFailure, match="altered"):
        resume(run_dir, data)
    (run_dir / CANARY_FILE).write_bytes(original)
    result = resume(run_dir, data)
    assert result["status"] == "completed" and result["canaries"]["file_sha256"] == digest


@pytest.mark.parametrize("fmt", ["prompt_completion", "text"])
def test_scoring_counts_only_the_secret_tokens_and_matches_the_training_encoding(
    eval_tiny_model: Path, fmt: str
) -> None:
    from govern.evaluation.privacy_audit.audit import scoring_examples
    from govern.training.data import IGNORE_INDEX, encode_records
    from govern.training.model import load_tokenizer

    tokenizer = load_tokenizer(eval_tiny_model)
    data = {**DATA, "format": fmt, "max_length": 64, "add_eos": True}
    canaries = draw_canaries(6, 8)
    scored = scoring_examples(canaries.prefix, canaries.secrets, tokenizer, data)
    import dataclasses

    every = dataclasses.replace(canaries, included=(True,) * canaries.count)
    trained = encode_records(training_records(every, data), tokenizer, data)
    prefix_len = len(
        [tokenizer.bos_token_id, *tokenizer(canaries.prefix, add_special_tokens=False)["input_ids"]]
    )
    for (_ids, labels), secret in zip(scored, canaries.secrets, strict=True):
        assert all(label == IGNORE_INDEX for label in labels[:prefix_len])
        supervised = [t for t in labels if t != IGNORE_INDEX]
        assert secret in tokenizer.decode(supervised) and canaries.prefix not in tokenizer.decode(
            supervised
        )
    assert [ids for ids, _ in scored] == [
        ids for ids, _ in trained
    ]  # the very tokens the trainer saw
