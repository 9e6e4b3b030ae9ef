"""The `messages` data format: chat records rendered by the tokenizer's chat template, the loss on
assistant turns only; through the real gate (the conversation is scanned like any text field),
one record = one example = one privacy unit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govern.errors import BadInput
from govern.training.data import IGNORE_INDEX, encode_records

TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}"
    "{% if m['role'] == 'assistant' %}</s>{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SETTINGS = {"format": "messages", "messages_field": "messages", "max_length": 256}


@pytest.fixture(scope="module")
def chat_tokenizer_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model's tokenizer with a chat template set, saved to its own folder."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.chat_template = TEMPLATE
    out = tmp_path_factory.mktemp("chat-tokenizer")
    tokenizer.save_pretrained(out)
    return out


def _conversation(number: int) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You are the helpdesk."},
        {"role": "user", "content": f"How do I reset password number {number}?"},
        {"role": "assistant", "content": "Open Settings, then Security."},
        {"role": "user", "content": "And then?"},
        {"role": "assistant", "content": "Choose Reset password."},
    ]


def test_only_assistant_turns_carry_labels(chat_tokenizer_dir: Path) -> None:
    from govern.training.model import load_tokenizer

    tokenizer = load_tokenizer(chat_tokenizer_dir)
    [(ids, labels)] = encode_records([{"messages": _conversation(1)}], tokenizer, SETTINGS)
    assert len(ids) == len(labels)
    assert (
        ids
        == tokenizer(
            tokenizer.apply_chat_template(_conversation(1), tokenize=False),
            add_special_tokens=False,
        )["input_ids"]
    )
    learned = tokenizer.decode(
        [t for t, lab in zip(ids, labels, strict=True) if lab != IGNORE_INDEX]
    )
    assert learned.replace("</s>", "|") == "Open Settings, then Security.|Choose Reset password.|"
    ignored = tokenizer.decode(
        [t for t, lab in zip(ids, labels, strict=True) if lab == IGNORE_INDEX]
    )
    assert (
        "reset password number 1" in ignored and "helpdesk" in ignored and "Security" not in ignored
    )
    assert all(lab in (t, IGNORE_INDEX) for t, lab in zip(ids, labels, strict=True))


def test_bad_conversations_and_tokenizers_are_refused(
    chat_tokenizer_dir: Path, tiny_model_dir: Path
) -> None:
    from govern.training.model import load_tokenizer

    tokenizer = load_tokenizer(chat_tokenizer_dir)
    no_assistant = [{"role": "user", "content": "hi"}]
    with pytest.raises(BadInput, match=r"record 1 \(id r1\), field 'messages': .*no assistant"):
        encode_records([{"id": "r1", "messages": no_assistant}], tokenizer, SETTINGS)
    with pytest.raises(BadInput, match=r"message 0 must be an object with exactly the keys"):
        encode_records([{"messages": [{"role": "user"}]}], tokenizer, SETTINGS)
    with pytest.raises(BadInput, match=r"set data.messages_field"):
        encode_records([{"messages": "just text"}], tokenizer, SETTINGS)
    with pytest.raises(BadInput, match=r"no chat_template"):
        encode_records([{"messages": _conversation(1)}], load_tokenizer(tiny_model_dir), SETTINGS)


def test_a_chat_dataset_passes_the_gate_and_trains_with_dp(
    gate_world: Any, chat_tokenizer_dir: Path, make_recipe: Any, tmp_path: Path
) -> None:
    from govern.gate import Gate
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.pii.scans import scan_snapshot
    from govern.policy.approvals import approve
    from govern.training import train
    from tests.training.training_helpers import EXAMPLES

    subjects = sorted(
        {json.loads(line)["subject_id"] for line in EXAMPLES.read_text().splitlines()}
    )
    records = [
        {"id": f"chat-{i}", "subject_id": subjects[i % len(subjects)], "messages": _conversation(i)}
        for i in range(40)
    ]
    path = gate_world.workspace.root / "chats.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    spec = DatasetSpec(
        name="chats",
        source="example chat export",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject_id",
        text_fields=("messages",),
        id_field="id",
    )
    snapshot = add_dataset(gate_world.workspace, gate_world.engineer, spec, path).snapshot
    scan_snapshot(gate_world.workspace, gate_world.engineer, snapshot.id, processes=1)
    approve(gate_world.workspace, gate_world.officer, snapshot.id)
    recipe = make_recipe(
        model={"tokenizer": str(chat_tokenizer_dir)},
        data={"format": "messages", "max_length": 96},
        dp={"delta": 1e-5, "noise_multiplier": 3.0},
        schedule={"steps": 2},
    )
    assert recipe["data"]["messages_field"] == "messages"  # the gate's field floor reads it
    data = Gate(gate_world.workspace).admit(gate_world.engineer, [snapshot.id], recipe).data
    assert data.count() == 40
    result = train(recipe, data, run_dir=tmp_path / "run")
    assert result["private"] and result["steps"] == 2 and result["epsilon"] > 0
    plan = json.loads((tmp_path / "run" / "run.json").read_text())["plan"]
    assert plan["num_examples"] == 40  # one record, one example, however many turns


def test_a_conversation_field_is_checked_at_ingest_and_scanned(gate_world: Any) -> None:
    from govern.ingest.record_schema import conversation_problem
    from govern.pii.scanner import _field_texts

    assert conversation_problem(_conversation(1)) is None
    assert "at least one message" in (conversation_problem([]) or "")
    assert "role must be" in (conversation_problem([{"role": 3, "content": "x"}]) or "")
    texts = list(_field_texts({"messages": _conversation(7)}, ["messages"]))
    assert texts[1] == ("messages[1].content", "How do I reset password number 7?")
    assert len(texts) == 5
