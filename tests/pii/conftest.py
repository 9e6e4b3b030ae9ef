"""Fixtures for the PII tests: one real analyzer (Presidio + spaCy) loaded per session."""

from __future__ import annotations

import pytest

from govern.pii import Scanner, ScannerConfig


@pytest.fixture(scope="session")
def loaded_scanner() -> Scanner:
    """A single-process scanner with the default config, its model already loaded."""
    scanner = Scanner(ScannerConfig(), processes=1)
    scanner.load()
    return scanner


@pytest.fixture
def blocked_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every socket connect raises; the list records what was attempted."""
    import socket

    attempts: list[tuple] = []

    def refuse(self: socket.socket, address: object, *args: object) -> None:
        attempts.append((address,))
        raise OSError(f"test blocked a network connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(OSError("test blocked DNS"))
    )
    return attempts
