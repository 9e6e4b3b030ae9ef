"""Every public name a govern package exports in `__all__` exists and really lives in that package
(like httpx's tests/test_exported_members.py): a re-export from elsewhere, a stale name or a
typo in `__all__` fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import govern


def packages_with_all() -> list[str]:
    """govern and each of its subpackages that declares `__all__`, found by walking the tree."""
    names = ["govern"]
    for info in pkgutil.walk_packages(govern.__path__, "govern."):
        if info.ispkg and "__all__" in vars(importlib.import_module(info.name)):
            names.append(info.name)
    return names


PACKAGES = packages_with_all()


def test_the_walk_finds_the_packages_that_export_names() -> None:
    for expected in (
        "govern",
        "govern.facade",
        "govern.ledger",
        "govern.policy",
        "govern.training",
    ):
        assert expected in PACKAGES


@pytest.mark.parametrize("package_name", PACKAGES)
def test_all_lists_existing_unique_public_names(package_name: str) -> None:
    package = importlib.import_module(package_name)
    exported = package.__all__
    assert len(set(exported)) == len(exported), f"{package_name}.__all__ repeats a name"
    missing = [name for name in exported if not hasattr(package, name)]
    assert not missing, f"{package_name}.__all__ names what it does not have: {missing}"
    private = [n for n in exported if n.startswith("_") and n != "__version__"]
    assert not private, f"{package_name}.__all__ exports private names: {private}"


def _defined_in(obj: object) -> str | None:
    """The module a class or function was defined in; None for plain values (constants)."""
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return obj.__module__
    return None


@pytest.mark.parametrize("package_name", PACKAGES)
def test_exported_classes_and_functions_live_in_the_exporting_package(package_name: str) -> None:
    package: ModuleType = importlib.import_module(package_name)
    strays = {}
    for name in package.__all__:
        module = _defined_in(getattr(package, name))
        if module is not None and not (
            module == package_name or module.startswith(package_name + ".")
        ):
            strays[name] = module
    assert not strays, f"{package_name} re-exports names defined elsewhere: {strays}"


def test_govern_exports_the_facade() -> None:
    assert govern.Workspace.__module__ == "govern.workspace"
    assert callable(govern.Workspace.open) and callable(govern.Workspace.init)


def test_importing_govern_and_its_facade_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, govern\n"
        "bare = [m for m in ('sqlalchemy', 'govern.workspace') if m in sys.modules]\n"
        "from govern import Workspace\n"
        "import govern.facade\n"
        "heavy = [m for m in ('torch', 'presidio_analyzer', 'spacy', 'opacus', 'transformers')"
        " if m in sys.modules]\n"
        "print('BARE', bare, 'HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "BARE [] HEAVY []" in out, out
