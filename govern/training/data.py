"""The trainer's side of the gate: approved records in, padded token batches out.

The trainer never opens a snapshot itself. It receives a `TrainingData` object from the gate
(anything with `snapshot_ids` and `read()`), reads it once, and tokenizes it here. Each record
becomes one example, and one example is one privacy unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from govern.errors import BadInput

IGNORE_INDEX = -100


@runtime_checkable
class TrainingData(Protocol):
    """What the gate hands the trainer: the approved snapshot ids and a way to read their records."""

    snapshot_ids: Sequence[str]

    def read(self) -> Iterable[Mapping[str, Any]]:
        """Yield the approved records (dicts), re-checked by the gate at the moment of reading."""
        ...


@dataclass
class RecordsData:
    """A `TrainingData` over records already in memory (tests, examples, the gate's handle)."""

    snapshot_ids: Sequence[str]
    records: list[Mapping[str, Any]] = field(default_factory=list)

    def read(self) -> Iterable[Mapping[str, Any]]:
        return iter(self.records)

    @classmethod
    def from_jsonl(cls, path: Any, snapshot_id: str) -> RecordsData:
        """Records of a JSONL file, labelled with one snapshot id (examples and tests only)."""
        import json

        records = []
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as error:
                        raise BadInput(f"{path}, line {number}: not valid JSON: {error}") from error
        return cls(snapshot_ids=[snapshot_id], records=records)


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
    eos = [tokenizer.eos_token_id] if data_settings.get("add_eos", True) and tokenizer.eos_token_id is not None else []
    examples = []
    for number, record in enumerate(records, start=1):
        if fmt == "text":
            text = _field(record, data_settings["text_field"], number, "text_field")
            ids = bos + tokenizer(text, add_special_tokens=False)["input_ids"] + eos
            labels = list(ids)
        else:
            prompt = _field(record, data_settings["prompt_field"], number, "prompt_field")
            completion = _field(record, data_settings["completion_field"], number, "completion_field")
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
