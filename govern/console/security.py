"""Logins, sessions and CSRF tokens of the console, kept in the server's memory only.

A login proves possession of a registered key: the server issues a one-time challenge (bound to
the browser's pre-login cookie, valid for a minute), the browser signs it with the key it imported
(WebCrypto, non-extractable), and the server finds the registered identity whose public key
verifies the signature. The session is bound to that key, lives a short fixed time, and carries a
CSRF token that every state-changing request must send back (header or form field). Nothing here
is written to disk: restarting the server ends every session.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from govern.canonical import canonical_bytes

SESSION_COOKIE = "govern_session"
LOGIN_COOKIE = "govern_login"
CHALLENGE_SECONDS = 60
LOGIN_SECONDS = 600
SESSION_SECONDS = 15 * 60
CHALLENGE_PURPOSE = (
    "govern console login"  # domain separation: no ledger entry or statement has this shape
)


def token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass
class Login:
    """A browser on the login page: its pre-login cookie and the CSRF token of the login form."""

    id: str
    csrf: str
    expires: float


@dataclass
class Challenge:
    id: str
    login_id: str
    message: bytes
    expires: float


@dataclass
class ConsoleSession:
    """A signed-in browser: the key it proved, who that is, and what it is in the middle of."""

    id: str
    key_id: str
    name: str
    role: str
    public_key: str
    csrf: str
    expires: float
    lookups: dict[str, str] = field(
        default_factory=dict
    )  # token -> a subject id typed in, memory only
    actions: dict[str, Any] = field(
        default_factory=dict
    )  # id -> govern.ledger.signing.RemoteAction


class Guard:
    """The console's logins, challenges and sessions (thread-safe, in memory)."""

    def __init__(
        self, session_seconds: int = SESSION_SECONDS, now: Callable[[], float] = time.time
    ) -> None:
        self.session_seconds = session_seconds
        self.now = now
        self._lock = threading.Lock()
        self._logins: dict[str, Login] = {}
        self._challenges: dict[str, Challenge] = {}
        self._sessions: dict[str, ConsoleSession] = {}

    def _sweep(self) -> None:
        moment = self.now()
        for table in (self._logins, self._challenges, self._sessions):
            for key in [k for k, v in table.items() if v.expires <= moment]:
                del table[key]

    def login(self, login_id: str | None) -> Login:
        """The pending login of this pre-login cookie, or a new one."""
        with self._lock:
            self._sweep()
            found = self._logins.get(login_id or "")
            if found is None:
                found = Login(token(), token(), self.now() + LOGIN_SECONDS)
                self._logins[found.id] = found
            return found

    def pending_login(self, login_id: str | None) -> Login | None:
        with self._lock:
            self._sweep()
            return self._logins.get(login_id or "")

    def challenge(self, login: Login, origin: str) -> Challenge:
        """A one-time challenge for this login, valid CHALLENGE_SECONDS."""
        issued = self.now()
        message = canonical_bytes(
            {
                "purpose": CHALLENGE_PURPOSE,
                "nonce": secrets.token_hex(32),
                "origin": origin,
                "issued_at": int(issued),
            }
        )
        found = Challenge(token(), login.id, message, issued + CHALLENGE_SECONDS)
        with self._lock:
            self._challenges[found.id] = found
        return found

    def take_challenge(self, challenge_id: str, login_id: str | None) -> Challenge | None:
        """The challenge, removed so it can never be answered twice; None when unknown, expired, or
        issued to another browser."""
        with self._lock:
            found = self._challenges.pop(challenge_id, None)
            if found is None or found.expires <= self.now() or not same(found.login_id, login_id):
                return None
            return found

    def open(
        self, key_id: str, name: str, role: str, public_key: str, login_id: str | None
    ) -> ConsoleSession:
        with self._lock:
            self._logins.pop(login_id or "", None)
            found = ConsoleSession(
                token(), key_id, name, role, public_key, token(), self.now() + self.session_seconds
            )
            self._sessions[found.id] = found
            return found

    def session(self, session_id: str | None) -> ConsoleSession | None:
        """The live session of this cookie, or None (unknown or expired)."""
        with self._lock:
            self._sweep()
            return self._sessions.get(session_id or "")

    def close(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)
