"""The DP-LoRA trainer: Opacus over a PEFT LoRA model, one example per privacy unit.

`train` starts a run, `resume` continues one from its last checkpoint. Both read data only
through the `TrainingData` handle the gate gives them. A run folder holds:

  run.json          what the run is: recipe, snapshot ids, base-model hash, DP plan, status
  charges.jsonl     one fsynced line per step, written BEFORE the step runs (the privacy journal)
  metrics.jsonl     loss and ε after every step
  checkpoints/      atomic checkpoints (see checkpoint.py)
  adapter/          the PEFT adapter (safetensors) and its model card, once the run completes
  result.json       ε, δ, steps, final loss, adapter file hashes

The ε a run reports is composed over every line of its journal, so steps that ran before a
crash (and were lost with it) are still counted after the resume.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import signal
import threading
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from govern.canonical import file_sha256, hash_value
from govern.errors import BadInput, GovernError, Refused
from govern.training import checkpoint as ckpt
from govern.training.accounting import epsilon_of_history, normalise_history
from govern.training.data import Collator, ExampleDataset, TrainingData, encode_records
from govern.training.hooks import TrainingHooks
from govern.training.loss import per_example_loss
from govern.training.plan import PrivacyPlan, plan_run
from govern.training.recipe import (
    Recipe,
    hash_model_folder,
    hash_tokenizer_folder,
    recipe_from_dict,
)

RUN_FILE = "run.json"
JOURNAL_FILE = "charges.jsonl"
METRICS_FILE = "metrics.jsonl"
RESULT_FILE = "result.json"
ADAPTER_DIR = "adapter"


class Interrupted(GovernError):
    """The run was stopped (Ctrl-C) at a step boundary after writing a checkpoint."""

    exit_code = 130


# ---------------------------------------------------------------------------------------------
# Public entry points


def train(
    recipe: Recipe,
    data: TrainingData,
    *,
    run_dir: str | Path | None = None,
    hooks: TrainingHooks | None = None,
    progress: bool = False,
    device: str | None = None,
    init_adapter: str | Path | None = None,
) -> dict[str, Any]:
    """Run `recipe` on the gate's `data`; return result.json's content.

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
    data: TrainingData,
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
        info["recipe"], source=info["recipe_source"], base_dir=Path(info["base_dir"]), check_model=False
    )
    trainer = _Trainer(recipe or stored, data, run_dir, hooks or TrainingHooks(), progress, device)
    return trainer.run(resume_info=info)


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """run.json of a run folder."""
    path = Path(run_dir) / RUN_FILE
    if not path.is_file():
        raise BadInput(f"{run_dir}: no {RUN_FILE}; not a training run folder")
    info: dict[str, Any] = json.loads(path.read_text())
    return info


def charged_history(run_dir: str | Path) -> list[tuple[float, float, int]]:
    """The accountant history of every step charged in a run's journal (crashed steps included)."""
    rows = ckpt.read_jsonl(Path(run_dir) / JOURNAL_FILE)
    return normalise_history((r["noise_multiplier"], r["sample_rate"], 1) for r in rows)


# ---------------------------------------------------------------------------------------------
# Internals


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    import opacus
    import peft
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "opacus": opacus.__version__,
        "peft": peft.__version__,
        "transformers": transformers.__version__,
    }


