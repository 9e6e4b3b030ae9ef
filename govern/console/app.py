"""The console's web application: Starlette routes over `govern.console.library`.

Pages are rendered on the server (Jinja2, autoescaped); the only script is the console's own
`static/console.js`, which imports the user's key (WebCrypto, non-extractable), signs the login
challenge and each action's bytes, and polls long checks. Every response forbids anything but
this origin (CSP), every state-changing request needs the session's CSRF token and a same-origin
request, and every page checks the session's role against `PAGES`; what an action may do is
decided by the library, which refuses a key whose role may not act.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govern.console import library as lib
from govern.console.security import LOGIN_COOKIE, SESSION_COOKIE, ConsoleSession, Guard, token
from govern.console.security import same as same_token

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
    OFFICER: [("/officer", "Approval queue"), ("/officer/consent", "Consent"), ("/runs", "Runs")],
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
    REVIEWER: [("/runs", "Runs")],
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

    def __init__(self, workspace: Any, guard: Guard) -> None:
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


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


def create_app(
    workspace: Any,
    *,
    session_seconds: int | None = None,
    guard: Guard | None = None,
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """The console for `workspace`. `allowed_hosts` limits the Host header (loopback names by default)."""
    console = Console(
        workspace, guard or (Guard(session_seconds=session_seconds) if session_seconds else Guard())
    )
    routes: list[Route | Mount] = []

    def page(
        path: str, *roles: str, methods: tuple[str, ...] = ("GET",), json_api: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register a handler that needs a session; `roles` (if any) may see it; POSTs need the CSRF token."""

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
                    if not _same_origin(request) or not same_token(sent, session.csrf):
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
        request: Request, session: ConsoleSession, name: str, **context: Any
    ) -> Awaitable[HTMLResponse]:
        return run_in_threadpool(console.render, request, name, context, 200, session)

    # public ----------------------------------------------------------------------------------

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def login_page(request: Request) -> Response:
        if await run_in_threadpool(console.current, request) is not None:
            return RedirectResponse("/", status_code=303)
        login = console.guard.login(request.cookies.get(LOGIN_COOKIE))
        response = await run_in_threadpool(
            console.render, request, "login.html.j2", {"csrf": login.csrf}
        )
        response.set_cookie(
            LOGIN_COOKIE, login.id, max_age=600, httponly=True, samesite="strict", path="/"
        )
        return response

    def _login_refusal(message: str, status: int = 403) -> JSONResponse:
        return JSONResponse({"status": "refused", "error": message}, status_code=status)

    async def login_challenge(request: Request) -> Response:
        login = console.guard.pending_login(request.cookies.get(LOGIN_COOKIE))
        if (
            login is None
            or not _same_origin(request)
            or not same_token(request.headers.get("x-csrf-token"), login.csrf)
        ):
            return _login_refusal(
                "the login page expired or this request came from elsewhere; reload the login page"
            )
        challenge = console.guard.challenge(
            login, f"{request.url.scheme}://{request.headers.get('host', '')}"
        )
        return JSONResponse({"challenge": challenge.id, "message": challenge.message.hex()})

    async def login_answer(request: Request) -> Response:
        login_id = request.cookies.get(LOGIN_COOKIE)
        login = console.guard.pending_login(login_id)
        if (
            login is None
            or not _same_origin(request)
            or not same_token(request.headers.get("x-csrf-token"), login.csrf)
        ):
            return _login_refusal(
                "the login page expired or this request came from elsewhere; reload the login page"
            )
        try:
            body = await _json(request)
        except lib.BadInput as error:
            return _login_refusal(str(error), 400)
        challenge = console.guard.take_challenge(str(body.get("challenge") or ""), login_id)
        if challenge is None:
            return _login_refusal(
                "this challenge is unknown, expired or already answered; try again"
            )
        found = await run_in_threadpool(
            lib.identity_signing, workspace, challenge.message, str(body.get("signature") or "")
        )
        if found is None:
            return _login_refusal(
                "no key registered in this workspace's ledger made this signature; "
                "pick the key file `govern keys create` wrote for you"
            )
        session = console.guard.open(
            found.key_id, found.name, found.role, found.public_key, login_id
        )
        response = JSONResponse(
            {
                "status": "signed-in",
                "name": found.name,
                "role": found.role,
                "redirect": HOME.get(found.role, "/home"),
            }
        )
        response.set_cookie(
            SESSION_COOKIE,
            session.id,
            max_age=console.guard.session_seconds,
            httponly=True,
            samesite="strict",
            path="/",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    routes += [
        Route("/healthz", healthz),
        Route("/login", login_page),
        Route("/login/challenge", login_challenge, methods=["POST"]),
        Route("/login", login_answer, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]

    # any signed-in key -----------------------------------------------------------------------

    @page("/")
    async def home(request: Request, session: ConsoleSession) -> Response:
        return RedirectResponse(HOME.get(session.role, "/home"), status_code=303)

    @page("/home")
    async def home_page(request: Request, session: ConsoleSession) -> Response:
        return await render(request, session, "home.html.j2", title="Home")

    @page("/logout", methods=("POST",))
    async def logout(request: Request, session: ConsoleSession) -> Response:
        console.guard.close(session.id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @page("/actions/{name}", methods=("POST",), json_api=True)
    async def action_start(request: Request, session: ConsoleSession) -> Response:
        body = await _json(request)
        sent = body.get("inputs")
        inputs: dict[str, Any] = sent if isinstance(sent, dict) else {}
        registered = (await run_in_threadpool(lib.identities, workspace)).get(session.key_id)
        if registered is None:
            return JSONResponse({"status": "signed-out", "error": "sign in again"}, status_code=401)
        name = request.path_params["name"]
        values = {k: str(v) for k, v in inputs.items()}
        if (
            "subject" in values
        ):  # the page holds a lookup token; the subject id itself never left the server
            values["subject"] = _subject(session, values["subject"])
        action = lib.start_action(workspace, registered, name, values)
        action_id = token()
        session.actions = {k: v for k, v in list(session.actions.items())[-8:]}
        session.actions[action_id] = (name, action)
        return await _advance(session, action_id, None)

    @page("/actions/pending/{action_id}", methods=("POST",), json_api=True)
    async def action_continue(request: Request, session: ConsoleSession) -> Response:
        body = await _json(request)
        signature = str(body.get("signature") or "")
        if (
            not signature
            or len(signature) != 128
            or any(c not in "0123456789abcdefABCDEF" for c in signature)
        ):
            raise lib.BadInput("signature: send the 64-byte Ed25519 signature as hex")
        return await _advance(session, request.path_params["action_id"], signature)

    async def _advance(session: ConsoleSession, action_id: str, signature: str | None) -> Response:
        pending = session.actions.get(action_id)
        if pending is None:
            raise lib.NotFound("no such action in progress; start it again")
        name, action = pending
        try:
            step = await run_in_threadpool(action.advance, signature)
        except lib.GovernError:
            session.actions.pop(action_id, None)
            raise
        if not step.done:
            return JSONResponse(
                {"status": "sign", "action": action_id, "message": step.message.hex()}
            )
        session.actions.pop(action_id, None)
        return JSONResponse({"status": "done", "message": lib.ACTIONS[name].describe(step.result)})

    # officer ---------------------------------------------------------------------------------

    @page("/officer", OFFICER)
    async def officer_queue(request: Request, session: ConsoleSession) -> Response:
        everything = request.query_params.get("show") == "all"
        queue = await run_in_threadpool(lib.snapshot_queue, workspace, everything)
        return await render(
            request,
            session,
            "officer_queue.html.j2",
            title="Approval queue",
            queue=queue,
            everything=everything,
        )

    @page("/officer/snapshots/{snapshot_id}", OFFICER)
    async def officer_snapshot(request: Request, session: ConsoleSession) -> Response:
        evidence = await run_in_threadpool(
            lib.snapshot_evidence, workspace, request.path_params["snapshot_id"]
        )
        return await render(
            request,
            session,
            "officer_snapshot.html.j2",
            title=f"Snapshot {evidence['snapshot']['id'][:12]}",
            e=evidence,
        )

    @page("/officer/consent", OFFICER)
    async def consent_form(request: Request, session: ConsoleSession) -> Response:
        return await render(
            request,
            session,
            "lookup.html.j2",
            title="Consent",
            action="/officer/consent",
            heading="Consent of a data subject",
            explain="Type a subject id to see its consent history, revoke it, or erase the subject. "
            "The id is sent in the request body, hashed with the workspace's key, and never shown or logged.",
        )

    @page("/officer/consent", OFFICER, methods=("POST",))
    async def consent_lookup(request: Request, session: ConsoleSession) -> Response:
        return _remember_subject(
            session, str((await request.form()).get("subject") or ""), "/officer/consent/"
        )

    @page("/officer/consent/{lookup}", OFFICER)
    async def consent_subject(request: Request, session: ConsoleSession) -> Response:
        lookup = request.path_params["lookup"]
        found = await run_in_threadpool(lib.subject_consent, workspace, _subject(session, lookup))
        return await render(
            request, session, "officer_consent.html.j2", title="Consent", s=found, lookup=lookup
        )

    @page("/officer/consent/{lookup}/erase", OFFICER)
    async def erase_confirm(request: Request, session: ConsoleSession) -> Response:
        lookup = request.path_params["lookup"]
        found = await run_in_threadpool(lib.subject_consent, workspace, _subject(session, lookup))
        return await render(
            request,
            session,
            "officer_erase.html.j2",
            title="Erase a subject",
            s=found,
            lookup=lookup,
        )

    # auditor ---------------------------------------------------------------------------------

    @page("/auditor/ledger", AUDITOR)
    async def ledger_page(request: Request, session: ConsoleSession) -> Response:
        q = request.query_params
        people = await run_in_threadpool(lib.identities, workspace)
        actor = q.get("actor") or ""
        keys = [k for k, i in people.items() if i.person == actor] if actor else None
        before = int(q["before"]) if q.get("before", "").isdigit() else None
        found = await run_in_threadpool(
            lib.ledger_page,
            workspace,
            q.get("event") or None,
            keys,
            q.get("since"),
            q.get("until"),
            before,
        )
        persons = sorted({(i.person, i.name) for i in people.values()})
        return await render(
            request,
            session,
            "auditor_ledger.html.j2",
            title="Ledger",
            page=found,
            events=lib.EVENTS,
            persons=persons,
            q=dict(q),
            next_query=_query(q, before=found["next_before"]),
            newest_query=_query({k: v for k, v in q.items() if k != "before"}),
        )

    @page("/auditor/verify", AUDITOR)
    async def verify_page(request: Request, session: ConsoleSession) -> Response:
        return await render(request, session, "auditor_verify.html.j2", title="Verify")

    @page("/auditor/verify", AUDITOR, methods=("POST",), json_api=True)
    async def verify_start(request: Request, session: ConsoleSession) -> Response:
        return JSONResponse({"job": console.start_job(session)})

    @page("/auditor/verify/{job}", AUDITOR, json_api=True)
    async def verify_progress(request: Request, session: ConsoleSession) -> Response:
        job = console.jobs.get(request.path_params["job"])
        if job is None or job["owner"] != session.id:
            raise lib.NotFound("no such verification")
        return JSONResponse({k: v for k, v in job.items() if k != "owner"})

    @page("/auditor/reports", AUDITOR)
    async def reports_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(lib.reports, workspace)
        return await render(
            request, session, "auditor_reports.html.j2", title="Reports", reports=found, check=None
        )

    @page("/auditor/reports/verify", AUDITOR, methods=("POST",))
    async def report_upload(request: Request, session: ConsoleSession) -> Response:
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD:
            raise lib.BadInput(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
        upload = (await request.form(max_files=1, max_fields=4)).get("report")
        if not isinstance(upload, UploadFile):
            raise lib.BadInput("choose a report file to verify")
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise lib.BadInput(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
        check = await run_in_threadpool(
            lib.verify_uploaded_report, workspace, data, upload.filename or "report"
        )
        found = await run_in_threadpool(lib.reports, workspace)
        return await render(
            request, session, "auditor_reports.html.j2", title="Reports", reports=found, check=check
        )

    @page("/auditor/reports/{name}", AUDITOR)
    async def report_view(request: Request, session: ConsoleSession) -> Response:
        path, listed = await run_in_threadpool(
            lib.report_file, workspace, request.path_params["name"]
        )
        kind = (
            "text/html; charset=utf-8"
            if listed["format"] == "html"
            else "text/plain; charset=utf-8"
        )
        return FileResponse(path, media_type=kind, headers={"content-security-policy": REPORT_CSP})

    @page("/auditor/reports/{name}/download", AUDITOR)
    async def report_download(request: Request, session: ConsoleSession) -> Response:
        path, _ = await run_in_threadpool(lib.report_file, workspace, request.path_params["name"])
        return FileResponse(
            path,
            media_type="application/octet-stream",
            filename=path.name,
            headers={"content-security-policy": REPORT_CSP},
        )

    @page("/auditor/lineage", AUDITOR)
    async def lineage_index(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(lib.runs, workspace)
        return await render(
            request, session, "auditor_lineage.html.j2", title="Lineage", runs=found, lineage=None
        )

    @page("/auditor/lineage/{run_id}", AUDITOR)
    async def lineage_of_run(request: Request, session: ConsoleSession) -> Response:
        run_id = request.path_params["run_id"]
        found = await run_in_threadpool(lib.run_lineage, workspace, run_id)
        return await render(
            request,
            session,
            "auditor_lineage.html.j2",
            title=f"Lineage of {run_id}",
            runs=None,
            lineage=found,
            run_id=run_id,
        )

    @page("/auditor/subject", AUDITOR)
    async def subject_form(request: Request, session: ConsoleSession) -> Response:
        return await render(
            request,
            session,
            "lookup.html.j2",
            title="Subjects",
            action="/auditor/subject",
            heading="Which models saw a data subject?",
            explain="Type a subject id to list the snapshots holding its records and the runs and adapters "
            "trained on them. The id is hashed with the workspace's key and never shown or logged.",
        )

    @page("/auditor/subject", AUDITOR, methods=("POST",))
    async def subject_post(request: Request, session: ConsoleSession) -> Response:
        return _remember_subject(
            session, str((await request.form()).get("subject") or ""), "/auditor/subject/"
        )

    @page("/auditor/subject/{lookup}", AUDITOR)
    async def subject_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(
            lib.subject_lookup, workspace, _subject(session, request.path_params["lookup"])
        )
        return await render(
            request, session, "auditor_subject.html.j2", title="Subject lineage", s=found
        )

    @page("/auditor/budget", AUDITOR)
    async def budget_page(request: Request, session: ConsoleSession) -> Response:
        try:
            found, missing = await run_in_threadpool(lib.budget, workspace), None
        except ImportError as error:
            found, missing = (
                [],
                f"the privacy accountant is not installed ({error.name}); install govern[train]",
            )
        return await render(
            request,
            session,
            "auditor_budget.html.j2",
            title="Budget",
            budgets=found,
            missing=missing,
        )

    # runs and refusals -----------------------------------------------------------------------

    @page("/runs", *RUN_READERS)
    async def runs_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(lib.runs, workspace)
        return await render(request, session, "runs.html.j2", title="Runs", runs=found)

    @page("/runs/{run_id}", *RUN_READERS)
    async def run_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(lib.run_detail, workspace, request.path_params["run_id"])
        return await render(
            request, session, "run.html.j2", title=f"Run {found['run']['id']}", d=found
        )

    @page("/refusals", ENGINEER, AUDITOR)
    async def refusals_page(request: Request, session: ConsoleSession) -> Response:
        q = request.query_params
        before = int(q["before"]) if q.get("before", "").isdigit() else None
        found = await run_in_threadpool(lib.refusals, workspace, before)
        return await render(
            request,
            session,
            "refusals.html.j2",
            title="Gate refusals",
            page=found,
            next_query=_query(q, before=found["next_before"]),
        )

    def _remember_subject(session: ConsoleSession, subject: str, prefix: str) -> Response:
        subject = subject.strip()
        if not subject or len(subject) > 500:
            raise lib.BadInput("type a subject id (at most 500 characters)")
        lookup = token()[:16]
        session.lookups = dict(list(session.lookups.items())[-16:])
        session.lookups[lookup] = subject
        return RedirectResponse(prefix + lookup, status_code=303)

    def _subject(session: ConsoleSession, lookup: str) -> str:
        found = session.lookups.get(lookup)
        if found is None:
            raise lib.NotFound(
                "this lookup belongs to another session or has expired; look the subject up again"
            )
        return found

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
        routes=routes,
        exception_handlers={HTTPException: not_found},  # type: ignore[dict-item]
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
        ],
    )
    app.state.console = console
    return app


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise lib.BadInput("the request body is not JSON") from None
    return body if isinstance(body, dict) else {}


def _query(params: Any, **changes: Any) -> str | None:
    if any(v is None for v in changes.values()):
        return None
    merged = {**dict(params), **{k: str(v) for k, v in changes.items()}}
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in merged.items() if v})
