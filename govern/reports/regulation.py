"""Regulatory read-outs of a training run's evidence: the EU AI Act's data-governance points and
California's AB 2013 training-data disclosure. Not legal advice.

`govern report ai-act RUN` maps Art. 10(2)(a)-(h) and Annex IV 2(d) of Regulation (EU)
2024/1689 to what govern holds for the run (each point: what govern has and where, or "not
covered by govern"). `govern report ab2013 RUN` fills the items of Cal. Civ. Code § 3111(a)
(AB 2013) from the evidence, marking each one govern cannot know as unknown. Both are rendered,
ledgered and signed like every report.
"""

from __future__ import annotations

from typing import Any

from govern.reports._base import ReportKind, register

NOT_LEGAL_ADVICE = (
    "Not legal advice. This maps the evidence govern records to the text of the law; whether it "
    "meets an obligation is for the provider and its counsel to judge."
)
NOT_COVERED = "not covered by govern"
UNKNOWN = "unknown"
PUBLIC_DOMAIN = ("CC0-1.0", "PDDL-1.0", "Unlicense")
PURPOSES = {  # why govern derives a snapshot, in the words a disclosure needs
    "anonymize": "anonymize (to remove personal data found by the PII scan)",
    "filter": "filter (to exclude records without consent or erased on request)",
}


def _gather(workspace: Any, run_id: str, kind: str, title: str) -> dict[str, Any]:
    """The run's model-card facts and the datasheet facts of each snapshot it trained on."""
    from govern.reports.dataset import build_dataset_report
    from govern.reports.run import build_run_report

    run = build_run_report(workspace, run_id)
    sheets = [
        build_dataset_report(workspace, s["id"]) for s in run["snapshots"] if not s.get("missing")
    ]
    facts = {
        key: run[key]
        for key in (
            "format",
            "generated_at",
            "govern_version",
            "workspace",
            "ledger_head",
            "covers",
            "people",
        )
    }
    facts.update(
        {
            "kind": kind,
            "title": title,
            "subject": {"id": run["run"]["id"], "label": f"training run {run['run']['id']}"},
            "not_legal_advice": NOT_LEGAL_ADVICE,
        }
    )
    return {"facts": facts, "run": run, "sheets": sheets}


def _point(
    ref: str, requirement: str, coverage: str, evidence: list[dict[str, str]], gap: str = ""
) -> dict[str, Any]:
    return {
        "ref": ref,
        "requirement": requirement,
        "coverage": coverage,
        "evidence": evidence,
        "not_covered": gap,
    }


def _ev(what: str, value: Any, where: str) -> dict[str, str]:
    return {"what": what, "value": str(value), "where": where}


