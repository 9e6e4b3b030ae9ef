"""What the console's pages share: security headers, roles and navigation, the application state
(`Console`), and `Site`, which registers a page's route behind its session, role and CSRF checks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govern.console import library as lib
from govern.console.security import SESSION_COOKIE, ConsoleSession, Guard, token
from govern.console.security import same as same_token

if TYPE_CHECKING:
    from govern.workspace import Workspace

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# A rendered report is shown as it was ledgered, in a sandbox: its own inline styles, no script, no requests.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
MAX_UPLOAD = 32 * 1024 * 1024

# Which roles see which pages. Pages only read; actions are decided by the library.
OFFICER, AUDITOR, ENGINEER, REVIEWER, ADMIN = "officer", "auditor", "engineer", "reviewer", "admin"
RUN_READERS = (ENGINEER, OFFICER, REVIEWER, AUDITOR)
HOME = {
    OFFICER: "/officer",
    AUDITOR: "/auditor/ledger",
    ENGINEER: "/runs",
    REVIEWER: "/runs",
    ADMIN: "/home",
}
NAV = {
    OFFICER: [
        ("/officer", "Approval queue"),
        ("/officer/consent", "Consent"),
        ("/runs", "Runs"),
        ("/reviews", "Blind review"),
    ],
    AUDITOR: [
        ("/auditor/ledger", "Ledger"),
        ("/auditor/verify", "Verify"),
        ("/auditor/reports", "Reports"),
        ("/auditor/lineage", "Lineage"),
        ("/auditor/subject", "Subjects"),
        ("/auditor/budget", "Budget"),
        ("/refusals", "Refusals"),
    ],
    ENGINEER: [("/runs", "Runs"), ("/refusals", "Gate refusals")],
    REVIEWER: [("/runs", "Runs"), ("/reviews", "Blind review")],
    ADMIN: [("/home", "Home")],
}
STATUS = {
    lib.RoleRefused: 403,
    lib.BadSignature: 403,
    lib.NotFound: 404,
    lib.BadInput: 400,
    lib.Refused: 409,
    lib.IntegrityFailure: 409,
}


def _status_of(error: Exception) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)


class SecurityHeaders:
    """Adds the console's security headers to every response (a report view keeps its own CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                wanted = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"same-origin",
                    b"x-frame-options": b"DENY",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"cross-origin-resource-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
                    b"cache-control": b"no-store",
                }
                headers += [(name, value) for name, value in wanted.items() if name not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class Console:
    """The application's state: the workspace, the guard (logins, sessions), running verifications."""

    def __init__(self, workspace: Workspace, guard: Guard) -> None:
        self.workspace = workspace
        self.guard = guard
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.templates.filters["short"] = lambda value, n=12: str(value or "")[:n]
        self.templates.filters["pretty"] = lambda value: json.dumps(
            value, indent=2, sort_keys=True, ensure_ascii=False
        )
        self.templates.filters["num"] = _num
        self.jobs: dict[str, dict[str, Any]] = {}
        self._jobs_lock = threading.Lock()

    # rendering -------------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        status: int = 200,
        session: ConsoleSession | None = None,
    ) -> HTMLResponse:
        people = lib.identities(self.workspace)
        seq, _ = lib.ledger_head(self.workspace)

        def who(key_id: str | None) -> str:
            found = people.get(str(key_id or ""))
            return (
                f"{found.name} ({found.role})"
                if found
                else f"an unregistered key ({str(key_id or '')[:8]}…)"
            )

        def named(value: Any) -> Any:
            """A payload with every registered key id replaced by the person's name and role."""
            if isinstance(value, str) and value in people:
                return who(value)
            if isinstance(value, list):
                return [named(v) for v in value]
            if isinstance(value, dict):
                return {k: named(v) for k, v in value.items()}
            return value

        page = self.templates.get_template(name).render(
            {
                **context,
                "user": session,
                "nav": NAV.get(session.role, []) if session else [],
                "path": request.url.path,
                "csrf": session.csrf if session else context.get("csrf"),
                "who": who,
                "named": named,
                "head_seq": seq,
                "workspace_name": Path(self.workspace.root).name,
                "expires": (
                    datetime.fromtimestamp(session.expires, UTC).strftime("%H:%M UTC")
                    if session
                    else None
                ),
            }
        )
        return HTMLResponse(page, status_code=status)

    def error(
        self,
        request: Request,
        session: ConsoleSession | None,
        status: int,
        message: str,
        reasons: list[str] | None = None,
    ) -> HTMLResponse:
        return self.render(
            request,
            "error.html.j2",
            {"status": status, "message": message, "reasons": reasons or []},
            status=status,
            session=session,
        )

    # sessions --------------------------------------------------------------------------------

    def current(self, request: Request) -> ConsoleSession | None:
        found = self.guard.session(request.cookies.get(SESSION_COOKIE))
        if found is None:
            return None
        registered = lib.identities(self.workspace).get(found.key_id)
        if registered is None or registered.public_key != found.public_key:
            self.guard.close(found.id)
            return None
        return found

    def start_job(self, session: ConsoleSession) -> str:
        job_id = token()
        job: dict[str, Any] = {
            "stage": "starting",
            "done": 0,
            "total": 0,
            "result": None,
            "error": None,
            "owner": session.id,
            "finished": False,
        }
        with self._jobs_lock:
            if sum(not j["finished"] for j in self.jobs.values()) >= 2:
                raise lib.Refused("two verifications are already running; wait for one to finish")
            self.jobs[job_id] = job

        def tell(stage: str, done: int, total: int) -> None:
            job.update(stage=stage, done=done, total=total)

        def work() -> None:
            try:
                job["result"] = lib.verify(self.workspace, tell).to_dict()
            except Exception as error:
                job["error"] = f"{type(error).__name__}: {error}"
            finally:
                job["finished"] = True

        threading.Thread(target=work, name=f"govern-verify-{job_id[:8]}", daemon=True).start()
        return job_id


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


