"""The govern command line: a thin skin over the library, split by noun.

Each noun lives in its own module and is imported only when its command runs, so
`govern --help` never loads torch or presidio.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from govern import __version__
from govern.cli._common import EXIT_CODES_HELP, GovernGroup

# command name -> "module:attribute"; a new noun is one line here and one module.
COMMANDS: dict[str, str] = {
    "init": "govern.cli.workspace:init_command",
    "db": "govern.cli.workspace:db_group",
    "keys": "govern.cli.keys:keys_group",
    "dataset": "govern.cli.dataset:dataset_group",
    "snapshot": "govern.cli.dataset:snapshot_group",
    "audit": "govern.cli.audit:audit_group",
    "pii": "govern.cli.pii:pii_group",
    "scan": "govern.cli.scan:scan_command",
    "anonymize": "govern.cli.scan:anonymize_command",
    "policy": "govern.cli.policy:policy_group",
    "consent": "govern.cli.consent:consent_group",
    "approve": "govern.cli.approvals:approve_command",
    "reject": "govern.cli.approvals:reject_command",
    "approvals": "govern.cli.approvals:approvals_group",
    "train": "govern.cli.train:train_command",
    "runs": "govern.cli.train:runs_group",
    "eval": "govern.cli.evaluate:eval_command",
    "review": "govern.cli.blind_review:review_group",
    "release": "govern.cli.release:release_command",
    "report": "govern.cli.report:report_group",
    "lineage": "govern.cli.lineage:lineage_group",
    "attest": "govern.cli.lineage:attest_group",
    "serve": "govern.cli.serve:serve_command",
    "synth": "govern.cli.synth:synth_group",
    "remediate": "govern.cli.remediate:remediate_group",
}


class LazyGroup(GovernGroup):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="govern")
def cli() -> None:
    """govern: a data compliance gate for fine-tuning language models.

    Register datasets with their provenance, scan and anonymize them, check them against a
    policy pack, approve them with an officer's signature, and train DP-LoRA adapters only on
    approved snapshots. Every step is recorded in a signed, hash-chained ledger.

    Every command takes --workspace DIR and --json after its own name.

    \b
    Example:
      govern init my-workspace
      cd my-workspace && govern audit verify
    """


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="govern")