def build_ai_act_report(workspace: Any, run_id: str) -> dict[str, Any]:
    """Art. 10(2)(a)-(h) and Annex IV 2(d), each mapped to the evidence govern holds for the run."""
    got = _gather(workspace, run_id, "ai-act", "EU AI Act data-governance evidence")
    run, sheets = got["run"], got["sheets"]
    rid = run["run"]["id"]
    recipe, base = run["recipe"], run["base_model"]
    card = f"`govern report run {rid}`"
    origin, prep, quantity, gaps, sheet_refs = [], [], [], [], []
    for sheet in sheets:
        d, s = sheet["dataset"], sheet["snapshot"]
        sid = s["id"][:12]
        where = f"`govern report dataset {sid}` § 1 (ledger entry {d['ledger_seq']})"
        sheet_refs.append(
            _ev(f"datasheet of {d['name']}", f"snapshot {sid}", f"`govern report dataset {sid}`")
        )
        origin += [
            _ev(f"{d['name']}: source", d["source"], where),
            _ev(f"{d['name']}: collected at", d["collected_at"] or UNKNOWN, where),
            _ev(f"{d['name']}: jurisdiction", d["jurisdiction"] or UNKNOWN, where),
            _ev(f"{d['name']}: legal basis", d["legal_basis"], where),
            _ev(f"{d['name']}: license", d["license"], where),
        ]
        for c in sheet["consent"]:
            origin.append(
                _ev(
                    f"{d['name']}: consent for purpose {c['purpose']!r}",
                    f"{c['records_with_grant']} of {c['records']} records",
                    f"`govern report dataset {sid}` § 3",
                )
            )
        for a in sheet["lineage"]["ancestry"]:
            prep.append(
                _ev(
                    f"snapshot {a['id'][:12]} made by {a['transform']}",
                    f"{a['record_count']} records, transform config {str(a['transform_hash'] or '-')[:12]}",
                    f"`govern report dataset {sid}` § 2",
                )
            )
        pii = sheet["pii"]
        if pii["before"] is not None or pii["after"] is not None:
            prep.append(
                _ev(
                    "PII findings before / after anonymization",
                    f"{(pii['before'] or {}).get('findings_count', 'not scanned')} / "
                    f"{(pii['after'] or {}).get('findings_count', 'not scanned')}",
                    f"`govern report dataset {sid}` § 4",
                )
            )
        quantity += [
            _ev(f"{d['name']}: records", s["record_count"], f"snapshot {sid}"),
            _ev(f"{d['name']}: distinct data subjects", s["distinct_subjects"], f"snapshot {sid}"),
            _ev(f"{d['name']}: records erased on request", s["erased_records"], f"snapshot {sid}"),
        ]
        gaps.append(
            _ev(
                f"policy status of snapshot {sid}",
                sheet["readiness"]["status"],
                f"`govern report dataset {sid}` § 5",
            )
        )
        gaps += [
            _ev(f"open rule on snapshot {sid}", reason, "the training gate's re-check")
            for reason in sheet["readiness"]["reasons"]
        ]
    evaluations = run["release"]["evaluations"]
    points = [
        _point(
            "Art. 10(2)(a)",
            "the relevant design choices",
            "partly",
            [
                _ev("recipe", f"{recipe['name']} (hash {str(recipe['hash'])[:12]})", card + " § 4"),
                _ev("base model", f"{base['name']} (hash {str(base['hash'])[:12]})", card + " § 4"),
                _ev("privacy design", run["dp"]["statement"], card + " § 1"),
            ],
            "why these choices were made is not recorded by govern",
        ),
        _point(
            "Art. 10(2)(b)",
            "data collection processes and the origin of data, and for personal data the original "
            "purpose of collection",
            ("partly" if any(e["value"] == UNKNOWN for e in origin) else "covered")
            if origin
            else NOT_COVERED,
            origin,
            "how the source collected the data is only what was declared at registration",
        ),
        _point(
            "Art. 10(2)(c)",
            "data-preparation operations (annotation, labelling, cleaning, updating, enrichment, aggregation)",
            "partly",
            prep,
            "annotation and labelling are not covered by govern; cleaning is limited to "
            "anonymization, consent filtering and erasure",
        ),
        _point(
            "Art. 10(2)(d)",
            "the formulation of assumptions about what the data measure and represent",
            NOT_COVERED,
            [],
            NOT_COVERED,
        ),
        _point(
            "Art. 10(2)(e)",
            "an assessment of the availability, quantity and suitability of the data sets",
            "partly",
            quantity
            + [
                _ev(
                    f"held-out evaluation on {e.get('snapshot_id', '')[:12]}",
                    f"loss {e.get('base_loss')} → {e.get('adapter_loss')}",
                    card + " § 7",
                )
                for e in evaluations
            ],
            "suitability for the intended purpose is not assessed by govern",
        ),
        _point(
            "Art. 10(2)(f)",
            "examination in view of possible biases",
            NOT_COVERED,
            [],
            NOT_COVERED
            + " (differential privacy and PII anonymization are privacy measures, not bias measures)",
        ),
        _point(
            "Art. 10(2)(g)",
            "measures to detect, prevent and mitigate the biases identified under (f)",
            NOT_COVERED,
            [],
            NOT_COVERED,
        ),
        _point(
            "Art. 10(2)(h)",
            "the identification of data gaps or shortcomings, and how they can be addressed",
            "partly",
            gaps,
            "gaps are found only against the policy pack's rules (provenance, consent, PII, "
            "privacy budget), not against representativeness",
        ),
        _point(
            "Annex IV 2(d)",
            "datasheets describing the training methodologies and data sets: general description, "
            "provenance, scope and main characteristics; how the data was obtained and selected; "
            "labelling procedures; data cleaning methodologies",
            "partly",
            [
                *sheet_refs,
                _ev("training methodology", f"LoRA fine-tuning, {run['dp']['statement']}", card),
                _ev("selection", "only snapshots the training gate admitted", card + " § 5"),
                *prep,
            ],
            "labelling procedures and outlier detection are not covered by govern",
        ),
    ]
    return {**got["facts"], "points": points}


