"""The DP-LoRA trainer: Opacus over a PEFT LoRA model, one example per privacy unit.

`train` starts a run, `resume` continues one from its last checkpoint. Both read data only
through the gate's handle (`govern.gate.GatedData`). This module sets a run up (data, plan,
run.json, canaries, model, optimizer, engine, randomness) and owns its lifecycle (status,
hooks, failures); the step loop is loop.py, checkpoints checkpoint.py, publishing publish.py,
and the run folder's files run_files.py.

The ε a run reports is composed over every line of its journal, so steps that ran before a
crash (and were lost with it) are still counted after the resume.
"""

from __future__ import annotations

import contextlib
import json
import uuid
import warnings
from pathlib import Path
from typing import Any

from govern.errors import BadInput, GovernError, Refused
from govern.training import checkpoint as ckpt
from govern.training.canary_examples import canary_examples
from govern.training.data import encode_records, gated_records
from govern.training.distributed import (
    Distributed,
    PeerLost,
    ignore_sigterm,
    sigterm_raises,
)
from govern.training.hooks import TrainingHooks
from govern.training.loop import Interrupted
from govern.training.plan import PrivacyPlan, plan_run
from govern.training.recipe import Recipe, recipe_from_dict
from govern.training.run_files import (  # noqa: F401  (names other modules import from here)
    ADAPTER_DIR,
    CHECKPOINTS_DIR,
    JOURNAL_FILE,
    LOSS_FILE,
    METRICS_FILE,
    RESULT_FILE,
    RUN_FILE,
    atomic_write_json,
    charged_history,
    drop_torn_tail,
    new_run_info,
    now,
    read_run,
)
from govern.training.subjects import count_subjects, record_subjects_of

__all__ = ["Interrupted", "charged_history", "read_run", "resume", "train"]


def train(
    recipe: Recipe,
    data: Any,
    *,
    run_dir: str | Path | None = None,
    hooks: TrainingHooks | None = None,
    progress: bool = False,
    device: str | None = None,
    init_adapter: str | Path | None = None,
) -> dict[str, Any]:
    """Run `recipe` on the gate's handle `data` (a GatedData); return result.json's content.

    `run_dir` defaults to a new folder under the recipe's output_dir. `init_adapter` is a
    finished run's adapter folder to continue from (multi-stage training).
    """
    dist = Distributed.from_env()
    if run_dir is None:
        name = f"{recipe['name'] or 'run'}-{uuid.uuid4().hex[:12]}"
        run_dir = recipe.output_dir / dist.broadcast(name)
    run_dir = Path(run_dir)
    if dist.primary and (run_dir / RUN_FILE).exists():
        raise BadInput(f"{run_dir}: a run already lives here; resume it or choose another folder")
    dist.barrier()
    trainer = _Trainer(recipe, data, run_dir, hooks or TrainingHooks(), progress, device, dist)
    return trainer.run(init_adapter=Path(init_adapter) if init_adapter else None)


def resume(
    run_dir: str | Path,
    data: Any,
    *,
    recipe: Recipe | None = None,
    hooks: TrainingHooks | None = None,
    progress: bool = False,
    device: str | None = None,
) -> dict[str, Any]:
    """Continue the run in `run_dir` from its newest checkpoint (or from the start if none).

    Refused when the data's snapshot set, or the noise multiplier, sample rate or clipping norm
    (from `recipe` if given, else the stored recipe) differ from the run's.
    """
    run_dir = Path(run_dir)
    dist = Distributed.from_env()
    if dist.world_size > 1:
        raise BadInput(
            f"{run_dir}: resume runs in one process; start `govern train --resume` without torchrun "
            "(the sample rate, noise and clipping norm are the same, so the accounting holds)"
        )
    info = read_run(run_dir)
    if info["status"] == "completed":
        raise Refused(f"{run_dir}: run {info['run_id']} already completed; nothing to resume")
    stored = recipe_from_dict(
        info["recipe"],
        source=info["recipe_source"],
        base_dir=Path(info["base_dir"]),
        check_model=False,
    )
    trainer = _Trainer(recipe or stored, data, run_dir, hooks or TrainingHooks(), progress, device)
    return trainer.run(resume_info=info)


