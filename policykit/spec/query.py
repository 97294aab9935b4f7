"""Answering "what is intended here?" from a compiled spec, by index lookup.

Loading a spec builds one *row* per behavior: a tuple whose first item holds, per
dimension of the spec (in declared order), a table from each value to how far it moves
the offset into the row, and whose other items are the behavior's cells, row-major over
its value classes. A query adds up one table entry per dimension and reads the cell.
Beside each row, a :class:`Partial` answers contexts that leave dimensions out.
Nothing is searched and no rule is looked at, so the time of a query does not grow with
the number of rules.

It does not grow with the size of the index either, as far as that can be helped: at
100k rules the index is larger than the CPU caches, and each object a query reads is a
likely cache miss. So a query reads few objects: the behavior's entry in one dict, the
row (its tables sit next to its header) and the cell. Equal tables are one object, as
are equal distributions, and stay in cache. The query itself is a function generated
for the spec's number of dimensions, one term per dimension, with no loop and no
attribute lookups; whatever it does not answer (a partial context, a context that is not
a plain dict, every behavior at once, any mistake) it hands to the general path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from policykit.errors import UserError
from policykit.spec.artifact import Behavior, TargetBehaviorSpec
from policykit.spec.reader import SpecFormatError, read_spec, validate_spec
from policykit.util.text import suggest

__all__ = ["Partial", "Query", "QueryError", "Row", "Spec", "SpecFormatError"]


class QueryError(UserError, ValueError):
    """A context that names an unknown dimension, value or behavior (``subject`` says
    which)."""


Distribution = Mapping[str, float]

Row = tuple[Any, ...]
"""``(tables, cell_0, cell_1, ...)``. ``tables`` holds per dimension a ``{value:
offset}`` table (all zeros for a dimension that does not divide the behavior). The cell
of a full context is ``row[1 + tables[0][value_0] + tables[1][value_1] + ...]``."""


class Partial(NamedTuple):
    """How to find a row's cell for any context, every dimension named or not: the
    cell is ``row[base + sum(deltas[name][value] for name, value in context.items())]``."""

    base: int
    """The offset into the row of the all-defaults cell."""
    deltas: dict[str, dict[str, int]]
    """Per dimension name, each value's offset from the default's."""


class Query(Protocol):
    def __call__(self, context: Mapping[str, str], behavior: str | None = None) -> Any: ...


class Spec:
    """A loaded target behavior spec with its query index."""

    intended: Query
    """``intended(context, behavior=None)``: P_intended in ``context`` (missing
    dimensions take their defaults) as a read-only mapping of outcome to probability;
    without a behavior, a dict of every behavior's. Raises QueryError for an unknown
    dimension, value or behavior."""

    def __init__(self, data: TargetBehaviorSpec | Mapping[str, Any]) -> None:
        spec = data if isinstance(data, TargetBehaviorSpec) else validate_spec(data)
        # Only the index is kept: a loaded spec's memory is its lookup tables, not the
        # parsed JSON with every cell's provenance.
        self.dimensions: dict[str, frozenset[str]] = {
            d.id: frozenset(d.values) for d in spec.dimensions
        }
        self.values: dict[str, tuple[str, ...]] = {d.id: tuple(d.values) for d in spec.dimensions}
        self.partitions: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
            b.id: {name: tuple(tuple(c) for c in b.classes[name]) for name in b.dimensions}
            for b in spec.behaviors
        }
        """Per behavior, its dividing dimensions (in cell order) and their value classes."""
        self.defaults: dict[str, str] = {d.id: d.default for d in spec.dimensions}

        self._rows: dict[str, Row]
        self._partials: dict[str, Partial]
        self._rows, self._partials = _rows(spec.behaviors, self.values, self.defaults)
        self.intended = _query(len(self.values))(self._rows, self._general, *self.values)
        shaped = spec.context
        self.restricted: dict[str, frozenset[str]] = (
            {name: frozenset(v) for name, v in shaped.restricted.items()} if shaped else {}
        )
        """Per dimension the project restricted, the values it left out."""
        self.excluded: tuple[dict[str, frozenset[str]], ...] = (
            tuple({k: frozenset(v) for k, v in e.items()} for e in shaped.exclude) if shaped else ()
        )
        """The combinations the project excludes; a query for one is refused."""
        if self.excluded:
            self.intended = _refusing(self.intended, self._check_excluded)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Spec:
        """The spec at ``path`` (read by :func:`~policykit.spec.reader.read_spec`);
        SpecFormatError when it is not one."""
        return cls(read_spec(path))

    @property
    def behaviors(self) -> tuple[str, ...]:
        return tuple(self._rows)

    def _general(self, context: Mapping[str, str], behavior: str | None) -> Any:
        """``intended`` for every call the generated fast path leaves to it."""
        if behavior is not None:
            row = self._rows.get(behavior)
            if row is None:
                raise self._unknown_behavior(behavior)
            return row[self._offset(self._partials[behavior], context)]
        offsets: dict[int, int] = {}  # by partial: behaviors cut alike share one
        answers = {}
        for b, row in self._rows.items():
            partial = self._partials[b]
            at = offsets.get(id(partial))
            if at is None:
                at = offsets[id(partial)] = self._offset(partial, context)
            answers[b] = row[at]
        return answers

    def _offset(self, partial: Partial, context: Mapping[str, str]) -> int:
        offset = partial.base
        try:
            for name, value in context.items():
                offset += partial.deltas[name][value]
        except (KeyError, TypeError):
            raise self._bad_context(context) from None
        return offset

    def is_excluded(self, context: Mapping[str, str]) -> bool:
        """Whether the project's ``context: exclude`` rules ``context`` out (missing
        dimensions at their defaults)."""
        return any(
            all(context.get(name, self.defaults.get(name)) in v for name, v in entry.items())
            for entry in self.excluded
        )

    def _check_excluded(self, context: Mapping[str, str]) -> None:
        """Raise QueryError if ``context`` (missing dimensions at their defaults) is one
        the project's ``context: exclude`` rules out."""
        if not isinstance(context, Mapping):
            return  # the query itself reports it
        for entry in self.excluded:
            if all(context.get(name, self.defaults.get(name)) in v for name, v in entry.items()):
                named = ", ".join(f"{k}={context.get(k, self.defaults.get(k))}" for k in entry)
                raise QueryError(
                    f"context {named} is excluded by the project's context space "
                    "(context: exclude), so nothing is intended there",
                    subject="context",
                )

    def _bad_context(self, context: Mapping[str, str]) -> QueryError:
        for name, value in context.items():
            if value in self.restricted.get(name, ()):
                return QueryError(
                    f"value {value!r} of dimension {name!r} is outside the project's context "
                    f"space (restricted away); its values are {', '.join(self.values[name])}",
                    subject="context",
                )
            if name not in self.dimensions:
                return QueryError(
                    f"unknown dimension {name!r}"
                    + _hint(name, self.dimensions)
                    + f"; the dimensions are {', '.join(sorted(self.dimensions))}",
                    subject="context",
                )
            if value not in self.dimensions[name]:
                return QueryError(
                    f"unknown value {value!r} of dimension {name!r}"
                    + _hint(value, self.dimensions[name])
                    + f"; its values are {', '.join(sorted(self.dimensions[name]))}",
                    subject="context",
                )
        return QueryError("invalid context", subject="context")

    def _unknown_behavior(self, behavior: str) -> QueryError:
        return QueryError(
            f"unknown behavior {behavior!r}" + _hint(behavior, self._rows), subject="behavior"
        )


