"""`govern lineage` (graph, subject, export) and `govern attest` (sign and verify attestations)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govern.cli._common import Invocation, common_options
from govern.errors import BadInput, IntegrityFailure

if TYPE_CHECKING:
    from govern.workspace import Workspace


@click.group("lineage")
def lineage_group() -> None:
    """Trace data from source files to adapters, find a subject's data, export OpenLineage."""


@lineage_group.command("show")
@click.argument("ref", metavar="ID")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "mermaid", "dot"]),
    default="text",
    show_default=True,
    help="Text tree, nodes and edges as JSON, or a Mermaid / Graphviz picture.",
)
@common_options()
def lineage_show(inv: Invocation, ref: str, fmt: str) -> None:
    """Show the lineage of a dataset, snapshot, run or adapter.

    ID is a dataset name or id, a snapshot id (or 6+ character prefix), a run id, or an adapter
    hash. The graph runs from source files through snapshots, derived snapshots, scans,
    decisions and approvals to runs, their adapters, and runs that continued from them.

    \b
    Example:
      govern lineage show support
      govern lineage show run-0123abcd4567 --format mermaid > lineage.mmd
      govern lineage show 3f9a1c --format dot | dot -Tsvg > lineage.svg
    """
    from govern.lineage import RENDERERS

    graph = inv.workspace().lineage.show(ref)
    if inv.as_json or fmt == "json":
        inv.emit(graph.to_dict())
    else:
        click.echo(RENDERERS[fmt](graph))


def _subject_text(data: dict[str, Any]) -> str:
    if not data["snapshots"]:
        return f"No snapshot holds this subject (subject hash {data['subject_hash'][:16]}…); check the subject id."
    lines = [f"Subject hash {data['subject_hash'][:16]}…", "Snapshots:"]
    lines += [
        f"  {s['id'][:12]}  {s['dataset']:<20} {s['transform']:<10} {s['records']} records"
        + (f" ({s['erased']} erased)" if s["erased"] else "")
        for s in data["snapshots"]
    ]
    lines.append("Runs:" if data["runs"] else "Runs: none")
    lines += [
        f"  {r['id']}  {r['status']:<10}"
        + (f" continued from {r['continued_from']}" if r["continued_from"] else " trained on it")
        for r in data["runs"]
    ]
    lines.append("Adapters:" if data["adapters"] else "Adapters: none")
    lines += [f"  {a['hash'][:16]}  from {a['run_id']}" for a in data["adapters"]]
    return "\n".join(lines)


@lineage_group.command("subject")
@click.argument("subject_id")
@common_options()
def lineage_subject(inv: Invocation, subject_id: str) -> None:
    """List every snapshot, run and adapter whose data included a subject.

    The id is hashed with the workspace's subject key and looked up in the per-record subject
    index; it is never printed or stored. Runs continued from an affected adapter are listed too.

    \b
    Example:
      govern lineage subject cust-1042 --json
    """
    data = inv.workspace().lineage.subject(subject_id).to_dict()
    inv.emit(data, lambda: _subject_text(data))


@lineage_group.command("export")
@click.argument("run_id", metavar="RUN")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["openlineage"]),
    default="openlineage",
    show_default=True,
    help="Export format.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write (JSON Lines, one event per line).",
)
@common_options()
def lineage_export(inv: Invocation, run_id: str, fmt: str, out: Path) -> None:
    """Export a training run's lineage as OpenLineage run events.

    START, then RUNNING / FAIL / ABORT as the run resumed or stopped, then COMPLETE with the
    adapter as output; inputs carry schema, dataSource and version facets plus govern_pii and
    govern_consent, the run carries govern_dp. Events are checked against the OpenLineage schema.

    \b
    Example:
      govern lineage export run-0123abcd4567 --format openlineage --out run.openlineage.jsonl
    """
    events = inv.workspace().lineage.export(run_id, out)
    inv.emit(
        {"out": str(out), "events": [e["eventType"] for e in events]},
        f"{len(events)} OpenLineage events ({', '.join(e['eventType'] for e in events)}) written to {out}",
    )


class _AttestGroup(click.Group):
    """`govern attest RUN ...` is short for `govern attest create RUN ...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["create", *args]
        return super().parse_args(ctx, args)


@click.group("attest", cls=_AttestGroup)
def attest_group() -> None:
    """Sign an in-toto/SLSA attestation of a run's adapter (DSSE), or verify one.

    `govern attest RUN --key KEY --out FILE` is short for `govern attest create ...`.
    """


@attest_group.command("create")
@click.argument("run_id", metavar="RUN")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the envelope.",
)
@common_options(acts_as_key=True)
def attest_create(inv: Invocation, run_id: str, out: Path) -> None:
    """Attest a completed run's adapter: in-toto Statement v1, SLSA provenance v1, DSSE-signed.

    Subjects are the adapter files with their sha256; materials are the snapshots, the base
    model and any adapter the run continued from; parameters are the recipe hash and the DP
    settings. Signed by --key (the key that ran the training, or an officer or admin) and
    ledgered as run.attested.

    \b
    Example:
      govern attest run-0123abcd4567 --key eng.key --out adapter.intoto.json
    """
    done = inv.workspace().lineage.attest(inv.actor(), run_id, out)
    inv.emit(
        done.to_dict(),
        f"Attestation of {done.run_id} ({len(done.statement['subject'])} adapter files) signed by "
        f"{done.envelope['signatures'][0]['keyid']} and written to {out}; ledger entry {done.ledger_seq}",
    )


@attest_group.command("verify")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key",
    help="Check the signature against this Ed25519 public key (hex) "
    "instead of, or besides, the workspace's registered keys.",
)
@common_options()
def attest_verify(inv: Invocation, path: Path, public_key: str | None) -> None:
    """Verify an attestation: signature, statement, adapter files and ledger record.

    The DSSE signature must verify with a registered key. In a workspace, the subject digests
    must match the adapter files on disk and the run's ledgered completion, and the envelope must
    be in the ledger. Exits 3 and names every mismatch.

    \b
    Example:
      govern attest verify adapter.intoto.json
    """
    from govern.ledger.keys import key_id_for
    from govern.lineage import verify_attestation

    keys: dict[str, str] = {}
    if public_key:
        try:
            keys[key_id_for(public_key)] = public_key
        except ValueError:
            raise BadInput(
                "--public-key must be a hex Ed25519 public key (64 hex digits)"
            ) from None
    try:
        workspace: Workspace | None = inv.workspace()
    except BadInput:
        if inv.workspace_dir is not None:
            raise
        workspace = None
    if workspace is not None:
        check = workspace.lineage.verify_attestation(path, keys)
    else:  # outside a workspace: the signature against the given keys only
        check = verify_attestation(path, None, keys)
    if not check.ok:
        if inv.as_json:
            inv.emit(check.to_dict())
        raise IntegrityFailure(
            f"{path} does not verify:\n" + "\n".join(f"  - {p}" for p in check.problems)
        )
    inv.emit(
        check.to_dict(),
        f"OK: {path} attests run {check.run_id} ({len(check.subjects)} adapter files); checked "
        + "; ".join(check.checked),
    )
