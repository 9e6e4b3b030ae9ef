"""The lineage graph: source files → snapshots → derived snapshots → scans, decisions, approvals →
runs → adapters → runs that continued from them.

Edges point the way data flows. `build_graph(workspace, ref)` resolves REF (a dataset name or id,
a snapshot id or prefix, a run id or prefix, an adapter hash or prefix), builds the workspace's
whole graph from the catalog's small tables (never from the per-record index) and keeps what lies
upstream and downstream of it, with the scans, decisions and approvals of every snapshot kept.
Nodes hold ids, hashes and names only: never record text or subject ids.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from govern.catalog.models import (
    Approval,
    Dataset,
    PolicyDecision,
    RunEvent,
    Scan,
    Snapshot,
    TrainingRun,
)
from govern.errors import BadInput, NotFound
from govern.lineage.statuses import decision_label, label_decisions_now, recorded_status
from govern.policy.status import state_class

if TYPE_CHECKING:
    from govern.workspace import Workspace

KINDS = ("source", "dataset", "snapshot", "scan", "decision", "approval", "run", "adapter")


@dataclass(frozen=True)
class Node:
    """One thing in the lineage: its kind, a stable id (`kind:key`), a short label and facts."""

    id: str
    kind: str
    label: str
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "attrs": self.attrs}


@dataclass(frozen=True)
class Edge:
    """Data (or authority) flowing from `source` to `target`; `relation` says how."""

    source: str
    target: str
    relation: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "relation": self.relation}


@dataclass
class LineageGraph:
    """A directed graph of lineage nodes, with the node(s) it was asked about as `focus`."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)
    _edge_keys: set[Edge] = field(default_factory=set, repr=False)

    def add_node(self, node: Node) -> None:
        self.nodes.setdefault(node.id, node)

    def add_edge(self, source: str, target: str, relation: str) -> None:
        edge = Edge(source, target, relation)
        if edge not in self._edge_keys:
            self._edge_keys.add(edge)
            self.edges.append(edge)

    def parents(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id]

    def children(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == node_id]

    def of_kind(self, kind: str) -> list[Node]:
        """The nodes of one kind, in insertion order."""
        return [n for n in self.nodes.values() if n.kind == kind]

    def roots(self) -> list[str]:
        """Nodes with no incoming edge, in insertion order."""
        targets = {e.target for e in self.edges}
        return [node_id for node_id in self.nodes if node_id not in targets]

    def subgraph(self, keep: set[str]) -> LineageGraph:
        """The nodes in `keep` and the edges between them."""
        sub = LineageGraph(focus=[f for f in self.focus if f in keep])
        for node_id, node in self.nodes.items():
            if node_id in keep:
                sub.nodes[node_id] = node
        for edge in self.edges:
            if edge.source in keep and edge.target in keep:
                sub.add_edge(edge.source, edge.target, edge.relation)
        return sub

    def to_dict(self) -> dict[str, Any]:
        return {
            "focus": list(self.focus),
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
        }


