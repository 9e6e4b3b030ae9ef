"""`govern lineage subject` on a catalog of a million records: ms per query, and the ratio to a
full scan of snapshot_records for the same subject.

Builds a 1,000,000-record snapshot (50,000 subjects, 20 records each) with `add_dataset`, derives
a filtered snapshot from it, then times `subject_lineage` (keyed hash + index lookup + runs and
adapters) for random subjects against the same lookup forced to scan the table (SQLite's
NOT INDEXED). The catalog is SQLite, as on one machine.

    python benchmarks/lineage_subject.py                       # 1,000,000 records, 100 subjects
    python benchmarks/lineage_subject.py --records 100000      # a quick run
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

SUBJECTS = 50_000


def make_file(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(
            json.dumps(
                {
                    "id": f"t-{n}",
                    "customer": f"c-{n % SUBJECTS}",
                    "body": f"Ticket {n}: my order {n * 7 % 99991} arrived late and the box was damaged.",
                }
            )
            + "\n"
            for n in range(count)
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument(
        "--scans",
        type=int,
        default=5,
        help="full-scan queries to time (each reads the whole table)",
    )
    args = parser.parse_args()

    from sqlalchemy import text

    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.ingest.derive import exclude_records
    from govern.ledger.keys import load_identity
    from govern.lineage import subject_lineage
    from govern.workspace import Workspace

    with tempfile.TemporaryDirectory(dir=Path.cwd() / "benchmarks") as tmp:
        path = Path(tmp) / "records.jsonl"
        make_file(path, args.records)
        workspace = Workspace.init(Path(tmp) / "ws").workspace
        admin = load_identity(workspace.keys_dir / "admin.key")
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
        root = add_dataset(workspace, admin, spec, path, show_progress=False).snapshot
        build_s = time.perf_counter() - start
        derived = exclude_records(
            workspace,
            admin,
            root.id,
            [f"t-{n}" for n in range(0, args.records, 100)],
            "benchmark filter",
        ).snapshot
        rng = random.Random(6)
        subjects = [f"c-{rng.randrange(min(SUBJECTS, args.records))}" for _ in range(args.queries)]
        subject_lineage(workspace, subjects[0])  # warm the connection pool and caches
        timings = []
        for subject in subjects:
            start = time.perf_counter()
            found = subject_lineage(workspace, subject)
            timings.append(time.perf_counter() - start)
            assert {s["id"] for s in found.snapshots} <= {root.id, derived.id} and found.snapshots
        scan_timings = []
        with workspace.catalog.engine.connect() as connection:
            for subject in subjects[: args.scans]:
                subject_hash = workspace.hash_subject(subject)
                start = time.perf_counter()
                rows = connection.execute(
                    text(
                        "SELECT snapshot_id, count(*) FROM snapshot_records NOT INDEXED WHERE subject_hash = :h GROUP BY snapshot_id"
                    ),
                    {"h": subject_hash},
                ).all()
                scan_timings.append(time.perf_counter() - start)
                assert rows
        total_records = root.record_count + derived.record_count
        query_ms, scan_ms = (
            statistics.median(timings) * 1000,
            statistics.median(scan_timings) * 1000,
        )
        print(
            json.dumps(
                {
                    "records_in_catalog": total_records,
                    "snapshot_build_s": round(build_s, 1),
                    "queries": len(timings),
                    "query_ms_median": round(query_ms, 2),
                    "query_ms_p95": round(
                        sorted(timings)[int(0.95 * (len(timings) - 1))] * 1000, 2
                    ),
                    "full_scan_ms_median": round(scan_ms, 1),
                    "full_scan_over_query": round(scan_ms / query_ms, 1),
                }
            )
        )


if __name__ == "__main__":
    main()
