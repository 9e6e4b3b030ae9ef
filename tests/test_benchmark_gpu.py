"""benchmarks/train_gpu.py runs where there is CUDA and a model folder, and says plainly why it
skipped otherwise (exit 0), so a CPU machine or CI can run it as a check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "train_gpu.py"


def test_without_cuda_it_says_it_skipped_and_exits_0(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the benchmark would run")
    (tmp_path / "config.json").write_text("{}")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--model", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("skipped: no CUDA"), done.stdout


def test_the_skip_reason_names_what_is_missing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import train_gpu
    finally:
        sys.path.remove(str(SCRIPT.parent))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert train_gpu.skip_reason(None) == (
        "skipped: no --model PATH given (a local Hugging Face model folder)"
    )
    assert "no config.json" in str(train_gpu.skip_reason(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    assert train_gpu.skip_reason(tmp_path) is None
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert str(train_gpu.skip_reason(tmp_path)).startswith("skipped: no CUDA")
