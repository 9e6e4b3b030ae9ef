"""The record and its verification.

    chain.py       the append-only ledger: canonical entries, chained by SHA-256, signed
    authority.py   who may do what: identities and roles as the verified ledger registered them
    identities.py  registering keys (the first admin, and keys an admin creates)
    keys.py        Ed25519 key files and signatures
    signing.py     running an action with a key held elsewhere (the web console's browser)
    verify.py      `govern audit verify`: the chain, every ledgered row, every stored object

`from govern import ledger` gives the chain's functions (`ledger.append`, `ledger.record`, ...).
"""

from govern.ledger.chain import (
    GENESIS_HASH,
    KEY_REGISTERED,
    ChainReport,
    append,
    compute_entry_hash,
    continuity_problem,
    entry_body,
    hash_bytes,
    head,
    iter_entries,
    lock,
    record,
    verify_chain,
)

__all__ = [
    "GENESIS_HASH",
    "KEY_REGISTERED",
    "ChainReport",
    "append",
    "compute_entry_hash",
    "continuity_problem",
    "entry_body",
    "hash_bytes",
    "head",
    "iter_entries",
    "lock",
    "record",
    "verify_chain",
]
