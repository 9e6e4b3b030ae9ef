"""Planning ceilings: the inputs beyond which a run would hang, exhaust memory, or claim nothing.

Every recipe value past one of these is refused with a BadInput naming its key, in seconds,
before the gate records anything.

MAX_EPSILON       A planned ε above 50 is refused. At ε = 50 the DP bound lets the chance of any
                  outcome grow by a factor e^50 ≈ 5·10^21 when one example is added: the label
                  "differentially private" would promise nothing. (Pick ε ≤ 10 for a guarantee
                  worth stating; the pack's `max_epsilon_per_run` is the policy, this is the floor
                  under every policy.)
MAX_STEPS         At most 1,000,000 planned steps (the journal and the catalog keep a line per step).
MAX_PRV_POINTS    The PRV accountant discretises the privacy loss on a grid whose size it derives
                  from an RDP bound; beyond 4,000,000 points (about 0.6 GB and 4 s per ε on a
                  laptop core) it is refused before it allocates. Tiny noise multipliers, many
                  steps at a high sample rate, or a tiny δ grow the grid; the RDP accountant
                  (dp.accountant = "rdp") has no such cost.
MAX_NOISE_MULTIPLIER
                  The noise search looks for σ up to 10,000; a target ε that needs more is refused.
"""

from __future__ import annotations

MAX_EPSILON = 50.0
MAX_STEPS = 1_000_000
MAX_PRV_POINTS = 4_000_000
PRV_BYTES_PER_POINT = 150  # measured peak of Opacus 1.6's PRV composition, per grid point
MAX_NOISE_MULTIPLIER = 1e4
