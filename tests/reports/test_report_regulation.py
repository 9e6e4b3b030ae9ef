"""`govern report ai-act RUN` maps Art. 10(2)(a)-(h) and Annex IV 2(d) to govern's evidence, and
`govern report ab2013 RUN` fills the twelve items of Cal. Civ. Code § 3111(a) or marks them
unknown; both say they are not legal advice and are ledgered and signed like every report."""

from __future__ import annotations

import json

from click.testing import CliRunner

from govern.cli import cli
from govern.reports import build_report, make_report, verify_report
from govern.reports.signature import signature_path

ART_10_2 = [f"Art. 10(2)({letter})" for letter in "abcdefgh"]


def test_every_point_of_article_10_2_and_annex_iv_2d_is_mapped(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    facts = build_report(p.workspace, "ai-act", p.run_id)
    assert "Not legal advice" in facts["not_legal_advice"]
    points = {point["ref"]: point for point in facts["points"]}
    assert list(points) == [*ART_10_2, "Annex IV 2(d)"]
    for point in points.values():
        assert point["coverage"] in ("covered", "partly", "not covered by govern")
        assert point["evidence"] or point["not_covered"]
        for item in point["evidence"]:
            assert item["where"], item  # each piece of evidence says where it is
    for ref in ("Art. 10(2)(d)", "Art. 10(2)(f)", "Art. 10(2)(g)"):  # nothing govern records
        assert points[ref]["coverage"] == "not covered by govern" and not points[ref]["evidence"]
    origin = {e["what"]: e["value"] for e in points["Art. 10(2)(b)"]["evidence"]}
    assert origin["support: license"] == "CC-BY-4.0" and origin["support: legal basis"] == "consent"
    prep = " ".join(e["what"] for e in points["Art. 10(2)(c)"]["evidence"])
    if p.anonymized:
        assert "made by anonymize" in prep
    gaps = points["Art. 10(2)(h)"]["evidence"]
    assert any(e["value"] == "data rules passed · approved" for e in gaps)


def test_the_ab2013_export_lists_the_statutes_twelve_items(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    facts = build_report(p.workspace, "ab2013", p.run_id)
    assert facts["statute"].startswith("Cal. Civ. Code § 3111")
    (dataset,) = facts["datasets"]
    answers = {a["item"]: a for a in dataset["answers"]}
    assert list(answers) == [f"(a)({n})" for n in range(1, 13)]
    assert answers["(a)(3)"]["answer"] == "160 records"
    assert answers["(a)(6)"]["answer"] == "licensed (CC-BY-4.0)"
    assert answers["(a)(7)"]["answer"].startswith("yes")
    assert answers["(a)(12)"]["answer"] == "no synthetic data declared"
    for unknown in ("(a)(2)", "(a)(8)"):  # govern cannot know these
        assert answers[unknown]["answer"] == "unknown" and not answers[unknown]["known"]
    assert answers["(a)(11)"]["known"]


def test_both_render_ledgered_and_signed_through_the_cli(trained_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    key = str(p.workspace.root / "audrey.key")
    out = tmp_path / "ab2013.json"
    result = CliRunner().invoke(
        cli,
        [
            *("report", "ab2013", p.run_id, "--format", "json", "--out", str(out)),
            *("--key", key, "--workspace", str(p.workspace.root)),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["kind"] == "ab2013"
    assert signature_path(out).is_file()
    assert verify_report(p.workspace, out).stands
    for fmt in ("md", "html"):
        written = make_report(
            p.workspace, p.auditor, "ai-act", p.run_id, fmt, tmp_path / f"ai-act.{fmt}"
        )
        text = written.path.read_text()
        assert "Not legal advice" in text and "Art. 10(2)(h)" in text and "Annex IV 2(d)" in text
        assert verify_report(p.workspace, written.path).stands
    md = make_report(p.workspace, p.auditor, "ab2013", p.run_id, "md", tmp_path / "ab.md")
    assert "(a)(12)" in md.path.read_text() and "**unknown**" in md.path.read_text()
