"""The one door: training and evaluation read snapshot bytes only through the gate's handle.

`Gate.admit` (training) and `Gate.admit_for_evaluation` run the same core of small checks, from
scratch, on what the verified ledger says (never on a catalog row alone):

  every door   the acting key is a registered identity allowed the action; no entry was deleted;
               each snapshot's lineage (rows, datasets) was recorded by verified ledger entries;
               its stored bytes hash to its id; its newest ledgered scan used the workspace's
               scanner configuration; the active pack's data rules pass on today's facts
               (consent included); verified approvals under the active pack cover it.
  floors       at least one approval by an officer who, as a person, neither registered nor
  (training)   derived the data nor will train on it; differential privacy unless the active
               pack waives it with a stated reason (the run is then NOT PRIVATE); the recipe
               trains only on the snapshot's declared (and so scanned) text fields.
  training     the pack's DP limits; the lifetime budget of every subject in the data, composed
               by the accountant over every run that trained on any of them plus this plan;
               for a continued adapter, every earlier stage's data re-checked as above.
  evaluation   the snapshots are held out from every stage of the run.

Every refusal lists each reason and is ledgered (`gate.refused`). At the moment of reading,
`GatedData.read` re-hashes every record against the manifest the gate proved.
"""

from govern.gate.door import REFUSED_EVENT, Gate
from govern.gate.handle import Admission, GatedData

__all__ = ["REFUSED_EVENT", "Admission", "Gate", "GatedData"]
