"""What a record must be to enter a snapshot: its dataset's declared fields, key and size."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from govern.canonical import canonical_bytes
from govern.catalog.models import (
    Dataset,
)
from govern.errors import record_error
from govern.ingest.readers import Record

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class RecordSchema:
    """What every record of a dataset must hold."""

    subject_field: str
    text_fields: tuple[str, ...]
    id_field: str | None = None
    max_record_bytes: int = 1 << 20

    @classmethod
    def of(cls, dataset: Dataset, max_record_bytes: int) -> RecordSchema:
        return cls(
            dataset.subject_field,
            tuple(json.loads(dataset.text_fields)),
            dataset.id_field,
            max_record_bytes,
        )


def conversation_problem(value: list[Any]) -> str | None:
    """Why a list is not a conversation (a list of {"role": str, "content": str}), or None if it is.

    A conversation is the value of a chat record's text field; every message's content is
    scanned for personal data like any text field.
    """
    if not value:
        return "a conversation must hold at least one message"
    for number, message in enumerate(value):
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            return f"message {number} must be an object with exactly the keys role and content"
        if not isinstance(message["role"], str) or not message["role"]:
            return f"message {number}: role must be a non-empty string"
        if not isinstance(message["content"], str):
            return f"message {number}: content must be a string"
    return None


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int)):
        text = str(value)
        return text if text.strip() else None
    return None


def validate_record(
    schema: RecordSchema, source: object, line: int, record: Record, position: int
) -> tuple[str, str, bytes]:
    subject = _scalar_text(record.get(schema.subject_field))
    if schema.subject_field not in record:
        raise record_error(source, line, f"missing subject field {schema.subject_field!r}")
    if subject is None:
        raise record_error(
            source,
            line,
            f"subject field {schema.subject_field!r} must be a non-empty string or integer",
        )
    for name in schema.text_fields:
        if name not in record:
            raise record_error(source, line, f"missing text field {name!r}")
        if isinstance(record[name], list):
            problem = conversation_problem(record[name])
            if problem:
                raise record_error(source, line, f"text field {name!r}: {problem}")
        elif not isinstance(record[name], str):
            found = "null" if record[name] is None else type(record[name]).__name__
            raise record_error(
                source,
                line,
                f"text field {name!r} must be a string, found {found}",
            )
    if schema.id_field is not None:
        key = _scalar_text(record.get(schema.id_field))
        if key is None:
            raise record_error(source, line, f"id field {schema.id_field!r} is missing or empty")
        if len(key) > MAX_KEY_LENGTH:
            raise record_error(
                source,
                line,
                f"id field {schema.id_field!r} is longer than {MAX_KEY_LENGTH} characters",
            )
        if "\t" in key or "\n" in key:
            raise record_error(
                source, line, f"id field {schema.id_field!r} must not hold tabs or line breaks"
            )
    else:
        key = str(position)
    try:
        data = canonical_bytes(record)
    except ValueError as error:
        raise record_error(source, line, str(error)) from None
    except RecursionError:
        raise record_error(source, line, "the record is nested too deeply") from None
    if len(data) > schema.max_record_bytes:
        raise record_error(
            source,
            line,
            f"record is {len(data)} bytes, over the limit of {schema.max_record_bytes} "
            "([ingest] max_record_bytes in govern.toml)",
        )
    return key, subject, data
