"""A training run in a child process, for the crash and Ctrl-C tests.

usage: python run_child.py RECIPE_JSON BASE_DIR RUN_DIR MODE STEP WORKSPACE KEY SNAPSHOT
  MODE "block": at the charge of STEP, write RUN_DIR/../blocked and sleep (the parent SIGKILLs)
  MODE "sigint": at the charge of STEP, send this process SIGINT (as Ctrl-C would)
The data comes through the real gate of WORKSPACE (admitted with KEY for SNAPSHOT).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

from training_helpers import admitted_data

from govern.training import Interrupted, TrainingHooks, recipe_from_dict, train


class ChildHooks(TrainingHooks):
    def __init__(self, mode: str, step: int, marker: Path) -> None:
        self.mode, self.step, self.marker = mode, step, marker

    def on_step_charged(self, step: int, noise_multiplier: float, sample_rate: float) -> None:
        if step != self.step:
            return
        if self.mode == "block":
            self.marker.write_text(str(step))
            time.sleep(120)
        else:
            os.kill(os.getpid(), signal.SIGINT)


def main() -> int:
    raw, base_dir = json.loads(sys.argv[1]), sys.argv[2]
    run_dir, mode, step = Path(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    data = admitted_data(Path(sys.argv[6]), Path(sys.argv[7]), sys.argv[8])
    recipe = recipe_from_dict(raw, base_dir=base_dir)
    try:
        train(
            recipe, data, run_dir=run_dir, hooks=ChildHooks(mode, step, run_dir.parent / "blocked")
        )
    except Interrupted as error:
        print(error, file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
