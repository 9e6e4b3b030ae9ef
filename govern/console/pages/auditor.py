"""The auditor's pages: ledger, verification, reports, lineage, subjects, budget."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from govern.console import library as lib
from govern.console.security import ConsoleSession
from govern.console.site import (
    AUDITOR,
    MAX_UPLOAD,
    REPORT_CSP,
    Site,
    query,
)


def add_routes(site: Site) -> None:
    """Register this module's routes on `site`."""
    # auditor ---------------------------------------------------------------------------------

    @site.page("/auditor/ledger", AUDITOR)
    async def ledger_page(request: Request, session: ConsoleSession) -> Response:
        q = request.query_params
        people = await run_in_threadpool(lib.identities, site.workspace)
        actor = q.get("actor") or ""
        keys = [k for k, i in people.items() if i.person == actor] if actor else None
        before = int(q["before"]) if q.get("before", "").isdigit() else None
        found = await run_in_threadpool(
            lib.ledger_page,
            site.workspace,
            q.get("event") or None,
            keys,
            q.get("since"),
            q.get("until"),
            before,
        )
        persons = sorted({(i.person, i.name) for i in people.values()})
        return await site.render(
            request,
            session,
            "auditor_ledger.html.j2",
            title="Ledger",
            page=found,
            events=lib.EVENTS,
            persons=persons,
            q=dict(q),
            next_query=query(q, before=found["next_before"]),
            newest_query=query({k: v for k, v in q.items() if k != "before"}),
        )

    @site.page("/auditor/verify", AUDITOR)
    async def verify_page(request: Request, session: ConsoleSession) -> Response:
        return await site.render(request, session, "auditor_verify.html.j2", title="Verify")

    @site.page("/auditor/verify", AUDITOR, methods=("POST",), json_api=True)
    async def verify_start(request: Request, session: ConsoleSession) -> Response:
        return JSONResponse({"job": site.console.start_job(session)})

    @site.page("/auditor/verify/{job}", AUDITOR, json_api=True)
    async def verify_progress(request: Request, session: ConsoleSession) -> Response:
        job = site.console.jobs.get(request.path_params["job"])
        if job is None or job["owner"] != session.id:
            raise lib.NotFound("no such verification")
        return JSONResponse({k: v for k, v in job.items() if k != "owner"})

    @site.page("/auditor/reports", AUDITOR)
    async def reports_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(lib.reports, site.workspace)
        return await site.render(
            request, session, "auditor_reports.html.j2", title="Reports", reports=found, check=None
        )

    @site.page("/auditor/reports/verify", AUDITOR, methods=("POST",))
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
            lib.verify_uploaded_report, site.workspace, data, upload.filename or "report"
        )
        found = await run_in_threadpool(lib.reports, site.workspace)
        return await site.render(
            request, session, "auditor_reports.html.j2", title="Reports", reports=found, check=check
        )

    @site.page("/auditor/reports/{name}", AUDITOR)
    async def report_view(request: Request, session: ConsoleSession) -> Response:
        path, listed = await run_in_threadpool(
            lib.report_file, site.workspace, request.path_params["name"]
        )
        kind = (
            "text/html; charset=utf-8"
            if listed["format"] == "html"
            else "text/plain; charset=utf-8"
        )
        return FileResponse(path, media_type=kind, headers={"content-security-policy": REPORT_CSP})

    @site.page("/auditor/reports/{name}/download", AUDITOR)
    async def report_download(request: Request, session: ConsoleSession) -> Response:
        path, _ = await run_in_threadpool(
            lib.report_file, site.workspace, request.path_params["name"]
        )
        return FileResponse(
            path,
            media_type="application/octet-stream",
            filename=path.name,
            headers={"content-security-policy": REPORT_CSP},
        )

    @site.page("/auditor/lineage", AUDITOR)
    async def lineage_index(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(lib.runs, site.workspace)
        return await site.render(
            request, session, "auditor_lineage.html.j2", title="Lineage", runs=found, lineage=None
        )

    @site.page("/auditor/lineage/{run_id}", AUDITOR)
    async def lineage_of_run(request: Request, session: ConsoleSession) -> Response:
        run_id = request.path_params["run_id"]
        found = await run_in_threadpool(lib.run_lineage, site.workspace, run_id)
        return await site.render(
            request,
            session,
            "auditor_lineage.html.j2",
            title=f"Lineage of {run_id}",
            runs=None,
            lineage=found,
            run_id=run_id,
        )

    @site.page("/auditor/subject", AUDITOR)
    async def subject_form(request: Request, session: ConsoleSession) -> Response:
        return await site.render(
            request,
            session,
            "lookup.html.j2",
            title="Subjects",
            action="/auditor/subject",
            heading="Which models saw a data subject?",
            explain="Type a subject id to list the snapshots holding its records and the runs and adapters "
            "trained on them. The id is hashed with the workspace's key and never shown or logged.",
        )

    @site.page("/auditor/subject", AUDITOR, methods=("POST",))
    async def subject_post(request: Request, session: ConsoleSession) -> Response:
        return site.remember_subject(
            session, str((await request.form()).get("subject") or ""), "/auditor/subject/"
        )

    @site.page("/auditor/subject/{lookup}", AUDITOR)
    async def subject_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(
            lib.subject_lookup, site.workspace, site.subject(session, request.path_params["lookup"])
        )
        return await site.render(
            request, session, "auditor_subject.html.j2", title="Subject lineage", s=found
        )

    @site.page("/auditor/budget", AUDITOR)
    async def budget_page(request: Request, session: ConsoleSession) -> Response:
        try:
            found, missing = await run_in_threadpool(lib.budget, site.workspace), None
        except ImportError as error:
            found, missing = (
                [],
                f"the privacy accountant is not installed ({error.name}); install govern[train]",
            )
        return await site.render(
            request,
            session,
            "auditor_budget.html.j2",
            title="Budget",
            budgets=found,
            missing=missing,
        )
