"""The reports are readable in a real browser: at 1280 px on screen and at A4 width with print
media, no table cell overflows its box, no table runs past the page, and rule names wrap only
at their dots and underscores (never letter by letter). Screenshots are kept for people to look
at (GOVERN_REPORT_SCREENSHOTS=folder)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govern.reports import make_report, shipped_templates

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).is_file()),
    None,
)
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)"
    ),
    pytest.mark.slow,
]
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the layout checks need Playwright: pip install 'govern[test]'"
)

# (media, viewport width): a 1280 px screen, and an A4 page less its 14 mm margins (182 mm).
LAYOUTS = [("screen", 1280), ("print", 688)]

MEASURE = """() => {
  const main = document.querySelector('main').getBoundingClientRect();
  const text = e => e.textContent.replace(/\\s+/g, ' ').trim().slice(0, 70);
  const cells = [...document.querySelectorAll('td, th')]
    .filter(c => c.scrollWidth > c.clientWidth)
    .map(c => `cell "${text(c)}": content ${c.scrollWidth}px in a ${c.clientWidth}px box`);
  const tables = [...document.querySelectorAll('table')]
    .filter(t => t.getBoundingClientRect().right > main.right + 0.5)
    .map(t => `table "${text(t)}" ends at ${t.getBoundingClientRect().right}px, page at ${main.right}px`);
  const rules = [...document.querySelectorAll('code.rule')].map(c => ({
    rule: c.textContent, lines: new Set([...c.getClientRects()].map(r => Math.round(r.top))).size,
    parts: c.textContent.split(/[._]/).length,
  }));
  return {cells, tables, rules, page: document.documentElement.scrollWidth, view: innerWidth};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def pages(trained_pipeline, tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """The datasheets of the raw and the trained snapshot, the model card and the audit report."""
    out = tmp_path_factory.mktemp("layout")
    p = trained_pipeline
    subjects = {
        "dataset-raw": ("dataset", p.raw_snapshot),
        "dataset-trained": ("dataset", p.trained_snapshot),
        "run": ("run", p.run_id),
        "audit": ("audit", None),
    }
    return {
        name: make_report(
            p.workspace,
            p.auditor,
            kind,
            subject,
            "html",
            out / f"{name}.html",
            templates_dir=shipped_templates(),
        ).path
        for name, (kind, subject) in subjects.items()
    }


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(
        os.environ.get("GOVERN_REPORT_SCREENSHOTS") or tmp_path_factory.mktemp("report-shots")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def measure(browser: Any, page_file: Path, media: str, width: int, shot: Path | None) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.emulate_media(media=media)
        page.goto(page_file.as_uri())
        found = page.evaluate(MEASURE)
        if shot is not None:
            page.screenshot(path=str(shot), full_page=True)
            table = page.locator("table.rules")
            if table.count():
                table.first.screenshot(path=str(shot.with_name(shot.stem + "-policy.png")))
        return found
    finally:
        page.close()


@pytest.mark.parametrize(("media", "width"), LAYOUTS)
@pytest.mark.parametrize("name", ["dataset-raw", "dataset-trained", "run", "audit"])
def test_no_table_cell_overflows_on_screen_or_in_print(
    browser: Any, pages: dict[str, Path], screenshots: Path, name: str, media: str, width: int
) -> None:
    found = measure(browser, pages[name], media, width, screenshots / f"{name}-{media}.png")
    assert found["cells"] == [], found["cells"]
    assert found["tables"] == [], found["tables"]
    assert found["page"] <= found["view"], f"the page scrolls sideways: {found['page']}px"
    if name.startswith("dataset"):
        assert found["rules"], "the datasheet shows no policy rules"
    for rule in found["rules"]:  # wrapped only at '.' or '_': one line per part at most
        assert rule["lines"] <= rule["parts"], rule


def test_the_measure_catches_the_old_squeezed_policy_table(
    browser: Any, pages: dict[str, Path], tmp_path: Path
) -> None:
    """Control: the same datasheet with the table's fixed layout and the rule names' break points
    taken out overflows, so the check above can fail."""
    text = pages["dataset-trained"].read_text(encoding="utf-8")
    squeezed = re.sub(r'class="rules fixed"', 'class="rules"', text).replace("<wbr>", "")
    squeezed = squeezed.replace('<code class="rule">', "<code>")
    squeezed = squeezed.replace(
        '<td class="evidence">', '<td class="evidence"><span>' + "f" * 120 + "</span>"
    )
    page = tmp_path / "squeezed.html"
    page.write_text(squeezed, encoding="utf-8")
    found = measure(browser, page, "print", 688, None)
    assert found["tables"] or found["cells"] or found["page"] > found["view"]
