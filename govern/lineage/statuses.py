"""Decision labels in the lineage, in the one status vocabulary (govern.policy.status).

A decision node is first labelled with the status its stored rule results give when it was
checked ("data rules passed · pending approval"). Then the decision in force for each snapshot
(the one the pack in force re-evaluates to, as the datasheet picks it) is relabelled with the
snapshot's status now, with today's verified approvals and rejections: the same words `policy
check`, the datasheet and the console show. Other decisions keep the status they had when
checked, and say so.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from govern.policy.status import status_label

if TYPE_CHECKING:
    from sqlmodel import Session

    from govern.lineage.graph import LineageGraph
    from govern.workspace import Workspace

WHEN_CHECKED = "when checked"


def recorded_status(result_json: str) -> str:
    """The status a stored decision's rule results give, as of when it was checked."""
    try:
        results = json.loads(result_json).get("results", [])
    except (ValueError, AttributeError):
        results = []
    return status_label(results)


def decision_label(pack: str, version: str, status: str, now: bool) -> str:
    """`pack version: status`, marked "(when checked)" unless it is the status now."""
    return f"{pack} {version}: {status}" + ("" if now else f" ({WHEN_CHECKED})")


def label_decisions_now(workspace: Workspace, session: Session, graph: LineageGraph) -> None:
    """Relabel each snapshot's newest decision node with the snapshot's status today."""
    from govern.catalog.models import Snapshot
    from govern.errors import GovernError
    from govern.lineage.graph import Node
    from govern.policy.activation import active_pack_in
    from govern.policy.status import snapshot_status

    try:
        pack: Any = active_pack_in(workspace, session)
    except GovernError:
        return  # no pack in force: every decision keeps its recorded status
    by_snapshot: dict[str, list[Node]] = {}
    for node in graph.of_kind("decision"):
        by_snapshot.setdefault(node.attrs["snapshot_id"], []).append(node)
    for snapshot_id, nodes in by_snapshot.items():
        snapshot = session.get(Snapshot, snapshot_id)
        if snapshot is None:
            continue
        status = snapshot_status(workspace, session, snapshot, pack)
        in_force = status.check.decision.hash if status.check.decision is not None else None
        for node in nodes:
            if node.attrs["id"] != in_force:
                continue
            attrs = {
                **node.attrs,
                "status": status.label,
                "state": status.state,
                "status_now": True,
            }
            label = decision_label(
                node.attrs["pack"], node.attrs["pack_version"], status.label, True
            )
            graph.nodes[node.id] = Node(node.id, node.kind, label, attrs)
