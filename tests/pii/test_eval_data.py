"""The generated PII sets: reproducible from the seed, labelled right, held-out wording kept apart."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
DATA = BENCHMARKS / "pii_data"
SPLITS = ("tune", "fresh", "fresh2", "heldout", "fresh3")


def _module(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _frames(templates: dict[str, list[str]]) -> set[str]:
    """Templates with placeholders blanked and case folded: the wording a scanner could learn."""
    return {
        re.sub(r"\{[^}]+\}", "_", t).lower().strip() for items in templates.values() for t in items
    }


def test_the_held_out_split_shares_no_sentence_frame_with_the_tuning_split():
    heldout, tune = _module(DATA / "heldout_templates.py"), _module(DATA / "tune_templates.py")
    shared = (_frames(heldout.POSITIVE) | _frames(heldout.NEGATIVE)) & (
        _frames(tune.POSITIVE) | _frames(tune.NEGATIVE)
    )
    assert shared == set()


def test_the_fresh_split_shares_no_sentence_frame_with_either_other_split():
    fresh = _module(DATA / "fresh_templates.py")
    others = set()
    for name in ("heldout_templates.py", "tune_templates.py"):
        module = _module(DATA / name)
        others |= _frames(module.POSITIVE) | _frames(module.NEGATIVE)
    assert (_frames(fresh.POSITIVE) | _frames(fresh.NEGATIVE)) & others == set()


def test_the_fresh2_split_shares_no_sentence_frame_with_any_other_split():
    fresh2 = _module(DATA / "fresh2_templates.py")
    others = set()
    for name in ("heldout_templates.py", "tune_templates.py", "fresh_templates.py"):
        module = _module(DATA / name)
        others |= _frames(module.POSITIVE) | _frames(module.NEGATIVE)
    assert (_frames(fresh2.POSITIVE) | _frames(fresh2.NEGATIVE)) & others == set()


def test_the_fresh3_split_shares_no_sentence_frame_with_any_other_split():
    fresh3 = _module(DATA / "fresh3_templates.py")
    others = set()
    for name in SPLITS:
        if name != "fresh3":
            module = _module(DATA / f"{name}_templates.py")
            others |= _frames(module.POSITIVE) | _frames(module.NEGATIVE)
    assert (_frames(fresh3.POSITIVE) | _frames(fresh3.NEGATIVE)) & others == set()


def test_about_half_of_the_fresh3_people_come_from_its_own_name_lists_and_no_other_split_uses_them():
    extra = _module(DATA / "fresh3_templates.py").EXTRA_NAMES
    assert set(extra) == {"en_US", "en_GB", "en_AU", "en_CA", "en_IE", "en_IN", "en_NZ", "other"}
    assert all(len(set(pairs)) >= 40 for pairs in extra.values())
    words = {
        w.casefold() for pairs in extra.values() for pair in pairs for w in _words(" ".join(pair))
    }

    def share(split: str) -> float:
        people = [
            _words(row["text"][span["start"] : span["end"]])
            for row in _rows(split)
            for span in row["spans"]
            if span["label"] == "PERSON"
        ]
        return sum(all(w.casefold() in words for w in p) for p in people if p) / len(people)

    assert 0.4 < share("fresh3") < 0.65
    assert all(share(split) < 0.05 for split in SPLITS if split != "fresh3")


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[\s,.\-]+", name) if len(w) > 1]


def _rows(split: str) -> list[dict]:  # type: ignore[type-arg]
    return [
        json.loads(line)
        for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    ]


def test_every_label_is_a_non_blank_slice_of_its_text_and_the_sets_cover_every_locale():
    for split in SPLITS:
        rows = _rows(split)
        assert len(rows) == 1500 and len({r["id"] for r in rows}) == 1500
        assert {r["locale"] for r in rows} == {
            "en_US",
            "en_GB",
            "en_AU",
            "en_CA",
            "en_IE",
            "en_IN",
            "en_NZ",
            "other",
        }
        assert sum(not r["spans"] for r in rows) > 300  # negatives measure precision
        for row in rows:
            for span in row["spans"]:
                value = row["text"][span["start"] : span["end"]]
                assert value.strip() == value and value, (row["id"], span)


@pytest.mark.slow
def test_the_committed_sets_are_what_the_generator_makes_from_its_seed():
    pytest.importorskip("faker", reason="Faker is in the test extra")
    tree = ast.parse((BENCHMARKS / "pii_generate.py").read_text(encoding="utf-8"))
    seeds = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SEEDS"
    )
    assert set(seeds) == set(SPLITS) == {p.stem for p in DATA.glob("*.jsonl")}  # --check sees all
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "pii_generate.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_scanning_needs_neither_faker_nor_the_network_and_gives_the_same_findings_under_any_hash_seed():
    code = (
        "import sys, json\n"
        "from govern.pii import Scanner, ScannerConfig\n"
        "rows = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')][:120]\n"
        "s = Scanner(ScannerConfig(), processes=1)\n"
        "out = [[(x.start, x.end, x.entity_type, x.recognizer) for x in f] for f in s.scan_texts(r['text'] for r in rows)]\n"
        "assert 'faker' not in sys.modules\n"
        "print(hash(str(out)) if False else json.dumps(out))\n"
    )
    import os

    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, str(DATA / "heldout.jsonl")],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
