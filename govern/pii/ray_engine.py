"""Scan and anonymize on a Ray cluster, with the same result as on one machine.

The driver reads the snapshot and cuts it into the blocks the local Scanner makes
(`scanner._grouped`); each block's texts go to one of N actors, each holding one analyzer built
from the workspace's scanner config. Every actor re-derives the config hash and the model and
Presidio versions where it runs and refuses to scan if they differ from the driver's (a node
with another model would store another scan under the same id). Spans come back (never text)
and are assembled in input order by the local code, so `scans.py` spools and stores them exactly
as it stores a local scan. At most two blocks per actor are in flight, so memory stays flat.

Secrets: scan actors get only the scanner config. Anonymize actors get the operators and, only
when pseudonyms are used, the pseudonym key as a constructor argument, held in their memory.
A dead actor is restarted and its block retried up to `retries` times; past that the scan fails
with WorkerFailure and nothing is stored. A cluster govern starts itself binds to loopback and
spills objects into the workspace's tmp folder.

Ray is imported only here, and this module only when the Ray engine is asked for.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import secrets
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern import tmpfiles
from govern.errors import BadInput, GovernError, WorkerFailure
from govern.pii.config import ScannerConfig
from govern.pii.scanner import ScannedRecord, Scanner, _assemble, _grouped, scan_batch

RAY_HELP = 'the Ray engine needs Ray: `pip install "govern[ray]"`'
# Test hook: the first scan actor exits hard on this block number (1-based), once per actor
# lifetime (a restarted actor does not exit again), to prove a dead worker stores nothing.
EXIT_HOOK = "GOVERN_RAY_TEST_EXIT_AT_BLOCK"
_START_TIMEOUT_S = 600.0
_ANONYMIZE_BLOCK = 500


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide to run: `address` None joins the cluster this process already joined,
    else starts a local one; "auto" or "ray://host:port" joins an existing cluster."""

    address: str | None = None
    workers: int | None = None
    retries: int = 2


def _ray() -> Any:
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise BadInput(RAY_HELP) from None


def ray_version() -> str:
    """The installed Ray version."""
    return importlib.metadata.version("ray")


def _rebuilt(config: ScannerConfig) -> ScannerConfig:
    """The config as made where this runs: recognizer files re-read and re-hashed here, not the
    digests and hash pickled with the driver's copy."""
    return config.with_overrides()


class _ScanWorker:
    """A Ray actor: one analyzer, built once, scanning blocks of texts into spans."""

    def __init__(
        self, config: ScannerConfig, expected: dict[str, Any], exit_at_block: int | None
    ) -> None:
        from govern.pii.scanner import _engine_for

        self._engine: Any = None
        self._exit_at_block = exit_at_block
        self._blocks = 0
        try:
            self._config = _rebuilt(config)
            found = Scanner(self._config, processes=1).provenance()
        except GovernError as error:
            self._problem: str | None = (
                f"a Ray worker on {_node()} cannot build the scanner: {error}"
            )
            return
        differs = sorted(k for k in expected if expected[k] != found.get(k))
        self._problem = (
            None
            if not differs
            else f"a Ray worker on {_node()} has another scanner setup than the driver "
            f"({', '.join(f'{k}: {found.get(k)!r} there, {expected[k]!r} here' for k in differs)}); "
            "install the same govern, model, Presidio and recognizer files on every node"
        )
        if not self._problem:
            self._engine = _engine_for(self._config)

    def problem(self) -> str | None:
        return self._problem

    def scan(self, texts: list[str]) -> list[list[tuple[int, int, str, float, str]]]:
        if self._problem:
            raise BadInput(self._problem)
        self._blocks += 1
        if self._exit_at_block == self._blocks and not _restarted():
            os._exit(1)
        return scan_batch(self._engine, texts, self._config.chunk_chars)


class _AnonymizeWorker:
    """A Ray actor: one Anonymizer (and the pseudonym key, in memory) rewriting blocks of records."""

    def __init__(self, operators: Any, secret: bytes | None, expected_hash: str) -> None:
        from govern.pii.anonymizer import Anonymizer

        self._anonymizer = Anonymizer(operators, secret=secret)
        found = self._anonymizer.config_hash()
        self._problem = (
            None
            if found == expected_hash
            else f"a Ray worker on {_node()} hashes the operators to {found[:12]}, not {expected_hash[:12]}"
        )

    def problem(self) -> str | None:
        return self._problem

    def anonymize(
        self, block: list[tuple[Mapping[str, Any], list[Any]]]
    ) -> list[dict[str, Any] | None]:
        if self._problem:
            raise BadInput(self._problem)
        return [self._anonymizer.anonymize_record(record, found) for record, found in block]


def _node() -> str:
    try:
        return str(_ray().get_runtime_context().get_node_id())[:12]
    except Exception:  # outside Ray (a unit test of the class): say so rather than fail
        return "this node"


def _restarted() -> bool:
    return bool(_ray().get_runtime_context().was_current_actor_reconstructed)


