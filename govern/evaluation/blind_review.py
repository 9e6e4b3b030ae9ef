"""Blind human review: base and adapter outputs side by side in random order, verdicts signed.

`sample_for_review` draws items of a suite at random, writes a sheet (CSV or JSONL) with the two
outputs as A and B in an order drawn per item, and keeps which one is the adapter in a private
file whose hash the ledger commits to. `import_verdicts` reads a filled sheet back: every row is
checked (line named), A/B are mapped back through the committed assignment, and the verdicts are
one ledger entry signed by the reviewer's key. `review_summary` gives the adapter's win rate with
its Wilson interval and the reviewers' agreement (Krippendorff's alpha, nominal).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from govern import ledger
from govern.atomic import write_new_file
from govern.canonical import canonical_bytes, sha256_hex
from govern.catalog.models import LedgerEntry
from govern.clock import new_id
from govern.errors import BadInput, IntegrityFailure, NotFound, Refused
from govern.ledger.authority import Authority, require, verified_entries
from govern.ledger.keys import PrivateIdentity, Signer

SAMPLE_EVENT = "review.sampled"
VERDICT_EVENT = "review.verdicts"
PREFERENCES = ("a", "b", "tie")
DEFAULT_CRITERIA = ("correctness", "fluency")


ORPHAN_AGE_S = 600  # older than any sample still between its file and its ledger entry


def _assignment_path(workspace: Any, sample_id: str) -> Path:
    return Path(workspace.state_dir) / "secrets" / f"review-{sample_id}.json"


def items_path(workspace: Any, sample_id: str) -> Path:
    """The sample's items (prompt, output A, output B) as the sheet shows them, for the console."""
    return Path(workspace.state_dir) / "secrets" / f"review-{sample_id}-items.jsonl"


def remove_orphan_assignments(workspace: Any, min_age_s: float = ORPHAN_AGE_S) -> list[Path]:
    """Remove assignment files that no `review.sampled` entry names (a killed `review sample`).

    The file is written before its ledger entry, so a SIGKILL between the two leaves it behind;
    files younger than `min_age_s` may belong to a sample that is still being recorded.
    """
    folder = Path(workspace.state_dir) / "secrets"
    candidates = {
        path.name[len("review-") : -len(".json")]: path for path in folder.glob("review-*.json")
    }
    if not candidates:
        return []
    with workspace.catalog.reading() as session:
        # Any entry of the event counts, verified or not: a damaged entry keeps its file as evidence.
        found = session.exec(select(LedgerEntry.refs).where(LedgerEntry.event == SAMPLE_EVENT))
        recorded = {ref for refs in found for ref in json.loads(refs)}
    now = time.time()
    removed = []
    for sample_id, path in candidates.items():
        try:
            if sample_id not in recorded and now - path.stat().st_mtime >= min_age_s:
                path.unlink()
                removed.append(path)
                copy = items_path(workspace, sample_id)
                if copy.exists():
                    copy.unlink()
                    removed.append(copy)
        except FileNotFoundError:
            continue
    return removed


