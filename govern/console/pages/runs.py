"""Pages for everyone who reads runs (engineers, officers, reviewers, auditors): runs and gate refusals."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from govern.console import library as lib
from govern.console.security import ConsoleSession
from govern.console.site import (
    AUDITOR,
    ENGINEER,
    RUN_READERS,
    Site,
    query,
)


def add_routes(site: Site) -> None:
    """Register this module's routes on `site`."""
    # runs and refusals -----------------------------------------------------------------------

    @site.page("/runs", *RUN_READERS)
    async def runs_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(lib.runs, site.workspace)
        return await site.render(request, session, "runs.html.j2", title="Runs", runs=found)

    @site.page("/runs/{run_id}", *RUN_READERS)
    async def run_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(
            lib.run_detail, site.workspace, request.path_params["run_id"]
        )
        return await site.render(
            request, session, "run.html.j2", title=f"Run {found['run']['id']}", d=found
        )

    @site.page("/refusals", ENGINEER, AUDITOR)
    async def refusals_page(request: Request, session: ConsoleSession) -> Response:
        q = request.query_params
        before = int(q["before"]) if q.get("before", "").isdigit() else None
        found = await run_in_threadpool(lib.refusals, site.workspace, before)
        return await site.render(
            request,
            session,
            "refusals.html.j2",
            title="Gate refusals",
            page=found,
            next_query=query(q, before=found["next_before"]),
        )
