"""People appear by their registered name and role; the key id stays at hand (a title in HTML,
a short prefix in Markdown, the full id in JSON)."""

from __future__ import annotations

import re

import pytest

from govern.reports import build_report, render, shipped_templates


def _rendered(pipeline, kind: str, subject: str | None, fmt: str) -> str:  # type: ignore[no-untyped-def]
    facts = build_report(pipeline.workspace, kind, subject)
    facts["report"] = {
        "id": "test",
        "format": fmt,
        "rendered_by": pipeline.auditor.key_id,
        "rendered_at": facts["generated_at"],
        "marker": "govern-report id=test",
    }
    return render(facts, fmt, shipped_templates())


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_the_datasheet_names_the_approver_registrant_and_renderer(trained_pipeline, fmt) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    text = _rendered(p, "dataset", p.trained_snapshot, fmt)
    assert "olga" in text and "(officer" in text  # the approver
    assert "erin" in text and "(engineer" in text  # who registered the data
    assert "audrey" in text and "(auditor" in text  # who rendered the report
    if fmt == "html":
        shown = re.sub(r'title="[^"]*"', "", text)
        for key in (p.officer.key_id, p.engineer.key_id, p.auditor.key_id):
            assert f'title="key {key}"' in text  # still there, on hover
            assert key not in shown, f"a full key id {key} is shown as a person"
    else:
        assert f"olga (officer, key `{p.officer.key_id[:12]}`)" in text


def test_the_audit_report_and_model_card_name_people(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    audit = _rendered(p, "audit", None, "md")
    assert f"erin (engineer, key `{p.engineer.key_id[:12]}`)" in audit
    card = _rendered(p, "run", p.run_id, "md")
    assert "started" in card and f"by erin (engineer, key `{p.engineer.key_id[:12]}`)" in card


def test_the_facts_keep_every_key_id_with_its_name_and_role(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    facts = build_report(p.workspace, "dataset", p.trained_snapshot)
    assert facts["people"][p.officer.key_id] == {
        "key_id": p.officer.key_id,
        "name": "olga",
        "role": "officer",
    }
    assert facts["approvals"][0]["approver_key_id"] == p.officer.key_id