def _sheet_bytes(rows: list[dict[str, Any]], fmt: str) -> bytes:
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def sample_for_review(
    workspace: Any,
    actor: PrivateIdentity,
    run_id: str,
    suite_name: str,
    n: int,
    out_path: Path,
    criteria: tuple[str, ...] = DEFAULT_CRITERIA,
    device: str | None = None,
) -> dict[str, Any]:
    """Write a blind review sheet of `n` random suite items; ledger the sample (`review.sampled`)."""
    from govern.evaluation.suite_run import generate_both
    from govern.evaluation.suites import load_suite, suite_path

    with workspace.catalog.reading() as session:
        require(session, actor, "run.evaluate")
    remove_orphan_assignments(workspace)
    fmt = "jsonl" if out_path.suffix == ".jsonl" else "csv" if out_path.suffix == ".csv" else ""
    if not fmt:
        raise BadInput(f"{out_path}: write the sheet as .csv or .jsonl")
    if out_path.exists():
        raise BadInput(f"{out_path} exists; choose a new file for the review sheet")
    if n < 1:
        raise BadInput("--n must be at least 1")
    bad = [c for c in criteria if not c.isidentifier() or c in ("item", "preference", "notes")]
    if bad:
        raise BadInput(f"--criteria {bad[0]!r}: a criterion is a plain name such as correctness")
    suite = load_suite(suite_path(workspace, suite_name))
    run, items, base_out, adapter_out, _ = generate_both(workspace, actor, run_id, suite, device)
    rng = secrets.SystemRandom()
    chosen = sorted(rng.sample(range(len(items.prompts)), min(n, len(items.prompts))))
    assignment = {str(i): rng.choice(("adapter", "base")) for i in chosen}
    rows = []
    for i in chosen:
        pair = (adapter_out[i], base_out[i])
        a, b = pair if assignment[str(i)] == "adapter" else pair[::-1]
        rows.append(
            {
                "item": i,
                "prompt": items.prompts[i],
                "output_a": a,
                "output_b": b,
                "preference": "",
                **{f"{c}_{side}": "" for c in criteria for side in ("a", "b")},
                "notes": "",
            }
        )
    sample_id = new_id()
    # The salt keeps the assignment from being found by hashing each of its 2^n candidates.
    secret = canonical_bytes(
        {"sample_id": sample_id, "assignment": assignment, "salt": secrets.token_hex(32)}
    )
    sheet = _sheet_bytes(rows, fmt)
    items_copy = _sheet_bytes(rows, "jsonl")  # what the console's review page shows
    payload = {
        "sample_id": sample_id,
        "run_id": run.id,
        "suite": suite.name,
        "suite_hash": suite.hash,
        "snapshot_id": items.snapshot_id,
        "items": chosen,
        "criteria": list(criteria),
        "assignment_hash": sha256_hex(secret),
        "sheet_hash": sha256_hex(sheet),
        "items_hash": sha256_hex(items_copy),
        "row_hashes": {str(row["item"]): _row_hash(row) for row in rows},
    }
    secret_path = _assignment_path(workspace, sample_id)
    copy_path = items_path(workspace, sample_id)
    write_new_file(secret_path, secret, 0o600)
    try:
        write_new_file(copy_path, items_copy, 0o600)
        write_new_file(out_path, sheet, 0o644)
        with workspace.catalog.transaction() as session:
            entry = ledger.append(session, actor, SAMPLE_EVENT, [run.id, sample_id], payload)
    except BaseException:
        secret_path.unlink(missing_ok=True)
        copy_path.unlink(missing_ok=True)
        out_path.unlink(missing_ok=True)
        raise
    return {**payload, "sheet": str(out_path), "ledger_seq": entry.seq}


def _row_hash(row: dict[str, Any]) -> str:
    """What a sheet row shows the reviewer (item, prompt, output A, output B), hashed."""
    # A CSV read back in text mode turns \r\n inside a quoted field into \n: line ends do not count.
    shown = [
        str(row.get(k, "")).replace("\r\n", "\n").replace("\r", "\n")
        for k in ("item", "prompt", "output_a", "output_b")
    ]
    return sha256_hex(canonical_bytes(shown))


def _sample_entry(session: Session, sample_id: str) -> tuple[LedgerEntry, dict[str, Any]]:
    found = verified_entries(session, SAMPLE_EVENT, sample_id)
    if not found:
        raise NotFound(f"no review sample {sample_id} in the ledger (see `govern review sample`)")
    return found[0]


def _sample(session: Session, sample_id: str) -> dict[str, Any]:
    return _sample_entry(session, sample_id)[1]


