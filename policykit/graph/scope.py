"""Scopes over the finite context space.

The context space is the product of the catalog's dimensions, each a finite set of
values. A scope is, per dimension, a subset of values (a rule's ``when``; a dimension it
leaves out means every value). Here a subset is a bit mask over the dimension's values,
so overlap, containment and intersection are exact and cost one integer operation per
dimension, and a witness (one concrete context in an intersection) is read off the bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from policykit.schema.models import Dimension

Masks = tuple[int, ...]
"""One bit mask per dimension, in the space's dimension order."""


@dataclass(frozen=True)
class Space:
    """The context space: dimensions, their values and defaults, in catalog order."""

    dimensions: tuple[Dimension, ...]

    @classmethod
    def of(cls, dimensions: Iterable[Dimension]) -> Space:
        """The space of these dimensions, ordered by id so that the order catalogs are
        listed in never changes a result."""
        return cls(tuple(sorted(dimensions, key=lambda d: d.id)))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)

    @property
    def full(self) -> Masks:
        return tuple((1 << len(d.values)) - 1 for d in self.dimensions)

    def masks(self, when: Mapping[str, Sequence[str]]) -> Masks:
        """The masks of a ``when`` mapping (unknown names are ignored: schema checks them)."""
        out = []
        for dim in self.dimensions:
            values = when.get(dim.id)
            if values is None:
                out.append((1 << len(dim.values)) - 1)
                continue
            mask = 0
            for value in values:
                if value in dim.values:
                    mask |= 1 << dim.values.index(value)
            out.append(mask)
        return tuple(out)

    def values_of(self, index: int, mask: int) -> list[str]:
        dim = self.dimensions[index]
        return [v for i, v in enumerate(dim.values) if mask >> i & 1]

    def witness(self, masks: Masks) -> tuple[tuple[str, str], ...]:
        """One concrete context inside ``masks``: each dimension's default when the
        scope allows it, else its first allowed value in declared order; empty for an
        empty scope."""
        if is_empty(masks):
            return ()
        out = []
        for i, (dim, mask) in enumerate(zip(self.dimensions, masks, strict=True)):
            default_bit = 1 << dim.values.index(dim.default)
            if mask & default_bit:
                out.append((dim.id, dim.default))
            else:
                out.append((dim.id, self.values_of(i, mask & -mask)[0]))
        return tuple(out)

    def describe(self, masks: Masks) -> str:
        """A scope as text: ``audience in {minor}, domain in {medical, legal}``."""
        full = self.full
        parts = [
            f"{dim.id} in {{{', '.join(self.values_of(i, m))}}}"
            for i, (dim, m, f) in enumerate(zip(self.dimensions, masks, full, strict=True))
            if m != f
        ]
        return ", ".join(parts) if parts else "every context"

    def describe_witness(self, masks: Masks) -> str:
        """The witness, naming only the dimensions the scope narrows."""
        if is_empty(masks):
            return "no context"
        full = self.full
        parts = [
            f"{name}={value}"
            for (name, value), m, f in zip(self.witness(masks), masks, full, strict=True)
            if m != f
        ]
        return ", ".join(parts) if parts else "any context (both apply everywhere)"


def intersect(a: Masks, b: Masks) -> Masks:
    return tuple(x & y for x, y in zip(a, b, strict=True))


def overlaps(a: Masks, b: Masks) -> bool:
    return all(x & y for x, y in zip(a, b, strict=True))


def contains(outer: Masks, inner: Masks) -> bool:
    """Whether every context of ``inner`` is in ``outer``."""
    return all(i & ~o == 0 for o, i in zip(outer, inner, strict=True))


def is_empty(masks: Masks) -> bool:
    return not all(masks)


def subtract(box: Masks, cut: Masks) -> list[Masks]:
    """``box`` minus ``cut`` as disjoint boxes (at most one per dimension)."""
    if not overlaps(box, cut):
        return [box]
    out: list[Masks] = []
    rest = list(box)
    for i, (b, c) in enumerate(zip(box, cut, strict=True)):
        outside = b & ~c
        if outside:
            piece = list(rest)
            piece[i] = outside
            out.append(tuple(piece))
        rest[i] = b & c
    return out


COVER_LIMIT = 4096
"""How many pieces :func:`covered` may cut a box into before it gives up."""


def covered(box: Masks, covers: Iterable[Masks], limit: int = COVER_LIMIT) -> bool | None:
    """Whether the union of ``covers`` contains ``box``; None if it would take more
    than ``limit`` pieces to decide (the caller then treats it as not covered)."""
    pieces = [box]
    for cut in covers:
        nxt: list[Masks] = []
        for piece in pieces:
            nxt.extend(subtract(piece, cut))
        pieces = nxt
        if not pieces:
            return True
        if len(pieces) > limit:
            return None
    return not pieces
