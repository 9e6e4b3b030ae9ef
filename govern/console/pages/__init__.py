"""The console's routes by audience, each module one `add_routes(site)`: session (login, home,
logout, signed actions), officer, auditor, runs (engineers, reviewers and everyone who reads runs)."""
