"""An ingest that is stopped (SIGTERM), killed (SIGKILL), refused or out of disk leaves no copy of
raw data behind: clean-up runs on SIGTERM, a sweep at start-up removes what a dead process left,
and `audit verify` names anything in the object store that no snapshot accounts for."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern import tmpfiles
from govern.cli import cli
from govern.ingest.snapshots import store_of
from govern.ledger.verify import verify_workspace
from tests.conftest import SAMPLE_RECORDS, _new_key, make_workspace, write_jsonl

ADD = [
    "--source",
    "s",
    "--license",
    "MIT",
    "--legal-basis",
    "consent",
    "--subject-field",
    "subject",
    "--text-field",
    "text",
    "--id-field",
    "id",
]
CLI = [sys.executable, "-c", "import sys; from govern.cli import main; main(sys.argv[1:])"]


def _state(workspace) -> tuple[list[str], list[str], int]:  # type: ignore[no-untyped-def]
    from govern import ledger

    with workspace.catalog.reading() as session:
        head = ledger.head(session).seq  # type: ignore[union-attr]
    objects = sorted(
        str(p.relative_to(workspace.objects_dir)) for p in workspace.objects_dir.rglob("*")
    )
    return sorted(p.name for p in workspace.tmp_dir.iterdir()), objects, head


def _big_file(path: Path, records: int) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(records):
            out.write(
                json.dumps(
                    {"id": f"r{i}", "subject": f"s{i % 97}", "text": f"record {i} " + "x" * 60}
                )
                + "\n"
            )
    return path


def _env(workspace) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        **os.environ,
        "GOVERN_WORKSPACE": str(workspace.root),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


def _engineer_key(workspace) -> str:  # type: ignore[no-untyped-def]
    path = workspace.root / "erin.key"
    if not path.exists():
        _new_key(workspace, "engineer", "erin")
    return str(path)


def _start_ingest(workspace, source: Path, **popen) -> subprocess.Popen:  # type: ignore[no-untyped-def, type-arg]
    key = _engineer_key(workspace)
    return subprocess.Popen(
        [*CLI, "dataset", "add", "big", str(source), *ADD, "--key", key],
        env=_env(workspace),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def _wait_for_staging(workspace, process: subprocess.Popen) -> Path:  # type: ignore[no-untyped-def, type-arg]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        for stage in workspace.tmp_dir.glob("stage-*"):
            records = stage / "content" / "records.jsonl"
            if records.is_file() and records.stat().st_size > 100_000:
                return stage
        time.sleep(0.02)
    pytest.fail(
        f"the ingest never staged anything (exit {process.poll()}): {process.stdout.read() if process.stdout else ''}"
    )


def test_sigterm_during_dataset_add_removes_the_staging_copy(
    sqlite_workspace, tmp_path: Path
) -> None:
    _engineer_key(sqlite_workspace)
    before = _state(sqlite_workspace)
    process = _start_ingest(sqlite_workspace, _big_file(tmp_path / "big.jsonl", 300_000))
    _wait_for_staging(sqlite_workspace, process)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, output
    assert "Traceback" not in output
    assert _state(sqlite_workspace) == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_to_a_parallel_ingest_leaves_nothing_and_no_worker(
    sqlite_workspace, tmp_path: Path, signum: int
) -> None:
    """The signal reaches the whole process group, as Ctrl-C in a terminal does: the workers
    ignore SIGINT (or die of SIGTERM), the parent unwinds through its clean-up, and no process
    of the group outlives it."""
    key = _engineer_key(sqlite_workspace)
    before = _state(sqlite_workspace)
    source = _big_file(tmp_path / "big.jsonl", 300_000)
    process = subprocess.Popen(
        [*CLI, "dataset", "add", "big", str(source), *ADD, "--key", key, "--processes", "2"],
        env=_env(sqlite_workspace),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    _wait_for_staging(sqlite_workspace, process)
    os.killpg(process.pid, signum)
    output, _ = process.communicate(timeout=120)
    assert process.returncode != 0 and "Traceback" not in output, output
    deadline = time.monotonic() + 30
    while True:  # every process of the group is gone (killpg(.., 0) finds none)
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "a worker process outlived the ingest"
        time.sleep(0.1)
    assert _state(sqlite_workspace) == before


def test_a_sweep_at_start_up_removes_what_a_killed_ingest_left(
    sqlite_workspace, tmp_path: Path
) -> None:
    from govern.workspace import Workspace

    process = _start_ingest(sqlite_workspace, _big_file(tmp_path / "big.jsonl", 300_000))
    stage = _wait_for_staging(sqlite_workspace, process)
    process.kill()
    process.wait(timeout=60)
    assert stage.exists(), "SIGKILL runs no clean-up: the staging copy is still there"
    Workspace(sqlite_workspace.root)
    assert not stage.exists()
    assert verify_workspace(sqlite_workspace).ok


def test_the_sweep_keeps_live_owners_other_hosts_and_young_unnamed_files(tmp_path: Path) -> None:
    mine = tmpfiles.owned_path(tmp_path, "stage")
    mine.mkdir()
    other_host = tmp_path / f"stage-00000000-1-1-{'a' * 12}"
    other_host.mkdir()
    dead = tmp_path / mine.name.replace(f"-{os.getpid()}-", "-999999999-")
    dead.mkdir()
    (dead / "records.jsonl").write_text("raw\n")
    young, old = tmp_path / "leftover", tmp_path / "ancient"
    young.write_text("x")
    old.write_text("x")
    os.utime(old, (time.time() - 2 * tmpfiles.UNOWNED_MAX_AGE_S,) * 2)
    assert sorted(p.name for p in tmpfiles.sweep(tmp_path)) == sorted([dead.name, old.name])
    assert mine.exists() and other_host.exists() and young.exists()


def test_a_reused_pid_does_not_keep_a_dead_owners_files(tmp_path: Path) -> None:
    start = tmpfiles.process_start(os.getpid())
    if start is None:
        pytest.skip("process start times need /proc")
    mine = tmpfiles.owned_path(tmp_path, "scan", ".jsonl")
    earlier = tmp_path / mine.name.replace(
        f"-{os.getpid()}-{start}-", f"-{os.getpid()}-{start - 1}-"
    )
    earlier.write_text("spool")
    assert tmpfiles.sweep(tmp_path) == [earlier]


def test_a_killed_ray_scans_spill_folder_is_swept(tmp_path: Path) -> None:
    """Kinds with a hyphen (ray-spill) carry their owner too: a dead owner's folder is removed."""
    start = tmpfiles.process_start(os.getpid())
    if start is None:
        pytest.skip("process start times need /proc")
    mine = tmpfiles.owned_path(tmp_path, "ray-spill")
    dead = tmp_path / mine.name.replace(f"-{os.getpid()}-{start}-", f"-{os.getpid()}-{start - 1}-")
    mine.mkdir()
    dead.mkdir()
    (dead / "object").write_bytes(b"spilled")
    assert tmpfiles.sweep(tmp_path) == [dead] and mine.exists()