def _check_rows_as_sampled(rows: list[tuple[str, dict[str, Any]]], sample: dict[str, Any]) -> None:
    """Refuse a sheet row whose prompt or outputs differ from what was sampled (a doctored sheet)."""
    committed = sample.get("row_hashes")
    if committed is None:
        return  # a sample drawn before rows were committed: only its items are checked
    for where, row in rows:
        item = str(row.get("item", "")).strip()
        if item in committed and _row_hash({**row, "item": item}) != committed[item]:
            raise IntegrityFailure(
                f"{where}: item {item}: its prompt or outputs differ from what sample "
                f"{sample['sample_id']} showed; review the sheet `govern review sample` wrote"
            )


def _read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read the review sheet ({error})") from error
    if path.suffix == ".jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise BadInput(f"{path}, line {number}: not JSON ({error.msg})") from error
            if not isinstance(row, dict):
                raise BadInput(f"{path}, line {number}: a row is a JSON object")
            rows.append((number, row))
        return rows
    try:
        reader = csv.DictReader(io.StringIO(text))
        rows, end = [], 1
        for row in reader:  # a quoted field may span lines: name the line the row starts on
            rows.append((end + 1, dict(row)))
            end = reader.line_num
        return rows
    except csv.Error as error:
        raise BadInput(f"{path}: not a CSV review sheet ({error})") from error


def _verdict(
    where: str, row: dict[str, Any], sample: dict[str, Any], assignment: dict[str, str]
) -> dict[str, Any]:
    try:
        item = int(str(row.get("item", "")).strip())
    except ValueError:
        raise BadInput(
            f"{where}: item: not an item number of sample {sample['sample_id']}"
        ) from None
    if str(item) not in assignment:
        raise BadInput(f"{where}: item: {item} is not in sample {sample['sample_id']}")
    preference = str(row.get("preference") or "").strip().lower()
    if preference not in PREFERENCES:
        raise BadInput(
            f"{where}: preference: write A, B or tie (found {preference or 'nothing'!r})"
        )
    adapter_is_a = assignment[str(item)] == "adapter"
    preferred = (
        "tie"
        if preference == "tie"
        else "adapter"
        if (preference == "a") == adapter_is_a
        else "base"
    )
    scores: dict[str, dict[str, int]] = {}
    for name in sample["criteria"]:
        for side, system in (
            ("a", "adapter" if adapter_is_a else "base"),
            ("b", "base" if adapter_is_a else "adapter"),
        ):
            raw = str(row.get(f"{name}_{side}") or "").strip()
            if not raw:
                continue
            if not raw.isdigit() or not 1 <= int(raw) <= 5:
                raise BadInput(f"{where}: {name}_{side}: a score from 1 to 5 (found {raw!r})")
            scores.setdefault(system, {})[name] = int(raw)
    return {"item": item, "preferred": preferred, "criteria": scores}


def import_verdicts(workspace: Any, actor: Signer, sample_id: str, path: Path) -> dict[str, Any]:
    """Record a reviewer's filled sheet as one signed `review.verdicts` entry; return the summary."""
    with workspace.catalog.reading() as session:
        require(session, actor, "run.review")
    rows = [(f"{path}, line {number}", row) for number, row in _read_rows(path)]
    with workspace.catalog.reading() as session:
        _check_rows_as_sampled(rows, _sample(session, sample_id))
    return record_verdicts(
        workspace, actor, sample_id, rows, sha256_hex(path.read_bytes()), f"{path}"
    )


