"""Every input surface fed malformed variants, crafted and seeded-random: record files (JSONL, CSV,
Parquet), consent files, policy packs, recipes, scanner settings and recognizers, operators,
govern.toml, key files, checkpoint files and environment variables.

Each variant must end in exit 2 with a message naming the file (and the line or key where one
applies), print no traceback, and change nothing: the ledger head, the catalog's row counts, the
object store and the tmp folder are compared before and after. Random byte mutants of a valid
file may happen to be valid; they must then succeed (exit 0), never crash. For a longer hunt:
`GOVERN_FUZZ_MUTANTS=500 GOVERN_FUZZ_SEED=7 python -m pytest tests/test_bad_input_fuzz.py -k random`.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from govern.cli import cli
from tests.conftest import _new_key, make_workspace, write_jsonl

SEED = int(os.environ.get("GOVERN_FUZZ_SEED", "20261202"))
MUTANTS = int(os.environ.get("GOVERN_FUZZ_MUTANTS", "12"))  # raise it for a longer local hunt
INTERESTING = [
    b"\xff",
    b"\x00",
    b'"',
    b"{",
    b"}",
    b"[",
    b"\n",
    b",",
    b"\\",
    b"\xc3",
    b"\r",
    b"'",
    b":",
    b"#",
    b"\t",
]
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
BOMB_YAML = (
    "\n".join(
        [f"l0: &l0 [{', '.join(['x'] * 10)}]"]
        + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    )
    + "\n"
)
DEEP_YAML = "a: " + "[" * 50_000 + "]" * 50_000 + "\n"


@dataclass
class World:
    """A workspace with an engineer, an officer, consent and one registered snapshot."""

    root: Path
    files: Path
    erin: Path
    olga: Path
    snapshot: str

    def state(self) -> tuple[Any, ...]:
        from govern.workspace import Workspace

        workspace = Workspace(self.root)
        try:
            with workspace.catalog.reading() as session:
                head = session.execute(text("SELECT max(seq), count(*) FROM ledger_entries")).one()
                counts = [
                    session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    for table in (
                        "datasets",
                        "snapshots",
                        "snapshot_records",
                        "consent_events",
                        "consent_evidence",
                        "scans",
                    )
                ]
        finally:
            workspace.catalog.dispose()
        objects = sorted(
            str(p.relative_to(self.root)) for p in (self.root / ".govern" / "objects").rglob("*")
        )
        tmp = sorted(p.name for p in (self.root / ".govern" / "tmp").iterdir())
        return tuple(head), tuple(counts), objects, tmp

    def file(self, name: str, data: bytes | str) -> Path:
        path = self.files / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path


RECORDS = [
    {"id": f"r{i}", "subject": f"cust-{i % 3}", "text": f"Ticket number {i}: my order is late."}
    for i in range(6)
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from govern.consent.registry import import_consent
    from govern.ingest.datasets import DatasetSpec, add_dataset

    base = tmp_path_factory.mktemp("fuzz")
    workspace = make_workspace(base / "ws").workspace
    engineer, officer = (
        _new_key(workspace, "engineer", "erin"),
        _new_key(workspace, "officer", "olga"),
    )
    files = base / "files"
    files.mkdir()
    (files / "c.csv").write_text(
        "subject_id,purpose,status,time,evidence_ref\ncust-0,model_training,granted,2024-01-01T00:00:00Z,form-0\n"
    )
    import_consent(workspace, officer, files / "c.csv")
    spec = DatasetSpec(
        name="support",
        source="helpdesk",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )
    snapshot = add_dataset(
        workspace, engineer, spec, write_jsonl(files / "seed.jsonl", RECORDS)
    ).snapshot
    workspace.catalog.dispose()
    return World(
        workspace.root, files, workspace.root / "erin.key", workspace.root / "olga.key", snapshot.id
    )


def _invoke(world: World, args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, args, env={"GOVERN_WORKSPACE": str(world.root), "GOVERN_KEY": None, **(env or {})}
    )


def refused_cleanly(
    world: World, args: list[str], names: list[str], env: dict[str, str] | None = None
) -> Result:
    """Run a command expected to refuse its input: exit 2, `names` in the message, no traceback, no change."""
    before = world.state()
    result = _invoke(world, args, env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    for name in names:
        assert name in result.output, (name, result.output)
    assert world.state() == before
    return result


def survived(world: World, args: list[str], name: str) -> None:
    """A random mutant: either accepted (exit 0) or refused cleanly, naming the file; never a crash."""
    before = world.state()
    result = _invoke(world, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert name in result.output, result.output
        assert world.state() == before


def mutants(valid: bytes, count: int = MUTANTS, seed: int = SEED) -> list[bytes]:
    """Seeded byte-level mutants of `valid`: replace, insert, delete or duplicate a span, truncate."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data) or 1)
            action = rng.choice(("replace", "insert", "delete", "duplicate", "truncate"))
            if action == "replace":
                data[at : at + 1] = rng.choice(INTERESTING)
            elif action == "insert":
                data[at:at] = rng.choice(INTERESTING) * rng.randint(1, 3)
            elif action == "delete":
                del data[at : at + rng.randint(1, 8)]
            elif action == "duplicate":
                data[at:at] = data[at : at + rng.randint(1, 30)]
            else:
                del data[at:]
        out.append(bytes(data))
    return out


