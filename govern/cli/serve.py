"""`govern serve`: the web console, on uvicorn."""

from __future__ import annotations

import ipaddress
import json

import click

from govern.cli._common import Invocation, common_options
from govern.errors import BadInput


def is_loopback(host: str) -> bool:
    """Whether `host` names only this machine (127.0.0.0/8, ::1, localhost)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback by default).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8700,
    show_default=True,
    help="Port to listen on.",
)
@common_options()
def serve_command(inv: Invocation, host: str, port: int) -> None:
    """Run the web console for the workspace: officers approve and reject, auditors verify.

    People sign in with their own key file: the browser imports it (WebCrypto, never uploaded),
    signs a one-time challenge, and signs every action over the same bytes the CLI signs.
    Listens on loopback by default; any other address prints a warning (browsers offer WebCrypto
    only to https pages and to loopback, so put a TLS proxy in front).

    \b
    Example:
      govern serve --port 8700        # then open http://127.0.0.1:8700/
    """
    try:
        import uvicorn

        from govern.console import create_app
    except ModuleNotFoundError as error:
        raise BadInput(
            f"the console needs its extra ({error.name} is missing): pip install 'govern[console]'"
        ) from None
    workspace = inv.workspace()
    workspace.catalog.check_schema()  # refuse a catalog behind govern's migrations before serving
    local = is_loopback(host)
    if not local:
        click.echo(
            f"warning: listening on {host}, reachable from other machines. Sessions travel in cookies over "
            "plain HTTP unless a TLS proxy fronts the console, and browsers offer WebCrypto (needed to sign "
            "in) only to https pages and loopback. Prefer --host 127.0.0.1.",
            err=True,
        )
    app = create_app(workspace, allowed_hosts=None if local else ["*"])
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    if inv.as_json:
        click.echo(json.dumps({"url": url, "workspace": str(workspace.root)}))
    else:
        click.echo(f"govern console for {workspace.root} at {url} (Ctrl-C to stop)")
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False, server_header=False
    )
