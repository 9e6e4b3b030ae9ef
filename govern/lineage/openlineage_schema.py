"""Validation of OpenLineage events against vendored schemas: OpenLineage's own, and govern's facets.

`schemas/openlineage/` holds byte-for-byte copies of the OpenLineage spec files govern emits
(their commit and git blob ids in `UPSTREAM.json`, their licence beside them);
`schemas/govern/<version>/` holds govern's custom facets. Each file is registered under its own
`$id`, so a facet validates only against the exact schema version its `_schemaURL` names, and a
facet naming a schema that is not vendored is a problem, never skipped. Nothing is fetched.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCHEMAS_DIR = Path(__file__).parent / "schemas"
OPENLINEAGE_SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT_SCHEMA_URL = OPENLINEAGE_SPEC + "#/$defs/RunEvent"


@cache
def vendored_schemas() -> dict[str, dict[str, Any]]:
    """Every vendored schema by its `$id`."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(SCHEMAS_DIR.rglob("*.json")):
        if path.name == "UPSTREAM.json":
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        found[schema["$id"]] = schema
    return found


@cache
def _registry() -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    registry: Any = Registry()
    for url, schema in vendored_schemas().items():
        registry = registry.with_resource(url, DRAFT202012.create_resource(schema))
    return registry.crawl()


def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if "T" not in value or not (value.endswith("Z") or value[-6] in "+-"):
            raise ValueError("not an RFC 3339 date-time with a time zone")
        datetime.fromisoformat(value)
        return True

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(urlsplit(value).scheme)

    return checker


def _validator(ref: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(
        {"$ref": ref}, registry=_registry(), format_checker=_format_checker()
    )


def _facets_of(event: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(f"run.facets.{k}", v) for k, v in (event.get("run", {}).get("facets") or {}).items()]
    found += [(f"job.facets.{k}", v) for k, v in (event.get("job", {}).get("facets") or {}).items()]
    for side in ("inputs", "outputs"):
        for index, dataset in enumerate(event.get(side) or []):
            for group in ("facets", "inputFacets", "outputFacets"):
                found += [
                    (f"{side}[{index}].{group}.{k}", v)
                    for k, v in (dataset.get(group) or {}).items()
                ]
    return found


def validate_facet(where: str, value: Any) -> list[str]:
    """Every way one facet breaks the vendored schema its `_schemaURL` names."""
    url = value.get("_schemaURL") if isinstance(value, dict) else None
    if not isinstance(url, str):
        return [f"{where}: a facet must be an object with a _schemaURL"]
    if url.split("#")[0] not in vendored_schemas():
        return [f"{where}: _schemaURL {url} names no vendored schema"]
    return [f"{where}: {e.message}" for e in _validator(url).iter_errors(value)]


def validate_event(event: dict[str, Any]) -> list[str]:
    """Every way `event` breaks the OpenLineage RunEvent schema or the schema of one of its facets."""
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '(event)'}: {e.message}"
        for e in _validator(RUN_EVENT_SCHEMA_URL).iter_errors(event)
    ]
    for where, value in _facets_of(event):
        problems += validate_facet(where, value)
    return problems
