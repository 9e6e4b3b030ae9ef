"""Lineage: what went into an adapter, whose data it holds, and proofs other tools can read.

build_graph(workspace, ref)          the lineage graph of a dataset, snapshot, run or adapter
render_text/mermaid/dot/json(graph)  pictures of it (RENDERERS maps --format to them)
subject_lineage(workspace, id)       every snapshot, run and adapter holding a data subject
run_events / export_run              OpenLineage run events for a training run
attest_run / verify_attestation      in-toto Statement v1 + SLSA provenance, DSSE-signed
"""

from govern.lineage.attest import (
    Attestation,
    AttestationCheck,
    attest_run,
    build_statement,
    pae,
    sign_envelope,
    verify_attestation,
)
from govern.lineage.graph import Edge, LineageGraph, Node, build_graph
from govern.lineage.openlineage import export_run, run_events, validate_event
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
    "pae",
    "render_dot",
    "render_json",
    "render_mermaid",
    "render_text",
    "run_events",
    "sign_envelope",
    "subject_lineage",
    "validate_event",
    "verify_attestation",
]
