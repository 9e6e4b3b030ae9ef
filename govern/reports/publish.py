"""Write a rendered report and ledger it by its SHA-256, in one step.

The ledger entry (`report.rendered`) is appended and the file written inside one transaction: if
either fails, neither remains. The entry records the report's hash, kind, subject, what it
covers, the ledger head it was made from and the hash of the templates used, so `govern report
verify` needs nothing from the file but its bytes.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govern import ledger
from govern.atomic import write_new_file
from govern.canonical import sha256_hex
from govern.clock import utc_now
from govern.errors import BadInput
from govern.ledger.keys import PrivateIdentity
from govern.reports._base import EXTENSIONS, FORMATS, KINDS, RENDERED_EVENT
from govern.reports.render import render, templates_hash

REPORT_MODE = 0o644  # reports are for sharing; set explicitly, whatever the umask

MARKER = "govern-report"


@dataclass
class ReportFile:
    """A written, ledgered report."""

    path: Path
    sha256: str
    report_id: str
    kind: str
    format: str
    ledger_seq: int
    ledger_head: dict[str, Any]
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


def marker(report_id: str, kind: str, head: dict[str, Any]) -> str:
    """The one line every format carries that names the report and the ledger head it was made from."""
    return f"{MARKER} id={report_id} kind={kind} head={head['seq']}:{head['hash']}"


def default_out_path(workspace: Any, facts: dict[str, Any], fmt: str) -> Path:
    """audit_reports/<kind>-<subject>-<UTC time>.<ext> in the workspace."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    subject = facts["subject"]["id"]
    if facts["kind"] == "audit":
        period = facts.get("period", {})
        subject = "-".join(
            part[:10] if part else "open" for part in (period.get("since"), period.get("until"))
        )
    safe = (
        "".join(c if c.isalnum() or c in "-." else "-" for c in str(subject))[:24].strip("-.")
        or "report"
    )
    return workspace.root / "audit_reports" / f"{facts['kind']}-{safe}-{stamp}.{EXTENSIONS[fmt]}"


def _write_new(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write_new_file(tmp, data, REPORT_MODE)
    try:
        os.link(
            tmp, path
        )  # fails if something appeared at `path` meanwhile: never overwrite a report
    finally:
        tmp.unlink(missing_ok=True)


def write_report(
    workspace: Any,
    actor: PrivateIdentity,
    facts: dict[str, Any],
    fmt: str,
    out: Path | None = None,
    templates_dir: Path | None = None,
) -> ReportFile:
    """Render `facts`, write the file (never overwriting) and ledger its hash, signed by `actor`.

    Auditors render reports; `templates_dir` defaults to the workspace's audit_reports/.
    """
    from govern.ledger.authority import require

    if fmt not in FORMATS:
        raise BadInput(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    templates = (
        Path(templates_dir) if templates_dir is not None else workspace.root / "audit_reports"
    )
    report_id = uuid.uuid4().hex
    head = facts["ledger_head"]
    facts = {
        **facts,
        "report": {
            "id": report_id,
            "format": fmt,
            "rendered_by": actor.key_id,
            "rendered_at": utc_now(),
            "marker": marker(report_id, facts["kind"], head),
        },
    }
    data = render(facts, fmt, templates).encode("utf-8")
    digest = sha256_hex(data)
    path = Path(out) if out is not None else default_out_path(workspace, facts, fmt)
    if path.exists():
        raise BadInput(
            f"{path}: a file is already there; reports are never overwritten, choose another --out"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "report_id": report_id,
        "kind": facts["kind"],
        "format": fmt,
        "sha256": digest,
        "bytes": len(data),
        "file_name": path.name,
        "subject": facts["subject"],
        "covers": facts["covers"],
        "ledger_head": head,
        "generated_at": facts["generated_at"],
        "templates_hash": templates_hash(templates) if fmt != "json" else None,
    }
    refs = [
        report_id,
        *facts["covers"].get("snapshot_ids", []),
        *facts["covers"].get("run_ids", []),
    ]
    written = False
    try:
        with workspace.catalog.transaction() as session:
            require(session, actor, "report.render")
            entry = ledger.append(session, actor, RENDERED_EVENT, refs, payload)
            _write_new(path, data)
            written = True
        seq = entry.seq
    except FileExistsError:
        raise BadInput(
            f"{path}: a file appeared there while the report was written; choose another --out"
        ) from None
    except BaseException:
        if written:
            path.unlink(missing_ok=True)
        raise
    return ReportFile(
        path=path,
        sha256=digest,
        report_id=report_id,
        kind=facts["kind"],
        format=fmt,
        ledger_seq=seq,
        ledger_head=head,
        bytes=len(data),
    )


def build_report(
    workspace: Any, kind: str, subject: str | None = None, **options: Any
) -> dict[str, Any]:
    """The facts of a report of `kind` (dataset: a snapshot ref; run: a run id; audit: since/until)."""
    from govern.reports.audit import build_audit_report
    from govern.reports.dataset import build_dataset_report
    from govern.reports.run import build_run_report

    if kind not in KINDS:
        raise BadInput(f"report kind {kind!r}: choose one of {', '.join(sorted(KINDS))}")
    if kind == "audit":
        return build_audit_report(workspace, options.get("since"), options.get("until"))
    if not subject:
        raise BadInput(f"a {kind} report needs a {'SNAPSHOT' if kind == 'dataset' else 'RUN'}")
    return (
        build_dataset_report(workspace, subject)
        if kind == "dataset"
        else build_run_report(workspace, subject)
    )


def make_report(
    workspace: Any,
    actor: PrivateIdentity,
    kind: str,
    subject: str | None = None,
    fmt: str = "html",
    out: Path | None = None,
    templates_dir: Path | None = None,
    **options: Any,
) -> ReportFile:
    """Build, render, write and ledger a report: what `govern report dataset|run|audit` does."""
    if fmt not in FORMATS:
        raise BadInput(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    from govern.ledger.authority import require

    with workspace.catalog.reading() as session:
        require(
            session, actor, "report.render"
        )  # refuse an unregistered key before the (slow) fact gathering
    facts = build_report(workspace, kind, subject, **options)
    return write_report(workspace, actor, facts, fmt, out, templates_dir)
