"""The Hugging Face metadata of an adapter's model card (its YAML front matter), as pure functions.

    license     the recipe's `license` (SPDX) if set, else the training data's licences
                (their datasets' SPDX expressions, joined by AND); an id the Hub knows is
                written as its lowercase id, any other expression as "other" with license_name
    base_model  the base model folder's name;  datasets  the snapshot ids trained on
    tags        lora, peft, govern, and differential-privacy (or non-private)
    model-index one result per metric of each suite evaluation (`govern eval --suite`), the
                adapter's mean with its bootstrap interval and the base model's beside it

huggingface_hub's ModelCardData reads all of it back (tests check that).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# Licence ids the Hub lists, lowercase (https://huggingface.co/docs/hub/repositories-licenses).
HUB_LICENSES = frozenset(
    [
        "apache-2.0",
        "mit",
        "openrail",
        "bigscience-openrail-m",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "c-uda",
        "cc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "etalab-2.0",
        "eupl-1.1",
        "eupl-1.2",
        "agpl-3.0",
        "gfdl",
        "gpl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "h-research",
        "intel-research",
        "lppl-1.3c",
        "ms-pl",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "openrail++",
        "osl-3.0",
        "postgresql",
        "ofl-1.1",
        "ncsa",
        "unlicense",
        "zlib",
        "pddl",
        "lgpl-lr",
        "deepfloyd-if-license",
        "fair-noncommercial-research-license",
        "llama2",
        "llama3",
        "llama3.1",
        "llama3.2",
        "llama3.3",
        "llama4",
        "gemma",
        "unknown",
        "other",
    ]
)


def card_license(recipe_license: str | None, data_licenses: Iterable[str]) -> str | None:
    """The SPDX expression the card states: the recipe's, else every data licence joined by AND."""
    from govern.licenses import normalize

    if recipe_license:
        return normalize(recipe_license, "license")
    found = sorted({normalize(item, "license") for item in data_licenses if item})
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    return normalize(" AND ".join(f"({item})" for item in found), "license")


def hub_license_fields(expression: str | None) -> dict[str, str]:
    """`license` (and `license_name` for "other") in the Hub's terms for an SPDX expression."""
    if not expression:
        return {}
    if expression.lower() in HUB_LICENSES:
        return {"license": expression.lower()}
    slug = re.sub(r"[^a-z0-9.]+", "-", expression.lower()).strip("-")
    return {"license": "other", "license_name": slug}


def card_tags(private: bool) -> list[str]:
    """The card's tags: what the adapter is and how it was trained."""
    return ["lora", "peft", "govern"] + (
        ["differential-privacy", "opacus"] if private else ["non-private"]
    )


def model_index(run_id: str, evaluations: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Hub's model-index from ledgered suite evaluations (the newest of each suite)."""
    newest: dict[str, Mapping[str, Any]] = {}
    for evaluation in evaluations:
        newest[str(evaluation["suite"])] = evaluation
    results = []
    for suite, evaluation in sorted(newest.items()):
        metrics = []
        for name, estimate in sorted(evaluation["metrics"].items()):
            adapter, base = estimate["adapter"], estimate["base"]
            metrics.append(
                {
                    "type": name,
                    "value": round(float(adapter["mean"]), 6),
                    "name": f"{name} (adapter; base model {float(base['mean']):.4g})",
                    "verified": False,
                    "args": {
                        "low": round(float(adapter["low"]), 6),
                        "high": round(float(adapter["high"]), 6),
                        "base_mean": round(float(base["mean"]), 6),
                    },
                }
            )
        if not metrics:
            continue
        results.append(
            {
                "task": {"type": "text-generation", "name": "Text Generation"},
                "dataset": {
                    "type": "govern-snapshot",
                    "name": f"{suite} (held-out snapshot {evaluation['snapshot_id'][:12]})",
                    "revision": str(evaluation["snapshot_id"]),
                    "args": {"suite": suite, "ledger_entry": int(evaluation["ledger_seq"])},
                },
                "metrics": metrics,
            }
        )
    return [{"name": run_id, "results": results}] if results else []


def front_matter(
    run: Mapping[str, Any],
    result: Mapping[str, Any],
    data_licenses: Iterable[str] = (),
    evaluations: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The card's YAML metadata, in the Hub's keys, with govern's own facts under `govern`."""
    settings = run.get("recipe") or {}
    license_expression = card_license(settings.get("license"), data_licenses)
    front: dict[str, Any] = {
        **hub_license_fields(license_expression),
        "base_model": Path(run["base_model"]["path"]).name,
        "library_name": "peft",
        "pipeline_tag": "text-generation",
        "datasets": list(result["snapshot_ids"]),
        "tags": card_tags(bool(result["private"])),
    }
    index = model_index(str(run["run_id"]), evaluations)
    if index:
        front["model-index"] = index
    front["govern"] = {"license_expression": license_expression}
    return front