def test_a_killed_scans_ray_session_folder_is_removed_by_the_next_local_cluster(
    tmp_path: Path,
) -> None:
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'govern[ray]')")
    from govern.pii.ray_engine import sweep_session_roots

    start = tmpfiles.process_start(os.getpid())
    if start is None:
        pytest.skip("process start times need /proc")
    live = tmp_path / f"govern-ray-{os.getpid()}-{start}-a1b2c3"
    dead = tmp_path / f"govern-ray-{os.getpid()}-{start - 1}-d4e5f6"
    other = tmp_path / "govern-ray-notours"
    for folder in (live, dead, other):
        (folder / "session_latest" / "logs").mkdir(parents=True)
    assert sweep_session_roots(tmp_path) == [dead]
    assert live.exists() and other.exists() and not dead.exists()


def test_a_rejected_duplicate_id_leaves_no_object_folder(sqlite_workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "dup.jsonl", [SAMPLE_RECORDS[0], SAMPLE_RECORDS[0]])
    key = _engineer_key(sqlite_workspace)
    before = _state(sqlite_workspace)
    result = CliRunner().invoke(
        cli,
        [
            "dataset",
            "add",
            "d",
            str(path),
            *ADD,
            "--workspace",
            str(sqlite_workspace.root),
            "--key",
            key,
        ],
    )
    assert result.exit_code == 2 and "line 2: duplicate id" in result.output
    assert _state(sqlite_workspace) == before
    assert not any(store_of(sqlite_workspace).root.glob("*"))


def test_verify_reports_a_stray_object_folder(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    stray = store_of(sqlite_workspace).path("ab" + "0" * 62)
    stray.mkdir(parents=True)
    (stray / "records.jsonl").write_text('{"subject": "cust-1"}\n')
    result = CliRunner().invoke(cli, ["audit", "verify", "--workspace", str(sqlite_workspace.root)])
    assert (
        result.exit_code == 3
        and f"stray object .govern/objects/snapshots/ab/{stray.name}" in result.output
    )


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))


def test_a_full_disk_during_ingest_is_a_clean_error_and_leaves_nothing(
    sqlite_workspace, tmp_path: Path
) -> None:
    _engineer_key(sqlite_workspace)
    before = _state(sqlite_workspace)
    process = _start_ingest(
        sqlite_workspace, _big_file(tmp_path / "big.jsonl", 60_000), preexec_fn=_limit_file_size
    )
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 2, output
    assert "Traceback" not in output and "disk is full" in output and "big.jsonl" in output
    assert _state(sqlite_workspace) == before


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 3 MiB tmpfs (root only); skipped where it cannot be mounted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("mounting a small tmpfs needs root and mount permission")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_real_full_disk_during_ingest_is_a_clean_error(small_disk: Path, tmp_path: Path) -> None:
    workspace = make_workspace(small_disk / "ws").workspace
    _engineer_key(workspace)
    before = _state(workspace)
    process = _start_ingest(workspace, _big_file(tmp_path / "big.jsonl", 60_000))
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 2, output
    assert "Traceback" not in output and "disk is full" in output
    assert _state(workspace) == before
    workspace.catalog.dispose()


@pytest.mark.slow
def test_sigterm_during_a_scan_removes_its_spool(sqlite_workspace, tmp_path: Path) -> None:
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.ledger.keys import load_identity

    engineer = load_identity(_engineer_key(sqlite_workspace))
    spec = DatasetSpec(
        name="tickets",
        source="s",
        license="MIT",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )
    records = [
        {
            "id": f"t{i}",
            "subject": f"s{i}",
            "text": f"Call Anna Berg on +44 20 7946 {i:04d} or anna{i}@example.org.",
        }
        for i in range(20_000)
    ]
    snapshot = add_dataset(
        sqlite_workspace, engineer, spec, write_jsonl(tmp_path / "t.jsonl", records)
    ).snapshot
    before = _state(sqlite_workspace)
    process = subprocess.Popen(
        [*CLI, "scan", snapshot.id, "--key", _engineer_key(sqlite_workspace)],
        env=_env(sqlite_workspace),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        spools = list(sqlite_workspace.tmp_dir.glob("scan-*.jsonl"))
        if spools and spools[0].stat().st_size > 10_000:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the scan never spooled findings (exit {process.poll()})")
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, output
    assert "Traceback" not in output
    assert _state(sqlite_workspace) == before
