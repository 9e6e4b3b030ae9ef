"""Issues 11.4 and 11.10: no recipe value can hang `govern train` or exhaust memory.

Each bad value is refused by `govern train` with exit 2, naming its recipe key, in seconds,
before the gate or the catalogue records anything. (Before: target_epsilon = 1000 hung the noise
search for over 12 minutes; noise_multiplier = 0.000001 made the PRV accountant allocate 7 PiB.)
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from govern.cli import cli

SECONDS = 45  # generous on a shared 2-core machine; the checks take a few seconds


class TookTooLong(Exception):
    pass


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs past `seconds`."""

    def expire(signum: int, frame: Any) -> None:
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _ledger_size(workspace: Any) -> int:
    from sqlalchemy import text

    with workspace.catalog.reading() as session:
        return int(session.execute(text("SELECT count(*) FROM ledger_entries")).scalar())


@pytest.fixture
def governed(tmp_path: Path, tiny_model_dir: Path) -> Any:
    from govern.policy.approvals import approve
    from tests.pipeline import governed_workspace

    workspace, engineer, officer, snapshot = governed_workspace(tmp_path, tiny_model_dir)
    approve(workspace, officer, snapshot.id)
    return workspace, engineer, snapshot


@pytest.mark.parametrize(
    ("edits", "key"),
    [
        ([("target_epsilon = 3.0", "target_epsilon = 1000.0")], "dp.target_epsilon"),
        ([("target_epsilon = 3.0", "target_epsilon = 0.000001")], "dp.target_epsilon"),
        (
            [
                ("target_epsilon = 3.0", "noise_multiplier = 0.000001"),
                ('accountant = "rdp"', 'accountant = "prv"'),
            ],
            "dp.noise_multiplier",
        ),
        ([("target_epsilon = 3.0", "noise_multiplier = 0.000001")], "dp.noise_multiplier"),
        (
            [
                ("target_epsilon = 3.0", "noise_multiplier = 0.05"),
                ("steps = 3", "steps = 900000"),
                ('accountant = "rdp"', 'accountant = "prv"'),
                ("logical_batch_size = 16", "logical_batch_size = 160"),
            ],
            "dp.noise_multiplier",
        ),
        ([("steps = 3", "steps = 1000000000")], "schedule.steps"),
        ([("steps = 3", "epochs = 1000000000.0")], "schedule.epochs"),
        (
            [
                ("max_length = 48", "max_length = 10000000"),
                ("logical_batch_size = 16", "logical_batch_size = 160"),
                ("physical_batch_size = 8", "physical_batch_size = 160"),
            ],
            "schedule.physical_batch_size",
        ),
    ],
    ids=[
        "target-eps-1000",
        "target-eps-tiny",
        "sigma-tiny-prv",
        "sigma-tiny-rdp",
        "prv-grid-too-large",
        "steps-1e9",
        "epochs-1e9",
        "physical-batch-memory",
    ],
)
def test_an_absurd_recipe_value_is_refused_fast_naming_its_key_and_nothing_is_recorded(
    governed: Any, edits: list[tuple[str, str]], key: str
) -> None:
    workspace, engineer, snapshot = governed
    recipe = workspace.root / "train" / "gate.toml"
    text = recipe.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    recipe.write_text(text)
    before = _ledger_size(workspace)
    started = time.monotonic()
    with deadline(SECONDS * 2):
        result = CliRunner().invoke(
            cli,
            [
                "train",
                "train/gate.toml",
                "--snapshot",
                snapshot.id,
                "--key",
                str(engineer.path),
                "--workspace",
                str(workspace.root),
            ],
        )
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert re.search(rf"{re.escape(key)}\b", result.output), result.output
    assert "Traceback" not in result.output
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    assert _ledger_size(workspace) == before  # no gate.refused, no run.started
    assert not (workspace.root / "runs").exists() or not any((workspace.root / "runs").iterdir())
