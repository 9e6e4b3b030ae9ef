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
    Messages: the conversation rendered by the tokenizer's chat template, the loss on the
    assistant turns only (one record, one example, however many turns it holds).
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
        if fmt == "messages":
            ids, labels = encode_conversation(record, number, tokenizer, data_settings)
        elif fmt == "text":
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


def _conversation(record: Mapping[str, Any], number: int, name: str) -> list[dict[str, str]]:
    from govern.ingest.record_schema import conversation_problem

    value = record.get(name)
    ident = record.get("id")
    which = f"record {number}" + (f" (id {ident})" if ident is not None else "")
    if not isinstance(value, list):
        raise BadInput(
            f"{which} has no conversation in field {name!r} (a list of {{role, content}}); "
            "set data.messages_field in the recipe to the field holding it"
        )
    problem = conversation_problem(value)
    if problem is None and not any(m["role"] == "assistant" for m in value):
        problem = "it has no assistant message to learn from"
    if problem:
        raise BadInput(f"{which}, field {name!r}: {problem}")
    return [{"role": m["role"], "content": m["content"]} for m in value]


def _render(tokenizer: Any, messages: list[dict[str, str]], prompt: bool) -> str:
    return str(
        tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt)
    )


def encode_conversation(
    record: Mapping[str, Any], number: int, tokenizer: Any, data_settings: Mapping[str, Any]
) -> tuple[list[int], list[int]]:
    """A chat record as (input_ids, labels): rendered by the chat template, labels on assistant turns.

    Each assistant turn is the text the template adds between the conversation before it (with
    the generation prompt) and the conversation up to it; its tokens (end-of-turn marker
    included) carry labels, every other token IGNORE_INDEX. A template whose renderings are not
    prefixes of one another cannot be split this way and is refused.
    """
    name = str(data_settings.get("messages_field", "messages"))
    messages = _conversation(record, number, name)
    if not getattr(tokenizer, "chat_template", None):
        raise BadInput(
            'data.format = "messages": the tokenizer has no chat_template; use a tokenizer that '
            "defines one (tokenizer_config.json) or another data.format"
        )
    if not getattr(tokenizer, "is_fast", False):
        raise BadInput('data.format = "messages" needs a fast tokenizer (tokenizer.json)')
    full = _render(tokenizer, messages, prompt=False)
    spans = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:index], prompt=True) if index else ""
        through = _render(tokenizer, messages[: index + 1], prompt=False)
        if not (through.startswith(before) and full.startswith(through)):
            raise BadInput(
                f"record {number}: the tokenizer's chat template does not render the conversation "
                "turn by turn (a rendered prefix is not a prefix of the whole), so assistant turns "
                'cannot be told apart; use data.format = "prompt_completion"'
            )
        spans.append((len(before), len(through)))
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])
    labels = [
        token
        if any(start <= begin < end for start, end in spans) and stop > begin
        else IGNORE_INDEX
        for token, (begin, stop) in zip(ids, encoded["offset_mapping"], strict=True)
    ]
    return ids, labels


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
