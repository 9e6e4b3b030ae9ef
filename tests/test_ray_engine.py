"""Scan and anonymize on a Ray cluster give what a local scan gives, and a dead worker stores nothing.

One local Ray cluster (2 CPUs) serves the module. The Ray tests are skipped, saying why, only
where Ray cannot be imported; the test that the default path never imports Ray always runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from govern.errors import BadInput, WorkerFailure
from govern.ingest.datasets import DatasetSpec, add_dataset
from govern.ingest.snapshots import iter_snapshot_records
from govern.ledger.verify import verify_workspace
from govern.pii.scans import anonymize_snapshot, scan_snapshot
from tests.conftest import _new_key, make_workspace, write_jsonl

PEOPLE = ["Maria Keller", "James Okafor", "Anna Schmidt", "Liam Byrne", "Sofia Rossi"]
RECORDS = [
    {
        "id": f"t{i}",
        "subject": f"c{i % 7}",
        "text": (
            f"Hello, this is {PEOPLE[i % 5]}, email {PEOPLE[i % 5].split()[0].lower()}{i}@example.com."
            if i % 3 == 0
            else f"Call {PEOPLE[i % 5]} on +1 415 555 {1000 + i} about order {i}."
            if i % 3 == 1
            else f"Ticket {i}: how do I reset my password?"
        ),
    }
    for i in range(48)
]
SPEC = DatasetSpec(
    name="tickets",
    source="helpdesk",
    license="CC-BY-4.0",
    legal_basis="consent",
    subject_field="subject",
    text_fields=("text",),
    id_field="id",
)
KEY = b"0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def ray_cluster():  # type: ignore[no-untyped-def]
    """A local Ray cluster for the module (2 CPUs, no dashboard), shut down after."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'govern[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")
    yield ray
    ray.shutdown()


def _setup(root: Path, source: Path, database_url: str | None = None):  # type: ignore[no-untyped-def]
    """A workspace scanning in blocks of 8 texts (6 blocks) in one local process, with a known
    pseudonym key."""
    workspace = make_workspace(root, database_url).workspace
    config = workspace.root / "govern.toml"
    config.write_text(
        config.read_text().replace(
            "score_threshold = 0.35", "score_threshold = 0.35\nbatch_size = 8\nprocesses = 1"
        )
    )
    from govern.workspace import Workspace, write_private_file

    workspace.catalog.dispose()
    workspace = Workspace.open(root)
    write_private_file(workspace.state_dir / "secrets" / "pseudonym.key", KEY)
    engineer = _new_key(workspace, "engineer", "erin")
    snapshot = add_dataset(workspace, engineer, SPEC, source).snapshot
    return workspace, engineer, snapshot


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("src") / "t.jsonl", RECORDS)


@pytest.fixture(scope="module")
def local_result(tmp_path_factory, source):  # type: ignore[no-untyped-def]
    """A local scan and a local pseudonym anonymization of the snapshot, for comparison."""
    workspace, engineer, snapshot = _setup(tmp_path_factory.mktemp("local") / "ws", source)
    operators = workspace.root / "ops.yaml"
    operators.write_text("PERSON: {type: pseudonym}\nDEFAULT: {type: replace}\n")
    scan, _ = scan_snapshot(workspace, engineer, snapshot.id, processes=1)
    anonymized = anonymize_snapshot(workspace, engineer, snapshot.id, operators)
    rows = _finding_rows(workspace, scan.id)
    texts = [r["text"] for _, r in iter_snapshot_records(workspace, anonymized.derived.snapshot.id)]
    workspace.catalog.dispose()
    return scan, rows, anonymized, texts


def _finding_rows(workspace, scan_id: str) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    with workspace.catalog.reading() as session:
        return [
            tuple(row)
            for row in session.execute(
                text(
                    'SELECT position, record_key, field, start, "end", entity_type, score, recognizer '
                    "FROM scan_findings WHERE scan_id = :s ORDER BY seq"
                ),
                {"s": scan_id},
            )
        ]