def _refusing(query: Query, check: Callable[[Mapping[str, str]], None]) -> Query:
    """``query`` that first refuses excluded contexts (only for specs with exclusions,
    so the others keep the generated fast path as it is)."""

    def intended(context: Mapping[str, str], behavior: str | None = None) -> Any:
        check(context)
        return query(context, behavior)

    intended.__doc__ = _QUERY_DOC
    return intended


def _rows(
    behaviors: list[Behavior],
    values: Mapping[str, tuple[str, ...]],
    defaults: Mapping[str, str],
) -> tuple[dict[str, Row], dict[str, Partial]]:
    """Every behavior's row and partial. Equal tables, equal rows of tables, equal
    partials and equal distributions are one object each; the rows and the
    distributions are made last, one after the other, so that they lie close together
    in memory."""
    shared: dict[Any, Any] = {}
    plans = []
    for behavior in behaviors:
        classes = behavior.classes
        strides: dict[str, dict[str, int]] = {}
        stride = 1
        for name in reversed(behavior.dimensions):
            strides[name] = {v: c * stride for c, group in enumerate(classes[name]) for v in group}
            stride *= len(classes[name])
        tables = []
        for name, all_values in values.items():
            step = strides.get(name)
            table = {v: step[v] for v in all_values} if step else dict.fromkeys(all_values, 0)
            tables.append(shared.setdefault(("table", *table.items()), table))
        outcomes = tuple(sorted(behavior.outcomes))
        cells = []
        for cell in behavior.cells:
            key = (outcomes, tuple(cell.intended[o] for o in outcomes))
            cells.append(shared.setdefault(key, key))
        tables_key = ("tables", *map(id, tables))
        found = shared.get(tables_key)
        if found is None:
            found = shared[tables_key] = (
                tuple(tables),
                _partial(tables, values, defaults, shared),
            )
        plans.append((behavior.id, found, cells))
    distributions = {
        key: MappingProxyType(dict(zip(*key, strict=True)))
        for _, _, cells in plans
        for key in cells
    }
    rows = {b: (head[0], *map(distributions.__getitem__, cells)) for b, head, cells in plans}
    return rows, {b: head[1] for b, head, _ in plans}


