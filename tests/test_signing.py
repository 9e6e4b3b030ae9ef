"""Acting with a key held elsewhere (govern.ledger.signing): the rows and ledger entries an action writes
when signed in rounds are byte-for-byte those the CLI path writes with the private key at the same
time; a moved ledger head makes the holder sign again; a bad signature or a wrong role writes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from govern import clock
from govern.catalog.models import LedgerEntry
from govern.consent.erasure import erase_subject
from govern.consent.registry import revoke
from govern.evaluation.release import release_run
from govern.evaluation.reviews import review_run
from govern.ingest.snapshots import store_of
from govern.ledger.authority import Authority, RoleRefused
from govern.ledger.keys import PrivateIdentity, load_identity
from govern.ledger.signing import BadSignature, RemoteAction, RemoteSigner, SignatureNeeded
from govern.policy.approvals import approve, reject
from tests.console.conftest import ConsoleWorkspace, console_workspace


@pytest.fixture
def twins(tmp_path: Path) -> Any:
    """Two identical copies of the console workspace: one acts through the CLI path, one remotely."""
    cli, remote = console_workspace(tmp_path / "cli"), console_workspace(tmp_path / "remote")
    yield cli, remote
    cli.workspace.catalog.dispose()
    remote.workspace.catalog.dispose()


def _remote(
    ws: ConsoleWorkspace, key: PrivateIdentity, run: Callable[[Any], Any]
) -> tuple[RemoteAction[Any], Any, int]:
    """Run an action in rounds, signing each byte string asked for as the browser would; (action, result, rounds)."""
    with ws.workspace.catalog.reading() as session:
        registered = Authority.of(session).identity(key.key_id)
    assert registered is not None
    action: RemoteAction[Any] = RemoteAction(
        ws.workspace, registered.key_id, registered.public_key, run
    )
    step, rounds = action.advance(), 1
    while not step.done:
        assert step.message is not None
        step, rounds = action.advance(key.sign(step.message)), rounds + 1
    return action, step.result, rounds


def _dump(ws: ConsoleWorkspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the SQLite catalog, in a stable order."""
    connection = sqlite3.connect(ws.workspace.state_dir / "catalog.db")
    try:
        tables = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
            )
        ]
        return {
            t: sorted(connection.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
            for t in tables
        }
    finally:
        connection.close()


def _records_files(ws: ConsoleWorkspace) -> dict[str, bytes]:
    store = store_of(ws.workspace)
    with ws.workspace.catalog.reading() as session:
        from sqlmodel import select

        from govern.catalog.models import Snapshot

        ids = [s.id for s in session.exec(select(Snapshot)).all()]
    return {i: store.records_path(i).read_bytes() for i in ids}


# name -> (role, the library call the CLI makes); each takes (workspace facts, workspace, signer)
CALLS: dict[str, tuple[str, Callable[[ConsoleWorkspace, Any], Any]]] = {
    "approve": (
        "officer",
        lambda ws, signer: approve(ws.workspace, signer, ws.pending, "checked <script>x</script>"),
    ),
    "reject": (
        "officer",
        lambda ws, signer: reject(ws.workspace, signer, ws.pending, "account numbers in free text"),
    ),
    "revoke": ("officer", lambda ws, signer: revoke(ws.workspace, signer, "subj-0010")),
    "erase": ("officer", lambda ws, signer: erase_subject(ws.workspace, signer, "subj-0011")),
    "review": (
        "reviewer",
        lambda ws, signer: review_run(
            ws.workspace, signer, str(ws.run_id), 4, {"helpfulness": 4}, "fine"
        ),
    ),
    "release": ("officer", lambda ws, signer: release_run(ws.workspace, signer, str(ws.run_id))),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_an_action_signed_in_rounds_writes_exactly_what_the_cli_path_writes(
    twins, name: str
) -> None:  # type: ignore[no-untyped-def]
    cli, remote = twins
    role, call = CALLS[name]
    if name in ("review", "release") and remote.run_id is None:
        pytest.skip("review and release need a trained run: install govern[train]")
    key = load_identity(remote.keys[role])
    assert _dump(cli) == _dump(remote)
    action, _, rounds = _remote(remote, key, lambda signer: call(remote, signer))
    assert rounds >= 2 and action.committed
    assert action.at is not None
    with clock.pinned(action.at, action.ids):
        call(cli, load_identity(cli.keys[role]))
    assert _dump(cli) == _dump(remote)
    assert _records_files(cli) == _records_files(remote)
    from govern.ledger.verify import verify_workspace

    assert verify_workspace(remote.workspace).ok


def test_a_moved_ledger_head_makes_the_holder_sign_again_on_the_new_head(twins) -> None:  # type: ignore[no-untyped-def]
    _, ws = twins
    key = load_identity(ws.keys["officer"])
    with ws.workspace.catalog.reading() as session:
        registered = Authority.of(session).identity(key.key_id)
    assert registered is not None
    action: RemoteAction[Any] = RemoteAction(
        ws.workspace,
        key.key_id,
        registered.public_key,
        lambda signer: approve(ws.workspace, signer, ws.pending, "looks fine"),
    )
    first = action.advance()
    assert first.message is not None
    head_before = action.head
    revoke(
        ws.workspace, key, "subj-0001"
    )  # someone appends meanwhile (a subject not in this snapshot)
    step = action.advance(key.sign(first.message))
    assert (
        not step.done and action.head != head_before
    )  # started over: the old signature is not used
    while not step.done:
        assert step.message is not None
        step = action.advance(key.sign(step.message))
    row, _ = step.result
    with ws.workspace.catalog.reading() as session:
        entry = session.get(LedgerEntry, row.ledger_seq)
        previous = session.get(LedgerEntry, row.ledger_seq - 1)
        assert entry is not None and previous is not None
        assert entry.event == "snapshot.approved" and entry.prev_hash == previous.entry_hash
    from govern.ledger.verify import verify_workspace

    assert verify_workspace(ws.workspace).ok


def _entries(ws: ConsoleWorkspace) -> int:
    with ws.workspace.catalog.reading() as session:
        from sqlmodel import func, select

        return int(session.exec(select(func.count()).select_from(LedgerEntry)).one())


def test_a_signature_that_does_not_verify_is_refused_and_nothing_is_written(twins) -> None:  # type: ignore[no-untyped-def]
    _, ws = twins
    officer = load_identity(ws.keys["officer"])
    other = load_identity(ws.keys["engineer"])
    before = _entries(ws)
    action: RemoteAction[Any] = RemoteAction(
        ws.workspace,
        officer.key_id,
        officer.public_key_hex,
        lambda signer: approve(ws.workspace, signer, ws.pending),
    )
    step = action.advance()
    assert step.message is not None
    with pytest.raises(BadSignature):
        action.advance(other.sign(step.message))
    with pytest.raises(BadSignature):
        action.advance("00" * 64)
    assert _entries(ws) == before and not action.committed


def test_the_library_refuses_a_remote_key_whose_role_may_not_act_before_asking_for_a_signature(
    twins,
) -> None:  # type: ignore[no-untyped-def]
    _, ws = twins
    auditor = load_identity(ws.keys["auditor"])
    action: RemoteAction[Any] = RemoteAction(
        ws.workspace,
        auditor.key_id,
        auditor.public_key_hex,
        lambda signer: approve(ws.workspace, signer, ws.pending),
    )
    with pytest.raises(RoleRefused, match="needs the role officer"):
        action.advance()
    assert action.pending is None


def test_a_remote_signer_claiming_a_registered_key_id_with_another_public_key_is_no_one(
    twins,
) -> None:  # type: ignore[no-untyped-def]
    _, ws = twins
    officer, intruder = load_identity(ws.keys["officer"]), load_identity(ws.keys["engineer"])
    action: RemoteAction[Any] = RemoteAction(
        ws.workspace,
        officer.key_id,
        intruder.public_key_hex,
        lambda signer: approve(ws.workspace, signer, ws.pending),
    )
    with pytest.raises(RoleRefused, match="not registered"):
        action.advance()


def test_a_committed_action_cannot_be_advanced_again(twins) -> None:  # type: ignore[no-untyped-def]
    from govern.errors import BadInput

    _, ws = twins
    key = load_identity(ws.keys["officer"])
    action, _, _ = _remote(ws, key, lambda signer: revoke(ws.workspace, signer, "subj-0010"))
    with pytest.raises(BadInput, match="already committed"):
        action.advance()


def test_signature_needed_passes_through_a_broad_except() -> None:
    signer = RemoteSigner("k" * 32, "00" * 32, {})

    def careless() -> None:
        try:
            signer.sign(b"bytes")
        except Exception:
            pytest.fail("SignatureNeeded was caught by `except Exception`")

    with pytest.raises(SignatureNeeded) as raised:
        careless()
    assert raised.value.message == b"bytes"


def test_pinned_clock_fixes_time_and_replays_ids_in_order() -> None:
    from datetime import datetime

    at = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with clock.pinned(at) as issued:
        first = [clock.new_id(), clock.new_id()]
        assert clock.utc_now() == "2030-01-02T03:04:05.678901Z" and clock.now() == at
    assert issued == first
    with clock.pinned(at, first) as again:
        assert [clock.new_id(), clock.new_id()] == first
        assert clock.new_id() not in first  # past the replay list: fresh ids
    assert len(again) == 3
    assert clock.now() != at


from tests.test_consent_and_approvals import governed  # noqa: F401 - the fixture, on SQLite and PostgreSQL


def test_a_remote_approval_commits_and_verifies_on_each_database(governed, officer) -> None:  # type: ignore[no-untyped-def]
    from govern.ledger.verify import verify_workspace
    from govern.policy.activation import active_pack_in
    from govern.policy.approvals import is_approved_for_training

    workspace, snapshot = governed
    action: RemoteAction[Any] = RemoteAction(
        workspace,
        officer.key_id,
        officer.public_key_hex,
        lambda signer: approve(workspace, signer, snapshot.id, "remote"),
    )
    step = action.advance()
    while not step.done:
        assert step.message is not None
        step = action.advance(officer.sign(step.message))
    with workspace.catalog.reading() as session:
        assert is_approved_for_training(
            workspace, session, snapshot, active_pack_in(workspace, session)
        ).ok
    assert verify_workspace(workspace).ok
