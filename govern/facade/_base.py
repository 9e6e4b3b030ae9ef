"""What every stage namespace shares: the workspace it acts on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govern.workspace import Workspace


class Namespace:
    """A group of verbs bound to one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._workspace.root}>"
