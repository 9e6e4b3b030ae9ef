"""The public surface of govern.policy is exactly its __all__, and every name in it exists."""

from __future__ import annotations

import govern.policy


def test_every_exported_name_exists_and_nothing_private_is_exported() -> None:
    for name in govern.policy.__all__:
        assert hasattr(govern.policy, name), name
        assert not name.startswith("_")
    assert len(set(govern.policy.__all__)) == len(govern.policy.__all__)


def test_the_policy_engine_does_not_import_heavy_dependencies() -> None:
    import subprocess
    import sys

    code = "import sys, govern.policy; print(','.join(m for m in ('torch', 'presidio_analyzer', 'sqlalchemy') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
