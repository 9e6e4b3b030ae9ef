"""Ingest of a large JSONL file, serial against parallel blocks: speed-up and peak memory.

Speed: in this one process, serial (`--processes 1`) and parallel (`--processes N`) ingests of
the same file alternate (serial first in odd rounds, parallel first in even ones), each into a
fresh workspace, for --rounds rounds. Two times are taken per ingest: staging (parse, validate,
canonicalise, hash, write; the part worker processes share) and the whole `add_dataset` (staging
plus the catalog inserts, which one SQLite writer does alone), and the CPU time staging took
in this process and in its workers (what is left here bounds the speed-up on idle cores).
Printed: medians, and the speed-up (serial time / parallel time) over the rounds with its range.

Memory: each (size, mode) ingest runs once more in a fresh child process, which reports its own
peak RSS and its workers' largest; flat memory is the same peak at --sizes records and at 4x.

Records are the generated PII texts (benchmarks/scan_scale.py `make_file`), ~160 bytes a line.
`--processes N` ingests take the parallel path from 2 MiB up here (by default only from 16 MiB).

    nice python benchmarks/ingest_scale.py                       # 50,000 records, 3 rounds
    nice python benchmarks/ingest_scale.py --records 10000 --rounds 2 --sizes 10000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _ingest(root: Path, source: Path, processes: int) -> tuple[list[float], float, str]:
    """([staging s, this process's CPU s in staging, its workers' CPU s], whole ingest s, manifest
    digest) of one ingest into a fresh workspace (snapshot ids differ between workspaces: each
    dataset has its own id)."""
    from scan_scale import bench_spec, engineer_workspace

    from govern.canonical import file_sha256
    from govern.ingest import blocks, datasets
    from govern.ingest.datasets import add_dataset
    from govern.ingest.snapshots import store_of

    workspace, engineer = engineer_workspace(root)
    spec = bench_spec()
    blocks.PARALLEL_MIN_BLOCKS = 2  # take the parallel path at every size measured here
    staging: list[float] = []
    stage_blocks = datasets.stage_blocks

    def timed_stage(*args, **kwargs):  # type: ignore[no-untyped-def]
        started, cpu = time.perf_counter(), time.process_time()
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            return stage_blocks(*args, **kwargs)
        finally:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            worker_cpu = (after.ru_utime + after.ru_stime) - (workers.ru_utime + workers.ru_stime)
            staging.extend((time.perf_counter() - started, time.process_time() - cpu, worker_cpu))

    datasets.stage_blocks = timed_stage  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        result = add_dataset(workspace, engineer, spec, source, processes=processes)
        whole = time.perf_counter() - started
    finally:
        datasets.stage_blocks = stage_blocks
        workspace.catalog.dispose()
    return staging, whole, file_sha256(store_of(workspace).manifest_path(result.snapshot.id))


def _child(source: Path, processes: int) -> None:
    with tempfile.TemporaryDirectory(dir=source.parent) as tmp:
        _ingest(Path(tmp) / "ws", source, processes)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"peak_rss_mb": own / 1024, "worker_peak_rss_mb": workers / 1024}))


def _spread(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--sizes", type=int, default=25_000, help="memory: this and 4x records")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), int(args.child[1]))
        return
    from scan_scale import make_file

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
        source = Path(tmp) / "records.jsonl"
        make_file(source, args.records)
        times: dict[int, list[tuple[list[float], float]]] = {1: [], args.processes: []}
        manifests = set()
        for round_no in range(args.rounds):
            order = [1, args.processes] if round_no % 2 == 0 else [args.processes, 1]
            for processes in order:
                stage_s, whole_s, manifest = _ingest(
                    Path(tmp) / f"ws-{round_no}-{processes}", source, processes
                )
                times[processes].append((stage_s, whole_s))
                manifests.add(manifest)
                print(
                    f"  round {round_no + 1}, {processes} process(es): staging {stage_s[0]:.2f} s "
                    f"(CPU {stage_s[1]:.2f} s here, {stage_s[2]:.2f} s in workers), "
                    f"whole {whole_s:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
        memory = []
        for size in (args.sizes, 4 * args.sizes):
            sized = Path(tmp) / f"records-{size}.jsonl"
            make_file(sized, size)
            for processes in (1, args.processes):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(sized), str(processes)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                memory.append((size, processes, json.loads(out.strip().splitlines()[-1])))
    serial, parallel = times[1], times[args.processes]
    stage_ratio = [s[0][0] / p[0][0] for s, p in zip(serial, parallel, strict=True)]
    whole_ratio = [s[1] / p[1] for s, p in zip(serial, parallel, strict=True)]
    print(
        f"\n{args.records} records, {args.rounds} rounds, {os.cpu_count()} cores, load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    same = len(manifests) == 1
    print("manifests (record hashes, in order): " + ("all the same" if same else "DIFFER"))
    print(
        "\n| mode | staging s | staging CPU s, this process | staging CPU s, workers "
        "| whole ingest s |\n| --- | ---: | ---: | ---: | ---: |"
    )
    for processes, rows in ((1, serial), (args.processes, parallel)):
        print(
            f"| {processes} process{'es' if processes > 1 else ''} | "
            + " | ".join(f"{statistics.median(r[0][i] for r in rows):.2f}" for i in range(3))
            + f" | {statistics.median(r[1] for r in rows):.2f} |"
        )
    print(f"\nspeed-up, staging: {_spread(stage_ratio)}; whole ingest: {_spread(whole_ratio)}")
    print(
        "\n| records | processes | peak RSS MB | a worker's peak RSS MB |\n| ---: | ---: | ---: | ---: |"
    )
    for size, processes, peak in memory:
        worker = f"{peak['worker_peak_rss_mb']:.0f}" if processes > 1 else "-"
        print(f"| {size} | {processes} | {peak['peak_rss_mb']:.0f} | {worker} |")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
