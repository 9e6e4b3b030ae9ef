"""The README's main job runs end to end: register, consent, scan, anonymize, decide, approve,
train through the gate, trace, attest, report, verify."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("opacus", reason="the quickstart trains: it needs govern[train]")

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("govern") is None,
    reason="the govern console script is not installed (pip install -e .)",
)
def test_quickstart_script_ends_in_a_verified_trained_adapter(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(REPO / "examples" / "quickstart.sh"), str(tmp_path / "qs")],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "refused, as expected" in out
    assert "Approved" in out and "completed" in out and "ε=" in out
    assert "attests run" in out
    assert out.rstrip().splitlines()[-1].startswith("OK: ")
    reports = list((tmp_path / "qs" / "audit_reports").glob("run-*.html"))
    assert reports and "Privacy guarantee" in reports[0].read_text()
