"""The URIs govern names itself by in what it exports (OpenLineage, in-toto, model cards).

`PRODUCER` is the project's repository at the released version: OpenLineage's `producer` and
every facet's `_producer`, SLSA's builder id (`BUILDER_ID`). `BUILD_TYPE` is the document in the
same repository that says what a govern DP-LoRA build's parameters mean (SLSA asks that a
buildType resolve to such a description). Custom facet schemas are published in the same
repository under a version folder of their own, so a facet's `_schemaURL` resolves to the
schema it was written against.
"""

from __future__ import annotations

from govern import __version__

PROJECT_URI = "https://github.com/govern-project/govern"
PRODUCER = f"{PROJECT_URI}/tree/v{__version__}"
GOVERN_FACETS = f"{PROJECT_URI}/blob/main/govern/lineage/schemas/govern/1-0-0/"
BUILDER_ID = PRODUCER
BUILD_TYPE = f"{PROJECT_URI}/blob/main/docs/build-types/dp-lora/v1.md"
