"""The console's web application: Starlette routes over `govern.console.library`.

Pages are rendered on the server (Jinja2, autoescaped); the only script is the console's own
`static/console.js`, which imports the user's key (WebCrypto, non-extractable), signs the login
challenge and each action's bytes, and polls long checks. Every response forbids anything but
this origin (CSP), every state-changing request needs the session's CSRF token and a same-origin
request, and every page checks the session's role against its route (govern/console/site.py);
what an action may do is decided by the library, which refuses a key whose role may not act.
The routes live in govern/console/pages/, one module per audience.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response

from govern.console.pages import auditor, officer, review, runs, session
from govern.console.security import Guard
from govern.console.site import Console, SecurityHeaders, Site

if TYPE_CHECKING:
    from govern.workspace import Workspace


def create_app(
    workspace: Workspace,
    *,
    session_seconds: int | None = None,
    guard: Guard | None = None,
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """The console for `workspace`. `allowed_hosts` limits the Host header (loopback names by default)."""
    console = Console(
        workspace, guard or (Guard(session_seconds=session_seconds) if session_seconds else Guard())
    )
    site = Site(console)
    for pages in (session, officer, auditor, runs, review):
        pages.add_routes(site)

    async def not_found(request: Request, exc: HTTPException) -> Response:
        session = await run_in_threadpool(console.current, request)
        return await run_in_threadpool(
            console.error,
            request,
            session,
            exc.status_code,
            "There is no such page." if exc.status_code == 404 else str(exc.detail),
        )

    hosts = allowed_hosts or ["127.0.0.1", "localhost", "::1", "[::1]"]
    app = Starlette(
        routes=site.routes,
        exception_handlers={HTTPException: not_found},  # type: ignore[dict-item]
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
        ],
    )
    app.state.console = console
    return app
