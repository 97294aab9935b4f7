"""Answering "what is intended here?" from a compiled spec, by index lookup.

Loading a spec builds, per behavior, one table per dividing dimension that maps each
value to its class's offset in the row-major cell array; a query adds up at most one
offset per dimension and reads the cell. Nothing is searched and no rule is looked at,
so the time of a query does not grow with the number of rules.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from policykit.spec.artifact import SPEC_VERSION


class QueryError(ValueError):
    """A context that names an unknown dimension, value or behavior."""


class SpecFormatError(ValueError):
    """A file that is not a policykit spec this version can read."""


Distribution = Mapping[str, float]


class _BehaviorIndex:
    """One behavior's cells, and per dimension how far each value moves the cell offset
    from the all-defaults cell (0 for values of dimensions that don't divide it)."""

    __slots__ = ("base", "cells", "deltas", "outcomes")

    def __init__(
        self,
        behavior: dict[str, Any],
        values: Mapping[str, tuple[str, ...]],
        defaults: Mapping[str, str],
        shared: dict[Any, Any],
    ) -> None:
        classes: dict[str, list[list[str]]] = behavior["classes"]
        dims: list[str] = behavior["dimensions"]
        self.outcomes: tuple[str, ...] = tuple(sorted(behavior["outcomes"]))
        offsets: dict[str, dict[str, int]] = {}
        stride = 1
        for name in reversed(dims):
            offsets[name] = {
                value: c * stride for c, group in enumerate(classes[name]) for value in group
            }
            stride *= len(classes[name])
        self.base = sum(offsets[name][defaults[name]] for name in dims)
        deltas: dict[str, dict[str, int]] = {}
        for name, all_values in values.items():
            table = offsets.get(name)
            delta = (
                {v: table[v] - table[defaults[name]] for v in all_values}
                if table is not None
                else dict.fromkeys(all_values, 0)
            )
            # identical tables are shared across behaviors: fewer objects, warmer caches
            deltas[name] = shared.setdefault(("delta", tuple(delta.items())), delta)
        self.deltas = deltas
        cells = []
        for cell in behavior["cells"]:
            key = tuple(cell["intended"][o] for o in self.outcomes)
            cells.append(
                shared.setdefault(
                    ("cell", self.outcomes, key),
                    MappingProxyType(dict(zip(self.outcomes, key, strict=True))),
                )
            )
        self.cells: tuple[Distribution, ...] = tuple(cells)


class Spec:
    """A loaded target behavior spec with its query index."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("apiVersion") != SPEC_VERSION:
            raise SpecFormatError(
                f"not a {SPEC_VERSION} spec (apiVersion is {data.get('apiVersion')!r})"
            )
        # Only the index is kept: a loaded spec's memory is its lookup tables, not the
        # parsed JSON with every cell's provenance.
        self.dimensions: dict[str, frozenset[str]] = {
            d["id"]: frozenset(d["values"]) for d in data["dimensions"]
        }
        self.values: dict[str, tuple[str, ...]] = {
            d["id"]: tuple(d["values"]) for d in data["dimensions"]
        }
        self.partitions: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
            b["id"]: {name: tuple(tuple(c) for c in b["classes"][name]) for name in b["dimensions"]}
            for b in data["behaviors"]
        }
        """Per behavior, its dividing dimensions (in cell order) and their value classes."""
        self.defaults: dict[str, str] = {d["id"]: d["default"] for d in data["dimensions"]}

        shared: dict[Any, Any] = {}
        self._index: dict[str, _BehaviorIndex] = {
            b["id"]: _BehaviorIndex(b, self.values, self.defaults, shared)
            for b in data["behaviors"]
        }

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Spec:
        with open(path, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise SpecFormatError(f"{os.fspath(path)} is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SpecFormatError(f"{os.fspath(path)} is not a policykit spec")
        return cls(data)

    @property
    def behaviors(self) -> tuple[str, ...]:
        return tuple(self._index)

    def intended(self, context: Mapping[str, str], behavior: str | None = None) -> Any:
        """P_intended in ``context`` (missing dimensions take their defaults): one
        distribution when ``behavior`` is given, else a mapping of all behaviors."""
        if behavior is not None:
            index = self._index.get(behavior)
            if index is None:
                raise self._unknown_behavior(behavior)
            offset = index.base
            deltas = index.deltas
            try:
                for name, value in context.items():
                    offset += deltas[name][value]
            except (KeyError, TypeError):
                raise self._bad_context(context) from None
            return index.cells[offset]
        return {b: self.intended(context, b) for b in self._index}

    def _bad_context(self, context: Mapping[str, str]) -> QueryError:
        for name, value in context.items():
            if name not in self.dimensions:
                return QueryError(
                    f"unknown dimension {name!r}"
                    + _hint(name, self.dimensions)
                    + f"; the dimensions are {', '.join(sorted(self.dimensions))}"
                )
            if value not in self.dimensions[name]:
                return QueryError(
                    f"unknown value {value!r} of dimension {name!r}"
                    + _hint(value, self.dimensions[name])
                    + f"; its values are {', '.join(sorted(self.dimensions[name]))}"
                )
        return QueryError("invalid context")

    def _unknown_behavior(self, behavior: str) -> QueryError:
        return QueryError(f"unknown behavior {behavior!r}" + _hint(behavior, self._index))


def _hint(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