def _closure(start: list[str], step: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(step.get(current, ()))
    return seen


def node_id(kind: str, key: str) -> str:
    """The graph id of a catalog object."""
    return f"{kind}:{key}"


def completed_adapter(event: RunEvent) -> dict[str, Any]:
    """The adapter a `completed` run event records: its hash and file digests."""
    detail = json.loads(event.detail)
    return {"hash": detail.get("adapter_hash"), "files": detail.get("adapter_files") or {}}


def workspace_graph(session: Session) -> LineageGraph:
    """The whole lineage of a catalog, from its small tables."""
    graph = LineageGraph()
    datasets = {d.id: d for d in session.exec(select(Dataset)).all()}
    snapshots = list(session.exec(select(Snapshot).order_by(col(Snapshot.ledger_seq))).all())
    for dataset in datasets.values():
        graph.add_node(
            Node(
                node_id("dataset", dataset.id),
                "dataset",
                dataset.name,
                {
                    "id": dataset.id,
                    "name": dataset.name,
                    "source": dataset.source,
                    "license": dataset.license,
                    "legal_basis": dataset.legal_basis,
                    "jurisdiction": dataset.jurisdiction,
                    "created_at": dataset.created_at,
                },
            )
        )
    for snap in snapshots:
        if snap.parent_id is None and snap.source_sha256:
            source = node_id("source", snap.source_sha256)
            graph.add_node(
                Node(
                    source,
                    "source",
                    snap.source_name or snap.source_sha256[:12],
                    {
                        "name": snap.source_name,
                        "sha256": snap.source_sha256,
                    },
                )
            )
        owner = datasets.get(snap.dataset_id)
        graph.add_node(
            Node(
                node_id("snapshot", snap.id),
                "snapshot",
                f"{snap.id[:12]} ({snap.transform})",
                {
                    "id": snap.id,
                    "dataset": owner.name if owner else snap.dataset_id,
                    "dataset_id": snap.dataset_id,
                    "transform": snap.transform,
                    "transform_hash": snap.transform_hash,
                    "parent_id": snap.parent_id,
                    "records": snap.record_count,
                    "bytes": snap.byte_size,
                    "created_at": snap.created_at,
                },
            )
        )
    for snap in snapshots:
        target = node_id("snapshot", snap.id)
        if snap.parent_id is None:
            graph.add_edge(node_id("dataset", snap.dataset_id), target, "version")
            if snap.source_sha256:
                graph.add_edge(node_id("source", snap.source_sha256), target, "ingested")
        else:
            relation = (
                f"{snap.transform} {snap.transform_hash[:12]}"
                if snap.transform_hash
                else snap.transform
            )
            graph.add_edge(node_id("snapshot", snap.parent_id), target, relation)
    _add_seed_edges(session, graph, snapshots)
    for scan_id, snapshot_id, config_hash, findings, spacy_model, created_at in session.execute(
        sa_select(
            col(Scan.id),
            col(Scan.snapshot_id),
            col(Scan.config_hash),
            col(Scan.findings_count),
            col(Scan.spacy_model),
            col(Scan.created_at),
        ).order_by(col(Scan.ledger_seq))
    ).all():
        graph.add_node(
            Node(
                node_id("scan", scan_id),
                "scan",
                f"{scan_id[:12]}: {findings} findings",
                {
                    "id": scan_id,
                    "snapshot_id": snapshot_id,
                    "config_hash": config_hash,
                    "findings": findings,
                    "spacy_model": spacy_model,
                    "created_at": created_at,
                },
            )
        )
        graph.add_edge(node_id("snapshot", snapshot_id), node_id("scan", scan_id), "scanned")
    for (
        decision_id,
        snapshot_id,
        pack_name,
        pack_version,
        pack_hash,
        passed,
        result,
        created_at,
    ) in session.execute(
        sa_select(
            col(PolicyDecision.id),
            col(PolicyDecision.snapshot_id),
            col(PolicyDecision.pack_name),
            col(PolicyDecision.pack_version),
            col(PolicyDecision.pack_hash),
            col(PolicyDecision.passed),
            col(PolicyDecision.result),
            col(PolicyDecision.created_at),
        ).order_by(col(PolicyDecision.ledger_seq))
    ).all():
        status = recorded_status(result)  # relabelled with today's status by label_decisions_now
        label = decision_label(pack_name, pack_version, status, now=False)
        graph.add_node(
            Node(
                node_id("decision", decision_id),
                "decision",
                label,
                {
                    "id": decision_id,
                    "snapshot_id": snapshot_id,
                    "pack": pack_name,
                    "pack_version": pack_version,
                    "pack_hash": pack_hash,
                    "passed": passed,
                    "status": status,
                    "status_when_checked": status,
                    "state": state_class(status),
                    "status_now": False,
                    "created_at": created_at,
                },
            )
        )
        graph.add_edge(
            node_id("snapshot", snapshot_id), node_id("decision", decision_id), "evaluated"
        )
    approvals_by_snapshot: dict[str, list[str]] = defaultdict(list)
    for approval in session.exec(select(Approval).order_by(col(Approval.ledger_seq))).all():
        graph.add_node(
            Node(
                node_id("approval", approval.id),
                "approval",
                f"{approval.verdict} by {approval.approver_key_id[:12]}",
                {
                    "id": approval.id,
                    "snapshot_id": approval.snapshot_id,
                    "verdict": approval.verdict,
                    "decision_id": approval.decision_id,
                    "approver_key_id": approval.approver_key_id,
                    "signed_at": approval.signed_at,
                },
            )
        )
        graph.add_edge(
            node_id("decision", approval.decision_id),
            node_id("approval", approval.id),
            approval.verdict,
        )
        if approval.verdict == "approved":
            approvals_by_snapshot[approval.snapshot_id].append(approval.id)
    completed: dict[str, RunEvent] = {}
    statuses: dict[str, str] = {}
    for event in session.exec(select(RunEvent).order_by(col(RunEvent.ledger_seq))).all():
        statuses[event.run_id] = {"checkpoint": "running", "resumed": "running"}.get(
            event.kind, event.kind
        )
        if event.kind == "completed":
            completed[event.run_id] = event
    runs = list(session.exec(select(TrainingRun).order_by(col(TrainingRun.ledger_seq))).all())
    for run in runs:
        graph.add_node(
            Node(
                node_id("run", run.id),
                "run",
                f"{run.id} ({run.recipe_name})",
                {
                    "id": run.id,
                    "recipe": run.recipe_name,
                    "recipe_hash": run.recipe_hash,
                    "base_model_hash": run.base_model_hash,
                    "status": statuses.get(run.id, "running"),
                    "dp": run.dp_enabled,
                    "init_run_id": run.init_run_id,
                    "created_at": run.created_at,
                },
            )
        )
        for snapshot_id in json.loads(run.snapshot_ids):
            graph.add_edge(node_id("snapshot", snapshot_id), node_id("run", run.id), "trained on")
            for approval_id in approvals_by_snapshot.get(snapshot_id, ()):
                graph.add_edge(
                    node_id("approval", approval_id), node_id("run", run.id), "authorised"
                )
        done = completed.get(run.id)
        if done is not None:
            adapter = completed_adapter(done)
            if adapter["hash"]:
                graph.add_node(
                    Node(
                        node_id("adapter", adapter["hash"]),
                        "adapter",
                        adapter["hash"][:12],
                        {
                            "hash": adapter["hash"],
                            "run_id": run.id,
                            "files": adapter["files"],
                            "epsilon": done.epsilon,
                        },
                    )
                )
                graph.add_edge(
                    node_id("run", run.id), node_id("adapter", adapter["hash"]), "produced"
                )
    adapter_of = {n.attrs["run_id"]: n.id for n in graph.of_kind("adapter")}
    for run in runs:
        if run.init_run_id:
            origin = adapter_of.get(run.init_run_id, node_id("run", run.init_run_id))
            graph.add_edge(origin, node_id("run", run.id), "continued by")
    from govern.consent.remediation import remediation_states

    for state in remediation_states(session):  # a retrain after an erasure: old run → new run
        successor = state.decision.successor_run_id if state.decision else None
        if successor:
            graph.add_edge(
                node_id("run", state.remediation.run_id),
                node_id("run", successor),
                "retrained without an erased subject as",
            )
    return graph


def _add_seed_edges(session: Session, graph: LineageGraph, snapshots: list[Snapshot]) -> None:
    """Seed snapshot -> each ingested snapshot of a synthetic dataset made from it (issue 15)."""
    from govern.catalog.models import SyntheticSource
    from govern.synthetic.provenance import seed_ids

    for source in session.exec(select(SyntheticSource)).all():
        for snap in snapshots:
            if snap.dataset_id == source.dataset_id and snap.parent_id is None:
                for seed in seed_ids(source):
                    graph.add_edge(
                        node_id("snapshot", seed),
                        node_id("snapshot", snap.id),
                        f"seeded {source.generator}",
                    )


def resolve_ref(session: Session, graph: LineageGraph, ref: str) -> list[str]:
    """The node(s) a user's REF names: dataset name/id, snapshot id/prefix, run id/prefix, adapter hash/prefix."""
    ref = ref.strip()
    if not ref:
        raise BadInput("give a dataset name or id, a snapshot id, a run id or an adapter hash")
    for node in graph.of_kind("dataset"):
        if ref in (node.attrs["name"], node.attrs["id"]):
            return [node.id]
    exact = [
        n.id
        for n in graph.nodes.values()
        if n.kind in ("snapshot", "run", "adapter") and n.id.split(":", 1)[1] == ref
    ]
    if exact:
        return exact[:1]
    if len(ref) < 6:
        raise BadInput(
            f"{ref!r} is too short to name a snapshot, run or adapter: give at least 6 characters"
        )
    lowered = ref.lower()
    matches = [
        n
        for n in graph.nodes.values()
        if n.kind in ("snapshot", "run", "adapter")
        and n.id.split(":", 1)[1].lower().startswith(lowered)
    ]
    if len(matches) > 1:
        kinds = ", ".join(sorted({m.kind for m in matches}))
        raise BadInput(
            f"{ref!r} is ambiguous ({len(matches)} matches among {kinds}); give more characters"
        )
    if not matches:
        raise NotFound(
            f"nothing named {ref!r}: not a dataset, snapshot, run or adapter of this workspace "
            "(`govern dataset list`, `govern snapshot list` and `govern runs list` show them)"
        )
    return [matches[0].id]


def lineage_of(graph: LineageGraph, focus: list[str]) -> LineageGraph:
    """Everything upstream and downstream of `focus`, plus the scans, decisions and approvals of its snapshots."""
    forward: dict[str, list[str]] = defaultdict(list)
    backward: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        forward[edge.source].append(edge.target)
        backward[edge.target].append(edge.source)
    keep = _closure(focus, forward) | _closure(focus, backward)
    for snapshot_id in [k for k in keep if graph.nodes[k].kind == "snapshot"]:
        for child in forward.get(snapshot_id, ()):
            if graph.nodes[child].kind in ("scan", "decision"):
                keep.add(child)
                keep.update(c for c in forward.get(child, ()) if graph.nodes[c].kind == "approval")
    sub = graph.subgraph(keep)
    sub.focus = list(focus)
    return sub


def build_graph(workspace: Workspace, ref: str) -> LineageGraph:
    """The lineage of a dataset, snapshot, run or adapter, from its source files to the runs built on it."""
    with workspace.catalog.reading() as session:
        graph = workspace_graph(session)
        label_decisions_now(workspace, session, graph)
        focus = resolve_ref(session, graph, ref)
    return lineage_of(graph, focus)
