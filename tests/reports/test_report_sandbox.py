"""Report templates in a workspace are user code run by whoever renders them (an auditor with a
signing key), so they render in Jinja2's immutable sandbox: a template that reaches for Python
internals, the OS, a file or the facts themselves fails to render, and nothing leaks or is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern import ledger
from govern.errors import BadInput
from govern.reports import make_report
from govern.reports.render import render
from tests.conftest import SAMPLE_RECORDS, _new_key, write_jsonl

ESCAPES = {
    "cycler globals": "{{ cycler.__init__.__globals__.os.popen('touch MARK').read() }}",
    "lipsum globals": "{{ lipsum.__globals__['os'].system('touch MARK') }}",
    "our own function's globals": "{{ metric_chart.__globals__['os'].system('touch MARK') }}",
    "class hierarchy": "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c }}{% endfor %}",
    "template context": "{{ self._TemplateReference__context }}",
    "namespace globals": "{{ namespace.__init__.__globals__ }}",
    "facts mutated": "{{ r.update({'kind': 'forged'}) }}{{ r.kind }}",
    "facts popped": "{{ r.pop('kind') }}",
    "a file outside the folder": "{% include '../.govern/keys/admin.key' %}",
    "a symlink to the admin key": "{% include 'key.j2' %}",
    "a file that is no template": "{% include 'README.md' %}",
}


@pytest.fixture
def report_workspace(sqlite_workspace, tmp_path):  # type: ignore[no-untyped-def]
    from govern.ingest.datasets import DatasetSpec, add_dataset

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    auditor = _new_key(sqlite_workspace, "auditor", "audrey")
    spec = DatasetSpec(
        name="support",
        source="helpdesk",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )
    snapshot = add_dataset(
        sqlite_workspace, engineer, spec, write_jsonl(tmp_path / "d.jsonl", SAMPLE_RECORDS)
    ).snapshot
    return sqlite_workspace, auditor, snapshot


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_a_template_reaching_out_of_the_sandbox_fails_and_leaks_nothing(
    report_workspace, name: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    workspace, auditor, snapshot = report_workspace
    templates = workspace.root / "audit_reports"
    (templates / "key.j2").symlink_to(workspace.keys_dir / "admin.key")
    (templates / "dataset.html.j2").write_text("<html>" + ESCAPES[name] + "</html>\n")
    monkeypatch.chdir(workspace.root)
    before_files = sorted(p.name for p in templates.iterdir())
    with workspace.catalog.reading() as session:
        before_head = ledger.head(session).seq  # type: ignore[union-attr]
    with pytest.raises(BadInput, match=r"report template .*dataset\.html\.j2") as raised:
        make_report(workspace, auditor, "dataset", snapshot.id, "html")
    assert "PRIVATE KEY" not in str(raised.value)
    assert not (workspace.root / "MARK").exists() and not Path("MARK").exists()
    assert sorted(p.name for p in templates.iterdir()) == before_files
    with workspace.catalog.reading() as session:
        assert ledger.head(session).seq == before_head  # type: ignore[union-attr]


def test_a_template_error_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "dataset.md.j2").write_text("line one\n{{ r.kind }}\n{{ r.kind.__class__ }}\n")
    with pytest.raises(BadInput, match=r"dataset\.md\.j2, line 3: .*may not use"):
        render({"kind": "dataset"}, "md", tmp_path)


def test_html_is_autoescaped_and_the_facts_stay_unchanged(tmp_path: Path) -> None:
    (tmp_path / "dataset.html.j2").write_text(
        "<p>{{ r.subject }}</p>{{ r.items() | list | length }}\n"
    )
    facts = {"kind": "dataset", "subject": "<script>alert(1)</script>"}
    out = render(facts, "html", tmp_path)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert facts == {"kind": "dataset", "subject": "<script>alert(1)</script>"}