# --- record files -------------------------------------------------------------------------

VALID_JSONL = b"".join(json.dumps(r).encode() + b"\n" for r in RECORDS)
VALID_CSV = b"id,subject,text\n" + b"".join(
    f'{r["id"]},{r["subject"]},"{r["text"]}"\n'.encode() for r in RECORDS
)
BAD_JSONL = {
    "malformed JSON": (VALID_JSONL + b'{"id": "x", oops\n', "line 7"),
    "bad UTF-8": (VALID_JSONL[:40] + b"\xff" + VALID_JSONL[40:], "line 1"),
    "nested 100,000 deep": (
        VALID_JSONL + b'{"id":"x","subject":"s","text":"t","n":' + DEEP_JSON + b"}\n",
        "line 7",
    ),
    "lone surrogate": (b'{"id":"x","subject":"\\ud800","text":"t"}\n', "line 1"),
    "number too long": (
        b'{"id":"x","subject":"s","text":"t","n":' + b"9" * 5000 + b"}\n",
        "line 1",
    ),
    "infinity": (b'{"id":"x","subject":"s","text":"t","n":1e999}\n', "line 1"),
    "array": (b"[1, 2]\n", "line 1"),
    "subject is an object": (b'{"id":"x","subject":{"a":1},"text":"t"}\n', "line 1"),
    "text is a number": (b'{"id":"x","subject":"s","text":5}\n', "line 1"),
    "id with a tab": (b'{"id":"a\\tb","subject":"s","text":"t"}\n', "line 1"),
    "duplicate id": (VALID_JSONL + VALID_JSONL[:60].split(b"\n")[0] + b"\n", "line 7"),
    "record over the limit": (
        json.dumps({"id": "x", "subject": "s", "text": "y" * (1 << 21)}).encode() + b"\n",
        "line 1",
    ),
    "empty": (b"", "holds no records"),
    "only a BOM": (b"\xef\xbb\xbf\n", "holds no records"),
    "binary": (bytes(range(256)) * 4, "line 1"),
}
BAD_CSV = {
    "bad UTF-8 far down": (
        b"id,subject,text\n"
        + b"".join(f"r{i},s,t{i}\n".encode() for i in range(500))
        + b"r9,s,\xe9\n",
        "line 502",
    ),
    "short row": (VALID_CSV + b"r9,s\n", "line 8"),
    "repeated column": (b"id,id,text\n1,2,3\n", "line 1"),
    "empty column name": (b"id,,text\n1,2,3\n", "line 1"),
    "field over the csv limit": (b"id,subject,text\nr1,s," + b"x" * 200_000 + b"\n", "line 2"),
    "missing text column": (b"id,subject\nr1,s\n", "line 2"),
    "header only": (b"id,subject,text\n", "holds no records"),
}