def _count(workspace, table: str) -> int:  # type: ignore[no-untyped-def]
    with workspace.catalog.reading() as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_the_default_path_never_imports_ray(tmp_path: Path) -> None:
    script = f"""
import sys
import govern, govern.cli
from govern.cli import main
from tests.conftest import make_workspace, _new_key, write_jsonl
from tests.test_ray_engine import SPEC, RECORDS
from govern.ingest.datasets import add_dataset
from govern.pii.scans import scan_snapshot
ws = make_workspace(__import__("pathlib").Path({str(tmp_path / "ws")!r})).workspace
erin = _new_key(ws, "engineer", "erin")
snap = add_dataset(ws, erin, SPEC, write_jsonl(ws.root / "t.jsonl", RECORDS[:3])).snapshot
scan, _ = scan_snapshot(ws, erin, snap.id, processes=1)
assert scan.findings_count > 0
print(sorted(m for m in sys.modules if m == "ray" or m.startswith("ray.")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_a_local_cluster_started_for_a_scan_leaves_no_session_files_behind(tmp_path: Path) -> None:
    """Without --address govern starts its own cluster; Ray's session folder (logs, sockets) is a
    private temporary one, removed after, and nothing lands in /tmp/ray or ~/.ray."""
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'govern[ray]')")
    script = f"""
import ray
from pathlib import Path
from tests.conftest import make_workspace, _new_key, write_jsonl
from tests.test_ray_engine import SPEC, RECORDS
from govern.ingest.datasets import add_dataset
from govern.pii.ray_engine import RayOptions
from govern.pii.scans import scan_snapshot
sessions = []
shutdown = ray.shutdown
def recording_shutdown(*args, **kwargs):
    if ray.is_initialized():
        sessions.append(ray._private.worker._global_node.get_session_dir_path())
    return shutdown(*args, **kwargs)
