"""Snapshot ingest: records/s, peak memory, and ingest time over plain hashing of the same file.

Each size runs in a fresh child process so its peak RSS is its own; memory staying flat as the
file grows 10x shows that ingest streams.

    python benchmarks/ingest.py                 # 100,000 and 1,000,000 records
    python benchmarks/ingest.py --sizes 20000   # a quick run
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_file(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            handle.write(
                json.dumps(
                    {
                        "id": f"t-{n}",
                        "customer": f"c-{n % 50000}",
                        "body": f"Ticket {n}: my order {n * 7 % 99991} arrived late and the box was damaged.",
                    }
                )
                + "\n"
            )


def child(count: int) -> None:
    from govern.canonical import file_sha256
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.ledger.keys import load_identity
    from govern.workspace import Workspace

    with tempfile.TemporaryDirectory(dir=Path.cwd() / "benchmarks") as tmp:
        path = Path(tmp) / "records.jsonl"
        make_file(path, count)
        workspace = Workspace.init(Path(tmp) / "ws").workspace
        admin = load_identity(workspace.keys_dir / "admin.key")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        file_sha256(path)
        hash_seconds = time.perf_counter() - start
        spec = DatasetSpec(
            name="bench",
            source="benchmark",
            license="CC0-1.0",
            legal_basis="consent",
            subject_field="customer",
            text_fields=("body",),
            id_field="id",
        )
        start = time.perf_counter()
        add_dataset(workspace, admin, spec, path, show_progress=False)
        ingest_seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            json.dumps(
                {
                    "records": count,
                    "file_mb": round(path.stat().st_size / 1e6, 1),
                    "ingest_s": round(ingest_seconds, 2),
                    "records_per_s": round(count / ingest_seconds),
                    "hash_only_s": round(hash_seconds, 3),
                    "ingest_over_hash": round(ingest_seconds / hash_seconds, 1),
                    "peak_rss_mb": round(peak / 1024),
                    "rss_before_ingest_mb": round(rss_before / 1024),
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(out.stdout.strip())


if __name__ == "__main__":
    main()
