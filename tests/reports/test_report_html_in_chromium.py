"""The HTML report is one self-contained file: headless Chromium renders it without a single
request leaving the file, and a screenshot is kept for people to look at."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from govern.reports import make_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not on PATH: install Debian's package (apt-get install -y chromium) to run the HTML checks",
)
# Chromium's own services (updates, sign-in, dictionaries) talk to these hosts whatever the page does.
BROWSER_HOSTS = re.compile(
    r"^https?://([a-z0-9-]+\.)*(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(/|$)"
)
QUIET = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
]


def _chromium(page: Path, out: Path, *extra: str) -> set[str]:
    """Open `page`, return every URL Chromium requested (from its net log), minus its own services."""
    net_log = out / f"{page.stem}-net.json"
    env = {**os.environ, "HOME": str(out)}
    # A screenshot makes headless Chromium load the page fully and exit; --dump-dom was seen to
    # hang on a loaded machine, so every check takes a screenshot.
    action = (
        ()
        if any(x.startswith("--screenshot") for x in extra)
        else (f"--screenshot={out / (page.stem + '.png')}",)
    )
    subprocess.run(
        [
            CHROMIUM,
            *QUIET,
            f"--user-data-dir={out / 'profile'}",
            f"--log-net-log={net_log}",
            *extra,
            *action,
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env=env,
    )
    urls = set()
    for event in json.loads(net_log.read_text()).get("events", []):
        params = event.get("params") or {}
        urls |= {params[k] for k in ("url", "original_url") if isinstance(params.get(k), str)}
    return {
        u
        for u in urls
        if not BROWSER_HOSTS.match(u) and not u.startswith(("file:", "data:", "about:", "chrome:"))
    }


@pytest.fixture(scope="module")
def html_run_report(trained_pipeline, tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("html")
    return make_report(
        trained_pipeline.workspace,
        trained_pipeline.auditor,
        "run",
        trained_pipeline.run_id,
        "html",
        out / "run-report.html",
    ).path


def test_the_run_report_renders_in_chromium_and_a_screenshot_is_kept(
    html_run_report, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    screenshot = Path(os.environ.get("GOVERN_REPORT_SCREENSHOT", tmp_path / "run-report.png"))
    requests = _chromium(
        html_run_report, tmp_path, f"--screenshot={screenshot}", "--window-size=1100,3000"
    )
    assert requests == set()
    assert screenshot.is_file() and screenshot.stat().st_size > 20_000
    dom = subprocess.run(
        [
            CHROMIUM,
            *QUIET,
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--dump-dom",
            html_run_report.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    ).stdout
    assert (
        "Training run report (model card)" in dom and "<svg" in dom and "Privacy guarantee" in dom
    )


def test_the_html_itself_asks_for_nothing_even_without_its_content_security_policy(
    html_run_report, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "no-csp.html"
    text = html_run_report.read_text()
    page.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text))
    assert "Content-Security-Policy" not in page.read_text()
    assert _chromium(page, tmp_path) == set()


def test_the_request_check_would_catch_an_external_image(html_run_report, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "leaky.html"
    text = re.sub(
        r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html_run_report.read_text()
    )
    page.write_text(
        text.replace("</body>", '<img src="https://reports.example.invalid/pixel.png"></body>')
    )
    assert "https://reports.example.invalid/pixel.png" in _chromium(page, tmp_path)
