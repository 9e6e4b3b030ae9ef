"""The training package is cheap to import: torch and friends load only when they are used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "transformers", "peft", "opacus", "bitsandbytes")


def test_importing_the_training_api_loads_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import govern.training as t\n"
        "from govern.training import recipe, plan, hooks, data, accounting, checkpoint, card, loss, limits, run_files\n"
        "from govern.training import trainer, engine, loop, publish, randomness, secure_rng, sampling, optimizer\n"
        "from govern.training import distributed, inference, model\n"
        "t.TrainingHooks; t.load_recipe; t.plan_run; t.read_run; t.Interrupted; t.Terminated\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_public_names_are_exported() -> None:
    from govern import training

    for name in training.__all__:
        assert getattr(training, name) is not None, name
