"""The console's public routes (login by a signed challenge) and what any signed-in key may do:
home, logout, and the signed actions (approve, reject, revoke, erase, review, release)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from govern.console import library as lib
from govern.console.security import LOGIN_COOKIE, SESSION_COOKIE, ConsoleSession, token
from govern.console.security import same as same_token
from govern.console.site import (
    HERE,
    HOME,
    Site,
    json_body,
    same_origin,
)


def add_routes(site: Site) -> None:
    """Register this module's routes on `site`."""
    # public ----------------------------------------------------------------------------------

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def login_page(request: Request) -> Response:
        if await run_in_threadpool(site.console.current, request) is not None:
            return RedirectResponse("/", status_code=303)
        login = site.console.guard.login(request.cookies.get(LOGIN_COOKIE))
        response = await run_in_threadpool(
            site.console.render, request, "login.html.j2", {"csrf": login.csrf}
        )
        response.set_cookie(
            LOGIN_COOKIE, login.id, max_age=600, httponly=True, samesite="strict", path="/"
        )
        return response

    def _login_refusal(message: str, status: int = 403) -> JSONResponse:
        return JSONResponse({"status": "refused", "error": message}, status_code=status)

    async def login_challenge(request: Request) -> Response:
        login = site.console.guard.pending_login(request.cookies.get(LOGIN_COOKIE))
        if (
            login is None
            or not same_origin(request)
            or not same_token(request.headers.get("x-csrf-token"), login.csrf)
        ):
            return _login_refusal(
                "the login page expired or this request came from elsewhere; reload the login page"
            )
        challenge = site.console.guard.challenge(
            login, f"{request.url.scheme}://{request.headers.get('host', '')}"
        )
        return JSONResponse({"challenge": challenge.id, "message": challenge.message.hex()})

    async def login_answer(request: Request) -> Response:
        login_id = request.cookies.get(LOGIN_COOKIE)
        login = site.console.guard.pending_login(login_id)
        if (
            login is None
            or not same_origin(request)
            or not same_token(request.headers.get("x-csrf-token"), login.csrf)
        ):
            return _login_refusal(
                "the login page expired or this request came from elsewhere; reload the login page"
            )
        try:
            body = await json_body(request)
        except lib.BadInput as error:
            return _login_refusal(str(error), 400)
        challenge = site.console.guard.take_challenge(str(body.get("challenge") or ""), login_id)
        if challenge is None:
            return _login_refusal(
                "this challenge is unknown, expired or already answered; try again"
            )
        found = await run_in_threadpool(
            lib.identity_signing,
            site.workspace,
            challenge.message,
            str(body.get("signature") or ""),
        )
        if found is None:
            return _login_refusal(
                "no key registered in this workspace's ledger made this signature; "
                "pick the key file `govern keys create` wrote for you"
            )
        session = site.console.guard.open(
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
            max_age=site.console.guard.session_seconds,
            httponly=True,
            samesite="strict",
            path="/",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    site.routes += [
        Route("/healthz", healthz),
        Route("/login", login_page),
        Route("/login/challenge", login_challenge, methods=["POST"]),
        Route("/login", login_answer, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]

    # any signed-in key -----------------------------------------------------------------------

    @site.page("/")
    async def home(request: Request, session: ConsoleSession) -> Response:
        return RedirectResponse(HOME.get(session.role, "/home"), status_code=303)

    @site.page("/home")
    async def home_page(request: Request, session: ConsoleSession) -> Response:
        return await site.render(request, session, "home.html.j2", title="Home")

    @site.page("/logout", methods=("POST",))
    async def logout(request: Request, session: ConsoleSession) -> Response:
        site.console.guard.close(session.id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @site.page("/actions/{name}", methods=("POST",), json_api=True)
    async def action_start(request: Request, session: ConsoleSession) -> Response:
        body = await json_body(request)
        sent = body.get("inputs")
        inputs: dict[str, Any] = sent if isinstance(sent, dict) else {}
        registered = (await run_in_threadpool(lib.identities, site.workspace)).get(session.key_id)
        if registered is None:
            return JSONResponse({"status": "signed-out", "error": "sign in again"}, status_code=401)
        name = request.path_params["name"]
        values = {k: str(v) for k, v in inputs.items()}
        if (
            "subject" in values
        ):  # the page holds a lookup token; the subject id itself never left the server
            values["subject"] = site.subject(session, values["subject"])
        action = lib.start_action(site.workspace, registered, name, values)
        action_id = token()
        session.actions = {k: v for k, v in list(session.actions.items())[-8:]}
        session.actions[action_id] = (name, action)
        return await _advance(session, action_id, None)

    @site.page("/actions/pending/{action_id}", methods=("POST",), json_api=True)
    async def action_continue(request: Request, session: ConsoleSession) -> Response:
        body = await json_body(request)
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