@contextmanager
def ray_session(options: RayOptions, spill_dir: Path | None = None) -> Iterator[None]:
    """Joined to Ray for the block: the cluster this process already joined (left as it is), the
    one at `options.address`, or a local one started here on loopback, its auth token in memory
    and its spilled objects in `spill_dir` (stopped, and the folder removed, after)."""
    ray = _ray()
    if ray.is_initialized():
        yield
        return
    token_set = False
    session_root: str | None = None
    try:
        if options.address:
            ray.init(address=options.address, log_to_driver=False)
        else:
            # Ray's session files (logs, sockets) in a private folder removed after, not /tmp/ray;
            # a short path, since Ray's socket paths must fit in 107 bytes.
            session_root = _session_root()
            extra: dict[str, Any] = {"_temp_dir": session_root}
            if spill_dir is not None:
                spill_dir.mkdir(parents=True, exist_ok=True)
                extra["object_spilling_directory"] = str(spill_dir)
            if not {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"} & set(os.environ):
                # Ray would otherwise write a new token to ~/.ray; this one lives in memory.
                os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
                token_set = True
            ray.init(
                num_cpus=options.workers,
                include_dashboard=False,
                log_to_driver=False,
                _node_ip_address="127.0.0.1",
                **extra,
            )
    except (ConnectionError, RuntimeError, ValueError) as error:
        if token_set:
            os.environ.pop("RAY_AUTH_TOKEN", None)
        if session_root is not None:
            shutil.rmtree(session_root, ignore_errors=True)
        where = options.address or "a new local cluster"
        raise WorkerFailure(f"could not reach Ray at {where}: {error}") from None
    try:
        yield
    finally:
        ray.shutdown()
        if spill_dir is not None:
            shutil.rmtree(spill_dir, ignore_errors=True)
        if session_root is not None:
            shutil.rmtree(session_root, ignore_errors=True)
        if token_set:
            os.environ.pop("RAY_AUTH_TOKEN", None)


def _short_temp_dir() -> str:
    """/tmp where it can be written (short paths for Ray's sockets), else the system's temp dir."""
    return "/tmp" if os.access("/tmp", os.W_OK | os.X_OK) else tempfile.gettempdir()


_SESSION_ROOT = re.compile(r"^govern-ray-(?P<pid>\d+)-(?P<start>\d+)-[0-9a-f]{6}$")


def _session_root() -> str:
    """A private folder for a local cluster's session files, named for this process (kept short:
    Ray's socket paths under it must fit in 107 bytes), after removing those that killed
    processes left behind."""
    folder = Path(_short_temp_dir())
    sweep_session_roots(folder)
    pid = os.getpid()
    path = folder / f"govern-ray-{pid}-{tmpfiles.process_start(pid) or 0}-{secrets.token_hex(3)}"
    return str(tmpfiles.make_private_dir(path))


def sweep_session_roots(folder: Path) -> list[Path]:
    """Remove the session folders in `folder` whose owner process is gone (SIGKILL runs no clean-up)."""
    removed = []
    for entry in folder.glob("govern-ray-*"):
        match = _SESSION_ROOT.match(entry.name)
        if match and not tmpfiles.owner_alive(int(match["pid"]), int(match["start"])):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


class _Cluster:
    """Ray joined (see `ray_session`) and a set of actors of one class; `close()` kills them and
    leaves Ray if it joined it."""

    def __init__(self, options: RayOptions, spill_dir: Path | None) -> None:
        if options.retries < 0:
            raise BadInput(f"Ray retries must be 0 or more, not {options.retries}")
        if options.workers is not None and options.workers < 1:
            raise BadInput(f"--workers must be 1 or more, not {options.workers}")
        self.options = options
        self.ray = _ray()
        self._actors: list[Any] = []
        self._session = ExitStack()
        self._session.enter_context(ray_session(options, spill_dir))
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        self.workers = options.workers or cpus
        if self.workers > cpus:
            self.close()
            raise BadInput(
                f"--workers {self.workers} asks for more workers than the Ray cluster's {cpus} CPUs"
            )

    def start(self, cls: type, args_for: Any) -> list[Any]:
        """`workers` actors of `cls`; `args_for(i)` gives actor i's constructor arguments.
        Waits until every one is built and has no problem to report."""
        retries = self.options.retries
        remote = self.ray.remote(num_cpus=1, max_restarts=retries, max_task_retries=retries)(cls)
        self._actors = [remote.remote(*args_for(i)) for i in range(self.workers)]
        problems = self.get([actor.problem.remote() for actor in self._actors], "starting")
        for problem in problems:
            if problem:
                raise BadInput(problem)
        return self._actors

    def get(self, ref: Any, doing: str) -> Any:
        """`ray.get`, with a worker's death or error turned into a GovernError naming it."""
        exceptions = self.ray.exceptions
        try:
            return self.ray.get(ref, timeout=_START_TIMEOUT_S)
        except exceptions.RayTaskError as error:
            cause = getattr(error, "cause", None)
            if isinstance(cause, GovernError):
                raise type(cause)(str(cause)) from None
            raise WorkerFailure(f"a Ray worker failed while {doing}: {cause or error}") from None
        except exceptions.GetTimeoutError:
            raise WorkerFailure(
                f"Ray workers gave no answer within {_START_TIMEOUT_S:.0f} s while {doing} "
                f"(are {self.workers} CPUs free on the cluster?)"
            ) from None
        except exceptions.RayError as error:
            first = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise WorkerFailure(
                f"a Ray worker died while {doing} and was not restarted "
                f"(retries: {self.options.retries}): {first}; nothing was stored"
            ) from None

    def close(self) -> None:
        for actor in self._actors:
            self.ray.kill(actor)
        self._actors = []
        self._session.close()


class RayScanner:
    """A Scanner (same `provenance`, `scan_records`, context manager) whose blocks run on Ray
    actors; its provenance adds the engine, the worker count and the Ray version."""

    def __init__(
        self, config: ScannerConfig, options: RayOptions, spill_dir: Path | None = None
    ) -> None:
        self.config = config
        self.batch_size = config.batch_size
        self._local = Scanner(config, processes=1)
        self._cluster = _Cluster(options, spill_dir)
        self._actors: list[Any] = []

    def __enter__(self) -> RayScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill the actors (and stop a cluster this scanner started)."""
        self._cluster.close()
        self._actors = []

    def provenance(self) -> dict[str, Any]:
        """The local scanner's provenance plus {"engine": {"name", "workers", "ray_version"}}."""
        return self._local.provenance() | {
            "engine": {
                "name": "ray",
                "workers": self._cluster.workers,
                "ray_version": ray_version(),
            }
        }

    def _ensure_actors(self) -> list[Any]:
        if not self._actors:
            expected = self._local.provenance()
            exit_at = os.environ.get(EXIT_HOOK)
            self._actors = self._cluster.start(
                _ScanWorker,
                lambda i: (self.config, expected, int(exit_at) if exit_at and i == 0 else None),
            )
        return self._actors

    def scan_records(
        self,
        records: Iterable[tuple[Any, Mapping[str, Any]]],
        fields: Sequence[str],
        id_field: str | None = None,
    ) -> Iterator[ScannedRecord]:
        """As `Scanner.scan_records`: every record with its findings, in input order."""
        actors = self._ensure_actors()
        in_flight: deque[tuple[list[Any], Any, int]] = deque()
        limit = 2 * len(actors)

        def done() -> Iterator[ScannedRecord]:
            group, ref, number = in_flight.popleft()
            yield from _assemble(group, self._cluster.get(ref, f"scanning block {number}"))

        for number, (group, texts) in enumerate(
            _grouped(records, fields, id_field, self.batch_size), start=1
        ):
            in_flight.append((group, actors[(number - 1) % len(actors)].scan.remote(texts), number))
            if len(in_flight) >= limit:
                yield from done()
        while in_flight:
            yield from done()


class RayAnonymizer:
    """Rewrites records with their findings on Ray actors, in input order; `map` is the Ray
    counterpart of calling `Anonymizer.anonymize_record` per record."""

    def __init__(
        self,
        operators: Any,
        secret: bytes | None,
        expected_hash: str,
        options: RayOptions,
        spill_dir: Path | None = None,
    ) -> None:
        self._cluster = _Cluster(options, spill_dir)
        try:
            self._actors = self._cluster.start(
                _AnonymizeWorker, lambda i: (operators, secret, expected_hash)
            )
        except BaseException:
            self._cluster.close()
            raise

    def __enter__(self) -> RayAnonymizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cluster.close()

    def map(
        self, items: Iterable[tuple[int, Mapping[str, Any], list[Any]]]
    ) -> Iterator[tuple[int, Mapping[str, Any], dict[str, Any] | None]]:
        """(position, record, anonymized or None to drop) for each (position, record, findings);
        records without findings are not sent."""
        in_flight: deque[tuple[list[tuple[int, Mapping[str, Any], list[Any]]], Any]] = deque()
        limit = 2 * len(self._actors)
        count = 0

        def done() -> Iterator[tuple[int, Mapping[str, Any], dict[str, Any] | None]]:
            block, ref = in_flight.popleft()
            results = iter(self._cluster.get(ref, "anonymizing") if ref is not None else [])
            for position, record, found in block:
                yield position, record, (next(results) if found else dict(record))

        block: list[tuple[int, Mapping[str, Any], list[Any]]] = []

        def send() -> None:
            nonlocal count
            work = [(record, found) for _, record, found in block if found]
            actor = self._actors[count % len(self._actors)]
            count += 1
            in_flight.append((list(block), actor.anonymize.remote(work) if work else None))

        for item in items:
            block.append(item)
            if len(block) >= _ANONYMIZE_BLOCK:
                send()
                block = []
                if len(in_flight) >= limit:
                    yield from done()
        if block:
            send()
        while in_flight:
            yield from done()