def build_ab2013_report(workspace: Any, run_id: str) -> dict[str, Any]:
    """Cal. Civ. Code § 3111(a)(1)-(12) for each data set of the run, filled from evidence or unknown."""
    from govern.reports.dataset import runs_using

    got = _gather(workspace, run_id, "ab2013", "California AB 2013 training-data disclosure")
    run = got["run"]
    datasets = []
    with workspace.catalog.reading() as session:
        for sheet in got["sheets"]:
            d, s, pii = sheet["dataset"], sheet["snapshot"], sheet["pii"]
            first_run = next(
                iter(runs_using(session, [a["id"] for a in sheet["lineage"]["ancestry"]])), None
            )
            license_id = str(d["license"] or "")
            before = (pii["before"] or {}).get("findings_count")
            after = (pii["after"] or {}).get("findings_count")
            transforms = [
                a["transform"] for a in sheet["lineage"]["ancestry"] if a["transform"] != "ingest"
            ]
            items = [
                ("sources or owners of the datasets", f"{d['name']}: {d['source']}"),
                ("how the datasets further the intended purpose", UNKNOWN),
                ("number of data points", f"{s['record_count']} records"),
                (
                    "types of data points",
                    f"text records with fields {', '.join(d['text_fields'])}; one data subject per record "
                    f"(field {d['subject_field']}); unlabelled",
                ),
                (
                    "whether the datasets include data protected by copyright, trademark or patent, or are "
                    "entirely in the public domain",
                    "public domain (" + license_id + ")"
                    if license_id in PUBLIC_DOMAIN
                    else f"{UNKNOWN}: declared license {license_id or 'none'}; protection not determined",
                ),
                (
                    "whether the datasets were purchased or licensed by the developer",
                    f"licensed ({license_id})" if license_id else UNKNOWN,
                ),
                (
                    "whether the datasets include personal information (Cal. Civ. Code § 1798.140(v))",
                    (
                        f"yes: records belong to identified data subjects ({s['distinct_subjects']} distinct); "
                        f"PII scan found {before if before is not None else 'no scan'} before and "
                        f"{after if after is not None else 'no scan'} after anonymization"
                    ),
                ),
                (
                    "whether the datasets include aggregate consumer information (§ 1798.140(b))",
                    UNKNOWN,
                ),
                (
                    "cleaning, processing or other modification by the developer, and its purpose",
                    "; ".join(PURPOSES.get(t, t) for t in transforms) if transforms else "none",
                ),
                (
                    "time period during which the data were collected, and whether collection is ongoing",
                    f"collected at {d['collected_at']}; ongoing: {UNKNOWN}"
                    if d["collected_at"]
                    else UNKNOWN,
                ),
                (
                    "dates the datasets were first used during development",
                    first_run.created_at if first_run is not None else UNKNOWN,
                ),
                (
                    "whether synthetic data generation was used",
                    f"yes: {d['synthetic_generator']}"
                    if d["synthetic_generator"]
                    else "no synthetic data declared",
                ),
            ]
            datasets.append(
                {
                    "dataset": d["name"],
                    "snapshot_id": s["id"],
                    "answers": [
                        {
                            "item": f"(a)({n})",
                            "asks": asks,
                            "answer": answer,
                            "known": not answer.startswith(UNKNOWN),
                        }
                        for n, (asks, answer) in enumerate(items, start=1)
                    ],
                }
            )
    return {
        **got["facts"],
        "statute": "Cal. Civ. Code § 3111 (AB 2013)",
        "run_id": run["run"]["id"],
        "datasets": datasets,
    }


def _run_contradictions(session: Any, ledgered: dict[str, Any], later: list[Any]) -> list[str]:
    from govern.reports.run import run_contradictions

    return run_contradictions(session, ledgered, later)


register(ReportKind("ai-act", "EU AI Act data-governance evidence", _run_contradictions))
register(ReportKind("ab2013", "California AB 2013 training-data disclosure", _run_contradictions))