Handler = Callable[[Request, ConsoleSession], Awaitable[Response]]


def same_origin(request: Request) -> bool:
    """Whether a request comes from this origin (Sec-Fetch-Site and Origin, when sent)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


class Site:
    """The routes being built for one console, and what their handlers share."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.workspace = console.workspace
        self.routes: list[Route | Mount] = []

    def page(
        self, path: str, *roles: str, methods: tuple[str, ...] = ("GET",), json_api: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register a handler that needs a session; `roles` (if any) may see it; POSTs need the CSRF token."""
        console, routes = self.console, self.routes

        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                session = await run_in_threadpool(console.current, request)
                if session is None:
                    if json_api or request.method != "GET":
                        return JSONResponse(
                            {"status": "signed-out", "error": "sign in again"}, status_code=401
                        )
                    return RedirectResponse("/login", status_code=303)
                if roles and session.role not in roles:
                    message = f"{session.name} ({session.role}) may not open this page; it is for {' or '.join(roles)} keys"
                    if json_api:
                        return JSONResponse(
                            {"status": "refused", "error": message}, status_code=403
                        )
                    return await run_in_threadpool(console.error, request, session, 403, message)
                if request.method == "POST":
                    sent = request.headers.get("x-csrf-token")
                    if sent is None and "form" in request.headers.get("content-type", ""):
                        sent = str((await request.form()).get("csrf") or "")
                    if not same_origin(request) or not same_token(sent, session.csrf):
                        message = "this request did not carry the page's CSRF token (or came from another site); reload the page"
                        if json_api:
                            return JSONResponse(
                                {"status": "refused", "error": message}, status_code=403
                            )
                        return await run_in_threadpool(
                            console.error, request, session, 403, message
                        )
                try:
                    return await handler(request, session)
                except lib.GovernError as error:
                    reasons = list(getattr(error, "reasons", []))
                    text = str(error).split("\n  - ")[0]
                    if json_api:
                        return JSONResponse(
                            {"status": "refused", "error": text, "reasons": reasons},
                            status_code=_status_of(error),
                        )
                    return await run_in_threadpool(
                        console.error, request, session, _status_of(error), text, reasons
                    )

            endpoint.roles = roles  # type: ignore[attr-defined]
            routes.append(Route(path, endpoint, methods=list(methods)))
            return handler

        return register

    def render(
        self, request: Request, session: ConsoleSession, name: str, **context: Any
    ) -> Awaitable[HTMLResponse]:
        """Render template `name` for a signed-in page, off the event loop."""
        return run_in_threadpool(self.console.render, request, name, context, 200, session)

    @staticmethod
    def remember_subject(session: ConsoleSession, subject: str, prefix: str) -> Response:
        """Keep a typed subject id in the session under a random lookup token; redirect to it."""
        subject = subject.strip()
        if not subject or len(subject) > 500:
            raise lib.BadInput("type a subject id (at most 500 characters)")
        lookup = token()[:16]
        session.lookups = dict(list(session.lookups.items())[-16:])
        session.lookups[lookup] = subject
        return RedirectResponse(prefix + lookup, status_code=303)

    @staticmethod
    def subject(session: ConsoleSession, lookup: str) -> str:
        """The subject id behind a lookup token of this session."""
        found = session.lookups.get(lookup)
        if found is None:
            raise lib.NotFound(
                "this lookup belongs to another session or has expired; look the subject up again"
            )
        return found


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body (BadInput when it is not JSON)."""
    try:
        body = await request.json()
    except ValueError:
        raise lib.BadInput("the request body is not JSON") from None
    return body if isinstance(body, dict) else {}


def query(params: Any, **changes: Any) -> str | None:
    """`params` with `changes` as a query string; None when a change is None (no such page)."""
    if any(v is None for v in changes.values()):
        return None
    merged = {**dict(params), **{k: str(v) for k, v in changes.items()}}
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in merged.items() if v})
