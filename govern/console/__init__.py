"""The web console (`govern serve`): pages for officers, auditors, engineers and reviewers.

A thin layer over the library, like the CLI: pages read through `govern.console.library`, and
every action that changes state is the library's own function, signed in the browser with the
user's key (WebCrypto; the key never leaves the browser) over exactly the bytes the CLI signs
(govern.ledger.signing). Roles and separation of duties are enforced by the library.

    from govern.console import create_app
    app = create_app(Workspace.locate())      # an ASGI app; `govern serve` runs it on uvicorn
"""

from __future__ import annotations

from govern.console.app import create_app

__all__ = ["create_app"]
