"""Compliance reports: a datasheet per snapshot, a model card per run, an audit report per period.

Each report is built as a dict of facts from the catalog and the ledger, rendered through the
Jinja2 templates in a workspace's audit_reports/ (HTML, Markdown) or as JSON, written once, and
ledgered by its SHA-256 together with the ledger head it was made from. `verify_report` checks
a file against that entry and lists what the ledger has said since that contradicts it.

    facts = build_run_report(workspace, "run-0123abcd4567")
    written = write_report(workspace, key, facts, "html")       # ledgered as report.rendered
    check = verify_report(workspace, written.path)               # check.intact, check.stands
"""

from __future__ import annotations

from govern.reports._base import (
    FORMATS,
    KINDS,
    RENDERED_EVENT,
    REPORT_FORMAT,
    ReportKind,
    register,
)
from govern.reports.audit import build_audit_report
from govern.reports.charts import line_chart, lineage_svg
from govern.reports.dataset import build_dataset_report
from govern.reports.publish import (
    ReportFile,
    build_report,
    default_out_path,
    make_report,
    write_report,
)
from govern.reports.regulation import build_ab2013_report, build_ai_act_report
from govern.reports.render import environment, render, shipped_templates, templates_hash
from govern.reports.run import build_run_report
from govern.reports.verify import (
    ReportCheck,
    ReportContradicted,
    embedded_marker,
    verify_report,
)

__all__ = [
    "FORMATS",
    "KINDS",
    "RENDERED_EVENT",
    "REPORT_FORMAT",
    "ReportCheck",
    "ReportContradicted",
    "ReportFile",
    "ReportKind",
    "build_ab2013_report",
    "build_ai_act_report",
    "build_audit_report",
    "build_dataset_report",
    "build_report",
    "build_run_report",
    "default_out_path",
    "embedded_marker",
    "environment",
    "line_chart",
    "lineage_svg",
    "make_report",
    "register",
    "render",
    "shipped_templates",
    "templates_hash",
    "verify_report",
    "write_report",
]
