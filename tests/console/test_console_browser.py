"""The console in a real browser: Playwright drives Debian's Chromium against `govern serve`'s app
on loopback. An officer signs in with a key file and approves a snapshot (WebCrypto signs the
same bytes the CLI signs: the ledger is byte-for-byte what `govern approve` writes at that time);
an auditor is refused approving even by calling the action itself; a tampered ledger shows as
failed on the verify page; markup in data renders inert; and no page requests anything from
anywhere but the console. Each page is screenshotted at 1280 px wide into a temporary folder
(or $GOVERN_CONSOLE_SCREENSHOTS), for people to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = next(
    (
        p
        for p in (
            "/usr/bin/chromium",
            shutil.which("chromium") or "",
            shutil.which("chromium-browser") or "",
        )
        if p and Path(p).is_file()
    ),
    None,
)
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (apt-get install -y chromium): "
        "the console's browser tests drive it through Playwright",
    ),
    pytest.mark.slow,
]
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser tests need Playwright: pip install 'govern[test]'"
)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright (which gives it a fresh profile folder of its own)."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(
        os.environ.get("GOVERN_CONSOLE_SCREENSHOTS")
        or tmp_path_factory.mktemp("console-screenshots")
    )
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {folder}")
    return folder


@contextmanager
def serving(workspace: Any) -> Iterator[str]:
    """The console app on uvicorn, on a free loopback port, in a thread."""
    import uvicorn

    from govern.console import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(workspace), log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class Visit:
    """A page in the browser that records every request, console error and dialog."""

    def __init__(self, browser: Any, base: str, shots: Path) -> None:
        self.base, self.shots = base, shots
        self.outside: list[str] = []
        self.bodies: list[bytes] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}
        )  # fresh cookies and IndexedDB
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _route(self, route: Any) -> None:
        request = route.request
        if request.url.startswith(self.base + "/") or request.url == self.base:
            if request.post_data_buffer:
                self.bodies.append(request.post_data_buffer)
            route.continue_()
        else:
            self.outside.append(request.url)
            route.abort()

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, key_file: Path) -> None:
        self.go("/login")
        self.page.set_input_files("#key-file", str(key_file))
        with self.page.expect_navigation():
            self.page.click("form[data-login] button[type=submit]")
        self.page.wait_for_load_state()

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], f"pages requested things outside the console: {self.outside}"
        csp = [e for e in self.errors if "Content Security Policy" in e or "Refused to" in e]
        assert csp == [], f"CSP violations: {csp}"


@pytest.fixture
def visit(chromium: Any, screenshots: Path) -> Iterator[Any]:
    opened: list[Visit] = []

    def open_(base: str) -> Visit:
        found = Visit(chromium, base, screenshots)
        opened.append(found)
        return found

    yield open_
    for found in opened:
        found.close()


def _dump(workspace: Any) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(workspace.state_dir / "catalog.db")
    try:
        tables = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
            )
        ]
        return {
            t: sorted(connection.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
            for t in tables
        }
    finally:
        connection.close()


def test_an_officer_signs_in_with_a_key_file_and_approves_and_the_cli_verifies_it(
    console_ws, visit, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner
    from sqlmodel import select

    from govern import clock
    from govern.catalog.models import Approval
    from govern.cli import cli
    from govern.ledger.keys import load_identity
    from govern.policy.approvals import approve
    from govern.workspace import Workspace

    twin_root = tmp_path / "twin"
    shutil.copytree(console_ws.workspace.root, twin_root, symlinks=True)
    with serving(console_ws.workspace) as base:
        browser = visit(base)
        browser.go("/")
        assert browser.page.url.endswith("/login")
        browser.shot("login")
        browser.login(console_ws.keys["officer"])
        assert browser.page.url.endswith("/officer")
        assert "olga" in browser.page.inner_text("header .who")
        browser.shot("officer-queue")
        browser.page.click(f"a[href='/officer/snapshots/{console_ws.pending}']")
        browser.page.wait_for_selector("form[data-action=approve]")
        browser.shot("officer-snapshot")
        browser.page.fill(
            "form[data-action=approve] textarea[name=note]", "reviewed in the browser"
        )
        browser.page.click("form[data-action=approve] button[type=submit]")
        browser.page.wait_for_selector("#flash:not([hidden])")
        assert "Approved snapshot" in browser.page.inner_text("#flash")
        browser.shot("officer-approved")
        pem = Path(console_ws.keys["officer"]).read_text()
        secret = "".join(pem.splitlines()[1:-1])
        assert all(
            secret.encode() not in body and pem.encode() not in body for body in browser.bodies
        )
    listed = CliRunner().invoke(
        cli,
        [
            "approvals",
            "list",
            "--snapshot",
            console_ws.pending,
            "--json",
            "--workspace",
            str(console_ws.workspace.root),
        ],
    )
    rows = json.loads(listed.output)
    assert [(r["verdict"], r["note"], r["problems"]) for r in rows] == [
        ("approved", "reviewed in the browser", [])
    ]
    # WebCrypto signed exactly what the CLI signs: `govern approve` at the same time writes the same bytes.
    with console_ws.workspace.catalog.reading() as session:
        row = session.exec(select(Approval).where(Approval.snapshot_id == console_ws.pending)).one()
    twin = Workspace(twin_root)
    with clock.pinned(clock.parse_time(row.signed_at), [row.id]):
        approve(
            twin,
            load_identity(console_ws.keys["officer"]),
            console_ws.pending,
            "reviewed in the browser",
        )
    assert _dump(twin) == _dump(console_ws.workspace)
    twin.catalog.dispose()


def test_an_auditor_is_refused_approving_by_the_server_not_only_by_a_hidden_button(
    console_ws, visit
) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from govern.catalog.models import Approval

    with serving(console_ws.workspace) as base:
        browser = visit(base)
        browser.login(console_ws.keys["auditor"])
        assert browser.page.url.endswith("/auditor/ledger")
        response = browser.go(f"/officer/snapshots/{console_ws.pending}")
        assert response.status == 403 and "may not open this page" in browser.page.inner_text(
            "main"
        )
        browser.shot("auditor-refused-officer-page")
        browser.go("/auditor/ledger")
        answer = browser.page.evaluate(
            """async (snapshot) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const r = await fetch('/actions/approve', {method: 'POST', headers: {'Content-Type': 'application/json',
                'X-CSRF-Token': csrf}, body: JSON.stringify({inputs: {snapshot, note: 'sneaky'}})});
            return {status: r.status, body: await r.json()};
        }""",
            console_ws.pending,
        )
    assert answer["status"] == 403 and "needs the role officer" in answer["body"]["error"]
    with console_ws.workspace.catalog.reading() as session:
        assert (
            session.exec(select(Approval).where(Approval.snapshot_id == console_ws.pending)).all()
            == []
        )


def test_a_tampered_ledger_shows_as_failed_on_the_verify_page(console_ws, visit) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with serving(console_ws.workspace) as base:
        browser = visit(base)
        browser.login(console_ws.keys["auditor"])
        browser.go("/auditor/verify")
        browser.page.click("[data-start]")
        browser.page.wait_for_selector(".verdict-box:not([hidden]) .verdict-title", timeout=60_000)
        assert browser.page.inner_text(".verdict-title").startswith("Verified")
        browser.shot("auditor-verify-ok")
        with console_ws.workspace.catalog.engine.begin() as connection:
            for name in ("no_update", "no_delete", "no_replace"):
                connection.execute(text(f"DROP TRIGGER ledger_entries_{name}"))
            connection.execute(
                text(
                    "UPDATE ledger_entries SET payload = replace(payload, 'consent', 'forged') "
                    "WHERE event = 'dataset.registered'"
                )
            )
        browser.page.click("[data-start]")
        browser.page.locator(".verdict-title", has_text="FAILED").wait_for(timeout=60_000)
        problems = browser.page.inner_text(".problems")
        assert "dataset.registered" in problems and "altered" in problems
        browser.shot("auditor-verify-failed")


def test_markup_in_data_and_notes_stays_inert_in_the_browser(console_ws, visit) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import XSS

    with serving(console_ws.workspace) as base:
        browser = visit(base)
        browser.login(console_ws.keys["officer"])
        browser.go(f"/officer/snapshots/{console_ws.pending}")
        browser.page.fill("form[data-action=approve] textarea[name=note]", f"fine {XSS}")
        browser.page.click("form[data-action=approve] button[type=submit]")
        browser.page.wait_for_selector("#flash:not([hidden])")
        assert "hand-written tickets <script>" in browser.page.inner_text("main")  # shown, as text
        assert f"fine {XSS}" in browser.page.inner_text("main")
        assert browser.page.evaluate("window.__pwned") is None
        assert browser.page.locator("main img[src=x]").count() == 0
        browser.go("/officer?show=all")
        assert browser.page.evaluate("window.__pwned") is None
    assert browser.dialogs == []


def test_every_page_of_every_role_renders_with_nothing_from_elsewhere(console_ws, visit) -> None:  # type: ignore[no-untyped-def]
    run = console_ws.run_id
    pages = {
        "officer": [
            "/officer?show=all",
            f"/officer/snapshots/{console_ws.failing}",
            "/officer/consent",
            "/runs",
            "/reviews",
        ]
        + ([f"/runs/{run}"] if run else []),
        "auditor": [
            "/auditor/ledger",
            "/auditor/ledger?event=snapshot.approved",
            "/auditor/reports",
            "/auditor/lineage",
            "/auditor/budget",
            "/refusals",
            "/auditor/subject",
        ]
        + ([f"/auditor/lineage/{run}"] if run else []),
        "engineer": ["/runs", "/refusals"] + ([f"/runs/{run}"] if run else []),
        "reviewer": ["/runs", "/reviews"] + ([f"/runs/{run}"] if run else []),
        "admin": ["/home"],
    }
    with serving(console_ws.workspace) as base:
        for role, paths in pages.items():
            browser = visit(base)
            browser.login(console_ws.keys[role])
            for path in paths:
                response = browser.go(path)
                assert response.status == 200, (role, path, response.status)
                name = f"{role}-" + (
                    path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-")[:60]
                    or "home"
                )
                browser.shot(name.replace(run or "\0", "run"))
            if role == "officer":
                browser.go("/officer/consent")
                browser.page.fill("input[name=subject]", "subj-0010")
                with browser.page.expect_navigation():
                    browser.page.click("form.inline button")
                assert "subj-0010" not in browser.page.content()
                browser.shot("officer-consent-subject")
                browser.page.click("a.button.danger")
                browser.page.wait_for_selector("form[data-action=erase]")
                browser.shot("officer-erase-impact")
            if role == "auditor":
                browser.go("/auditor/subject")
                browser.page.fill("input[name=subject]", "subj-0010")
                with browser.page.expect_navigation():
                    browser.page.click("form.inline button")
                browser.shot("auditor-subject-lineage")
                browser.go("/auditor/reports")
                link = browser.page.locator("td a").first
                href = link.get_attribute("href")
                browser.go(href)  # the ledgered report itself, sandboxed
                browser.shot("auditor-report-view")
                assert browser.page.evaluate("typeof document.body.innerText") == "string"
            browser.go(paths[0])
            browser.page.click("form[data-logout] button")
            browser.page.wait_for_url("**/login")
            assert browser.page.evaluate("""() => new Promise((resolve) => {
                const open = indexedDB.open('govern-console', 1);
                open.onupgradeneeded = () => open.result.createObjectStore('keys');
                open.onsuccess = () => {
                    const get = open.result.transaction('keys').objectStore('keys').get('session');
                    get.onsuccess = () => resolve(get.result === undefined);
                };
            })""")  # signing out forgets the key
