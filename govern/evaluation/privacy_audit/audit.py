"""`audit_run`: the empirical privacy audit of a finished run from its canaries.

Black-box and loss-based: every canary (included or not) and K random reference secrets of the
same format are scored by the adapter's loss on the secret's tokens (the prefix is masked, so
only the secret counts). From those losses come

- the exposure of each canary (bounds.exposure; log2 scale, capped at log2(K + 1) bits, and a
  skew-normal extrapolation beyond the cap),
- the membership-inference AUC of "lower loss ⇒ included",
- the one-run lower bound on ε at the stated confidence (bounds.audit_bound), with δ the run's δ,

stored as a `PrivacyAudit` row beside the accountant's ε and ledgered as `run.privacy_audited`.
The row's result holds every secret, the inclusion mask, every canary's loss and guess, and the
reference seed, so anyone with the adapter can recompute the audit.

consistent: the lower bound does not exceed the accountant's ε. A lower bound above it means the
run leaked more than its DP guarantee allows: a bug in the trainer or in the accounting. For a
non-private run there is no guarantee to contradict, so it is consistent by definition (and the
result says so); its bound and exposures still show how much the adapter memorised.
"""

from __future__ import annotations

import json
import secrets as _secrets
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from govern import ledger
from govern.canonical import canonical_json
from govern.catalog.models import LedgerEntry, PrivacyAudit
from govern.clock import utc_now
from govern.errors import BadInput, IntegrityFailure
from govern.evaluation.privacy_audit import bounds
from govern.evaluation.privacy_audit.canaries import (
    CanarySet,
    canary_record,
    read_canary_file,
    reference_secrets,
)
from govern.ledger.authority import require, row_problem
from govern.ledger.keys import PrivateIdentity

if TYPE_CHECKING:
    from govern.workspace import Workspace

DEFAULT_REFERENCES = 1000
ATTACKS = ("loss", "loss-drop")
AUDIT_EVENT = "run.privacy_audited"


def scoring_examples(
    prefix: str, secrets: Sequence[str], tokenizer: Any, data_settings: Mapping[str, Any]
) -> list[tuple[list[int], list[int]]]:
    """Encode each secret as the trainer encodes a canary, with the loss on the secret's tokens only.

    prompt_completion: exactly the training encoding (the prompt, here the prefix, is masked).
    text: the training encoding with the prefix's tokens masked when they tokenize alike alone.
    """
    from govern.training.data import IGNORE_INDEX, encode_records

    records = [canary_record(prefix, secret, data_settings) for secret in secrets]
    examples = encode_records(records, tokenizer, data_settings)
    if data_settings["format"] != "text":
        return examples
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    prefix_ids = bos + tokenizer(prefix, add_special_tokens=False)["input_ids"]
    out = []
    for ids, labels in examples:
        if ids[: len(prefix_ids)] == prefix_ids and len(ids) > len(prefix_ids) + 1:
            labels = [IGNORE_INDEX] * len(prefix_ids) + labels[len(prefix_ids) :]
        out.append((ids, labels))
    return out


def score_secrets(
    model: Any,
    tokenizer: Any,
    prefix: str,
    secrets: Sequence[str],
    data_settings: Mapping[str, Any],
    device: Any,
    batch_size: int = 64,
) -> list[float]:
    """The model's mean loss on each secret's tokens, after the prefix (lower = more familiar)."""
    from govern.training.inference import example_losses

    examples = scoring_examples(prefix, secrets, tokenizer, data_settings)
    return example_losses(model, examples, tokenizer.pad_token_id, device, batch_size)


