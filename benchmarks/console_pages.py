"""Console page render times on a workspace with a large ledger (100,000 entries by default).

    python benchmarks/console_pages.py                    # 100,000 entries, 15 rounds per page
    python benchmarks/console_pages.py --entries 20000 --rounds 5

The workspace is the quickstart's shape (keys for every role, the officer's pack, consent, a raw
dataset scanned and anonymized and approved, a clean one awaiting approval), then filled up to
--entries with `gate.refused` entries signed by the engineer (the kind a busy team's gate writes,
each with its reasons), appended through `govern.ledger.append` in transactions of 1,000. Each
page is requested in-process (Starlette's TestClient, a signed-in session per role), interleaved
with `/healthz` as the baseline: figures are the median, the 10th-90th percentile spread, and the
ratio of the median to the baseline's.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(root: Path, entries: int) -> dict[str, Any]:
    from govern import ledger
    from govern.consent.registry import import_consent
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.pii.scans import anonymize_snapshot, scan_snapshot
    from govern.policy.activation import activate_pack
    from govern.policy.approvals import approve
    from tests.conftest import _new_key, make_workspace, write_jsonl
    from tests.console.conftest import CLEAN_RECORDS
    from tests.pipeline import EXAMPLES, PACK

    workspace = make_workspace(root / "ws").workspace
    (workspace.root / "policies" / "bench.yaml").write_text(
        PACK.replace("NAME", "bench").replace("BUDGET", "10").replace("PER_RUN", "3.5")
    )
    engineer, officer = (
        _new_key(workspace, "engineer", "erin"),
        _new_key(workspace, "officer", "olga"),
    )
    _new_key(workspace, "auditor", "aldo")
    activate_pack(workspace, officer, "bench")
    subjects = sorted(
        {json.loads(line)["subject_id"] for line in EXAMPLES.read_text().splitlines()}
    )
    consents = root / "consents.csv"
    consents.write_text(
        "subject_id,purpose,status,time\n"
        + "".join(f"{s},model_training,granted,2024-01-01\n" for s in subjects)
    )
    import_consent(workspace, officer, consents)
    spec = DatasetSpec(
        name="support",
        source="example helpdesk export",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject_id",
        text_fields=("prompt", "completion"),
        id_field="id",
        jurisdiction="EU",
    )
    raw = add_dataset(workspace, engineer, spec, EXAMPLES).snapshot
    scan_snapshot(workspace, engineer, raw.id, processes=1)
    clean = anonymize_snapshot(workspace, engineer, raw.id).derived.snapshot.id
    approve(workspace, officer, clean, note="benchmark")
    pending = add_dataset(
        workspace,
        engineer,
        DatasetSpec(**{**spec.__dict__, "name": "tickets-clean"}),
        write_jsonl(root / "clean.jsonl", CLEAN_RECORDS),
    ).snapshot.id
    scan_snapshot(workspace, engineer, pending, processes=1)
    with workspace.catalog.reading() as session:
        have = ledger.head(session).seq  # type: ignore[union-attr]
    start = time.perf_counter()
    for first in range(have, entries, 1000):
        with workspace.catalog.transaction() as session:
            for n in range(first, min(first + 1000, entries)):
                ledger.append(
                    session,
                    engineer,
                    "gate.refused",
                    [raw.id],
                    {
                        "purpose": "training",
                        "recipe": "dp-lora",
                        "snapshots": [raw.id],
                        "reasons": [
                            f"snapshot {raw.id[:12]} is not approved for training under pack bench",
                            f"attempt {n}: the planned ε 8.0 exceeds the pack's per-run limit 3.5",
                        ],
                    },
                )
    return {"workspace": workspace, "pending": pending, "append_s": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from govern.console import create_app
    from tests.console.conftest import BrowserStandIn

    with tempfile.TemporaryDirectory() as tmp:
        built = build(Path(tmp), args.entries)
        workspace = built["workspace"]
        app = create_app(workspace)
        clients = {}
        for role, name in (("officer", "olga"), ("auditor", "aldo"), ("engineer", "erin")):
            browser = BrowserStandIn(
                TestClient(app, base_url="http://127.0.0.1"), workspace.root / f"{name}.key"
            )
            browser.login()
            clients[role] = browser
        officer, auditor = clients["officer"], clients["auditor"]
        consent = officer.client.post(
            "/officer/consent",
            data={"subject": "subj-0010", "csrf": officer.csrf},
            follow_redirects=False,
        ).headers["location"]
        subject = auditor.client.post(
            "/auditor/subject",
            data={"subject": "subj-0010", "csrf": auditor.csrf},
            follow_redirects=False,
        ).headers["location"]
        older = re.search(
            r'href="/auditor/ledger\?(before=\d+)"', auditor.client.get("/auditor/ledger").text
        )
        pages = [
            ("officer", "/officer"),
            ("officer", "/officer?show=all"),
            ("officer", f"/officer/snapshots/{built['pending']}"),
            ("officer", consent),
            ("officer", consent + "/erase"),
            ("auditor", "/auditor/ledger"),
            ("auditor", "/auditor/ledger?" + (older.group(1) if older else "")),
            ("auditor", "/auditor/ledger?event=snapshot.approved"),
            ("auditor", "/auditor/ledger?actor=olga"),
            ("auditor", "/auditor/ledger?since=2020-01-01&until=2999-12-31"),
            ("auditor", "/auditor/verify"),
            ("auditor", "/auditor/reports"),
            ("auditor", "/auditor/lineage"),
            ("auditor", subject),
            ("auditor", "/auditor/budget"),
            ("auditor", "/refusals"),
            ("engineer", "/runs"),
            ("engineer", "/refusals"),
        ]
        for role, path in pages:  # warm up (templates, caches, imports)
            assert clients[role].client.get(path).status_code == 200, path
        timings: dict[tuple[str, str], list[float]] = {(role, path): [] for role, path in pages}
        baseline: list[float] = []
        for _ in range(args.rounds):
            for role, path in pages:
                start = time.perf_counter()
                clients["officer"].client.get("/healthz")
                baseline.append(time.perf_counter() - start)
                start = time.perf_counter()
                response = clients[role].client.get(path)
                timings[(role, path)].append(time.perf_counter() - start)
                assert response.status_code == 200, (path, response.status_code)
        base = statistics.median(baseline)
        with workspace.catalog.reading() as session:
            from govern import ledger

            entries = ledger.head(session).seq  # type: ignore[union-attr]
        print(
            json.dumps(
                {
                    "entries": entries,
                    "append_s": round(built["append_s"], 1),
                    "rounds": args.rounds,
                    "healthz_median_ms": round(base * 1000, 2),
                }
            )
        )
        print(f"{'page':<58} {'median ms':>9} {'p10-p90 ms':>15} {'x healthz':>9}")
        for role, path in pages:
            values = sorted(timings[(role, path)])
            p10, p90 = (
                values[len(values) // 10],
                values[min(len(values) - 1, (9 * len(values)) // 10)],
            )
            shown = re.sub(
                r"/[A-Za-z0-9_-]{16}(?=$|/)", "/LOOKUP", path.replace(built["pending"], "SNAPSHOT")
            )
            print(
                f"{role + ' ' + shown:<58} {statistics.median(values) * 1000:>9.1f} "
                f"{p10 * 1000:>7.1f}-{p90 * 1000:<7.1f} {statistics.median(values) / base:>9.1f}"
            )
        workspace.catalog.dispose()


if __name__ == "__main__":
    main()
