"""The package keeps the shape ARCHITECTURE.md describes: small modules grouped by stage."""

from __future__ import annotations

from pathlib import Path

import govern

PACKAGE = Path(govern.__file__).parent
MAX_LINES = 500
# A module that must grow past the limit is listed here with its size and the reason (none is now).
OVERSIZE_CAPS: dict[str, int] = {}


def test_no_module_is_over_the_size_limit() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines()))
        > OVERSIZE_CAPS.get(str(path.relative_to(PACKAGE)), MAX_LINES)
    }
    assert not too_long, f"modules over {MAX_LINES} lines (split them by job): {too_long}"


def test_every_stage_package_named_in_the_architecture_exists() -> None:
    architecture = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    stages = ["ingest", "consent", "pii", "policy", "training", "evaluation", "ledger", "lineage"]
    for stage in stages:
        assert (PACKAGE / stage / "__init__.py").is_file(), stage
        assert f"{stage}/" in architecture, f"ARCHITECTURE.md does not place {stage}/"
    assert (PACKAGE / "gate" / "__init__.py").is_file() and "gate/" in architecture
