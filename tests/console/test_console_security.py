"""The console as an attacker would try it, over HTTP: replayed and expired challenges, expired and
forged sessions, CSRF on every state-changing route, markup in names and notes, path traversal on
report downloads, and every route with the wrong role (pages refused by the console, actions
refused by the library)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from govern.catalog.models import Approval, LedgerEntry
from govern.console import create_app
from govern.console.security import Guard
from tests.console.conftest import XSS

ROLES = ("officer", "auditor", "engineer", "reviewer", "admin")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _entries(workspace: Any) -> int:
    with workspace.catalog.reading() as session:
        return int(session.exec(select(func.count()).select_from(LedgerEntry)).one())


def _csrf(text: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]*)"', text).group(1)  # type: ignore[union-attr]


def test_healthz_answers_ok_without_a_session(console_ws, make_browser) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(
        create_app(console_ws.workspace), console_ws.keys["officer"], login=False
    )
    response = browser.client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_every_page_forbids_other_origins_framing_and_sniffing(console_ws, make_browser) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(create_app(console_ws.workspace), console_ws.keys["officer"])
    for path in ("/login", "/officer", "/static/console.js", "/no-such-page"):
        headers = browser.client.get(path).headers
        assert (
            "default-src 'self'" in headers["content-security-policy"]
            and "'unsafe-inline'" not in headers["content-security-policy"]
        )
        assert (
            headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        )


def test_a_request_naming_another_host_is_refused(console_ws, make_browser) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(
        create_app(console_ws.workspace), console_ws.keys["officer"], login=False
    )
    assert browser.client.get("/login", headers={"host": "attacker.example"}).status_code == 400


def test_a_replayed_challenge_answer_is_refused(console_ws, make_browser) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(
        create_app(console_ws.workspace), console_ws.keys["officer"], login=False
    )
    csrf = _csrf(browser.client.get("/login").text)
    challenge = browser.client.post("/login/challenge", headers={"X-CSRF-Token": csrf}).json()
    answer = {
        "challenge": challenge["challenge"],
        "signature": browser.key.sign(bytes.fromhex(challenge["message"])),
    }
    assert (
        browser.client.post("/login", headers={"X-CSRF-Token": csrf}, json=answer).status_code
        == 200
    )
    browser.client.cookies.clear()
    csrf = _csrf(browser.client.get("/login").text)
    replayed = browser.client.post("/login", headers={"X-CSRF-Token": csrf}, json=answer)
    assert replayed.status_code == 403 and "already answered" in replayed.json()["error"]


def test_an_expired_challenge_and_a_challenge_of_another_browser_are_refused(
    console_ws, make_browser
) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    app = create_app(console_ws.workspace, guard=Guard(now=clock))
    browser = make_browser(app, console_ws.keys["officer"], login=False)
    other = make_browser(app, console_ws.keys["officer"], login=False)
    csrf = _csrf(browser.client.get("/login").text)
    challenge = browser.client.post("/login/challenge", headers={"X-CSRF-Token": csrf}).json()
    answer = {
        "challenge": challenge["challenge"],
        "signature": browser.key.sign(bytes.fromhex(challenge["message"])),
    }
    other_csrf = _csrf(other.client.get("/login").text)
    stolen = other.client.post("/login", headers={"X-CSRF-Token": other_csrf}, json=answer)
    assert stolen.status_code == 403  # bound to the browser it was issued to (and now used up)
    challenge = browser.client.post("/login/challenge", headers={"X-CSRF-Token": csrf}).json()
    clock.now += 61
    late = browser.client.post(
        "/login",
        headers={"X-CSRF-Token": csrf},
        json={
            "challenge": challenge["challenge"],
            "signature": browser.key.sign(bytes.fromhex(challenge["message"])),
        },
    )
    assert late.status_code == 403


def test_a_signature_by_an_unregistered_key_signs_no_one_in(
    console_ws, make_browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from govern.ledger.keys import generate_identity, write_private_key

    stranger = write_private_key(generate_identity(), tmp_path / "stranger.key")
    browser = make_browser(create_app(console_ws.workspace), stranger, login=False)
    csrf = _csrf(browser.client.get("/login").text)
    challenge = browser.client.post("/login/challenge", headers={"X-CSRF-Token": csrf}).json()
    response = browser.client.post(
        "/login",
        headers={"X-CSRF-Token": csrf},
        json={
            "challenge": challenge["challenge"],
            "signature": browser.key.sign(bytes.fromhex(challenge["message"])),
        },
    )
    assert response.status_code == 403 and "no key registered" in response.json()["error"]
    assert browser.client.get("/officer", follow_redirects=False).headers["location"] == "/login"


def test_an_expired_session_is_signed_out_for_pages_and_actions(console_ws, make_browser) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    app = create_app(console_ws.workspace, guard=Guard(session_seconds=900, now=clock))
    browser = make_browser(app, console_ws.keys["officer"])
    assert browser.client.get("/officer").status_code == 200
    clock.now += 901
    assert browser.client.get("/officer", follow_redirects=False).headers["location"] == "/login"
    before = _entries(console_ws.workspace)
    response = browser.act("approve", snapshot=console_ws.pending)
    assert response.status_code == 401 and _entries(console_ws.workspace) == before


def test_a_forged_session_cookie_is_no_session(console_ws, make_browser) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(
        create_app(console_ws.workspace), console_ws.keys["officer"], login=False
    )
    browser.client.cookies.set("govern_session", "made-up")
    assert browser.client.get("/officer", follow_redirects=False).status_code == 303


# Every state-changing route, with what a real request sends (path, role, body kind, body).
def _state_changing(ws: Any) -> list[tuple[str, str, str, Any]]:
    return [
        ("/logout", "officer", "form", {}),
        ("/actions/approve", "officer", "json", {"inputs": {"snapshot": ws.pending}}),
        ("/actions/pending/whatever", "officer", "json", {"signature": "00" * 64}),
        ("/officer/consent", "officer", "form", {"subject": "subj-0010"}),
        ("/auditor/subject", "auditor", "form", {"subject": "subj-0010"}),
        ("/auditor/verify", "auditor", "json", {}),
        ("/auditor/reports/verify", "auditor", "multipart", {}),
    ]


def test_every_state_changing_route_is_listed_here(console_ws) -> None:  # type: ignore[no-untyped-def]
    app = create_app(console_ws.workspace)
    posted = {
        route.path for route in app.routes if "POST" in (getattr(route, "methods", None) or ())
    }
    listed = {path for path, *_ in _state_changing(console_ws)} | {"/login", "/login/challenge"}
    listed = {
        p.replace("/actions/approve", "/actions/{name}").replace(
            "/actions/pending/whatever", "/actions/pending/{action_id}"
        )
        for p in listed
    }
    assert posted == listed


@pytest.mark.parametrize("forgery", ["no token", "wrong token", "other origin", "cross-site fetch"])
def test_every_state_changing_route_refuses_a_request_without_the_csrf_token_or_from_elsewhere(
    console_ws, make_browser, forgery: str
) -> None:  # type: ignore[no-untyped-def]
    app = create_app(console_ws.workspace)
    browsers = {role: make_browser(app, console_ws.keys[role]) for role in ("officer", "auditor")}
    before = _entries(console_ws.workspace)
    for path, role, kind, body in _state_changing(console_ws):
        browser = browsers[role]
        token = {"no token": None, "wrong token": "x" * 43}.get(forgery, browser.csrf)
        headers = {} if token is None or kind != "json" else {"X-CSRF-Token": token}
        if forgery == "other origin":
            headers["Origin"] = "http://attacker.example"
        if forgery == "cross-site fetch":
            headers["Sec-Fetch-Site"] = "cross-site"
        if kind == "json":
            response = browser.client.post(path, json=body, headers=headers)
        elif kind == "form":
            response = browser.client.post(
                path,
                data={**body, **({"csrf": token} if token else {})},
                headers=headers,
                follow_redirects=False,
            )
        else:
            response = browser.client.post(
                path,
                data={"csrf": token} if token else {},
                files={"report": ("r.html", b"x")},
                headers=headers,
            )
        assert response.status_code == 403, (path, forgery, response.status_code)
    assert browsers["officer"].client.get("/officer").status_code == 200  # logout was refused too
    assert _entries(console_ws.workspace) == before


@pytest.mark.parametrize("forgery", ["no token", "other origin"])
def test_the_login_routes_refuse_a_request_without_the_login_pages_token(
    console_ws, make_browser, forgery: str
) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(
        create_app(console_ws.workspace), console_ws.keys["officer"], login=False
    )
    csrf = _csrf(browser.client.get("/login").text)
    headers = (
        {} if forgery == "no token" else {"X-CSRF-Token": csrf, "Origin": "http://attacker.example"}
    )
    assert browser.client.post("/login/challenge", headers=headers).status_code == 403
    assert (
        browser.client.post(
            "/login", headers=headers, json={"challenge": "x", "signature": "00"}
        ).status_code
        == 403
    )


def _pages(ws: Any, app: Any) -> list[tuple[str, tuple[str, ...]]]:
    """Every page (GET route that needs a role) with real path parameters filled in."""
    values = {
        "snapshot_id": ws.pending,
        "run_id": ws.run_id or "run-000000000000",
        "lookup": "x",
        "job": "x",
        "name": "x.html",
        "sample_id": "x",
    }
    found = []
    for route in app.routes:
        roles = getattr(getattr(route, "endpoint", None), "roles", None)
        if roles and "GET" in (route.methods or ()):
            found.append((re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route.path), roles))
    return found


def test_every_page_refuses_every_role_it_is_not_for(console_ws, make_browser) -> None:  # type: ignore[no-untyped-def]
    app = create_app(console_ws.workspace)
    browsers = {role: make_browser(app, console_ws.keys[role]) for role in ROLES}
    pages = _pages(console_ws, app)
    assert len(pages) >= 18
    for path, roles in pages:
        for role in ROLES:
            response = browsers[role].client.get(path, follow_redirects=False)
            if role in roles:
                assert response.status_code != 403, (path, role)
            else:
                assert response.status_code == 403, (path, role, response.status_code)


def test_the_library_refuses_every_action_to_every_role_that_may_not_perform_it(
    console_ws, make_browser
) -> None:  # type: ignore[no-untyped-def]
    from govern.console.library import ACTIONS as CONSOLE_ACTIONS
    from govern.ledger.authority import ACTIONS

    performs = {
        "approve": "snapshot.decide",
        "reject": "snapshot.decide",
        "revoke": "consent.manage",
        "erase": "consent.erase",
        "review": "run.review",
        "release": "run.release",
        "blind_review": "run.review",
    }
    assert set(performs) == set(CONSOLE_ACTIONS)
    app = create_app(console_ws.workspace)
    browsers = {role: make_browser(app, console_ws.keys[role]) for role in ROLES}
    before = _entries(console_ws.workspace)
    lookups: dict[str, str] = {}
    for (
        role,
        browser,
    ) in browsers.items():  # the subject lookups an action names (officer pages only)
        if role == "officer":
            lookups[role] = (
                browser.client.post(
                    "/officer/consent",
                    data={"subject": "subj-0010", "csrf": browser.csrf},
                    follow_redirects=False,
                )
                .headers["location"]
                .rsplit("/", 1)[1]
            )
    inputs = {
        "approve": {"snapshot": console_ws.pending},
        "reject": {"snapshot": console_ws.pending, "reason": "no"},
        "revoke": {},
        "erase": {},
        "review": {"run": console_ws.run_id or "run-x", "rating": "4", "notes": "fine"},
        "release": {"run": console_ws.run_id or "run-x"},
        "blind_review": {"sample": "x", "item_0_preference": "A"},
    }
    for name, action in performs.items():
        for role in ROLES:
            if role in ACTIONS[action]:
                continue
            values = dict(inputs[name])
            response = browsers[role].act(name, **values)
            assert response.status_code == 403, (name, role, response.text)
            assert (
                "may not" in response.json()["error"]
                or "needs the role" in response.json()["error"]
                or "another session" in response.json()["error"]
            ), response.text
    assert _entries(console_ws.workspace) == before


def test_markup_in_a_provenance_field_a_note_and_a_persons_name_is_shown_as_text(
    console_ws, make_browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from govern.ledger.identities import create_identity
    from govern.ledger.keys import load_identity

    admin = load_identity(console_ws.keys["admin"])
    create_identity(
        console_ws.workspace, admin, f"Mallory {XSS}", "officer", tmp_path / "mallory.key"
    )
    app = create_app(console_ws.workspace)
    mallory = make_browser(app, tmp_path / "mallory.key")
    response = mallory.act("approve", snapshot=console_ws.pending, note=f"fine {XSS}")
    assert response.status_code == 200, response.text
    auditor = make_browser(app, console_ws.keys["auditor"])
    pages = [
        mallory.client.get(f"/officer/snapshots/{console_ws.pending}").text,
        mallory.client.get("/officer?show=all").text,
        auditor.client.get("/auditor/ledger").text,
    ]
    for text in pages:
        assert "<script>window.__pwned" not in text and "<img src=x" not in text
    assert (
        "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in pages[0]
    )  # the source, shown as text
    assert pages[0].count("&lt;img src=x onerror=") >= 2  # the note and the provenance source
    assert "Mallory &lt;script&gt;" in pages[2]


def test_report_download_refuses_paths_outside_the_ledgered_reports(
    console_ws, make_browser
) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(create_app(console_ws.workspace), console_ws.keys["auditor"])
    listing = browser.client.get("/auditor/reports").text
    name = re.search(r'href="/auditor/reports/([^"/]+)/download"', listing).group(1)  # type: ignore[union-attr]
    good = browser.client.get(f"/auditor/reports/{name}/download")
    assert (
        good.status_code == 200 and good.content.startswith(b"<!doctype html>")
    ) or b"<html" in good.content[:200]
    view = browser.client.get(f"/auditor/reports/{name}")
    assert "sandbox" in view.headers["content-security-policy"]
    for attempt in (
        "..%2Fgovern.toml",
        "%2e%2e%2fgovern.toml",
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "..%5Cgovern.toml",
        "%2e%2e",
        "%2e",
        "%00",
        "govern.toml",
    ):
        for suffix in ("", "/download"):
            response = browser.client.get(f"/auditor/reports/{attempt}{suffix}")
            assert response.status_code == 404, (attempt, suffix, response.status_code)
            assert b"database_url" not in response.content and b"root:" not in response.content
    # A ledgered report's file swapped for a link out of the folder is not followed.
    folder = console_ws.workspace.root / "audit_reports"
    target = folder / name
    target.unlink()
    target.symlink_to(console_ws.workspace.root / "govern.toml")
    assert browser.client.get(f"/auditor/reports/{name}/download").status_code == 404


def test_a_subject_id_is_never_rendered_nor_put_in_a_url(console_ws, make_browser) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(create_app(console_ws.workspace), console_ws.keys["officer"])
    response = browser.client.post(
        "/officer/consent",
        data={"subject": "subj-0010", "csrf": browser.csrf},
        follow_redirects=False,
    )
    location = response.headers["location"]
    assert "subj-0010" not in location
    page = browser.client.get(location)
    assert page.status_code == 200 and "subj-0010" not in page.text
    assert console_ws.workspace.hash_subject("subj-0010")[:16] in page.text
    other = make_browser(create_app(console_ws.workspace), console_ws.keys["officer"])
    assert other.client.get(location).status_code == 404  # a lookup belongs to its session


def test_an_officer_revokes_and_erases_through_the_console_and_the_ledger_verifies(
    console_ws, make_browser
) -> None:  # type: ignore[no-untyped-def]
    from govern.ledger.verify import verify_workspace

    browser = make_browser(create_app(console_ws.workspace), console_ws.keys["officer"])
    lookup = (
        browser.client.post(
            "/officer/consent",
            data={"subject": "subj-0011", "csrf": browser.csrf},
            follow_redirects=False,
        )
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    impact = browser.client.get(f"/officer/consent/{lookup}/erase").text
    assert "cannot be undone" in impact and "tickets-clean" in impact
    revoked = browser.act("revoke", subject=lookup, purpose="model_training")
    assert revoked.status_code == 200 and "Revoked" in revoked.json()["message"]
    erased = browser.act("erase", subject=lookup)
    assert erased.status_code == 200 and "Erased" in erased.json()["message"], erased.text
    result = verify_workspace(console_ws.workspace)
    assert result.ok and result.erased_records >= 1


def test_an_approval_made_through_the_console_is_verified_by_the_cli(
    console_ws, make_browser
) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from govern.cli import cli

    browser = make_browser(create_app(console_ws.workspace), console_ws.keys["officer"])
    response = browser.act("approve", snapshot=console_ws.pending, note="reviewed in the console")
    assert response.status_code == 200, response.text
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
        ("approved", "reviewed in the console", [])
    ]
    with console_ws.workspace.catalog.reading() as session:
        assert (
            session.exec(select(Approval).where(Approval.snapshot_id == console_ws.pending))
            .one()
            .approver_key_id
            == browser.key.key_id
        )


def test_the_officer_is_refused_approving_a_failing_snapshot_with_every_reason(
    console_ws, make_browser
) -> None:  # type: ignore[no-untyped-def]
    browser = make_browser(create_app(console_ws.workspace), console_ws.keys["officer"])
    response = browser.act("approve", snapshot=console_ws.failing)
    assert response.status_code == 409 and any(
        "consent.coverage" in r for r in response.json()["reasons"]
    )


def test_serve_warns_when_it_listens_beyond_loopback() -> None:
    from govern.cli.serve import is_loopback

    assert (
        is_loopback("127.0.0.1")
        and is_loopback("::1")
        and is_loopback("localhost")
        and is_loopback("127.5.0.1")
    )
    assert (
        not is_loopback("0.0.0.0")
        and not is_loopback("192.168.1.10")
        and not is_loopback("example.org")
    )


def test_key_files_and_subject_ids_stay_out_of_the_server_logs(
    console_ws, make_browser, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("DEBUG")
    browser = make_browser(create_app(console_ws.workspace), console_ws.keys["officer"])
    browser.client.post("/officer/consent", data={"subject": "subj-0010", "csrf": browser.csrf})
    pem = Path(console_ws.keys["officer"]).read_text().splitlines()[1]
    assert "subj-0010" not in caplog.text and pem not in caplog.text