@pytest.mark.parametrize("case", sorted(BAD_JSONL))
def test_a_malformed_jsonl_file_is_refused_naming_its_line(world: World, case: str) -> None:
    data, where = BAD_JSONL[case]
    path = world.file("bad.jsonl", data)
    refused_cleanly(
        world,
        ["dataset", "add-version", "support", str(path), "--key", str(world.erin)],
        ["bad.jsonl", where],
    )


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_a_malformed_csv_file_is_refused_naming_its_line(world: World, case: str) -> None:
    data, where = BAD_CSV[case]
    path = world.file("bad.csv", data)
    refused_cleanly(
        world,
        ["dataset", "add-version", "support", str(path), "--key", str(world.erin)],
        ["bad.csv", where],
    )


def _parquet(world: World, table: pa.Table) -> Path:
    path = world.files / "bad.parquet"
    pq.write_table(table, path)
    return path


def test_malformed_parquet_files_are_refused_naming_the_file(world: World) -> None:
    def add(path: Path, where: str) -> None:
        refused_cleanly(
            world,
            ["dataset", "add-version", "support", str(path), "--key", str(world.erin)],
            ["bad.parquet", where],
        )

    add(world.file("bad.parquet", b"PAR1 but not really" * 10), "not a readable Parquet file")
    good = _parquet(world, pa.table({"id": ["a", "b"], "subject": ["s", "t"], "text": ["x", "y"]}))
    data = good.read_bytes()
    add(world.file("bad.parquet", data[: len(data) // 2]), "not a readable Parquet file")
    add(
        _parquet(world, pa.table({"id": ["a"], "subject": ["s"], "text": [b"\x00\x01"]})),
        "binary data",
    )
    add(
        _parquet(
            world, pa.table({"id": ["a"], "subject": ["s"], "text": ["x"], "score": [float("nan")]})
        ),
        "line 1",
    )
    add(_parquet(world, pa.table({"id": ["a"], "text": ["x"]})), "missing subject field")
    add(
        _parquet(world, pa.table({"id": ["a"], "subject": [{"n": 1}], "text": ["x"]})),
        "subject field",
    )


@pytest.mark.parametrize(
    "fmt,valid", [("jsonl", VALID_JSONL), ("csv", VALID_CSV)], ids=["jsonl", "csv"]
)
def test_random_mutants_of_a_record_file_never_crash(world: World, fmt: str, valid: bytes) -> None:
    for number, data in enumerate(mutants(valid, seed=SEED + len(fmt))):
        path = world.file(f"mutant-{number}.{fmt}", data)
        survived(
            world,
            ["dataset", "add-version", "support", str(path), "--key", str(world.erin)],
            path.name,
        )


# --- consent files ------------------------------------------------------------------------

CONSENT_HEADER = "subject_id,purpose,status,time,evidence_ref,expires_at\n"
BAD_CONSENT = {
    "unknown status": (CONSENT_HEADER + "c1,model_training,maybe,2024-01-01,,\n", "line 2"),
    "bad time": (CONSENT_HEADER + "c1,model_training,granted,last tuesday,,\n", "line 2"),
    "bad expiry": (CONSENT_HEADER + "c1,model_training,granted,2024-01-01,,never\n", "line 2"),
    "missing subject": (CONSENT_HEADER + ",model_training,granted,2024-01-01,,\n", "line 2"),
    "bad purpose": (CONSENT_HEADER + "c1,Model Training!,granted,2024-01-01,,\n", "line 2"),
    "evidence too long": (
        CONSENT_HEADER + f"c1,model_training,granted,2024-01-01,{'e' * 501},\n",
        "line 2",
    ),
    "bad UTF-8": (
        (CONSENT_HEADER + "c1,model_training,granted,2024-01-01,form-\xe9,\n").encode("latin-1"),
        "line 2",
    ),
    "wrong column count": (CONSENT_HEADER + "c1,model_training\n", "line 2"),
    "empty": ("", "holds no records"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONSENT))
def test_a_malformed_consent_file_is_refused_naming_its_line(world: World, case: str) -> None:
    data, where = BAD_CONSENT[case]
    path = world.file("consent.csv", data)
    refused_cleanly(
        world, ["consent", "import", str(path), "--key", str(world.olga)], ["consent.csv", where]
    )


def test_a_deep_or_surrogate_consent_jsonl_is_refused(world: World) -> None:
    for data in (
        b'{"subject_id":"c","purpose":"p","status":"granted","time":"2024-01-01","x":'
        + DEEP_JSON
        + b"}\n",
        b'{"subject_id":"\\udc00","purpose":"p","status":"granted","time":"2024-01-01"}\n',
    ):
        path = world.file("consent.jsonl", data)
        refused_cleanly(
            world,
            ["consent", "import", str(path), "--key", str(world.olga)],
            ["consent.jsonl", "line 1"],
        )


def test_random_mutants_of_a_consent_file_never_crash(world: World) -> None:
    valid = (
        CONSENT_HEADER + "c1,model_training,granted,2024-01-01T00:00:00Z,form-1,2030-01-01\n"
        "c2,model_training,revoked,2024-02-01,form-2,\n"
    ).encode()
    for number, data in enumerate(mutants(valid)):
        path = world.file(f"consent-{number}.csv", data)
        survived(world, ["consent", "import", str(path), "--key", str(world.olga)], path.name)


# --- YAML and TOML the user edits: packs, recipes, operators, scanner settings ---------------

VALID_PACK = """\
name: fuzz
version: "1.0.0"
description: fuzz
disclaimer: not legal advice
rules:
  provenance:
    required_fields: [source, license]
"""
BAD_PACKS = {
    "invalid YAML": (VALID_PACK + "  consent: [unclosed\n", "line"),
    "not a mapping": ("- just\n- a list\n", "fuzz.yaml"),
    "unknown family": (VALID_PACK + "  astrology: {sign: leo}\n", "astrology"),
    "wrong type": (VALID_PACK + "  dp:\n    max_epsilon_per_run: high\n", "max_epsilon_per_run"),
    "duplicate key": (VALID_PACK + "rules: {}\n", "line"),
    "binary": (b"\xff\xfe\x00\x01" * 50, "fuzz.yaml"),
    "nested too deeply": (DEEP_YAML, "nested too deeply"),
    "alias bomb": (
        VALID_PACK.replace("rules:", BOMB_YAML + "rules:").replace("[source, license]", "*l8"),
        "aliases expand",
    ),
    "empty": ("", "fuzz.yaml"),
}


@pytest.mark.parametrize("case", sorted(BAD_PACKS))
def test_a_malformed_policy_pack_is_refused_naming_the_file(world: World, case: str) -> None:
    data, where = BAD_PACKS[case]
    pack = world.root / "policies" / "fuzz.yaml"
    pack.write_bytes(data.encode() if isinstance(data, str) else data)
    try:
        refused_cleanly(
            world,
            ["policy", "check", world.snapshot, "--pack", "fuzz", "--key", str(world.erin)],
            ["fuzz.yaml", where],
        )
    finally:
        pack.unlink()


def test_random_mutants_of_a_policy_pack_never_crash(world: World) -> None:
    pack = world.root / "policies" / "fuzz.yaml"
    try:
        for data in mutants(VALID_PACK.encode()):
            pack.write_bytes(data)
            before = world.state()
            result = _invoke(
                world,
                ["policy", "check", world.snapshot, "--pack", "fuzz", "--key", str(world.erin)],
            )
            assert "Traceback" not in result.output and result.exit_code in (0, 1, 2), result.output
            if result.exit_code == 2:
                assert "fuzz" in result.output and world.state() == before
    finally:
        pack.unlink()


BAD_RECIPES = {
    "binary.toml": (b"\x00\xff\xfe" * 100, "not a text recipe"),
    "syntax.toml": ('name = "x"\n[model\npath = "m"\n', "line 2"),
    "unknown.toml": ('name = "x"\n[model]\npath = "m"\n[nonsense]\nkey = 1\n', "nonsense"),
    "wrongtype.toml": (
        'name = "x"\n[model]\npath = "m"\n[dp]\ntarget_epsilon = "lots"\n',
        "target_epsilon",
    ),
    "negative.toml": (
        'name = "x"\n[model]\npath = "m"\n[dp]\ntarget_epsilon = -1.0\n',
        "target_epsilon",
    ),
    "deep.toml": ("a = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
    "list.yaml": ("- a\n- b\n", "mapping of sections"),
    "deep.yaml": (DEEP_YAML, "nested too deeply"),
    "bomb.yaml": (BOMB_YAML + "name: x\n", "aliases expand"),
    "recipe.txt": ("name = 'x'\n", "a recipe is a .toml"),
}


@pytest.mark.parametrize("name", sorted(BAD_RECIPES))
def test_a_malformed_recipe_is_refused_naming_the_file(world: World, name: str) -> None:
    data, where = BAD_RECIPES[name]
    path = world.file(name, data)
    refused_cleanly(
        world,
        ["train", str(path), "--snapshot", world.snapshot, "--key", str(world.erin)],
        [name, where],
    )


BAD_OPERATORS = {
    "invalid YAML": ("PERSON: {type: replace\n", "line"),
    "unknown operator": ("PERSON: {type: shred}\n", "line 1"),
    "bad parameter": ("PERSON: {type: mask, masking_char: 7}\n", "masking_char"),
    "lower-case entity": ("person: replace\n", "line 1"),
    "not a mapping": ("[replace, mask]\n", "expected a mapping"),
    "binary": (b"\xff\x00" * 40, "UTF-8"),
    "nested too deeply": (DEEP_YAML, "nested too deeply"),
    "alias bomb": (BOMB_YAML, "aliases expand"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPERATORS))
def test_a_malformed_operators_file_is_refused_naming_the_file(world: World, case: str) -> None:
    data, where = BAD_OPERATORS[case]
    path = world.file("operators.yaml", data)
    refused_cleanly(
        world,
        ["anonymize", world.snapshot, "--operators", str(path), "--key", str(world.erin)],
        ["operators.yaml", where],
    )


BAD_SCANNER = {
    "unknown key": ("colour = 'red'\n", "colour"),
    "threshold over 1": ("score_threshold = 2.0\n", "score_threshold"),
    "negative processes": ("processes = -1\n", "processes"),
    "entities not a list": ('entities = "PERSON"\n', "entities"),
    "missing recognizers file": ('recognizers = "policies/nope.yaml"\n', "nope.yaml"),
    "malformed recognizers": ('recognizers = "recognizers.yaml"\n', "recognizers.yaml"),
    "recognizer alias bomb": ('recognizers = "bomb.yaml"\n', "aliases expand"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCANNER))
def test_malformed_scanner_settings_are_refused_naming_the_key(world: World, case: str) -> None:
    settings, where = BAD_SCANNER[case]
    (world.root / "recognizers.yaml").write_text(
        "recognizers:\n  - name: x\n    patterns: [{regex: '('}]\n"
    )
    (world.root / "bomb.yaml").write_text(BOMB_YAML + "recognizers: *l8\n")
    toml = world.root / "govern.toml"
    original = toml.read_text()
    toml.write_text(original.split("[pii]\n")[0] + "[pii]\n" + settings)
    try:
        refused_cleanly(world, ["scan", world.snapshot, "--key", str(world.erin)], [where])
    finally:
        toml.write_text(original)


BAD_CONFIG = {
    "invalid TOML": ("[catalog\n", "govern.toml"),
    "binary": (b"\xff\xfe\x00" * 30, "govern.toml"),
    "unknown section": ("[astrology]\nsign = 'leo'\n", "astrology"),
    "section as a value": ("catalog = 5\n", "catalog"),
    "URL not a string": ("[catalog]\ndatabase_url = 5\n", "database_url"),
    "URL not a URL": ("[catalog]\ndatabase_url = '::::'\n", "database_url"),
    "unsupported database": ("[catalog]\ndatabase_url = 'mysql://u@h/d'\n", "database_url"),
    "negative record limit": ("[ingest]\nmax_record_bytes = -1\n", "max_record_bytes"),
    "boolean record limit": ("[ingest]\nmax_record_bytes = true\n", "max_record_bytes"),
    "nested too deeply": ("a = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIG))
def test_a_malformed_govern_toml_is_refused_naming_it(world: World, case: str) -> None:
    data, where = BAD_CONFIG[case]
    toml = world.root / "govern.toml"
    original = toml.read_bytes()
    before = world.state()
    toml.write_bytes(data.encode() if isinstance(data, str) else data)
    try:
        result = _invoke(world, ["audit", "log"])
    finally:
        toml.write_bytes(original)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "govern.toml" in result.output and where in result.output, result.output
    assert world.state() == before


# --- keys, checkpoints, environment -------------------------------------------------------


def _key_variants(world: World) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    ed = ed25519.Ed25519PrivateKey.generate()
    pem = serialization.Encoding.PEM
    folder = world.files / "a-key-folder.key"
    folder.mkdir(exist_ok=True)
    return {
        "missing": world.files / "no-such.key",
        "empty": world.file("empty.key", b""),
        "garbage": world.file(
            "garbage.key", b"-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n"
        ),
        "binary": world.file("binary.key", bytes(range(256))),
        "EC key": world.file(
            "ec.key",
            ec.generate_private_key(ec.SECP256R1()).private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        ),
        "encrypted": world.file(
            "encrypted.key",
            ed.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
            ),
        ),
        "public key": world.file(
            "public.key",
            ed.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo),
        ),
        "a folder": folder,
    }


def test_a_malformed_key_file_is_refused_naming_it(world: World) -> None:
    consent = world.file(
        "ok.csv", "subject_id,purpose,status,time\nc9,model_training,granted,2024-01-01\n"
    )
    for path in _key_variants(world).values():
        refused_cleanly(world, ["consent", "import", str(consent), "--key", str(path)], [path.name])
        refused_cleanly(
            world, ["consent", "import", str(consent)], [path.name], env={"GOVERN_KEY": str(path)}
        )


BAD_CHECKPOINTS = {
    "not JSON": "{ nope",
    "wrong format": '{"format": "other"}',
    "seq not a number": json.dumps(
        {
            "format": "govern.checkpoint.v1",
            "seq": "x",
            "entry_hash": "ab",
            "created_at": "t",
            "signer_key_id": "k",
            "signer_public_key": "ab",
            "signature": "ab",
        }
    ),
    "a list": "[1, 2]",
    "binary": "\udcff",
}


@pytest.mark.parametrize("case", sorted(BAD_CHECKPOINTS))
def test_a_malformed_checkpoint_file_is_refused_naming_it(world: World, case: str) -> None:
    data = BAD_CHECKPOINTS[case]
    path = world.file("head.json", data.encode("utf-8", "surrogateescape"))
    refused_cleanly(world, ["audit", "verify", "--checkpoint", str(path)], ["head.json"])


BAD_ENVIRONMENT = {
    "GOVERN_WORKSPACE": ["/no/such/workspace"],
    "GOVERN_DATABASE_URL": [
        "::::",
        "mysql://u@h/d",
        "postgresql+psycopg://nobody@127.0.0.1:9/none",
        "sqlite://",
    ],
}


@pytest.mark.parametrize("variable", sorted(BAD_ENVIRONMENT))
def test_a_malformed_environment_variable_is_refused_naming_it(world: World, variable: str) -> None:
    for value in BAD_ENVIRONMENT[variable]:
        before = world.state()
        result = _invoke(world, ["audit", "verify"], env={variable: value})
        assert result.exit_code == 2 and "Traceback" not in result.output, (value, result.output)
        assert (
            variable in result.output or value in result.output or "127.0.0.1" in result.output
        ), (value, result.output)
        assert world.state() == before


def test_the_world_still_verifies_after_all_that(world: World) -> None:
    result = _invoke(world, ["audit", "verify"])
    assert result.exit_code == 0, result.output
