"""`ws.lineage`: where data went, a subject's footprint, OpenLineage export, in-toto attestations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.ledger.keys import PrivateIdentity
    from govern.lineage.attest import Attestation
    from govern.lineage.attest_verify import AttestationCheck
    from govern.lineage.graph import LineageGraph
    from govern.lineage.subject import SubjectLineage


class Lineage(Namespace):
    """Trace data from source files to adapters, and attest what a run produced."""

    def show(self, ref: str) -> LineageGraph:
        """The lineage graph of a dataset, snapshot, run or adapter (render with govern.lineage.RENDERERS)."""
        from govern.lineage import build_graph

        return build_graph(self._workspace, ref)

    def subject(self, subject_id: str) -> SubjectLineage:
        """Every snapshot, run and adapter whose data included a subject (the id is hashed, never stored)."""
        from govern.lineage import subject_lineage

        return subject_lineage(self._workspace, subject_id)

    def export(self, run_id: str, out: Path | str) -> list[dict[str, Any]]:
        """Write a run's lineage to `out` as OpenLineage run events (JSON Lines); returns the events."""
        from govern.lineage import export_run

        return export_run(self._workspace, run_id, Path(out))

    def attest(self, actor: PrivateIdentity, run_id: str, out: Path | str) -> Attestation:
        """Sign an in-toto/SLSA attestation (DSSE) of a completed run's adapter, write and ledger it."""
        from govern.lineage import attest_run

        return attest_run(self._workspace, actor, run_id, Path(out))

    def verify_attestation(
        self, path: Path | str, public_keys: dict[str, str] | None = None
    ) -> AttestationCheck:
        """Check an attestation: signature, statement, adapter files on disk and the ledger record."""
        from govern.lineage import verify_attestation

        return verify_attestation(Path(path), self._workspace, public_keys)