_RESUME_CHECKS = (
    ("sample_rate", "sample rate"),
    ("noise_multiplier", "noise multiplier"),
    ("max_grad_norm", "clipping norm (dp.max_grad_norm)"),
    ("delta", "delta"),
    ("accountant", "accountant"),
    ("steps", "planned steps"),
)


class _Trainer:
    def __init__(
        self,
        recipe: Recipe,
        data: Any,
        run_dir: Path,
        hooks: TrainingHooks,
        progress: bool,
        device: str | None,
        dist: Distributed | None = None,
    ) -> None:
        self.dist = dist or Distributed()
        self.primary = self.dist.primary
        self.recipe = recipe
        self.data = data
        self.run_dir = run_dir
        self.hooks = hooks if self.primary else TrainingHooks()
        self.progress = progress and self.primary
        self.device_name = device
        self.step = 0
        self.info: dict[str, Any] = {}
        self.subjects: list[str] | None = None  # per record, when the privacy unit is the subject

    # -- setup -------------------------------------------------------------------------------

    def _check_resume(
        self, info: dict[str, Any], snapshot_ids: list[str], plan: PrivacyPlan
    ) -> None:
        stored = info["plan"]
        problems = []
        if info["snapshot_ids"] != snapshot_ids:
            problems.append(
                f"snapshot set differs: the run trained on {', '.join(info['snapshot_ids'])}, "
                f"the gate now gives {', '.join(snapshot_ids)}"
            )
        if stored["private"] != plan.private:
            problems.append("dp.enabled differs from the run's")
        for key, label in _RESUME_CHECKS:
            if stored.get(key) != plan.as_dict().get(key):
                problems.append(
                    f"{label} differs: run has {stored.get(key)}, now {plan.as_dict().get(key)}"
                )
        if problems:
            raise Refused(f"cannot resume run {info['run_id']} in {self.run_dir}", problems)

    def _check_ranks_agree(self, snapshot_ids: list[str], plan: PrivacyPlan) -> None:
        """Every rank must have read the same snapshots and planned the same run as rank 0."""
        mine = {"snapshot_ids": snapshot_ids, "plan": plan.as_dict()}
        if self.dist.broadcast(mine) != mine:
            raise Refused(
                f"rank {self.dist.rank} read other data than rank 0 (snapshots or record count differ)",
                [f"rank {self.dist.rank}: snapshots {snapshot_ids}, {plan.num_examples} examples"],
            )

    def _canary_examples(self, tokenizer: Any, resume_info: dict[str, Any] | None) -> list[Any]:
        """The included canaries as extra examples (training/canary_examples.py)."""
        return canary_examples(
            self.recipe, self.info, self.run_dir, self.dist, self.primary, tokenizer, resume_info
        )

    # -- the run -----------------------------------------------------------------------------

    def run(
        self, *, init_adapter: Path | None = None, resume_info: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Set the run up and train it. SIGTERM (a peer rank died, or `kill`) is recorded as a failure.

        A fresh run reports every failure to the hooks, setup included, so a run the catalogue
        knows is never left "running"; a refused resume leaves the run as it was.
        """
        with sigterm_raises():
            try:
                plan, examples, tokenizer, device = self._setup(init_adapter, resume_info)
            except BaseException as error:
                if resume_info is None:
                    self._failed(error)
                raise
            try:
                self.hooks.on_start(self.info)
            except Refused as refused:
                if resume_info is None:
                    self._failed(refused)
                elif self.primary:  # a resume refused where it is recorded leaves the run as it was
                    atomic_write_json(self.run_dir / RUN_FILE, resume_info)
                raise
            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="Full backward hook is firing")
                    warnings.filterwarnings("ignore", message="Secure RNG turned off")
                    result = self._train(
                        plan, examples, tokenizer, device, init_adapter, resume_info
                    )
            except Interrupted as error:
                self._set_status("interrupted")
                self.hooks.on_failure(error, {"step": self.step, "run_dir": str(self.run_dir)})
                raise
            except BaseException as error:
                self._failed(error)
                if (
                    self.dist.world_size > 1
                    and isinstance(error, Exception)
                    and not isinstance(error, GovernError)
                ):
                    raise PeerLost(
                        f"rank {self.dist.rank} stopped on {type(error).__name__}: {error}; when a peer process "
                        f"died, its log says why. Run {self.info.get('run_id')} is recorded as failed"
                    ) from error
                raise
        self._set_status("completed")
        self.hooks.on_complete(result)
        return result

    def _failed(self, error: BaseException) -> None:
        ignore_sigterm()
        self._set_status("failed", error=f"{type(error).__name__}: {error}")
        with contextlib.suppress(Exception):
            self.hooks.on_failure(error, {"step": self.step, "run_dir": str(self.run_dir)})

    def _setup(
        self, init_adapter: Path | None, resume_info: dict[str, Any] | None
    ) -> tuple[PrivacyPlan, list[Any], Any, Any]:
        from govern.training.model import load_tokenizer, pick_device
        from govern.training.randomness import rng_record

        recipe = self.recipe
        snapshot_ids, records = gated_records(self.data)
        self.subjects = record_subjects_of(recipe, self.data)
        plan = plan_run(recipe, len(records), count_subjects(self.subjects))
        if resume_info is not None:
            self._check_resume(resume_info, snapshot_ids, plan)
        if self.dist.world_size > 1:
            if not plan.private:
                raise BadInput(
                    "dp.enabled: non-private training runs in one process; launch it without torchrun"
                )
            self._check_ranks_agree(snapshot_ids, plan)
        device = pick_device(self.device_name or self.dist.local_device())
        tokenizer = load_tokenizer(recipe.tokenizer_path)
        examples = encode_records(records, tokenizer, recipe["data"])
        del records
        if resume_info is None:
            if self.primary:
                self.run_dir.mkdir(parents=True, exist_ok=True)
            self.info = new_run_info(
                self.run_dir, recipe, snapshot_ids, plan, device, self.dist.world_size, init_adapter
            )
            shard = getattr(self.data, "shard", None)
            if shard is not None:
                self.info["shard"] = shard.as_dict()
        else:
            self.info = {
                **resume_info,
                "attempts": int(resume_info.get("attempts", 1)) + 1,
                "status": "running",
                "device": str(device),
            }
            if not isinstance(
                self.info.get("privacy_rng"), dict
            ):  # a run.json written before the RNG kinds
                self.info["privacy_rng"] = rng_record(
                    plan.private, bool(recipe["dp"]["secure_rng"])
                )
        examples = examples + self._canary_examples(tokenizer, resume_info)
        if self.primary:
            atomic_write_json(self.run_dir / RUN_FILE, self.info)
            for name in (JOURNAL_FILE, METRICS_FILE, LOSS_FILE):
                drop_torn_tail(self.run_dir / name)
        return plan, examples, tokenizer, device

    def _set_status(self, status: str, **extra: Any) -> None:
        self.info.update(status=status, updated_at=now(), **extra)
        if self.primary and self.info.get("run_id"):
            atomic_write_json(self.run_dir / RUN_FILE, self.info)

    def _train(
        self,
        plan: PrivacyPlan,
        examples: list[Any],
        tokenizer: Any,
        device: Any,
        init_adapter: Path | None,
        resume_info: dict[str, Any] | None,
    ) -> dict[str, Any]:
        from govern.training.data import Collator, ExampleDataset
        from govern.training.engine import DPEngine
        from govern.training.loop import StepLoop
        from govern.training.model import build_training_model, trainable_parameters
        from govern.training.optimizer import (
            load_init_adapter,
            make_optimizer,
            make_scheduler,
        )
        from govern.training.publish import publish_run
        from govern.training.randomness import RunRandomness
        from govern.training.sampling import uniform_batches
        from govern.training.subjects import SubjectDPEngine, subject_groups

        recipe, schedule = self.recipe, self.recipe["schedule"]
        model = build_training_model(recipe, device)
        if init_adapter is not None:
            load_init_adapter(model, init_adapter, recipe["lora"])
        optimizer = make_optimizer(trainable_parameters(model), schedule)
        scheduler = make_scheduler(optimizer, schedule, plan.steps)
        randomness = RunRandomness(self.info["privacy_rng"]["kind"], device)

        engine = None
        if plan.private:
            wrapped = model
            if self.dist.world_size > 1:
                from opacus.distributed import (
                    DifferentiallyPrivateDistributedDataParallel as DPDDP,
                )

                wrapped = DPDDP(model)  # broadcasts rank 0's adapter so every rank starts equal
            engine = (DPEngine if self.subjects is None else SubjectDPEngine).build(
                wrapped,
                optimizer,
                plan,
                self.info["clipping_mode"],
                randomness,
                self.dist.world_size,
            )
            if isinstance(engine, SubjectDPEngine) and self.subjects is not None:
                canaries = len(examples) - len(self.subjects)
                engine.use_subjects(subject_groups(self.subjects, extra=canaries))

        if resume_info is not None:
            latest = ckpt.list_checkpoints(self.run_dir / CHECKPOINTS_DIR)
            if latest:
                self._restore(
                    ckpt.load_checkpoint(latest[-1]), model, optimizer, scheduler, randomness, plan
                )

        def save(step: int, history: list[tuple[float, float, int]], epsilon: float | None) -> None:
            self._checkpoint(model, optimizer, scheduler, randomness, plan, step, history, epsilon)

        loop = StepLoop(
            run_dir=self.run_dir,
            run_id=self.info["run_id"],
            plan=plan,
            dist=self.dist,
            hooks=self.hooks,
            attempt=int(self.info["attempts"]),
            checkpoint_every=int(recipe["checkpoint_every"]),
            model=model,
            optimizer=optimizer,
            scheduler=scheduler,
            engine=engine,
            device=device,
            save_checkpoint=save,
            progress=self.progress,
            step=self.step,
            history=charged_history(self.run_dir) if self.primary else [],
        )
        dataset, collator = ExampleDataset(examples), Collator(tokenizer.pad_token_id)
        remaining, physical = plan.steps - self.step, recipe.physical_batch_size
        if remaining > 0:
            batches = (
                engine.logical_batches(dataset, collator, physical, remaining)
                if engine is not None
                else uniform_batches(
                    dataset,
                    collator,
                    plan.logical_batch_size,
                    physical,
                    randomness.sampler_gen,
                    remaining,
                )
            )
            try:
                loop.run(batches)
            finally:
                self.step = loop.step
        if engine is not None:
            engine.close()
        if self.primary:
            result = publish_run(
                self.run_dir, model, self.info, plan, loop.history, self.step, self.data
            )
        self.dist.barrier()
        if not self.primary:
            result = json.loads((self.run_dir / RESULT_FILE).read_text())
        return result

    def _checkpoint(
        self,
        model: Any,
        optimizer: Any,
        scheduler: Any,
        randomness: Any,
        plan: PrivacyPlan,
        step: int,
        history: list[tuple[float, float, int]],
        epsilon: float | None,
    ) -> None:
        from peft import get_peft_model_state_dict

        state = {
            "run_id": self.info["run_id"],
            "step": step,
            "snapshot_ids": self.info["snapshot_ids"],
            "recipe_hash": self.info["recipe_hash"],
            "plan": plan.as_dict(),
            "accountant_history": [list(h) for h in history],
            "epsilon": epsilon,
            "clipping_mode": self.info["clipping_mode"],
            "written_at": now(),
        }
        path = ckpt.save_checkpoint(
            self.run_dir / CHECKPOINTS_DIR,
            step,
            adapter_state=get_peft_model_state_dict(model),
            optimizer_state=optimizer.state_dict(),
            scheduler_state=scheduler.state_dict(),
            rng_kind=randomness.kind,
            rng_states=randomness.state(),
            state=state,
            keep=int(self.recipe["keep_checkpoints"]),
        )
        self.hooks.on_checkpoint(json.loads((path / "state.json").read_text()), path)

    def _restore(
        self,
        loaded: dict[str, Any],
        model: Any,
        optimizer: Any,
        scheduler: Any,
        randomness: Any,
        plan: PrivacyPlan,
    ) -> None:
        from peft import set_peft_model_state_dict

        state = loaded["state"]
        if state["snapshot_ids"] != self.info["snapshot_ids"] or state["plan"] != plan.as_dict():
            raise Refused(
                f"checkpoint {state['step']} of run {self.info['run_id']} belongs to other snapshots or DP parameters",
                [f"checkpoint: snapshots {state['snapshot_ids']}, plan {state['plan']}"],
            )
        result = set_peft_model_state_dict(model, loaded["adapter"])
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise BadInput(f"checkpoint adapter has unexpected weights: {', '.join(unexpected)}")
        optimizer.load_state_dict(loaded["optimizer"])
        scheduler.load_state_dict(loaded["scheduler"])
        randomness.restore(loaded["rng"])
        self.step = int(state["step"])
