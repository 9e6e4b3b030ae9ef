"""Acting with a key held elsewhere (a browser's WebCrypto key): prepare, sign, commit, in rounds.

A library action signs as it goes: `actor.sign(bytes)` for a row's own statement, then for each
ledger entry it appends, whose hash covers the entry's sequence, time, the previous head and the
row with its signature. A key that lives elsewhere cannot be called in the middle of a database
transaction, so `RemoteAction` runs the same library function in rounds:

    action = RemoteAction(workspace, key_id, public_key_hex, lambda signer: approve(workspace, signer, ref, note))
    step = action.advance()                  # rehearse: step.message is the first bytes to sign
    while not step.done:
        step = action.advance(sign_elsewhere(step.message))
    step.result                              # what approve() returned; the rows and entries are committed

Each round runs the action in a transaction with the time and fresh ids pinned
(`govern.clock.pinned`) and a signer that answers from the signatures received so far. At the
first bytes it has no signature for, the transaction is rolled back and those bytes are returned.
When every signature is there, the same run commits, so the rows and ledger entries are
byte-for-byte what the action writes with the private key at that time. Each signature is checked
against the key as the ledger registered it before it is kept, and the action itself checks the
signer's role (govern.ledger.authority), as it does for any key. If the ledger head moves between rounds,
the action starts over with a fresh time and the holder signs again: nothing signed for one head
is used on another.

An action run this way must sign before it does anything a rollback cannot undo; every action
that writes files (erasure) writes them after its ledger entry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

from govern import clock, ledger
from govern.errors import BadInput, Refused
from govern.ledger.keys import Signer, verify_signature

if TYPE_CHECKING:
    from govern.workspace import Workspace

T = TypeVar("T")

MAX_AGE = timedelta(minutes=2)  # a pinned time older than this is renewed (and signed again)
MAX_ROUNDS = 16  # an action that keeps asking for new bytes is not deterministic: stop


class SignatureNeeded(BaseException):
    """The remote signer was asked to sign bytes it has no signature for.

    A BaseException, like GeneratorExit, so that no `except Exception` in an action can swallow
    it: it must reach `RemoteAction.advance` and roll the rehearsal back."""

    def __init__(self, message: bytes) -> None:
        super().__init__("a signature is needed")
        self.message = message


class BadSignature(Refused):
    """A signature sent for a prepared action does not verify with the key the ledger registered."""


@dataclass(frozen=True)
class RemoteSigner:
    """A `Signer` for a key held elsewhere: it answers with the signatures it was given, and raises
    `SignatureNeeded` for any other bytes."""

    key_id: str
    public_key_hex: str
    signatures: dict[bytes, str]

    def sign(self, message: bytes) -> str:
        found = self.signatures.get(bytes(message))
        if found is None:
            raise SignatureNeeded(bytes(message))
        return found


@dataclass(frozen=True)
class Step(Generic[T]):
    """One round's outcome: bytes to sign next, or the committed action's result."""

    message: bytes | None = None
    result: T | None = None

    @property
    def done(self) -> bool:
        return self.message is None


class RemoteAction(Generic[T]):
    """One library action, signed by a key held elsewhere (see the module docstring)."""

    def __init__(
        self, workspace: Workspace, key_id: str, public_key_hex: str, run: Callable[[Signer], T]
    ) -> None:
        self.workspace = workspace
        self.key_id = key_id
        self.public_key_hex = public_key_hex
        self._run = run
        self._lock = threading.Lock()
        self.at: datetime | None = None
        self.ids: list[str] = []
        self.head: tuple[int, str] | None = None
        self.signatures: dict[bytes, str] = {}
        self.pending: bytes | None = None
        self.rounds = 0
        self.committed = False

    def advance(self, signature: str | None = None) -> Step[T]:
        """Take the signature of the bytes last asked for (if any) and run the action again: returns
        the next bytes to sign, or the result once it committed. Library errors (a role refused, a
        policy refusal, bad input) propagate, with nothing written."""
        with self._lock:
            if self.committed:
                raise BadInput("this action was already committed; start a new one")
            if signature is not None:
                self._accept(signature)
            self._pin_head()
            self.rounds += 1
            if self.rounds > MAX_ROUNDS:
                raise BadInput(
                    f"the action asked for more than {MAX_ROUNDS} signatures without settling; start again"
                )
            assert self.at is not None
            signer = RemoteSigner(self.key_id, self.public_key_hex, dict(self.signatures))
            with clock.pinned(self.at, self.ids) as issued:
                try:
                    result = self._run(signer)
                except SignatureNeeded as needed:
                    self.ids = list(issued)
                    self.pending = needed.message
                    return Step(message=needed.message)
            self.committed, self.pending = True, None
            return Step(result=result)

    def _accept(self, signature: str) -> None:
        if self.pending is None:
            raise BadInput("no signature was asked for; start the action again")
        if not verify_signature(self.public_key_hex, self.pending, signature):
            raise BadSignature(
                f"the signature sent does not verify with key {self.key_id} as the ledger registered it; "
                "nothing was written"
            )
        self.signatures[self.pending] = signature.lower()
        self.pending = None

    def _pin_head(self) -> None:
        """Pin the time and the ledger head; when the head moved (or the pin grew old), start over."""
        with self.workspace.catalog.reading() as session:
            top = ledger.head(session)
        current = (top.seq, top.entry_hash) if top is not None else (0, ledger.GENESIS_HASH)
        fresh = clock.now()
        if self.head != current or self.at is None or fresh - self.at > MAX_AGE:
            self.head, self.at, self.ids, self.signatures, self.rounds = current, fresh, [], {}, 0