def _partial(
    tables: list[dict[str, int]],
    values: Mapping[str, tuple[str, ...]],
    defaults: Mapping[str, str],
    shared: dict[Any, Any],
) -> Partial:
    base = 1
    deltas = {}
    for name, table in zip(values, tables, strict=True):
        default = table[defaults[name]]
        base += default
        delta = {v: offset - default for v, offset in table.items()}
        deltas[name] = shared.setdefault(("delta", *delta.items()), delta)
    return Partial(base, deltas)


_GENERATED_MAX_DIMENSIONS = 64
"""Above this many dimensions the query is a loop: the generated sum nests one
expression per dimension, and Python's compiler recurses on that nesting (at 3,000
dimensions it raised RecursionError)."""


def _query(n: int) -> Callable[..., Query]:
    if n > _GENERATED_MAX_DIMENSIONS:
        return _looped
    return _generated(n)


def _looped(rows: dict[str, Row], general: Callable[..., Any], *names: str) -> Query:
    """``intended`` for any number of dimensions: the generated function's fast path
    as a loop."""
    n = len(names)

    def intended(context: Mapping[str, str], behavior: str | None = None) -> Any:
        try:
            row = rows[behavior]  # type: ignore[index]
            if type(context) is dict and len(context) == n:
                offset = 1
                for table, name in zip(row[0], names, strict=True):
                    offset += table[context[name]]
                return row[offset]
        except (KeyError, TypeError):
            pass
        return general(context, behavior)

    intended.__doc__ = _QUERY_DOC
    return intended


@cache
def _generated(n: int) -> Callable[..., Query]:
    """``make(rows, general, *dimension_names) -> intended`` for specs with ``n``
    dimensions.

    The ``intended`` it makes answers a plain dict that names every dimension with a
    known value, for a known behavior, with one table lookup per dimension; for
    ``n = 3`` it reads::

        def intended(context, behavior=None):
            try:
                row = rows[behavior]
                if type(context) is dict and len(context) == 3:
                    t = row[0]
                    return row[1 + t[0][context[n0]] + t[1][context[n1]] + t[2][context[n2]]]
            except (KeyError, TypeError):
                pass
            return general(context, behavior)

    Every other call, including every error, is ``general``'s. Only ``n`` is written
    into the code; the dimension names are arguments of ``make``. (Without ``type(context)
    is dict``, a ``defaultdict`` would invent a value for a dimension it lacks.)
    """
    names = [f"n{i}" for i in range(n)]
    terms = "".join(f" + t[{i}][context[{name}]]" for i, name in enumerate(names))
    source = f"""\
def make(rows, general, {"".join(f"{name}, " for name in names)}):
    def intended(context, behavior=None):
        try:
            row = rows[behavior]
            if type(context) is dict and len(context) == {n}:
                t = row[0]
                return row[1{terms}]
        except (KeyError, TypeError):
            pass
        return general(context, behavior)

    intended.__doc__ = DOC
    return intended
"""
    namespace: dict[str, Any] = {"DOC": _QUERY_DOC}
    exec(compile(source, f"<policykit query, {n} dimensions>", "exec"), namespace)
    make: Callable[..., Query] = namespace["make"]
    return make


_QUERY_DOC = """P_intended in ``context`` (missing dimensions take their defaults): one
distribution when ``behavior`` is given, else a mapping of all behaviors."""


def _hint(name: str, choices: Any) -> str:
    hint = suggest(name, choices)
    return f" ({hint})" if hint else ""
