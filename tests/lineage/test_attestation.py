"""Attestations: an in-toto Statement v1 with a SLSA provenance predicate, DSSE-signed, ledgered;
`verify` accepts the real thing and names what is wrong with a tampered adapter file, an altered
envelope or a key the workspace never registered (exit 3 from the CLI)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern import ledger
from govern.cli import cli
from govern.errors import Refused
from govern.ledger.keys import generate_identity, verify_signature
from govern.lineage import attest_run, pae, sign_envelope, verify_attestation
from govern.lineage.attest import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    envelope_hash,
)
from govern.lineage.uris import BUILD_TYPE, BUILDER_ID, PRODUCER, PROJECT_URI


@pytest.fixture(scope="module")
def attestation(trained_pipeline, tmp_path_factory):  # type: ignore[no-untyped-def]
    p = trained_pipeline
    return attest_run(
        p.workspace,
        p.engineer,
        p.second["run_id"],
        tmp_path_factory.mktemp("attest") / "second.intoto.json",
    )


def _verify_cli(workspace, path: Path) -> object:  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, ["attest", "verify", str(path), "--workspace", str(workspace.root)]
    )


def test_pae_matches_the_dsse_spec_vector() -> None:
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_the_statement_names_the_adapter_files_and_their_provenance(
    trained_pipeline, attestation
) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    envelope = json.loads(attestation.path.read_text())
    assert envelope["payloadType"] == PAYLOAD_TYPE
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["_type"] == STATEMENT_TYPE and statement["predicateType"] == PREDICATE_TYPE
    assert {s["name"]: s["digest"]["sha256"] for s in statement["subject"]} == {
        f"adapter/{name}": digest for name, digest in p.second["adapter_files"].items()
    }
    definition = statement["predicate"]["buildDefinition"]
    assert definition["externalParameters"]["recipe"]["digest"]["sha256"] == p.second["recipe_hash"]
    assert definition["externalParameters"]["dp"]["noiseMultiplier"] == pytest.approx(
        p.second["noise_multiplier"]
    )
    materials = {d["name"]: d["digest"]["sha256"] for d in definition["resolvedDependencies"]}
    assert materials == {
        f"snapshot/{p.derived.id}": p.derived.id,
        "base-model": p.second["base_model_hash"],
        f"adapter/{p.first['adapter_hash']}": p.first["adapter_hash"],
    }
    details = statement["predicate"]["runDetails"]
    assert (
        details["builder"]["id"] == BUILDER_ID == PRODUCER
        and details["metadata"]["invocationId"] == p.second["run_id"]
    )
    assert definition["buildType"] == BUILD_TYPE and BUILD_TYPE.startswith(PROJECT_URI)
    assert "govern.dev" not in json.dumps(statement)
    (signature,) = envelope["signatures"]
    assert signature["keyid"] == p.engineer.key_id
    message = pae(PAYLOAD_TYPE, base64.b64decode(envelope["payload"]))
    assert verify_signature(
        p.engineer.public_key_hex, message, base64.b64decode(signature["sig"]).hex()
    )


def test_the_attestation_is_ledgered_with_its_envelope_hash(trained_pipeline, attestation) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    with p.workspace.catalog.reading() as session:
        entries = [e for e in ledger.iter_entries(session) if e.event == "run.attested"]
    payloads = [json.loads(e.payload) for e in entries]
    assert any(
        x["envelope_sha256"] == envelope_hash(json.loads(attestation.path.read_text()))
        and x["run_id"] == p.second["run_id"]
        for x in payloads
    )


def test_a_genuine_attestation_verifies(trained_pipeline, attestation) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    check = verify_attestation(attestation.path, p.workspace)
    assert check.ok, check.problems
    assert check.run_id == p.second["run_id"] and len(check.checked) == 5
    result = _verify_cli(p.workspace, attestation.path)
    assert result.exit_code == 0 and result.output.startswith("OK:")


def test_offline_verification_with_the_public_key(trained_pipeline, attestation) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    check = verify_attestation(
        attestation.path, None, {p.engineer.key_id: p.engineer.public_key_hex}
    )
    assert check.ok and check.checked == [f"DSSE signature by registered key {p.engineer.key_id}"]


def test_a_tampered_adapter_file_fails_and_is_named(trained_pipeline, attestation) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    path = Path(p.second["adapter_dir"]) / "adapter_config.json"
    original, mode = path.read_bytes(), path.stat().st_mode
    path.chmod(0o644)
    try:
        path.write_bytes(
            original.replace(b'"r": 4', b'"r": 8') if b'"r": 4' in original else original + b" "
        )
        result = _verify_cli(p.workspace, attestation.path)
        assert result.exit_code == 3
        assert "adapter file adapter/adapter_config.json on disk does not match" in result.output
    finally:
        path.write_bytes(original)
        path.chmod(mode)
    assert verify_attestation(attestation.path, p.workspace).ok


def test_an_altered_envelope_fails_its_signature(trained_pipeline, attestation, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    envelope = json.loads(attestation.path.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["buildDefinition"]["externalParameters"]["dp"]["noiseMultiplier"] = 10.0
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(envelope))
    result = _verify_cli(p.workspace, altered)
    assert result.exit_code == 3
    assert (
        f"signature 0 by key {p.engineer.key_id} does not verify: the envelope was altered"
        in result.output
    )
    assert "not recorded in the ledger" in result.output


def test_a_changed_payload_type_fails_the_signature(
    trained_pipeline, attestation, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    envelope = json.loads(attestation.path.read_text())
    envelope["payloadType"] = "application/json"
    altered = tmp_path / "retyped.json"
    altered.write_text(json.dumps(envelope))
    problems = verify_attestation(altered, p.workspace).problems
    assert any("payloadType" in x for x in problems) and any(
        "does not verify" in x for x in problems
    )


def test_an_unregistered_key_fails_and_is_named(trained_pipeline, attestation, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    stranger = generate_identity()
    statement = json.loads(base64.b64decode(json.loads(attestation.path.read_text())["payload"]))
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(sign_envelope(statement, stranger)))
    result = _verify_cli(p.workspace, forged)
    assert result.exit_code == 3
    assert (
        f"signature 0 is by key {stranger.key_id}, which is not a registered key of this workspace"
        in result.output
    )


def test_attesting_needs_a_registered_key_that_may_sign_for_the_run(
    trained_pipeline, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import _new_key

    p = trained_pipeline
    with pytest.raises(Refused, match="not registered"):
        attest_run(p.workspace, generate_identity(), p.first["run_id"], tmp_path / "x.json")
    auditor = _new_key(p.workspace, "auditor", f"ann-{tmp_path.name[-6:]}")
    with pytest.raises(Refused, match="needs the role engineer or officer"):
        attest_run(p.workspace, auditor, p.first["run_id"], tmp_path / "y.json")
    other_engineer = _new_key(p.workspace, "engineer", f"eli-{tmp_path.name[-6:]}")
    with pytest.raises(Refused, match="did not run"):
        attest_run(p.workspace, other_engineer, p.first["run_id"], tmp_path / "y.json")
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "y.json").exists()
    officer_made = attest_run(p.workspace, p.officer, p.first["run_id"], tmp_path / "z.json")
    assert verify_attestation(officer_made.path, p.workspace).ok


def test_a_tampered_adapter_is_never_attested(trained_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from govern.errors import IntegrityFailure

    p = trained_pipeline
    path = Path(p.third["adapter_dir"]) / "README.md"
    original, mode = path.read_bytes(), path.stat().st_mode
    path.chmod(0o644)
    try:
        path.write_bytes(original + b"\nedited")
        with pytest.raises(IntegrityFailure, match="adapter/README.md on disk does not match"):
            attest_run(p.workspace, p.engineer, p.third["run_id"], tmp_path / "t.json")
        assert not (tmp_path / "t.json").exists()
    finally:
        path.write_bytes(original)
        path.chmod(mode)
