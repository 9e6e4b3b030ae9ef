"""The README's "Python API" example runs as written, so it cannot drift from the facade."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def readme_python_api_block() -> str:
    """The first ```python block under the README's "## Python API" heading."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "README's Python API section has no ```python block"
    return found.group(1)


def test_the_block_uses_the_facade_only() -> None:
    code = readme_python_api_block()
    assert code.startswith("from govern import Workspace\n")
    assert "import govern." not in code and "from govern." not in code


def test_every_method_the_section_names_is_a_facade_method() -> None:
    """The prose names verbs the block cannot run (training needs a model): they must exist too."""
    import typing

    import govern.facade
    from govern import Workspace

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\bws\.(\w+)\.(\w+)\(", section))
    assert ("training", "train") in named and ("training", "card") in named, named
    for stage, method in sorted(named):
        namespace = typing.get_type_hints(
            getattr(Workspace, stage).func, localns=vars(govern.facade)
        )["return"]
        assert callable(getattr(namespace, method, None)), f"ws.{stage}.{method}"


@pytest.mark.slow
def test_readme_python_api_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "examples" / "quickstart", tmp_path / "examples" / "quickstart")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_WORKSPACE", raising=False)
    code = readme_python_api_block()
    exec(compile(code, "README.md (Python API)", "exec"), {"__name__": "readme_example"})
    out = capsys.readouterr().out
    assert re.search(r"^[1-9]\d* findings in the raw tickets$", out, re.MULTILINE), out
    assert out.rstrip().splitlines()[-1] in ("pass", "pending"), out
    # What the example did is in the workspace it made, not only in memory.
    from govern import Workspace

    ws = Workspace.open(tmp_path / "my-workspace")
    events = [e.event for e in ws.ledger.log()]
    assert events.count("snapshot.approved") == 1, events
    assert os.stat(tmp_path / "my-workspace" / "erin.key").st_mode & 0o077 == 0