ray.shutdown = recording_shutdown
ws = make_workspace(Path({str(tmp_path / "ws")!r})).workspace
erin = _new_key(ws, "engineer", "erin")
snap = add_dataset(ws, erin, SPEC, write_jsonl(ws.root / "t.jsonl", RECORDS[:6])).snapshot
scan, _ = scan_snapshot(ws, erin, snap.id, processes=1, ray=RayOptions(workers=1))
assert scan.findings_count > 0
print(sessions[0])
"""
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "HOME": str(home)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    session = Path(done.stdout.strip().splitlines()[-1])
    assert session.parent.name.startswith("govern-ray-"), f"Ray's session was {session}"
    assert not session.parent.exists(), f"{session.parent} was left behind"
    assert not (home / ".ray").exists(), "Ray wrote into the user's home (~/.ray)"


@pytest.mark.slow
@pytest.mark.postgres
def test_ray_scan_and_anonymize_on_postgresql_store_what_local_ones_store(
    ray_cluster, tmp_path, source, local_result, postgres_schema_url
) -> None:  # type: ignore[no-untyped-def]
    from govern.pii.ray_engine import RayOptions

    local_scan, local_rows, local_anonymized, local_texts = local_result
    workspace, engineer, snapshot = _setup(tmp_path / "ws", source, postgres_schema_url)
    ray = RayOptions(workers=2)
    scan, created = scan_snapshot(workspace, engineer, snapshot.id, ray=ray)
    assert created and scan.config_hash == local_scan.config_hash
    assert scan.findings_hash == local_scan.findings_hash and scan.findings_count > 20
    assert _finding_rows(workspace, scan.id) == local_rows
    assert scan.summary == local_scan.summary
    engine = json.loads(scan.config)["engine"]
    assert engine == {"name": "ray", "workers": 2, "ray_version": ray_cluster.__version__}
    assert "engine" not in json.loads(local_scan.config)

    operators = workspace.root / "ops.yaml"
    operators.write_text("PERSON: {type: pseudonym}\nDEFAULT: {type: replace}\n")
    # One anonymize and one residual-scan actor: the source scan above is reused, not redone.
    anonymized = anonymize_snapshot(
        workspace, engineer, snapshot.id, operators, ray=RayOptions(workers=1)
    )
    derived = anonymized.derived.snapshot
    assert derived.record_count == local_anonymized.derived.snapshot.record_count
    texts = [r["text"] for _, r in iter_snapshot_records(workspace, derived.id)]
    assert texts == local_texts and any("<PERSON_" in t for t in texts)
    assert anonymized.residual_scan.findings_hash == local_anonymized.residual_scan.findings_hash
    assert verify_workspace(workspace).ok
    workspace.catalog.dispose()


@pytest.mark.slow
def test_a_worker_killed_mid_scan_leaves_nothing_stored(
    ray_cluster, tmp_path, source, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from govern.cli import cli
    from govern.pii.ray_engine import EXIT_HOOK

    workspace, _engineer, snapshot = _setup(tmp_path / "ws", source)
    before = {t: _count(workspace, t) for t in ("scans", "scan_findings", "ledger_entries")}
    monkeypatch.setenv(EXIT_HOOK, "2")
    result = CliRunner().invoke(
        cli,
        ["scan", snapshot.id, "--engine", "ray", "--workers", "2", "--retries", "0"]
        + ["--workspace", str(workspace.root), "--key", str(workspace.root / "erin.key")],
    )
    assert result.exit_code == WorkerFailure.exit_code, result.output
    assert re.search(
        r"died while scanning block \d+ .*retries: 0.*nothing was stored", result.output
    )
    assert {t: _count(workspace, t) for t in before} == before
    assert not list(workspace.tmp_dir.glob("scan-*"))
    assert verify_workspace(workspace).ok
    workspace.catalog.dispose()


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_the_scan_is_still_the_local_one(
    ray_cluster, tmp_path, source, local_result, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from govern.catalog.models import Scan
    from govern.cli import cli
    from govern.pii.ray_engine import EXIT_HOOK

    workspace, _engineer, snapshot = _setup(tmp_path / "ws", source)
    monkeypatch.setenv(EXIT_HOOK, "2")
    result = CliRunner().invoke(
        cli,
        ["scan", snapshot.id, "--engine", "ray", "--workers", "1", "--retries", "1", "--json"]
        + ["--workspace", str(workspace.root), "--key", str(workspace.root / "erin.key")],
    )
    assert result.exit_code == 0, result.output
    # Ray's own notices (the retried task) may share the output; the JSON document is the last one.
    data = json.loads(
        result.stdout[result.stdout.index("\n{") + 1 :]
        if not result.stdout.startswith("{")
        else result.stdout
    )
    assert data["engine"] == {"name": "ray", "workers": 1, "ray_version": ray_cluster.__version__}
    with workspace.catalog.reading() as session:
        scan = session.get(Scan, data["scan"])
        assert scan is not None and scan.findings_hash == local_result[0].findings_hash
    workspace.catalog.dispose()


def test_a_worker_whose_config_hashes_differently_refuses_to_scan(ray_cluster) -> None:  # type: ignore[no-untyped-def]
    from govern.pii.ray_engine import RayOptions, RayScanner, ScannerConfig

    config = ScannerConfig()
    # The driver believes in another hash; each worker recomputes it from the config's content.
    object.__setattr__(config, "_config_hash", "f" * 64)
    with RayScanner(config, RayOptions(workers=2)) as scanner:
        records = iter([(0, {"text": "Call Maria Keller."})])
        with pytest.raises(BadInput, match="another scanner setup than the driver.*config_hash"):
            next(scanner.scan_records(records, ["text"]))


def test_a_worker_running_other_scanner_code_refuses_to_scan(ray_cluster, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Same configuration, other govern code (a node not upgraded, or files replaced under a running
    driver): the config hash agrees, the digest of the scanner's code does not."""
    from govern.pii import code_digest
    from govern.pii.ray_engine import RayOptions, RayScanner, ScannerConfig

    monkeypatch.setattr(code_digest, "SCANNER_CODE", "0" * 64)  # the driver's code, as it sees it
    with RayScanner(ScannerConfig(), RayOptions(workers=1)) as scanner:
        records = iter([(0, {"text": "Call Maria Keller."})])
        with pytest.raises(BadInput, match="another scanner setup than the driver.*scanner_code"):
            next(scanner.scan_records(records, ["text"]))


def test_the_scanner_code_digest_follows_every_file_of_the_package(tmp_path: Path) -> None:
    import shutil

    from govern.pii import code_digest

    copy = tmp_path / "pii"
    shutil.copytree(code_digest.PII_PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert code_digest.digest_of(copy) == code_digest.SCANNER_CODE
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert code_digest.digest_of(copy) == code_digest.SCANNER_CODE  # caches do not count
    recognizer = next(copy.glob("recognizers/*.py"))
    recognizer.write_text(recognizer.read_text() + "\n# changed\n")
    assert code_digest.digest_of(copy) != code_digest.SCANNER_CODE


def test_the_ray_engine_without_ray_says_how_to_install_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from govern.pii import ray_engine

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(BadInput, match=r"pip install \"govern\[ray\]\""):
        ray_engine.RayScanner(ray_engine.ScannerConfig(), ray_engine.RayOptions())
