"""Ledger throughput: appends/s and full-verify entries/s (hashes and signatures), SQLite and PostgreSQL.

python benchmarks/ledger.py                       # 100,000 entries on each database
python benchmarks/ledger.py --entries 10000 --no-postgres
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def run(
    label: str, root: Path, entries: int, per_transaction: int, database_url: str | None
) -> None:
    from govern import ledger
    from govern.config import DEFAULT_CONFIG_TEXT
    from govern.ledger.keys import load_identity
    from govern.workspace import Workspace

    root.mkdir(parents=True)
    if database_url:
        (root / "govern.toml").write_text(
            DEFAULT_CONFIG_TEXT.replace('database_url = ""', f'database_url = "{database_url}"')
        )
    workspace = Workspace.init(root).workspace
    admin = load_identity(workspace.keys_dir / "admin.key")
    start = time.perf_counter()
    for batch in range(entries // per_transaction):
        with workspace.catalog.transaction() as session:
            for n in range(per_transaction):
                ledger.append(
                    session, admin, "bench.event", [f"obj-{batch}"], {"n": n, "batch": batch}
                )
    append_s = time.perf_counter() - start
    start = time.perf_counter()
    with workspace.catalog.reading() as session:
        report = ledger.verify_chain(session)
    verify_s = time.perf_counter() - start
    assert not report.problems, report.problems[:3]
    print(
        json.dumps(
            {
                "database": label,
                "entries": report.entries,
                "entries_per_transaction": per_transaction,
                "append_per_s": round(entries / append_s),
                "verify_per_s": round(report.entries / verify_s),
                "append_s": round(append_s, 1),
                "verify_s": round(verify_s, 1),
            }
        )
    )
    workspace.catalog.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--per-transaction", type=int, default=100)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", Path(tmp) / "sqlite", args.entries, args.per_transaction, None)
        if not args.no_postgres:
            from sqlalchemy import create_engine, text

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                run(
                    "postgresql",
                    Path(tmp) / "pg",
                    args.entries,
                    args.per_transaction,
                    f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
                )
            finally:
                with admin.begin() as connection:
                    connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