def record_verdicts(
    workspace: Any,
    actor: Signer,
    sample_id: str,
    rows: list[tuple[str, dict[str, Any]]],
    sheet_hash: str,
    source: str,
) -> dict[str, Any]:
    """Check a reviewer's rows (each with where it came from, for errors) and ledger them as one
    signed `review.verdicts` entry: the one path for a sheet file and the console's review page."""
    from govern.training.run_status import get_run

    with workspace.catalog.transaction() as session:
        require(session, actor, "run.review")
        drawn, sample = _sample_entry(session, sample_id)
        run = get_run(session, sample["run_id"])
        authority = Authority.of(session)
        me, trainer = authority.identity(actor.key_id), authority.identity(run.created_by)
        if me is not None and trainer is not None and me.person == trainer.person:
            raise Refused(f"{me.describe()} trained run {run.id} and may not review it")
        sampler = authority.identity(drawn.actor_key_id)
        if actor.key_id == drawn.actor_key_id or (
            me is not None and sampler is not None and me.person == sampler.person
        ):
            who = me.describe() if me is not None else f"key {actor.key_id}"
            raise Refused(
                f"{who} drew sample {sample_id} (its assignment file unblinds it) and may not "
                "review it"
            )
        for _, earlier in verified_entries(session, VERDICT_EVENT, sample_id):
            other = authority.identity(earlier["reviewer_key_id"])
            if me is not None and other is not None and other.person == me.person:
                raise Refused(f"{me.describe()} already reviewed sample {sample_id}")
        assignment = _assignment(workspace, sample)
        verdicts, seen = [], set()
        for where, row in rows:
            verdict = _verdict(where, row, sample, assignment)
            if verdict["item"] in seen:
                raise BadInput(f"{where}: item {verdict['item']} is answered twice")
            seen.add(verdict["item"])
            verdicts.append(verdict)
        if not verdicts:
            raise BadInput(f"{source}: no verdicts; fill the preference column first")
        payload = {
            "sample_id": sample_id,
            "run_id": run.id,
            "reviewer_key_id": actor.key_id,
            "verdicts": verdicts,
            "sheet_hash": sheet_hash,
        }
        ledger.append(session, actor, VERDICT_EVENT, [run.id, sample_id], payload)
    with workspace.catalog.reading() as session:
        return review_summary(session, run.id)


def _assignment(workspace: Any, sample: dict[str, Any]) -> dict[str, str]:
    sample_id = sample["sample_id"]
    try:
        secret = _assignment_path(workspace, sample_id).read_bytes()
    except FileNotFoundError:
        raise IntegrityFailure(
            f"sample {sample_id}: its assignment file is missing; the sheet cannot be unblinded"
        ) from None
    if sha256_hex(secret) != sample["assignment_hash"]:
        raise IntegrityFailure(f"sample {sample_id}: its assignment file was changed")
    return dict(json.loads(secret)["assignment"])


def sample_items(workspace: Any, session: Session, sample_id: str) -> dict[str, Any]:
    """A sample as the console's review page shows it: its ledgered facts and its items (prompt,
    output A, output B in the sample's order), checked against the hash the ledger holds. Never
    says which output is the adapter."""
    sample = _sample(session, sample_id)
    if "items_hash" not in sample:
        raise NotFound(f"sample {sample_id} predates the console's review page; use the sheet")
    try:
        data = items_path(workspace, sample_id).read_bytes()
    except FileNotFoundError:
        raise NotFound(
            f"sample {sample_id}: its items are gone (erasing a subject of its snapshot removes "
            "them); draw a new sample"
        ) from None
    if sha256_hex(data) != sample["items_hash"]:
        raise IntegrityFailure(f"sample {sample_id}: its items file was changed")
    items = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    shown = [{k: row[k] for k in ("item", "prompt", "output_a", "output_b")} for row in items]
    reviewers = [
        v["reviewer_key_id"] for _, v in verified_entries(session, VERDICT_EVENT, sample_id)
    ]
    return {
        "sample_id": sample_id,
        "run_id": sample["run_id"],
        "suite": sample["suite"],
        "criteria": sample["criteria"],
        "items": shown,
        "reviewers": reviewers,
    }


