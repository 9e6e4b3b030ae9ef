"""SPDX licence expressions, parsed by `license-expression` and checked against allow/deny lists.

    canonical = normalize("(mit OR Apache-2.0) AND CC-BY-4.0", "--license")
    problem = expression_problem("CC-BY-4", "--license")   # names the field, suggests CC-BY-4.0
    ok, blocked = permits(canonical, allow={"MIT", "CC-BY-4.0"}, deny=set())

Ids come from the SPDX licence list that `license-expression` ships; `LicenseRef-<idstring>`
(and `DocumentRef-<id>:LicenseRef-<idstring>`) names a licence of one's own. An expression is
usable when the allowed terms can satisfy it: one side of an OR, every side of an AND.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Collection
from typing import Any

from license_expression import (
    ExpressionError,
    LicenseExpression,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

from govern.errors import BadInput

SPDX_LIST_URL = "https://spdx.org/licenses/"
_LICENSE_REF = re.compile(r"^(DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+$")


@functools.cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


@functools.cache
def _known_keys() -> tuple[str, ...]:
    return tuple(sorted(_licensing().known_symbols))


def _suggestion(key: str) -> str:
    close = difflib.get_close_matches(key, _known_keys(), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _parse(expression: str, field: str) -> LicenseExpression:
    text = " ".join(expression.split())
    if not text:
        raise BadInput(
            f"{field}: no licence given; declare an SPDX id such as MIT or CC-BY-4.0 ({SPDX_LIST_URL})"
        )
    try:
        parsed = _licensing().parse(text, validate=False, strict=True)
    except ExpressionError as error:
        raise BadInput(
            f"{field} {expression!r} is not a valid SPDX licence expression: {error}"
        ) from None
    if parsed is None:
        raise BadInput(f"{field} {expression!r} is not a valid SPDX licence expression")
    unknown = [
        key for key in _licensing().unknown_license_keys(parsed) if not _LICENSE_REF.match(key)
    ]
    if unknown:
        names = ", ".join(f"{key!r}{_suggestion(key)}" for key in unknown)
        raise BadInput(
            f"{field} {expression!r}: {names} is not an SPDX licence id; use ids from "
            f"{SPDX_LIST_URL} (MIT, Apache-2.0, CC-BY-4.0, ...) or LicenseRef-<name> for a "
            "licence of your own"
        )
    return parsed


def normalize(expression: str, field: str = "license") -> str:
    """The expression in SPDX's own spelling (`mit or gpl-2.0+` → `MIT OR GPL-2.0-or-later`).

    Raises BadInput naming `field` when it is not a valid SPDX expression.
    """
    return str(_parse(expression, field).render())


def expression_problem(expression: str, field: str = "license") -> str | None:
    """Why `expression` is not a valid SPDX expression, or None when it is."""
    try:
        _parse(expression, field)
    except BadInput as error:
        return str(error)
    return None


def normalize_term(name: str, field: str) -> str:
    """One licence id (optionally `X WITH exception`) in SPDX spelling; BadInput when it is more."""
    parsed = _parse(name, field)
    if not isinstance(parsed, LicenseSymbol | LicenseWithExceptionSymbol):
        raise BadInput(f"{field} {name!r} is an expression; list single licence ids, one an entry")
    return str(parsed.render())


def permits(
    expression: str, allow: Collection[str] | None, deny: Collection[str]
) -> tuple[bool, list[str]]:
    """Whether the allowed, undenied terms satisfy `expression`, and the terms that are blocked.

    `allow` None means every licence not denied is allowed. A `X WITH exception` term is usable
    when it, or its licence X, is allowed and neither is denied. Names compare case-insensitively.
    """
    allowed = None if allow is None else {name.lower() for name in allow}
    denied = {name.lower() for name in deny}
    licensing = _licensing()

    def usable(symbol: Any) -> bool:
        names = {str(symbol.render()).lower()}
        if isinstance(symbol, LicenseWithExceptionSymbol):
            names.add(str(symbol.license_symbol.render()).lower())
        if names & denied:
            return False
        return allowed is None or bool(names & allowed)

    def satisfied(node: Any) -> bool:
        if isinstance(node, licensing.AND):
            return all(satisfied(arg) for arg in node.args)
        if isinstance(node, licensing.OR):
            return any(satisfied(arg) for arg in node.args)
        return usable(node)

    parsed = _parse(expression, "license")
    blocked = [
        str(symbol.render())
        for symbol in licensing.license_symbols(parsed, decompose=False)
        if not usable(symbol)
    ]
    return satisfied(parsed), sorted(set(blocked), key=blocked.index)
