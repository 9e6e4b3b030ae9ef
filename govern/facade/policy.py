"""`ws.policy`: packs in policies/, which one is in force, and decisions on snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.ledger.keys import PrivateIdentity
    from govern.policy.activation import Activation
    from govern.policy.engine import Decision
    from govern.policy.pack import Pack
    from govern.policy.testing import PackTestRun


class Policy(Namespace):
    """Check snapshots against packs; activate a pack; run the packs' own tests."""

    def check(self, actor: PrivateIdentity, snapshot: str, pack: str | None = None) -> Decision:
        """Evaluate the active pack (or the pack named) on a snapshot; the decision is stored and ledgered.

        A failing rule is a decision with `failed` set, not an exception.
        """
        from govern.policy.decisions import check_snapshot

        decision, _row = check_snapshot(self._workspace, actor, snapshot, pack)
        return decision

    def test(self, pack: str | None = None) -> PackTestRun:
        """Run the example cases beside each pack in policies/tests/ (or one pack's)."""
        from govern.policy import run_pack_tests

        return run_pack_tests(self._workspace.root / "policies", pack=pack)

    def list(self) -> list[Pack]:
        """The packs in the workspace's policies/ folder, by name."""
        from govern.policy import list_packs, load_pack

        return [load_pack(path) for path in list_packs(self._workspace.root / "policies")]

    def activate(self, actor: PrivateIdentity, pack: str, reason: str | None = None) -> Activation:
        """Put policies/PACK.yaml in force (officers only); its hash and content are ledgered."""
        from govern.policy.activation import activate_pack

        return activate_pack(self._workspace, actor, pack, reason)

    def active(self) -> Activation | None:
        """The pack in force, who activated it and when; None when none was ever activated."""
        from govern.policy.activation import current_activation

        with self._workspace.catalog.reading() as session:
            return current_activation(session)
