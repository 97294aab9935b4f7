"""Turning pydantic's validation errors into policykit diagnostics.

Each error is placed at the exact key or value it concerns, names the key path, quotes
what the user wrote and, for unknown fields and values, suggests the closest valid name.
"""

from __future__ import annotations

import datetime
import re
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from policykit.codes import (
    PK201,
    PK202,
    PK203,
    PK204,
    PK205,
    PK206,
    PK210,
    PK211,
    PK213,
    Code,
    diag,
)
from policykit.diagnostics import Diagnostic
from policykit.load.reader import Document, YMap, YSeq, unpack
from policykit.util.text import suggest

Loc = tuple[str | int, ...]


def format_path(loc: Iterable[str | int]) -> str:
    """``('rules', 2, 'target')`` as ``rules[2].target``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def locate(document: Document, loc: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
    """The line and column of the value at ``loc`` (of its key, with ``key``).

    Walks as far as the data goes, so a path into a value that is missing or of the
    wrong shape points at the deepest part that exists.
    """
    node: Any = document.data
    pos = document.data.pos
    last = len(loc) - 1
    for i, part in enumerate(loc):
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            pos = node.key_position(part) if key and i == last else node.value_position(part)
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            pos = node.item_position(part)
            node = node[part]
        else:
            break
    return unpack(pos)


def value_at(document: Document, loc: Sequence[str | int]) -> Any:
    node: Any = document.data
    for part in loc:
        in_map = isinstance(node, YMap) and isinstance(part, str) and part in node
        in_seq = isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_seq:
            node = node[part]
        else:
            return None
    return node


_PLAIN_SCALAR = re.compile(r"[^,\]\}#\n]*")


def raw_text(document: Document, line: int, column: int) -> str:
    """The plain scalar written at a position, as the user typed it."""
    text = document.line_text(line)[column - 1 :]
    match = _PLAIN_SCALAR.match(text)
    return (match.group(0) if match else text).strip()


def _unwrap(tp: Any) -> list[Any]:
    """The model classes and containers reachable from an annotation, flattened."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _unwrap(arg)]
    return [tp]


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class whose fields apply at ``loc`` (the parent of an error)."""
    current: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for tp in current:
            if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
                for name, info in tp.model_fields.items():
                    if (info.alias or name) == part:
                        nxt.extend(_unwrap(info.annotation))
            else:
                origin = typing.get_origin(tp)
                args = typing.get_args(tp)
                if origin is tuple and isinstance(part, int) and args:
                    nxt.extend(_unwrap(args[0]))
                elif origin is dict and isinstance(part, str) and len(args) == 2:
                    nxt.extend(_unwrap(args[1]))
        current = nxt
    for tp in current:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
    return None


def _field_names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


_NUMBER_WORDS = {bool: "a boolean", int: "a number", float: "a number"}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"date {value.isoformat()}"
    if value is None:
        return "null"
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YSeq):
        return "a list"
    if isinstance(value, str):
        return f"string {value!r}"
    return f"{type(value).__name__}"


def _expected(error: ErrorDetails) -> str:
    kind = error["type"]
    return {
        "string_type": "a string",
        "float_type": "a number",
        "int_type": "an integer",
        "bool_type": "true or false",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "tuple_type": "a list",
    }.get(kind, "")


def _clean_loc(loc: Sequence[str | int], document: Document) -> Loc:
    """Drop the parts pydantic adds for union branches and validators
    (``function-after[...]``, ``tagged-union[...]``). A part the document has at that
    place is the user's, whatever its characters: a key ``a[0]`` or ``function-x`` is
    kept, and named as written."""
    out: list[str | int] = []
    node: Any = document.data
    for part in loc:
        in_map = isinstance(node, YMap) and isinstance(part, str) and part in node
        in_seq = isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_seq:
            node = node[part]
        elif isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        else:
            node = None
        out.append(part)
    return tuple(out)


def to_diagnostics(
    exc: ValidationError, model: type[BaseModel], document: Document, what: str
) -> list[Diagnostic]:
    """One diagnostic per distinct problem in ``exc`` for a ``model`` read from ``document``."""
    out: list[Diagnostic] = []
    seen: set[tuple[Loc, str]] = set()
    errors = exc.errors(include_url=False)
    # A list whose every item is wrong (`values: [yes, no]`) is also reported as too
    # short, the items having been left out: the items' own errors say it all.
    inner = {_clean_loc(e["loc"], document)[:-1] for e in errors if e["type"] != "too_short"}
    for error in errors:
        loc = _clean_loc(error["loc"], document)
        kind = error["type"]
        if (loc, kind) in seen or (kind == "too_short" and loc in inner):
            continue
        seen.add((loc, kind))
        if "[key]" in error["loc"]:
            out.append(_key_error(error, loc, model, document, what))
        else:
            out.append(_one(error, loc, model, document, what))
    return out


def _key_error(
    error: ErrorDetails, loc: Loc, model: type[BaseModel], document: Document, what: str
) -> Diagnostic:
    """A mapping key that is not allowed (``stakeholders: {deployr: ...}``): the key is
    named and marked, not the value under it."""
    line, col = locate(document, loc, key=True)
    path = format_path(loc)
    parent = format_path(loc[:-1]) or what
    name = loc[-1] if loc else ""
    expected = error.get("ctx", {}).get("expected", "")
    choices = re.findall(r"'([^']*)'", expected)
    if choices:
        message = f"{str(name)!r} is not allowed as a key of {parent}; expected {expected}"
    else:
        message = f"key {str(name)!r} of {parent}: {error['msg']}"
    return diag(
        PK203,
        message,
        document.file,
        line,
        col,
        path=path,
        hint=suggest(str(name), choices) if choices else "",
    )


@dataclass(frozen=True, slots=True)
class _Error:
    """One pydantic error and what its diagnostic is made from."""

    error: ErrorDetails
    loc: Loc
    model: type[BaseModel]
    document: Document
    what: str
    value: Any
    """What the user wrote at ``loc`` (a scalar standing for a one-item list)."""

    @property
    def path(self) -> str:
        return format_path(self.loc)

    @property
    def where(self) -> str:
        return f"{self.path} in {self.what}" if self.path else self.what

    def diag(
        self, code: Code, message: str, *, hint: str = "", at: tuple[int, int] | None = None
    ) -> Diagnostic:
        """The diagnostic, at the value (or at ``at``)."""
        line, col = at or locate(self.document, self.loc)
        return diag(code, message, self.document.file, line, col, path=self.path, hint=hint)

    def raw(self) -> str:
        """The value's text as written."""
        return raw_text(self.document, *locate(self.document, self.loc))


