"""Synthetic data: provenance, validation before it may train, and human review.

provenance.py  generator, generator-config hash and seed snapshots of a synthetic dataset
fidelity.py    synthetic vs real statistics: length KS test, n-gram divergence, distinct-n (pure)
privacy.py     copies of seed records: MinHash/LSH near-duplicates, verbatim n-token spans (pure)
sampling.py    review sample size (finite-population corrected) and the Wilson interval (pure)
validation.py  `govern synth validate`: runs the above, stores and ledgers the result
review.py      the review sample's export and its signed per-record verdicts
facts.py       what a policy decision on a synthetic snapshot reads from the catalog
"""
