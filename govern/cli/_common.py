"""What every govern command shares: --workspace, --json, --key, output and error handling."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govern.errors import GovernError

if TYPE_CHECKING:
    from govern.ledger.keys import PrivateIdentity
    from govern.workspace import Workspace

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  refused by a policy, a role or the training gate
  2  bad usage or bad input (the message names the file, line or field)
  3  integrity failure (the ledger, a signature or stored bytes do not verify,
     or the catalog is missing, not a database, or lacks a table)
  130  training stopped by Ctrl-C at a step boundary, after a checkpoint
  143  stopped by SIGTERM, after its clean-up ran"""


class CommandFailed(click.ClickException):
    """A GovernError on its way to the terminal, with the exit code of its kind."""

    def __init__(self, error: GovernError) -> None:
        super().__init__(str(error))
        # click reads exit_code from the instance; the class default is 1 for every error.
        self.exit_code = error.exit_code  # type: ignore[misc]


class GovernGroup(click.Group):
    """The root group: turns every GovernError (and any database or OS error that escaped the
    library untyped) into a clean message and its exit code; SIGTERM unwinds through clean-ups."""

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import DBAPIError

        from govern.catalog.db import database_error
        from govern.ingest.snapshots import storage_failure
        from govern.tmpfiles import terminable

        try:
            with terminable():
                return super().invoke(ctx)
        except GovernError as error:
            raise CommandFailed(error) from error
        except DBAPIError as error:
            raise CommandFailed(database_error(error)) from error
        except OSError as error:
            raise CommandFailed(
                storage_failure(
                    error,
                    f"`govern {ctx.invoked_subcommand}`",
                    "a file could not be read or written",
                )
            ) from error


@dataclass
class Invocation:
    """The options common to all commands, handed to each command body as `inv`."""

    workspace_dir: Path | None
    as_json: bool
    key_path: Path | None = None
    _workspace: Workspace | None = field(default=None, repr=False)

    def workspace(self) -> Workspace:
        """The workspace this command acts on (located once, then cached)."""
        if self._workspace is None:
            from govern.workspace import Workspace

            self._workspace = Workspace.open(self.workspace_dir)
        return self._workspace

    def actor(self) -> PrivateIdentity:
        """The identity given by --key or GOVERN_KEY."""
        from govern.ledger.keys import load_identity

        if self.key_path is None:
            raise click.UsageError("this command acts as a key: pass --key PATH or set GOVERN_KEY")
        return load_identity(self.key_path)

    def emit(self, data: Any, text: str | Callable[[], str] | None = None) -> None:
        """Print `data` as JSON under --json, else the human text (or JSON if none is given)."""
        if self.as_json or text is None:
            click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
        else:
            click.echo(text() if callable(text) else text)

    def progress_enabled(self) -> bool:
        """Progress bars go to stderr, and only when it is a terminal and output is not JSON."""
        return not self.as_json and sys.stderr.isatty()


def common_options(acts_as_key: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add --workspace and --json (and --key when the command acts as an identity)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, workspace: Path | None, as_json: bool, **kwargs: Any) -> Any:
            key = kwargs.pop("key", None) if acts_as_key else None
            inv = Invocation(workspace_dir=workspace, as_json=as_json, key_path=key)
            return func(inv, *args, **kwargs)

        wrapper = click.option(
            "--json", "as_json", is_flag=True, help="Print machine-readable JSON."
        )(wrapper)
        wrapper = click.option(
            "--workspace",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="GOVERN_WORKSPACE",
            help="Workspace folder (default: $GOVERN_WORKSPACE, then the nearest folder above "
            "holding govern.toml).",
        )(wrapper)
        if acts_as_key:
            wrapper = click.option(
                "--key",
                type=click.Path(dir_okay=False, path_type=Path),
                envvar="GOVERN_KEY",
                help="Private key file of the identity acting (default: $GOVERN_KEY).",
            )(wrapper)
        return wrapper

    return decorate
