"""Evaluation suites as code: `evals/NAME.yaml` in a workspace says what to generate and score.

A suite names an approved held-out snapshot, the prompt and reference fields, the generation
settings and the metrics. Every error names the file, the line and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from govern.canonical import hash_value
from govern.config_models import PYDANTIC_MESSAGES, Model, validate
from govern.errors import BadInput, NotFound
from govern.safe_yaml import load_located, plain

SUITES_DIR = "evals"
Metric = Literal["exact_match", "rouge_l", "chrf", "accuracy", "loss"]

EXAMPLE_SUITE = """\
# An evaluation suite: `govern eval RUN --suite support-answers`.
# The snapshot must be approved and held out (not trained on by the run or its ancestors).
name: support-answers
snapshot: SNAPSHOT_ID        # the held-out snapshot's id (or a unique prefix)
prompt_field: prompt
reference_field: completion
metrics: [exact_match, rouge_l, chrf, loss]
limit: 200                   # score the first N records (0 = all)
generation:
  max_new_tokens: 32         # greedy decoding; the same prompts for base and adapter
  batch_size: 16
bootstrap:
  resamples: 1000
  confidence: 0.95
pii_probe: true              # scan the outputs for personal data seen in training
"""


class _Strict(Model):
    messages: ClassVar[dict[str, str]] = PYDANTIC_MESSAGES


class Generation(_Strict):
    max_new_tokens: int = Field(32, ge=1, le=1024)
    batch_size: int = Field(16, ge=1, le=1024)


class Bootstrap(_Strict):
    resamples: int = Field(1000, ge=100, le=100_000)
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    seed: int = 0


class Suite(_Strict):
    """One evaluation suite."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    snapshot: str = Field(min_length=6)
    prompt_field: str = "prompt"
    reference_field: str = "completion"
    metrics: tuple[Metric, ...] = ("exact_match", "rouge_l", "chrf", "loss")
    limit: int = Field(200, ge=0)
    generation: Generation = Generation()
    bootstrap: Bootstrap = Bootstrap()
    pii_probe: bool = True

    @property
    def hash(self) -> str:
        """What the ledger records for this suite (its settings, not the file's comments)."""
        return hash_value(self.model_dump(mode="json"))


def suite_path(workspace: Any, name: str) -> Path:
    path = Path(workspace.root) / SUITES_DIR / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (Path(workspace.root) / SUITES_DIR).glob("*.yaml"))
        raise NotFound(
            f"no evaluation suite {name!r}: {path} does not exist"
            + (f" (suites: {', '.join(known)})" if known else f"; write one in {SUITES_DIR}/")
        )
    return path


def load_suite(path: Path) -> Suite:
    """Parse and validate a suite file; BadInput names the file, line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read the suite file ({error})") from error
    located = load_located(text, path)
    if not isinstance(located.data, dict):
        raise BadInput(f"{path}: a suite is a mapping of settings (see `govern init`'s example)")
    suite = validate(Suite, plain(located.data), path, located, what="evaluation suite")
    if suite.name != path.stem:
        raise BadInput(
            f"{path}, line {located.line_of(('name',))}: name: {suite.name!r} must match the file "
            f"name {path.stem!r}"
        )
    if suite.prompt_field == suite.reference_field:
        raise BadInput(
            f"{path}, line {located.line_of(('reference_field',))}: reference_field: must differ "
            "from prompt_field"
        )
    return suite
