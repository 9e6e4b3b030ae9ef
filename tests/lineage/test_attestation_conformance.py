"""The attestation read by outside tools: in-toto-attestation's Statement and SLSA provenance v1
protos parse and validate it, securesystemslib's DSSE verifies its signature, and the predicate
names each snapshot's approvers (key, role, name, the decision hash they signed, when)."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from govern.lineage import attest_run


@pytest.fixture(scope="module")
def envelope(trained_pipeline, tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    out = tmp_path_factory.mktemp("attest-conformance") / "third.intoto.json"
    attest_run(p.workspace, p.engineer, p.third["run_id"], out)
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def _statement(envelope: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(envelope["payload"]))  # type: ignore[no-any-return]


def test_in_toto_attestation_parses_and_validates_the_statement_and_provenance(envelope) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("in_toto_attestation", reason="needs govern[lineage]")
    from google.protobuf.json_format import ParseDict, ParseError
    from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
    from in_toto_attestation.v1.statement import Statement

    raw = _statement(envelope)
    statement = Statement.copy_from_pb(ParseDict(raw, statement_pb2.Statement()))
    statement.validate()
    # Strict parse: an unknown field anywhere in the predicate fails (SLSA provenance v1's proto).
    provenance = ParseDict(raw["predicate"], provenance_pb2.Provenance())
    assert (
        provenance.build_definition.build_type == raw["predicate"]["buildDefinition"]["buildType"]
    )
    assert provenance.run_details.builder.id == raw["predicate"]["runDetails"]["builder"]["id"]
    assert provenance.run_details.metadata.started_on.seconds > 0
    for dependency in provenance.build_definition.resolved_dependencies:
        ResourceDescriptor.copy_from_pb(dependency).validate()
    with pytest.raises(ParseError):  # the strict parse does catch a misnamed field
        ParseDict({**raw["predicate"], "runDetail": {}}, provenance_pb2.Provenance())


def test_securesystemslib_verifies_the_dsse_signature(trained_pipeline, envelope) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("securesystemslib", reason="needs govern[lineage]")
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError
    from securesystemslib.signer import SSlibKey

    engineer = trained_pipeline.engineer
    key = SSlibKey(engineer.key_id, "ed25519", "ed25519", {"public": engineer.public_key_hex})
    verified = Envelope.from_dict(copy.deepcopy(envelope)).verify([key], 1)
    assert list(verified) == [engineer.key_id]
    altered = dict(
        copy.deepcopy(envelope), payload=base64.b64encode(b'{"_type": "forged"}').decode()
    )
    with pytest.raises(VerificationError):
        Envelope.from_dict(altered).verify([key], 1)  # from_dict rewrites the signatures it reads


def test_the_predicate_names_each_snapshots_approvers(trained_pipeline, envelope) -> None:  # type: ignore[no-untyped-def]
    from govern.catalog.models import Approval, PolicyDecision
    from govern.ledger.authority import Authority

    p = trained_pipeline
    snapshots = {
        d["name"]: d
        for d in _statement(envelope)["predicate"]["buildDefinition"]["resolvedDependencies"]
        if d["name"].startswith("snapshot/")
    }
    assert list(snapshots) == [f"snapshot/{p.narrowed.id}"]
    (approval,) = snapshots[f"snapshot/{p.narrowed.id}"]["annotations"]["approvals"]
    with p.workspace.catalog.reading() as session:
        row = session.get(Approval, approval["approvalId"])
        assert row is not None and row.snapshot_id == p.narrowed.id
        decision = session.get(PolicyDecision, approval["decisionHash"])
        assert decision is not None and decision.snapshot_id == p.narrowed.id
        officer = Authority.of(session).identity(p.officer.key_id)
        assert officer is not None
    assert approval["keyid"] == p.officer.key_id == row.approver_key_id
    assert approval["role"] == "officer" and approval["verdict"] == "approved"
    assert approval["name"] == officer.name and officer.name.strip()
    assert approval["signedAt"] == row.signed_at and approval["packHash"] == row.pack_hash


def test_a_verdict_after_the_run_started_is_not_its_provenance(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    from govern.lineage.approvers import snapshot_approvals
    from govern.training.run_status import get_run

    p = trained_pipeline
    with p.workspace.catalog.reading() as session:
        run = get_run(session, p.first["run_id"])
        before = snapshot_approvals(session, p.derived.id, run.ledger_seq)
        everything = snapshot_approvals(session, p.derived.id, 10**12)
        assert snapshot_approvals(session, p.narrowed.id, run.ledger_seq) == []
    assert [a["verdict"] for a in before] == ["approved"]
    assert everything == before  # no verdict on it came later in this pipeline
