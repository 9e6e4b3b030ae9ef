"""One way to declare a user-edited configuration and check it: a pydantic model per structure,
validated against data read by the line-aware loader, each problem named by file, line and key.

    class Batch(Model):                       # unknown keys refused, frozen
        size: StrictInt = Field(8, ge=1, description="an integer >= 1")

    located = load_located(text, path)        # govern.policy._yaml; a TOML table has no line map
    batch = validate(Batch, located.data, source=path, located=located, what="batch settings")

Every violation is reported at once, each as `FILE, line N: KEY: MESSAGE`. The message is worded
from the failing field: a field's `description` says what it expects (`size: expected an integer
>= 1, got 0`; `required: ...` when the field has no default); an unknown key lists the keys
allowed there; a choice lists the choices. A model changes a wording through `messages` (a
template per pydantic error type). A validator that finds a problem in a sub-key raises
`KeyedError(message, key=("sub",))` so the problem names that key, not its parent.

A new setting is one field on the model that owns its section, with its default and description.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, ValidationError
from pydantic_core import PydanticCustomError

from govern.errors import BadInput
from govern.safe_yaml import LocatedYaml, PathKey


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


StrictInt = Annotated[int, Strict()]  # 1, not True or "1"
StrictBool = Annotated[bool, Strict()]  # true or false, not 1 or "yes"
StrictStr = Annotated[str, Strict()]
Number = Annotated[
    int | float, BeforeValidator(_number)
]  # 2 stays 2 and 2.0 stays 2.0 (hashes hold)

GOVERN_MESSAGES: dict[str, str] = {
    "extra_forbidden": "unknown key; allowed keys here: {allowed}",
    "missing": "required key is missing",
    "literal_error": "{input!r} is not one of {choices}",  # also {quoted}: 'a', 'b'; {key}
    "invalid": "{required}{expected}, got {input!r}",  # any other error of a described field
}
PYDANTIC_MESSAGES: dict[str, str] = {}  # pydantic's own wording ("Extra inputs are not permitted")


class Model(BaseModel):
    """Base of every configuration model: unknown keys are an error, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    messages: ClassVar[dict[str, str]] = GOVERN_MESSAGES


class KeyedError(ValueError):
    """Raised in a validator to name a key below the one being validated."""

    def __init__(self, message: str, key: PathKey = ()) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Problem:
    """One violation: the key path, its line (None for data without a line map) and what is wrong."""

    path: PathKey
    line: int | None
    message: str
    kind: str = ""  # pydantic's error type, e.g. "extra_forbidden"

    @property
    def key(self) -> str:
        """The key path dotted: `generation.batch_size`, `approvals.0.approved_at`."""
        return ".".join(str(part) for part in self.path) or "(top level)"

    @property
    def indexed_key(self) -> str:
        """The key path with list indexes in brackets: `recognizers[1].patterns[0].regex`."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out or "(top level)"

    def render(self, source: object, indexed: bool = False) -> str:
        key = f"{self.indexed_key if indexed else self.key}: {self.message}"
        return key if self.line is None else f"{source}, line {self.line}: {key}"


M = TypeVar("M", bound=BaseModel)


def check(
    model: type[M],
    data: Any,
    located: LocatedYaml | None = None,
    prefix: PathKey = (),
    context: Mapping[str, Any] | None = None,
) -> tuple[M | None, list[Problem]]:
    """Validate `data` against `model`: the model, or None and every problem found.

    `prefix` is where `data` sits in the file (its problems are named under it); `context`
    reaches the model's validators (e.g. the folder relative paths resolve against).
    """
    try:
        return model.model_validate(data, context=dict(context or {})), []
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            path = prefix + tuple(detail["loc"])
            cause = detail.get("ctx", {}).get("error")
            if isinstance(cause, KeyedError):
                path += cause.key
            line = located.line_of(path) if located is not None else None
            message = _message(model, tuple(detail["loc"]), detail)
            problems.append(Problem(path, line, message, str(detail["type"])))
        return None, problems


def validate(
    model: type[M],
    data: Any,
    source: object,
    located: LocatedYaml | None = None,
    what: str = "configuration",
    indexed: bool = False,
    context: Mapping[str, Any] | None = None,
) -> M:
    """The validated model; BadInput listing every problem with file, line and key."""
    result, problems = check(model, data, located, context=context)
    if problems:
        raise problems_error(source, what, problems, indexed)
    assert result is not None  # no problems: validation returned the model
    return result


def problems_error(
    source: object, what: str, problems: Sequence[Problem], indexed: bool = False
) -> BadInput:
    """One BadInput listing the problems of a file, in file order."""
    ordered = sorted(problems, key=lambda p: (p.line or 0, p.key))
    count = f"{len(ordered)} problem{'s' if len(ordered) != 1 else ''}"
    return BadInput(
        f"{source}: invalid {what} ({count}):\n"
        + "\n".join(f"  - {p.render(source, indexed)}" for p in ordered)
    )


def _message(root: type[BaseModel], loc: PathKey, detail: Mapping[str, Any]) -> str:
    kind = str(detail["type"])
    cause = detail.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):  # a validator's own wording
        return str(cause)
    owner, name = _owner(root, loc, kind == "extra_forbidden")
    messages: dict[str, str] = getattr(owner, "messages", PYDANTIC_MESSAGES)
    info = owner.model_fields.get(name) if owner is not None and name is not None else None
    template = messages.get(kind)
    if template is None and info is not None and info.description and "invalid" in messages:
        template = messages["invalid"]
    if template is None:
        return str(detail["msg"])
    choices = str(detail.get("ctx", {}).get("expected", ""))
    return template.format(
        allowed=", ".join(sorted(owner.model_fields)) if owner is not None else "",
        input=detail.get("input"),
        choices=choices.replace("'", "").replace(" or ", ", "),
        quoted=choices.replace(" or ", ", "),
        key=loc[-1] if loc else "",
        expected=info.description if info is not None else "",
        required="required: " if info is not None and info.is_required() else "expected ",
        msg=detail["msg"],
    )


def _owner(
    root: type[BaseModel], loc: PathKey, extra: bool
) -> tuple[type[BaseModel] | None, str | None]:
    """The model whose field failed, and the field's name, following `loc` down from `root`."""
    owner: type[BaseModel] | None = root
    parts = list(loc)
    name: str | None = None
    while parts and owner is not None:
        part = parts.pop(0)
        if isinstance(part, int):
            continue
        if extra and not parts:
            return owner, None
        info = owner.model_fields.get(str(part))
        if info is None:
            return owner, None
        inner = _model_in(info.annotation)
        if not parts or inner is None:  # the field itself, or an item of a list of plain values
            return owner, str(part)
        owner = inner
    return owner, name


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as `X | None`, `tuple[X, ...]`, `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is Annotated:
        return _model_in(typing.get_args(annotation)[0])
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or args:
        for arg in args:
            found = _model_in(arg)
            if found is not None:
                return found
    return None
