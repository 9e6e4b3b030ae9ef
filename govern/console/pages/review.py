"""The blind-review pages (reviewers and officers): the samples to review, and one sample's items
as A and B, answered and signed in the browser (the `blind_review` action)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from govern.console import library as lib
from govern.console.security import ConsoleSession
from govern.console.site import OFFICER, REVIEWER, Site


def add_routes(site: Site) -> None:
    """Register this module's routes on `site`."""

    @site.page("/reviews", REVIEWER, OFFICER)
    async def samples_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(lib.review_samples, site.workspace)
        return await site.render(
            request, session, "review_samples.html.j2", title="Blind review", samples=found
        )

    @site.page("/reviews/{sample_id}", REVIEWER, OFFICER)
    async def sample_page(request: Request, session: ConsoleSession) -> Response:
        found = await run_in_threadpool(
            lib.review_sample, site.workspace, request.path_params["sample_id"], session.key_id
        )
        return await site.render(
            request,
            session,
            "review_sample.html.j2",
            title=f"Blind review {found['sample_id'][:12]}",
            s=found,
        )