def forget_items(workspace: Any, session: Session, snapshot_ids: set[str]) -> list[str]:
    """Delete the console's copy of every sample drawn from these snapshots (an erasure: the copy
    holds record text). The sheet written with `--out` is the user's file to delete."""
    gone = []
    for _, sample in verified_entries(session, SAMPLE_EVENT):
        if sample["snapshot_id"] in snapshot_ids:
            path = items_path(workspace, sample["sample_id"])
            if path.exists():
                path.unlink()
                gone.append(sample["sample_id"])
    return gone


def samples(session: Session) -> list[dict[str, Any]]:
    """Every review sample in the ledger, newest first, with how many reviewers answered it."""
    found = []
    for entry, sample in verified_entries(session, SAMPLE_EVENT):
        answered = verified_entries(session, VERDICT_EVENT, sample["sample_id"])
        found.append(
            {
                "sample_id": sample["sample_id"],
                "run_id": sample["run_id"],
                "suite": sample["suite"],
                "items": len(sample["items"]),
                "reviewers": [v["reviewer_key_id"] for _, v in answered],
                "in_console": "items_hash" in sample,
                "ledger_seq": entry.seq,
            }
        )
    return found[::-1]


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    from scipy.stats import binomtest

    if trials == 0:
        return (0.0, 1.0)
    ci = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def agreement(per_reviewer: list[dict[int, str]]) -> float | None:
    """Krippendorff's alpha (nominal) of the reviewers' preferences over the items two or more of
    them judged; None when no item was judged twice."""
    import krippendorff
    import numpy as np

    counts: dict[int, int] = {}
    for verdicts in per_reviewer:
        for item in verdicts:
            counts[item] = counts.get(item, 0) + 1
    items = sorted(item for item, count in counts.items() if count >= 2)
    if not items:
        return None
    codes = {"base": 0.0, "tie": 1.0, "adapter": 2.0}
    data = np.array(
        [[codes[v[i]] if i in v else np.nan for i in items] for v in per_reviewer], dtype=float
    )
    if len(set(data[~np.isnan(data)].tolist())) < 2:
        return 1.0  # every verdict the same: perfect agreement (alpha is undefined there)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def review_summary(session: Session, run_id: str, confidence: float = 0.95) -> dict[str, Any]:
    """Win rate of the adapter over the base model, its interval, ties and reviewer agreement.

    A person counts once per suite item, with their latest verdict: sampling the same items again
    and reviewing them again does not add trials."""
    authority = Authority.of(session)
    samples = []
    latest: dict[tuple[str, str, int], str] = {}  # (person, suite hash, item) -> newest verdict
    for _, sample in verified_entries(session, SAMPLE_EVENT, run_id):
        per_reviewer = []
        for entry, verdicts in verified_entries(session, VERDICT_EVENT, sample["sample_id"]):
            picks = {v["item"]: v["preferred"] for v in verdicts["verdicts"]}
            per_reviewer.append(picks)
            identity = authority.identity(entry.actor_key_id)
            person = identity.person if identity is not None else f"key {entry.actor_key_id}"
            for item, preferred in picks.items():
                latest[(person, sample["suite_hash"], item)] = preferred
        samples.append(
            {
                "sample_id": sample["sample_id"],
                "suite": sample["suite"],
                "items": len(sample["items"]),
                "reviewers": len(per_reviewer),
                "agreement_alpha": agreement(per_reviewer),
            }
        )
    wins = sum(p == "adapter" for p in latest.values())
    losses = sum(p == "base" for p in latest.values())
    ties = sum(p == "tie" for p in latest.values())
    decided = wins + losses
    low, high = wilson_interval(wins, decided, confidence)
    alphas = [s["agreement_alpha"] for s in samples if s["agreement_alpha"] is not None]
    return {
        "run_id": run_id,
        "samples": samples,
        "adapter_wins": wins,
        "base_wins": losses,
        "ties": ties,
        "win_rate": wins / decided if decided else None,
        "win_rate_interval": [low, high],
        "confidence": confidence,
        "agreement_alpha": min(alphas) if alphas else None,
    }