def _unknown_field(e: _Error) -> Diagnostic:
    name = str(e.loc[-1])
    fields = _field_names(_model_at(e.model, e.loc[:-1]))
    return e.diag(
        PK201,
        f"unknown field {name!r} in {format_path(e.loc[:-1]) or e.what}",
        hint=suggest(name, fields) or ("expected one of: " + ", ".join(fields)),
        at=locate(e.document, e.loc, key=True),
    )


def _missing_field(e: _Error) -> Diagnostic:
    return e.diag(
        PK202,
        f"missing field {e.loc[-1]!r} in {format_path(e.loc[:-1]) or e.what}",
        at=locate(e.document, e.loc[:-1]),
    )


def _not_allowed(e: _Error) -> Diagnostic:
    expected = e.error.get("ctx", {}).get("expected", "")
    if e.loc and e.loc[-1] in ("kind", "apiVersion"):
        return e.diag(PK210, f"{e.loc[-1]} is {e.value!r}; expected {expected}")
    choices = re.findall(r"'([^']*)'", expected)
    return e.diag(
        PK203,
        f"{e.value!r} is not allowed at {e.where}; expected {expected}",
        hint=suggest(str(e.value), choices) if isinstance(e.value, str) else "",
    )


def _not_a_string(e: _Error) -> Diagnostic | None:
    """A scalar YAML read as something else (``no``, ``1.10``, a date): quote it."""
    if not isinstance(e.value, (bool, int, float, datetime.date, datetime.datetime)):
        return None
    raw = e.raw()
    return e.diag(
        PK204,
        f"{raw!r} at {e.where} is read as {_describe(e.value)}, not a string",
        hint=f"quote it: '{raw}'",
    )


def _out_of_range(e: _Error) -> Diagnostic:
    shown = e.value if isinstance(e.value, str) else e.raw()
    return e.diag(PK205, f"{shown} at {e.where} is out of range: {e.error['msg'].lower()}")


def _not_a_name(e: _Error) -> Diagnostic:
    return e.diag(
        PK203,
        f"{e.value!r} at {e.where} is not a valid name: use letters, digits, '_' and '-', "
        "starting with a letter",
    )


def _as(code: Code) -> Callable[[_Error], Diagnostic]:
    """Pydantic's (or a validator's own) message, under ``code``."""
    return lambda e: e.diag(code, f"{e.where}: {e.error['msg']}")


_BY_TYPE: dict[str, Callable[[_Error], Diagnostic | None]] = {
    "extra_forbidden": _unknown_field,
    "missing": _missing_field,
    "literal_error": _not_allowed,
    "string_type": _not_a_string,
    "distribution_sum": _as(PK206),
    "directive": _as(PK211),
    "inconsistent": _as(PK213),
    "bound_order": _as(PK213),
    "relation_outcomes": _as(PK213),
    "finite_number": _out_of_range,
    "greater_than": _out_of_range,
    "greater_than_equal": _out_of_range,
    "less_than": _out_of_range,
    "less_than_equal": _out_of_range,
    "string_pattern_mismatch": _not_a_name,
}
"""The diagnostic of each pydantic error type; a handler may decline (None), and
:func:`_wrong_type` has the rest."""


def _wrong_type(e: _Error) -> Diagnostic:
    expected = _expected(e.error)
    if expected:
        return e.diag(PK203, f"{e.where} should be {expected}, got {_describe(e.value)}")
    return _as(PK203)(e)


def _one(
    error: ErrorDetails, loc: Loc, model: type[BaseModel], document: Document, what: str
) -> Diagnostic:
    value = value_at(document, loc)
    if value is None and loc and isinstance(loc[-1], int):
        # `audience: minor` stands for a one-item list: the item is the scalar itself
        parent = value_at(document, loc[:-1])
        if parent is not None and not isinstance(parent, (YMap, YSeq)):
            value = parent
    found = _Error(error, loc, model, document, what, value)
    handler = _BY_TYPE.get(error["type"])
    return (handler(found) if handler else None) or _wrong_type(found)
