"""The stage namespaces of `govern.Workspace`: one small class per stage of the flow.

Each wraps the library functions of its stage (which stay where they are, in govern/<stage>/)
with typed signatures bound to one workspace, and returns the library's own result objects.
A user never builds these; they are `ws.datasets`, `ws.consent`, `ws.scans`, ... on a
`govern.Workspace`. Importing this package is cheap: each method imports what it needs.

    keys        create, list, load                  (govern.ledger.identities, ledger.keys)
    datasets    add, add_version, amend, list, show, snapshots, snapshot   (govern.ingest)
    consent     import_file, revoke, show, impact, erase, filter            (govern.consent)
    scans       scan, anonymize                     (govern.pii.scans)
    policy      check, test, list, activate, active (govern.policy)
    approvals   approve, reject, list, status       (govern.policy.approvals)
    training    train, retrain_shards, resume, runs, run, card   (govern.training.runs, .card_render)
    evaluation  evaluate, privacy_audit             (govern.evaluation)
    release     review, check, release              (govern.evaluation.reviews, .release)
    ledger      verify, log, checkpoint             (govern.ledger)
    reports     render, verify                      (govern.reports)
    lineage     show, subject, export, attest, verify_attestation  (govern.lineage)
"""

from __future__ import annotations

from govern.facade.approvals import Approvals
from govern.facade.consent import Consent, ConsentHistory
from govern.facade.datasets import DatasetDetail, Datasets
from govern.facade.evaluation import Evaluations
from govern.facade.keys import Keys
from govern.facade.ledger import Ledger
from govern.facade.lineage import Lineage
from govern.facade.policy import Policy
from govern.facade.release import Releases
from govern.facade.reports import Reports
from govern.facade.scans import Scans
from govern.facade.training import Training

__all__ = [
    "Approvals",
    "Consent",
    "ConsentHistory",
    "DatasetDetail",
    "Datasets",
    "Evaluations",
    "Keys",
    "Ledger",
    "Lineage",
    "Policy",
    "Releases",
    "Reports",
    "Scans",
    "Training",
]