class Distributed:
    """This process's place under torchrun (rank, world size); one process when not launched so.

    Every rank computes; only the primary (rank 0) writes run files, checkpoints and the
    adapter, and only it calls the hooks, so the ledger sees each event once.
    """

    def __init__(self, rank: int = 0, world_size: int = 1) -> None:
        self.rank, self.world_size = rank, world_size

    @property
    def primary(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed:
        """Join the torchrun process group (gloo on CPU, nccl on CUDA) when WORLD_SIZE > 1."""
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return cls()
        import torch
        import torch.distributed as torch_dist

        if not torch_dist.is_initialized():
            torch_dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
        return cls(torch_dist.get_rank(), torch_dist.get_world_size())

    def broadcast(self, value: Any) -> Any:
        """Rank 0's `value` on every rank."""
        if self.world_size == 1:
            return value
        import torch.distributed as torch_dist

        box = [value]
        torch_dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.world_size > 1:
            import torch.distributed as torch_dist

            torch_dist.barrier()

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum over ranks."""
        if self.world_size == 1:
            return values
        import torch
        import torch.distributed as torch_dist

        tensor = torch.tensor(values, dtype=torch.float64)
        torch_dist.all_reduce(tensor, op=torch_dist.ReduceOp.SUM)
        return tensor.tolist()


class _StopFlag:
    """Turns SIGINT into a request to stop at the next step boundary (main thread only)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def resolve_clipping_mode(requested: str, private: bool) -> str:
    """The per-sample clipping mode to run: "ghost" (Opacus fast/ghost clipping) or "hooks".

    "auto" picks hooks: LoRA's per-sample gradients are small (rank × width per layer), so
    materialising them costs less than ghost clipping's second backward pass; the benchmark
    (benchmarks/train_dp_vs_lora.py) measures both. "ghost" is always available on request.
    """
    if not private:
        return "none"
    return "hooks" if requested == "auto" else requested


class _Trainer:
    def __init__(
        self,
        recipe: Recipe,
        data: TrainingData,
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

    # -- setup -------------------------------------------------------------------------------

    def _read_data(self) -> tuple[list[str], list[Any]]:
        if not isinstance(self.data, TrainingData):
            raise BadInput("training data must come from the gate's handle (snapshot_ids and read())")
        snapshot_ids = sorted(str(s) for s in self.data.snapshot_ids)
        if not snapshot_ids:
            raise BadInput("no snapshot ids: training needs at least one approved snapshot")
        return snapshot_ids, list(self.data.read())

    def _check_resume(self, info: dict[str, Any], snapshot_ids: list[str], plan: PrivacyPlan) -> None:
        stored = info["plan"]
        problems = []
        if info["snapshot_ids"] != snapshot_ids:
            problems.append(
                f"snapshot set differs: the run trained on {', '.join(info['snapshot_ids'])}, "
                f"the gate now gives {', '.join(snapshot_ids)}"
            )
        if stored["private"] != plan.private:
            problems.append("dp.enabled differs from the run's")
        for key, label in (
            ("sample_rate", "sample rate"),
            ("noise_multiplier", "noise multiplier"),
            ("max_grad_norm", "clipping norm (dp.max_grad_norm)"),
            ("delta", "delta"),
            ("accountant", "accountant"),
            ("steps", "planned steps"),
        ):
            if stored.get(key) != plan.as_dict().get(key):
                problems.append(f"{label} differs: run has {stored.get(key)}, now {plan.as_dict().get(key)}")
        if problems:
            raise Refused(f"cannot resume run {info['run_id']} in {self.run_dir}", problems)

    def _canary_examples(self, tokenizer: Any, resume_info: dict[str, Any] | None) -> list[Any]:
        """The included canaries as extra examples (none unless the recipe's [audit] plants them).

        The canaries are drawn once per run (by `govern.runs` before run.started, else here) and
        kept in the run folder's secret file; a resume re-reads that file and refuses it if it no
        longer hashes to what run.json committed. Canaries are not records: N, and so the sample
        rate q = L/N, the steps and δ, are those of the approved records alone; each canary is
        Poisson-sampled at the same q, so the accountant's ε covers it like any record.
        """
        from govern.privacy_audit.canaries import (
            CANARY_FILE,
            CanarySet,
            canary_from_settings,
            read_canary_file,
            training_records,
            write_canary_file,
        )

        audit = self.recipe.canaries
        stored = (resume_info or {}).get("canaries")
        if audit is None:
            if stored:
                raise Refused(f"run {self.info['run_id']} planted canaries; resume it with its own recipe")
            return []
        payload = None
        if self.primary:
            if resume_info is not None:
                if not stored:
                    raise Refused(f"run {self.info['run_id']} planted no canaries; resume it with its own recipe")
                canaries, digest = read_canary_file(self.run_dir, stored["file_sha256"])
            elif (self.run_dir / CANARY_FILE).exists():  # planted before the run was ledgered
                canaries, digest = read_canary_file(self.run_dir)
            else:
                canaries = canary_from_settings(audit)
                digest = write_canary_file(self.run_dir, canaries)
            wanted = (int(audit["canaries"]), int(audit["canary_length"]), str(audit["canary_prefix"]), int(audit["canary_repeats"]))
            if (canaries.count, canaries.length, canaries.prefix, canaries.repeats) != wanted:
                raise BadInput(f"{self.run_dir / CANARY_FILE}: its canaries do not match the recipe's [audit] section")
            self.info["canaries"] = {**canaries.summary(), "file": CANARY_FILE, "file_sha256": digest}
            payload = canaries.to_dict()
        canaries = CanarySet.from_dict(self.dist.broadcast(payload))
        data = self.recipe["data"]
        return encode_records(training_records(canaries, data), tokenizer, data) if canaries.included_count else []

    # -- the run -----------------------------------------------------------------------------

    def run(self, *, init_adapter: Path | None = None, resume_info: dict[str, Any] | None = None) -> dict[str, Any]:
        recipe = self.recipe
        snapshot_ids, records = self._read_data()
        plan = plan_run(recipe, len(records))
        if resume_info is not None:
            self._check_resume(resume_info, snapshot_ids, plan)

        from govern.training.model import load_tokenizer, pick_device

        if self.dist.world_size > 1 and not plan.private:
            raise BadInput("dp.enabled: non-private training runs in one process; launch it without torchrun")
        device = pick_device(self.device_name or _local_device(self.dist))
        tokenizer = load_tokenizer(recipe.tokenizer_path)
        examples = encode_records(records, tokenizer, recipe["data"])
        del records
        clipping_mode = resolve_clipping_mode(recipe["dp"]["clipping"], plan.private)

        if resume_info is None:
            if self.primary:
                self.run_dir.mkdir(parents=True, exist_ok=True)
            self.info = {
                "run_id": self.run_dir.name,
                "status": "running",
                "created_at": _now(),
                "recipe": recipe.settings,
                "recipe_hash": recipe.hash,
                "recipe_source": recipe.source,
                "base_dir": str(recipe.base_dir.resolve()),
                "snapshot_ids": snapshot_ids,
                "base_model": {"path": str(recipe.model_path), **hash_model_folder(recipe.model_path)},
                "tokenizer": {"path": str(recipe.tokenizer_path), **hash_tokenizer_folder(recipe.tokenizer_path)},
                "quantization": recipe["model"]["quantization"],
                "plan": plan.as_dict(),
                "private": plan.private,
                "clipping_mode": clipping_mode,
                "privacy_rng": "seeded (dp.noise_seed; tests only)"
                if recipe["dp"]["noise_seed"] is not None
                else "os-entropy",
                "init_adapter": None,
                "attempts": 1,
                "device": str(device),
                "world_size": self.dist.world_size,
                "versions": _versions(),
            }
            if init_adapter is not None:
                self.info["init_adapter"] = {
                    "path": str(init_adapter),
                    "files": {p.name: file_sha256(p) for p in sorted(init_adapter.glob("*.safetensors"))},
                }
        else:
            self.info = dict(resume_info)
            self.info["attempts"] = int(self.info.get("attempts", 1)) + 1
            self.info["status"] = "running"
            self.info["device"] = str(device)
            self.info["clipping_mode"] = resume_info["clipping_mode"]
            clipping_mode = resume_info["clipping_mode"]
        examples = examples + self._canary_examples(tokenizer, resume_info)
        if self.primary:
            ckpt.atomic_write_json(self.run_dir / RUN_FILE, self.info)
            ckpt.drop_torn_tail(self.run_dir / JOURNAL_FILE)
            ckpt.drop_torn_tail(self.run_dir / METRICS_FILE)

        try:
            self.hooks.on_start(self.info)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Full backward hook is firing")
                warnings.filterwarnings("ignore", message="Secure RNG turned off")
                warnings.filterwarnings("ignore", message="Optimal order is the")
                result = self._train(plan, examples, tokenizer, device, clipping_mode, init_adapter, resume_info)
        except Interrupted as error:
            self._set_status("interrupted")
            self.hooks.on_failure(error, {"step": self.step, "run_dir": str(self.run_dir)})
            raise
        except BaseException as error:
            self._set_status("failed", error=f"{type(error).__name__}: {error}")
            with contextlib.suppress(Exception):
                self.hooks.on_failure(error, {"step": self.step, "run_dir": str(self.run_dir)})
            raise
        self._set_status("completed")
        self.hooks.on_complete(result)
        return result

    def _set_status(self, status: str, **extra: Any) -> None:
        self.info.update(status=status, updated_at=_now(), **extra)
        if self.primary:
            ckpt.atomic_write_json(self.run_dir / RUN_FILE, self.info)

    def _train(
        self,
        plan: PrivacyPlan,
        examples: list[Any],
        tokenizer: Any,
        device: Any,
        clipping_mode: str,
        init_adapter: Path | None,
        resume_info: dict[str, Any] | None,
    ) -> dict[str, Any]:
        import torch

        from govern.training.model import build_training_model, trainable_parameters

        recipe = self.recipe
        schedule = recipe["schedule"]
        model = build_training_model(recipe, device)
        if init_adapter is not None:
            _load_init_adapter(model, init_adapter, recipe["lora"])
        params = trainable_parameters(model)
        optimizer = _make_optimizer(params, schedule)
        scheduler = _make_scheduler(optimizer, schedule, plan.steps)

        sampler_gen = torch.Generator()
        noise_gen = torch.Generator(device=device) if device.type != "cpu" else torch.Generator()
        seed = recipe["dp"]["noise_seed"]
        if seed is None:
            sampler_gen.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)
            noise_gen.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)
        else:
            sampler_gen.manual_seed(int(seed) + 1000 * self.dist.rank)
            noise_gen.manual_seed(int(seed) + 1)

        engine = None
        if plan.private:
            wrapped = model
            if self.dist.world_size > 1:
                from opacus.distributed import (
                    DifferentiallyPrivateDistributedDataParallel as DPDDP,
                )

                wrapped = DPDDP(model)  # broadcasts rank 0's adapter so every rank starts equal
            engine = DPEngine.build(wrapped, optimizer, plan, clipping_mode, noise_gen, self.dist.world_size)

        if resume_info is not None:
            latest = ckpt.list_checkpoints(self.run_dir / "checkpoints")
            if latest:
                loaded = ckpt.load_checkpoint(latest[-1])
                self._restore(loaded, model, optimizer, scheduler, sampler_gen, noise_gen, plan)
        attempt = int(self.info["attempts"])

        dataset = ExampleDataset(examples)
        collator = Collator(tokenizer.pad_token_id)
        physical = recipe.physical_batch_size
        journal = self.run_dir / JOURNAL_FILE
        metrics_path = self.run_dir / METRICS_FILE
        every = int(recipe["checkpoint_every"])
        history = charged_history(self.run_dir) if self.primary else []
        last_loss: float | None = None

        with _StopFlag() as stop, _progress(self.progress, plan.steps, self.step) as bar:
            for batch_iter in self._logical_batches(dataset, collator, plan, physical, sampler_gen, engine):
                step = self.step + 1
                if plan.private and self.primary:
                    assert plan.noise_multiplier is not None
                    ckpt.append_line_durable(
                        journal,
                        {
                            "step": step,
                            "noise_multiplier": plan.noise_multiplier,
                            "sample_rate": plan.sample_rate,
                            "attempt": attempt,
                        },
                    )
                    history = normalise_history(history + [(plan.noise_multiplier, plan.sample_rate, 1)])
                    self.hooks.on_step_charged(step, plan.noise_multiplier, plan.sample_rate)
                loss_sum, count = 0.0, 0
                for batch in batch_iter:
                    batch_loss, n = (engine.physical_step if engine else _plain_physical_step)(
                        model, optimizer, batch, device, plan.logical_batch_size
                    )
                    loss_sum += batch_loss
                    count += n
                if engine is None:
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                scheduler.step()
                self.step = step
                totals = self.dist.sum([loss_sum, float(count), float(stop.requested)])
                count, stop_requested = int(totals[1]), totals[2] > 0  # every rank stops at the same step
                last_loss = totals[0] / count if count else None
                epsilon = (
                    epsilon_of_history(history, plan.delta, plan.accountant)  # type: ignore[arg-type]
                    if plan.private and self.primary
                    else None
                )
                if self.primary:
                    ckpt.append_line_durable(
                        metrics_path,
                        {
                            "step": step,
                            "loss": last_loss,
                            "epsilon": epsilon,
                            "batch_size": count,
                            "lr": scheduler.get_last_lr()[0],
                            "attempt": attempt,
                        },
                    )
                bar(step, last_loss, epsilon)
                done = step >= plan.steps
                if self.primary and (step % every == 0 or done or stop_requested):
                    self._checkpoint(model, optimizer, scheduler, sampler_gen, noise_gen, plan, history, epsilon)
                if stop_requested and not done:
                    raise Interrupted(
                        f"stopped at step {step} of {plan.steps}; checkpoint written in {self.run_dir}; "
                        f"resume with `govern train --resume {self.info['run_id']}`"
                    )
                if done:
                    break
        if engine is not None:
            engine.close()
        if self.primary:
            result = self._finish(model, plan, history, last_loss)
        self.dist.barrier()
        if not self.primary:
            result = json.loads((self.run_dir / RESULT_FILE).read_text())
        return result

    def _logical_batches(
        self,
        dataset: ExampleDataset,
        collator: Collator,
        plan: PrivacyPlan,
        physical: int,
        sampler_gen: Any,
        engine: DPEngine | None,
    ) -> Iterator[Iterator[dict[str, Any]]]:
        """One iterator of physical batches per remaining logical step.

        Private: Poisson sampling (Opacus UniformWithReplacementSampler) split by Opacus's
        BatchMemoryManager. Non-private: a uniformly drawn fixed-size batch, split in order.
        The sampler's generator advances only when the next logical batch is drawn, so its
        state at a step boundary is the state a resume must start from.
        """
        remaining = plan.steps - self.step
        if remaining <= 0:
            return
        if engine is not None:
            yield from engine.logical_batches(dataset, collator, plan, physical, sampler_gen, remaining)
            return
        import torch

        for _ in range(remaining):
            order = torch.randperm(len(dataset), generator=sampler_gen)[: plan.logical_batch_size].tolist()
            chunks = [order[i : i + physical] for i in range(0, len(order), physical)]
            yield (collator([dataset[i] for i in chunk]) for chunk in chunks)

    def _checkpoint(
        self,
        model: Any,
        optimizer: Any,
        scheduler: Any,
        sampler_gen: Any,
        noise_gen: Any,
        plan: PrivacyPlan,
        history: list[tuple[float, float, int]],
        epsilon: float | None,
    ) -> None:
        import torch
        from peft import get_peft_model_state_dict

        rng = {"torch_cpu": torch.get_rng_state(), "sampler": sampler_gen.get_state(), "noise": noise_gen.get_state().cpu()}
        if torch.cuda.is_available():
            for index, cuda_state in enumerate(torch.cuda.get_rng_state_all()):
                rng[f"torch_cuda_{index}"] = cuda_state
        state = {
            "run_id": self.info["run_id"],
            "step": self.step,
            "snapshot_ids": self.info["snapshot_ids"],
            "recipe_hash": self.info["recipe_hash"],
            "plan": plan.as_dict(),
            "accountant_history": [list(h) for h in history],
            "epsilon": epsilon,
            "clipping_mode": self.info["clipping_mode"],
            "written_at": _now(),
        }
        path = ckpt.save_checkpoint(
            self.run_dir / "checkpoints",
            self.step,
            adapter_state=get_peft_model_state_dict(model),
            optimizer_state=optimizer.state_dict(),
            scheduler_state=scheduler.state_dict(),
            rng_states=rng,
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
        sampler_gen: Any,
        noise_gen: Any,
        plan: PrivacyPlan,
    ) -> None:
        import torch
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
        rng = loaded["rng"]
        torch.set_rng_state(rng["torch_cpu"])
        sampler_gen.set_state(rng["sampler"])
        noise_gen.set_state(rng["noise"].to(noise_gen.device) if noise_gen.device.type != "cpu" else rng["noise"])
        if torch.cuda.is_available():
            states = [rng[k] for k in sorted(rng) if k.startswith("torch_cuda_")]
            if states:
                torch.cuda.set_rng_state_all(states)
        self.step = int(state["step"])

    def _finish(
        self, model: Any, plan: PrivacyPlan, history: list[tuple[float, float, int]], last_loss: float | None
    ) -> dict[str, Any]:
        from govern.training.card import write_model_card

        adapter_dir = self.run_dir / ADAPTER_DIR
        tmp = self.run_dir / f".tmp-{ADAPTER_DIR}-{os.getpid()}"
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp)
        model.save_pretrained(tmp, safe_serialization=True)
        epsilon = epsilon_of_history(history, plan.delta, plan.accountant) if plan.private else None  # type: ignore[arg-type]
        result = {
            "run_id": self.info["run_id"],
            "status": "completed",
            "private": plan.private,
            "epsilon": epsilon,
            "delta": plan.delta,
            "accountant": plan.accountant,
            "noise_multiplier": plan.noise_multiplier,
            "sample_rate": plan.sample_rate,
            "max_grad_norm": plan.max_grad_norm,
            "steps": self.step,
            "charged_steps": sum(h[2] for h in history),
            "accountant_history": [list(h) for h in history],
            "final_loss": last_loss,
            "clipping_mode": self.info["clipping_mode"],
            "snapshot_ids": self.info["snapshot_ids"],
            "base_model_hash": self.info["base_model"]["hash"],
            "recipe_hash": self.info["recipe_hash"],
            "attempts": self.info["attempts"],
            "canaries": self.info.get("canaries"),
            "finished_at": _now(),
        }
        write_model_card(tmp, self.info, result)
        result["adapter_files"] = {p.name: file_sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        for path in tmp.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        if adapter_dir.exists():
            import shutil

            shutil.rmtree(adapter_dir)
        os.rename(tmp, adapter_dir)
        ckpt.fsync_dir(self.run_dir)
        result["adapter_dir"] = str(adapter_dir)
        result["adapter_hash"] = hash_value(result["adapter_files"])
        ckpt.atomic_write_json(self.run_dir / RESULT_FILE, result)
        return result


def _make_optimizer(params: list[Any], schedule: dict[str, Any]) -> Any:
    import torch

    lr = float(schedule["learning_rate"])
    if schedule["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=float(schedule["weight_decay"]))
    return torch.optim.AdamW(params, lr=lr, weight_decay=float(schedule["weight_decay"]))


class _LRFactor:
    """Warmup then constant or linear decay; a picklable-free callable (state lives in the scheduler)."""

    def __init__(self, kind: str, warmup: int, total: int) -> None:
        self.kind, self.warmup, self.total = kind, warmup, max(total, 1)

    def __call__(self, step: int) -> float:
        if self.warmup and step < self.warmup:
            return (step + 1) / self.warmup
        if self.kind == "linear":
            span = max(self.total - self.warmup, 1)
            return max(0.0, 1.0 - (step - self.warmup) / span)
        return 1.0


def _make_scheduler(optimizer: Any, schedule: dict[str, Any], total_steps: int) -> Any:
    import torch

    factor = _LRFactor(schedule["lr_schedule"], int(schedule["warmup_steps"]), total_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    return scheduler


def _load_init_adapter(model: Any, folder: Path, lora: dict[str, Any]) -> None:
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    config_path = folder / "adapter_config.json"
    weights = folder / "adapter_model.safetensors"
    if not config_path.is_file() or not weights.is_file():
        raise BadInput(f"{folder}: not a PEFT adapter folder (adapter_config.json, adapter_model.safetensors)")
    config = json.loads(config_path.read_text())
    if int(config.get("r", -1)) != int(lora["r"]) or set(config.get("target_modules") or []) != set(lora["target_modules"]):
        raise BadInput(
            f"{folder}: the initial adapter has r={config.get('r')} on {config.get('target_modules')}; "
            f"the recipe's lora section must match it"
        )
    set_peft_model_state_dict(model, load_file(weights))


def _move(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) for k, v in batch.items()}


def _plain_physical_step(model: Any, optimizer: Any, batch: dict[str, Any], device: Any, logical: int) -> tuple[float, int]:
    """Non-private micro-batch: accumulate the gradient of (sum of per-example losses) / logical."""
    n = int(batch["input_ids"].shape[0])
    if n == 0:
        return 0.0, 0
    batch = _move(batch, device)
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    losses = per_example_loss(logits, batch["labels"])
    (losses.sum() / logical).backward()
    return float(losses.detach().sum()), n


class DPEngine:
    """Opacus's parts, assembled: a GradSampleModule, a DPOptimizer and Poisson sampling.

    `PrivacyEngine.make_private` derives the sample rate from the data loader's length
    (1/len), which cannot express our exact q = L/N nor a planned step count; the parts it
    assembles are used here directly, with the accountant history kept in the run's journal.
    """

    def __init__(self, module: Any, optimizer: Any, mode: str, plan: PrivacyPlan, world_size: int = 1) -> None:
        self.module = module
        self.optimizer = optimizer
        self.mode = mode
        self.plan = plan
        self.world_size = world_size

    @classmethod
    def build(
        cls, model: Any, optimizer: Any, plan: PrivacyPlan, mode: str, noise_gen: Any, world_size: int = 1
    ) -> DPEngine:
        from opacus.grad_sample import (
            GradSampleModule,
            GradSampleModuleFastGradientClipping,
        )
        from opacus.optimizers import get_optimizer_class

        assert plan.noise_multiplier is not None and plan.max_grad_norm is not None
        if mode == "ghost":
            module: Any = GradSampleModuleFastGradientClipping(
                model, batch_first=True, loss_reduction="mean", max_grad_norm=plan.max_grad_norm
            )
        else:
            module = GradSampleModule(model, batch_first=True, loss_reduction="mean")
        module.forbid_grad_accumulation()  # Poisson batches: accumulate only through BatchMemoryManager
        optimizer_class = get_optimizer_class(clipping="flat", distributed=world_size > 1, grad_sample_mode=mode)
        dp_optimizer = optimizer_class(
            optimizer,
            noise_multiplier=plan.noise_multiplier,
            max_grad_norm=plan.max_grad_norm,
            # per worker: each rank sums its share and the all-reduce averages over ranks
            expected_batch_size=plan.logical_batch_size / world_size,
            loss_reduction="mean",
            generator=noise_gen,
        )
        return cls(module, dp_optimizer, mode, plan, world_size)

    def logical_batches(
        self,
        dataset: ExampleDataset,
        collator: Collator,
        plan: PrivacyPlan,
        physical: int,
        sampler_gen: Any,
        remaining: int,
    ) -> Iterator[Iterator[dict[str, Any]]]:
        from opacus.utils.batch_memory_manager import BatchMemoryManager
        from opacus.utils.uniform_sampler import UniformWithReplacementSampler
        from torch.utils.data import DataLoader

        if self.world_size > 1:
            sampler: Any = _DistributedPoissonSampler(
                total_size=len(dataset), sample_rate=plan.sample_rate, generator=sampler_gen, steps=remaining
            )
        else:
            sampler = UniformWithReplacementSampler(
                num_samples=len(dataset), sample_rate=plan.sample_rate, generator=sampler_gen, steps=remaining
            )
        loader: Any = DataLoader(dataset, batch_sampler=sampler, collate_fn=collator)  # type: ignore[arg-type]
        with BatchMemoryManager(data_loader=loader, max_physical_batch_size=physical, optimizer=self.optimizer) as split:
            physical_batches = iter(split)
            for _ in range(remaining):
                yield self._one_logical(physical_batches)

    def _one_logical(self, physical_batches: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Physical batches up to (and including) the one on which the optimizer really steps."""
        for batch in physical_batches:
            yield batch
            if not self.optimizer._is_last_step_skipped:
                return

    def physical_step(self, model: Any, optimizer: Any, batch: dict[str, Any], device: Any, logical: int) -> tuple[float, int]:
        """Forward, per-example loss, per-sample clipping, and the DP optimizer's (maybe skipped) step."""
        import torch

        n = int(batch["input_ids"].shape[0])
        if n == 0:
            # An empty Poisson batch still takes a step: zero clipped sum plus full noise.
            for p in self.optimizer.params:
                if self.mode == "ghost":
                    p.grad = torch.zeros_like(p)
                else:
                    p.grad_sample = torch.zeros((0, *p.shape), dtype=p.dtype, device=p.device)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            return 0.0, 0
        batch = _move(batch, device)
        logits = self.module(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        losses = per_example_loss(logits, batch["labels"])
        with warnings.catch_warnings():
            # Opacus's hooks sit on LoRA layers whose inputs (frozen activations) need no grad.
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            if self.mode == "ghost":
                from opacus.utils.fast_gradient_clipping_utils import (
                    DPTensorFastGradientClipping,
                )

                DPTensorFastGradientClipping(self.module, self.optimizer, losses, "mean").backward()
            else:
                losses.mean().backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(losses.detach().sum()), n

    def close(self) -> None:
        """Remove Opacus's hooks from the model."""
        with contextlib.suppress(Exception):
            self.module._close()


def _local_device(dist: Distributed) -> str | None:
    """cuda:LOCAL_RANK under torchrun on a GPU machine; else the default."""
    import torch

    if dist.world_size > 1 and torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return None


def _distributed_poisson_sampler_class() -> Any:
    from opacus.utils.uniform_sampler import DistributedUniformWithReplacementSampler

    class DistributedPoissonSampler(DistributedUniformWithReplacementSampler):  # type: ignore[misc]
        """Opacus's distributed Poisson sampler, but an empty local batch is yielded, not skipped.

        Skipping it (as Opacus 1.6 does) leaves that rank one step short of the others: the
        all-reduce then pairs different steps or hangs, and the step count no longer matches
        what was accounted. An empty local batch still takes part in the step.
        """

        def __iter__(self) -> Iterator[list[int]]:
            import torch

            generator = torch.Generator()
            generator.manual_seed(self.shuffle_seed + self.epoch)
            indices = torch.randperm(self.total_size, generator=generator) if self.shuffle else torch.arange(self.total_size)
            indices = indices[self.rank : self.total_size : self.num_replicas]
            for _ in range(self.num_batches):
                mask = torch.rand(self.num_samples, generator=self.generator) < self.sample_rate
                yield indices[mask.nonzero(as_tuple=False).reshape(-1)].tolist()

    return DistributedPoissonSampler


def _DistributedPoissonSampler(**kwargs: Any) -> Any:
    return _distributed_poisson_sampler_class()(**kwargs)


@contextlib.contextmanager
def _progress(enabled: bool, total: int, start: int) -> Iterator[Any]:
    """A rich progress bar on stderr (or a no-op): call it with (step, loss, epsilon)."""
    if not enabled:
        yield lambda *args: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task("train", total=total, completed=start, status="")

        def update(step: int, loss: float | None, epsilon: float | None) -> None:
            status = f"loss {loss:.3f}" if loss is not None else "loss -"
            if epsilon is not None:
                status += f"  ε {epsilon:.2f}"
            bar.update(task, completed=step, status=status)

        yield update
