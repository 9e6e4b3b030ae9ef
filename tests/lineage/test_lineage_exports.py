"""The public surface of govern.lineage, and that importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import govern.lineage


def test_every_exported_name_exists() -> None:
    assert sorted(govern.lineage.__all__) == sorted(set(govern.lineage.__all__))
    for name in govern.lineage.__all__:
        assert hasattr(govern.lineage, name), name


def test_importing_lineage_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, govern.lineage, govern.cli.lineage\n"
        "print([m for m in ('torch', 'presidio_analyzer', 'spacy', 'opacus', 'transformers') if m in sys.modules])"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "[]"
    )
