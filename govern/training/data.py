"""The trainer's side of the gate: approved records in, padded token batches out.

The trainer never opens a snapshot itself. It accepts only the gate's handle,
`govern.gate.GatedData` (from `Gate.admit`), whose `read()` re-hashes every record against the
manifest the gate proved; any other object, however it quacks, is refused. Each record becomes
one example, and one example is one privacy unit.

Limits, stated plainly: `isinstance` stops recipes, the CLI and accidental duck-typed stand-ins,
and the handle can only yield records whose bytes hash to a stored snapshot's manifest. It does
not stop Python code in the same process from building a GatedData by hand for a stored but
unapproved snapshot; a capability only `Gate.admit` can mint (asked of the gate) would close
that, and code that can monkeypatch the trainer is beyond any in-process check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from govern.errors import BadInput

IGNORE_INDEX = -100


def gated_records(data: Any) -> tuple[list[str], list[Mapping[str, Any]]]:
    """The sorted snapshot ids and the records of the gate's handle; BadInput for anything else."""
    from govern.gate import GatedData

    if not isinstance(data, GatedData):
        raise BadInput(
            f"training data must be the gate's handle (govern.gate.GatedData from Gate.admit), not {type(data).__name__}; "
            "run `govern train`, or admit the snapshots with govern.gate.Gate"
        )
    snapshot_ids = sorted(str(s) for s in data.snapshot_ids)
    if not snapshot_ids:
        raise BadInput("no snapshot ids: training needs at least one approved snapshot")
    return snapshot_ids, list(data.read())


def _field(record: Mapping[str, Any], name: str, number: int, key: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value:
        ident = record.get("id")
        which = f"record {number}" + (f" (id {ident})" if ident is not None else "")
        raise BadInput(
            f"{which} has no text in field {name!r}; set data.{key} in the recipe to the field holding it"
        )
    return value


def encode_records(
    records: Iterable[Mapping[str, Any]], tokenizer: Any, data_settings: Mapping[str, Any]
) -> list[tuple[list[int], list[int]]]:
    """Tokenize records into (input_ids, labels) pairs; labels are IGNORE_INDEX where no loss applies.

    Text format: the loss covers every token. Prompt/completion: only the completion's tokens.
    Every record must yield at least one supervised token after truncation, or the whole input
    is refused (a silent zero-loss example would hide a data problem).
    """
    max_length = int(data_settings["max_length"])
    fmt = data_settings["format"]
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    eos = (
        [tokenizer.eos_token_id]
        if data_settings.get("add_eos", True) and tokenizer.eos_token_id is not None
        else []
    )
    examples = []
    for number, record in enumerate(records, start=1):
        if fmt == "text":
            text = _field(record, data_settings["text_field"], number, "text_field")
            ids = bos + tokenizer(text, add_special_tokens=False)["input_ids"] + eos
            labels = list(ids)
        else:
            prompt = _field(record, data_settings["prompt_field"], number, "prompt_field")
            completion = _field(
                record, data_settings["completion_field"], number, "completion_field"
            )
            prompt_ids = bos + tokenizer(prompt, add_special_tokens=False)["input_ids"]
            completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"] + eos
            ids = prompt_ids + completion_ids
            labels = [IGNORE_INDEX] * len(prompt_ids) + completion_ids
        ids, labels = ids[:max_length], labels[:max_length]
        if sum(1 for label in labels[1:] if label != IGNORE_INDEX) == 0:
            raise BadInput(
                f"record {number} has no token to learn from within data.max_length={max_length}; "
                "raise data.max_length or shorten the prompt"
            )
        examples.append((ids, labels))
    if not examples:
        raise BadInput("the approved data holds no records; nothing to train on")
    return examples


class ExampleDataset:
    """Index-addressable tokenized examples (a torch map-style dataset)."""

    def __init__(self, examples: list[tuple[list[int], list[int]]]) -> None:
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> tuple[list[int], list[int]]:
        return self.examples[index]


class Collator:
    """Right-pads a list of examples into input_ids, attention_mask and labels tensors.

    An empty list (an empty Poisson batch) gives tensors with batch size 0.
    """

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id

    def __call__(self, batch: list[tuple[list[int], list[int]]]) -> dict[str, Any]:
        import torch

        width = max((len(ids) for ids, _ in batch), default=1)
        input_ids = torch.full((len(batch), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, labs) in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            labels[row, : len(labs)] = torch.tensor(labs, dtype=torch.long)
            attention[row, : len(ids)] = 1
        return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}