def analyse(
    canaries: CanarySet,
    losses: Sequence[float],
    reference_losses: Sequence[float],
    delta: float,
    confidence: float,
    guesses: int | None = None,
    scores: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Everything an audit reports, from the losses alone (pure; `scores` default to −loss)."""
    scores = list(scores) if scores is not None else [-loss for loss in losses]
    included = list(canaries.included)
    bound = bounds.audit_bound(scores, included, delta, confidence, guesses)
    chosen = bounds.guesses_from_scores(scores, bound.k_in, bound.k_out)
    exposures = [bounds.exposure(loss, reference_losses) for loss in losses]
    fitted = [bounds.fitted_exposure(loss, reference_losses) for loss in losses]
    inc_exp = [e for e, inc in zip(exposures, included, strict=True) if inc]
    out_exp = [e for e, inc in zip(exposures, included, strict=True) if not inc]
    inc_fit = [e for e, inc in zip(fitted, included, strict=True) if inc]

    def mean(values: Sequence[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return {
        "bound": bound.as_dict(),
        "auc": bounds.membership_auc(scores, included),
        "exposure": {
            "included_mean": mean(inc_exp),
            "included_max": max(inc_exp, default=0.0),
            "excluded_mean": mean(out_exp),
            "excluded_max": max(out_exp, default=0.0),
            "included_fitted_mean": mean(inc_fit),
            "included_fitted_max": max(inc_fit, default=0.0),
            "cap_bits": bounds.exposure(float("-inf"), reference_losses),
            "space_bits": canaries.space_bits,
        },
        "canaries": [
            {
                "secret": secret,
                "included": inc,
                "loss": loss,
                "score": score,
                "guess": guess,
                "exposure": exp,
                "fitted_exposure": fit,
            }
            for secret, inc, loss, score, guess, exp, fit in zip(
                canaries.secrets, included, losses, scores, chosen, exposures, fitted, strict=True
            )
        ],
    }


def _committed_hash(session: Any, run: Any, info: Mapping[str, Any]) -> str:
    """The canary file hash committed in run.started (and run.json); they must agree."""
    entry = session.get(LedgerEntry, run.ledger_seq)
    started = json.loads(entry.payload).get("canaries") if entry is not None else None
    stored = info.get("canaries")
    if not started and not stored:
        raise BadInput(
            f"run {run.id} planted no canaries; add an [audit] section (canaries = 100) to the recipe "
            "and train again to audit it"
        )
    if started and stored and started["file_sha256"] != stored["file_sha256"]:
        raise IntegrityFailure(
            f"run {run.id}: run.json and the run.started ledger entry commit to different canary files"
        )
    if not started:
        raise IntegrityFailure(
            f"run {run.id}: run.json names a canary file, but the run.started ledger entry "
            "committed to none; the canaries were not fixed before training"
        )
    return str(started["file_sha256"])


def audit_run(
    workspace: Workspace,
    actor: PrivateIdentity,
    run_id: str,
    confidence: float = 0.95,
    references: int = DEFAULT_REFERENCES,
    guesses: int | None = None,
    attack: str = "loss",
    device: str | None = None,
) -> PrivacyAudit:
    """Audit a finished run's canaries; store and ledger the `PrivacyAudit` (secrets and mask included)."""
    from govern.evaluation.heldout import completed_event, run_recipe
    from govern.training.inference import load_run_model
    from govern.training.model import load_tokenizer, pick_device
    from govern.training.run_status import get_run

    if not 0.5 <= confidence < 1:
        raise BadInput(f"--confidence {confidence}: give a level in [0.5, 1), e.g. 0.95")
    if references < 10:
        raise BadInput(f"--references {references}: exposure needs at least 10 reference secrets")
    if attack not in ATTACKS:
        raise BadInput(f"--attack {attack!r}: choose one of {', '.join(ATTACKS)}")
    with workspace.catalog.reading() as session:
        require(session, actor, "audit.privacy")
        run = get_run(session, run_id)
        completed = completed_event(session, run)
        info, recipe = run_recipe(run)
        committed = _committed_hash(session, run, info)
    canaries, digest = read_canary_file(Path(run.output_dir), committed)
    if guesses is not None and not 1 <= guesses <= canaries.count // 2:
        raise BadInput(
            f"--guesses {guesses}: give 1..{canaries.count // 2} guesses per side for {canaries.count} canaries"
        )

    torch_device = pick_device(device)
    tokenizer = load_tokenizer(recipe.tokenizer_path)
    model = load_run_model(run, recipe, completed.get("adapter_files"), torch_device)
    seed = _secrets.randbits(63)
    refs = reference_secrets(canaries, references, seed)
    data = recipe["data"]
    losses = score_secrets(model, tokenizer, canaries.prefix, canaries.secrets, data, torch_device)
    reference_losses = score_secrets(model, tokenizer, canaries.prefix, refs, data, torch_device)
    scores = None
    base_losses = None
    if attack == "loss-drop":
        with model.disable_adapter():
            base_losses = score_secrets(
                model, tokenizer, canaries.prefix, canaries.secrets, data, torch_device
            )
        scores = [b - a for a, b in zip(losses, base_losses, strict=True)]

    private = bool(run.dp_enabled)
    delta = float(run.delta) if private and run.delta is not None else 0.0
    accountant_epsilon = completed.get("epsilon") if private else None
    report = analyse(canaries, losses, reference_losses, delta, confidence, guesses, scores)
    lower = float(report["bound"]["epsilon_lower_bound"])
    if private:
        consistent = accountant_epsilon is not None and lower <= float(accountant_epsilon)
        note = (
            "the empirical lower bound does not exceed the accountant's ε"
            if consistent
            else "the empirical lower bound EXCEEDS the accountant's ε: the run leaked more than its DP guarantee allows "
            "(a bug in the trainer or the accounting)"
        )
    else:
        consistent = True
        note = (
            "non-private run: there is no accountant ε to contradict, so the audit is consistent by definition; "
            "the bound and exposures measure how much the adapter memorised"
        )
    result = {
        "attack": attack,
        "score": "-loss" if attack == "loss" else "base loss - adapter loss",
        "private": private,
        "delta": delta,
        "accountant": run.accountant if private else None,
        "note": note,
        "canary_file_sha256": digest,
        "prefix": canaries.prefix,
        "alphabet": canaries.alphabet,
        "length": canaries.length,
        "repeats": canaries.repeats,
        "secrets": list(canaries.secrets),
        "included": list(canaries.included),
        "references": {
            "count": references,
            "seed": seed,
            "loss_mean": sum(reference_losses) / len(reference_losses),
            "loss_min": min(reference_losses),
            "loss_max": max(reference_losses),
        },
        "base_losses": base_losses,
        **report,
    }
    exposure = report["exposure"]
    row = PrivacyAudit(
        id=uuid.uuid4().hex,
        run_id=run.id,
        canaries=canaries.count,
        included=canaries.included_count,
        exposure_mean=float(exposure["included_mean"]),
        exposure_max=float(exposure["included_max"]),
        auc=float(report["auc"]),
        epsilon_lower_bound=lower,
        confidence=confidence,
        accountant_epsilon=float(accountant_epsilon) if accountant_epsilon is not None else None,
        consistent=consistent,
        result=canonical_json(result),
        created_at=utc_now(),
        created_by=actor.key_id,
        ledger_seq=0,
    )
    with workspace.catalog.transaction() as session:
        ledger.record(session, actor, AUDIT_EVENT, row, [run.id])
    return row


def vouched_audits(session: Any, run_id: str) -> tuple[list[PrivacyAudit], list[str]]:
    """The run's privacy audits that a verified `run.privacy_audited` entry recorded as they
    stand, oldest first, and why each other audit row cannot be relied on (`row_problem`)."""
    audits, problems = [], []
    for row in session.exec(
        select(PrivacyAudit)
        .where(PrivacyAudit.run_id == run_id)
        .order_by(col(PrivacyAudit.ledger_seq))
    ):
        problem = row_problem(session, row, (AUDIT_EVENT,))
        if problem is None:
            audits.append(row)
        else:
            problems.append(problem)
    return audits, problems


def worst_audit(audits: Sequence[PrivacyAudit]) -> PrivacyAudit | None:
    """The audit that decides: an inconsistent one before any consistent one, then the highest
    empirical lower bound. A later passing audit never hides an earlier failing one."""
    return min(audits, key=lambda a: (bool(a.consistent), -a.epsilon_lower_bound), default=None)


def audit_dict(row: PrivacyAudit, with_canaries: bool = False) -> dict[str, Any]:
    """An audit as JSON-able data; the per-canary table only when asked."""
    out: dict[str, Any] = {
        k: getattr(row, k) for k in PrivacyAudit.ledgered_fields if k != "result"
    }
    result = json.loads(row.result)
    out["ledger_seq"] = row.ledger_seq
    out["bound"] = result["bound"]
    out["exposure"] = result["exposure"]
    out["note"] = result["note"]
    out["attack"] = result["attack"]
    out["delta"] = result["delta"]
    if with_canaries:
        out["canary_table"] = result["canaries"]
    return out
