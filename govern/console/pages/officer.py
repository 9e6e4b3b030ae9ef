"""The officer's pages: the approval queue, a snapshot's evidence, a subject's consent."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from govern.console import library as lib
from govern.console.security import ConsoleSession
from govern.console.site import (
    OFFICER,
    Site,
)


def add_routes(site: Site) -> None:
    """Register this module's routes on `site`."""
    # officer ---------------------------------------------------------------------------------

    @site.page("/officer", OFFICER)
    async def officer_queue(request: Request, session: ConsoleSession) -> Response:
        everything = request.query_params.get("show") == "all"
        queue = await run_in_threadpool(lib.snapshot_queue, site.workspace, everything)
        return await site.render(
            request,
            session,
            "officer_queue.html.j2",
            title="Approval queue",
            queue=queue,
            everything=everything,
        )

    @site.page("/officer/snapshots/{snapshot_id}", OFFICER)
    async def officer_snapshot(request: Request, session: ConsoleSession) -> Response:
        evidence = await run_in_threadpool(
            lib.snapshot_evidence, site.workspace, request.path_params["snapshot_id"]
        )
        return await site.render(
            request,
            session,
            "officer_snapshot.html.j2",
            title=f"Snapshot {evidence['snapshot']['id'][:12]}",
            e=evidence,
        )

    @site.page("/officer/consent", OFFICER)
    async def consent_form(request: Request, session: ConsoleSession) -> Response:
        return await site.render(
            request,
            session,
            "lookup.html.j2",
            title="Consent",
            action="/officer/consent",
            heading="Consent of a data subject",
            explain="Type a subject id to see its consent history, revoke it, or erase the subject. "
            "The id is sent in the request body, hashed with the workspace's key, and never shown or logged.",
        )

    @site.page("/officer/consent", OFFICER, methods=("POST",))
    async def consent_lookup(request: Request, session: ConsoleSession) -> Response:
        return site.remember_subject(
            session, str((await request.form()).get("subject") or ""), "/officer/consent/"
        )

    @site.page("/officer/consent/{lookup}", OFFICER)
    async def consent_subject(request: Request, session: ConsoleSession) -> Response:
        lookup = request.path_params["lookup"]
        found = await run_in_threadpool(
            lib.subject_consent, site.workspace, site.subject(session, lookup)
        )
        return await site.render(
            request, session, "officer_consent.html.j2", title="Consent", s=found, lookup=lookup
        )

    @site.page("/officer/consent/{lookup}/erase", OFFICER)
    async def erase_confirm(request: Request, session: ConsoleSession) -> Response:
        lookup = request.path_params["lookup"]
        found = await run_in_threadpool(
            lib.subject_consent, site.workspace, site.subject(session, lookup)
        )
        return await site.render(
            request,
            session,
            "officer_erase.html.j2",
            title="Erase a subject",
            s=found,
            lookup=lookup,
        )
