"""Scan throughput of the local engine and of Ray on 1 and 2 workers, same snapshot, same findings.

Records are the generated PII sets (benchmarks/pii_data, 3,000 texts with names, numbers and
addresses) repeated to --records, each with its own id. Each engine scans the same file in its
own fresh workspace (registering is not timed); the time is the whole `scan_snapshot` call:
actor start-up and model load on every worker, scanning, and storing the findings. The
findings digest of every run is printed and must be the same. Ray runs on a local cluster of
--cpus CPUs started here.

    python benchmarks/scan_scale.py                    # 200,000 records
    python benchmarks/scan_scale.py --records 4000     # a quick run
    python benchmarks/scan_scale.py --engines local    # one engine again
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SETS = [
    ROOT / "benchmarks" / "pii_data" / "tune.jsonl",
    ROOT / "benchmarks" / "pii_data" / "heldout.jsonl",
]


def make_file(path: Path, count: int) -> None:
    texts = [json.loads(line)["text"] for name in SETS for line in name.open(encoding="utf-8")]
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            record = {"id": f"r-{n}", "subject": f"s-{n % 5000}", "text": texts[n % len(texts)]}
            handle.write(json.dumps(record) + "\n")


def engineer_workspace(root: Path):  # type: ignore[no-untyped-def]
    """A new workspace at `root` with an engineer's key (root/erin.key): (workspace, engineer)."""
    from govern.ledger.identities import create_identity
    from govern.ledger.keys import load_identity
    from govern.workspace import Workspace

    workspace = Workspace.init(root).workspace
    admin = load_identity(workspace.keys_dir / "admin.key")
    create_identity(workspace, admin, "erin", "engineer", root / "erin.key")
    return workspace, load_identity(root / "erin.key")


def bench_spec():  # type: ignore[no-untyped-def]
    """The dataset the generated file registers as."""
    from govern.ingest.datasets import DatasetSpec

    return DatasetSpec(
        name="bench",
        source="generated",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )


def fresh(root: Path, source: Path):  # type: ignore[no-untyped-def]
    from govern.ingest.datasets import add_dataset

    workspace, engineer = engineer_workspace(root)
    return workspace, engineer, add_dataset(workspace, engineer, bench_spec(), source).snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    parser.add_argument("--processes", type=int, default=2, help="local engine's processes")
    parser.add_argument(
        "--engines", default="local,ray1,ray2", help="which runs, in order (local, ray1, ray2)"
    )
    args = parser.parse_args()
    wanted = args.engines.split(",")

    import ray

    from govern.pii.ray_engine import RayOptions
    from govern.pii.scans import scan_snapshot

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "records.jsonl"
        make_file(source, args.records)
        ray.init(num_cpus=args.cpus, include_dashboard=False, _node_ip_address="127.0.0.1")
        every = {"local": ("local", f"{args.processes} processes", None)} | {
            f"ray{n}": ("ray", f"{n} worker{'s' if n > 1 else ''}", RayOptions(workers=n))
            for n in (1, 2)
            if n <= args.cpus
        }
        runs = [every[name] for name in wanted if name in every]
        rows = []
        for engine, width, options in runs:
            workspace, engineer, snapshot = fresh(Path(tmp) / f"ws-{engine}-{width[0]}", source)
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            scan, _ = scan_snapshot(
                workspace, engineer, snapshot.id, processes=args.processes, ray=options
            )
            seconds = time.perf_counter() - started
            load = (load_before + os.getloadavg()[0]) / 2
            rows.append((engine, width, seconds, load, scan.findings_count, scan.findings_hash))
            workspace.catalog.dispose()
            print(f"  {engine} {width}: {seconds:.1f} s", file=sys.stderr, flush=True)
        ray.shutdown()
    print(f"\n{args.records} records, {os.cpu_count()} cores\n")
    print("| engine | width | seconds | records/s | load average | findings | findings digest |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for engine, width, seconds, load, count, digest in rows:
        print(
            f"| {engine} | {width} | {seconds:.1f} | {args.records / seconds:.0f} | {load:.1f}"
            f" | {count} | {digest[:12]} |"
        )
    if len({row[-1] for row in rows}) != 1:
        raise SystemExit("the engines stored different findings")


if __name__ == "__main__":
    main()
