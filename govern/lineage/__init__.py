"""Lineage: what went into an adapter, whose data it holds, and proofs other tools can read.

build_graph(workspace, ref)          the lineage graph of a dataset, snapshot, run or adapter
render_text/mermaid/dot/json(graph)  pictures of it (RENDERERS maps --format to them)
subject_lineage(workspace, id)       every snapshot, run and adapter holding a data subject
run_events / snapshot_events        OpenLineage events of a training run / of the jobs that made a snapshot
lineage_events / export_run          both, for everything a run read (export_run validates and writes them)
attest_run / verify_attestation      in-toto Statement v1 + SLSA provenance, DSSE-signed
"""

from govern.lineage.attest import (
    Attestation,
    attest_run,
    build_statement,
    pae,
    sign_envelope,
)
from govern.lineage.attest_verify import AttestationCheck, verify_attestation
from govern.lineage.graph import Edge, LineageGraph, Node, build_graph
from govern.lineage.openlineage import (
    export_run,
    lineage_events,
    run_events,
    snapshot_events,
    validate_event,
)
from govern.lineage.render import (
    RENDERERS,
    render_dot,
    render_json,
    render_mermaid,
    render_text,
)
from govern.lineage.subject import SubjectLineage, subject_lineage

__all__ = [
    "RENDERERS",
    "Attestation",
    "AttestationCheck",
    "Edge",
    "LineageGraph",
    "Node",
    "SubjectLineage",
    "attest_run",
    "build_graph",
    "build_statement",
    "export_run",
    "lineage_events",
    "pae",
    "render_dot",
    "render_json",
    "render_mermaid",
    "render_text",
    "run_events",
    "sign_envelope",
    "snapshot_events",
    "subject_lineage",
    "validate_event",
    "verify_attestation",
]
