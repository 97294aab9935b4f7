"""Scopes over the finite context space.

The context space is the product of the catalog's dimensions, each a finite set of
values. A scope is, per dimension, a subset of values (a rule's ``when``; a dimension it
leaves out means every value). Here a subset is a bit mask over the dimension's values,
so overlap, containment and intersection are exact and cost one integer operation per
dimension, and a witness (one concrete context in an intersection) is read off the bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from policykit.schema.models import Dimension

Masks = tuple[int, ...]
"""One bit mask per dimension, in the space's dimension order."""


@dataclass(frozen=True)
class Space:
    """The context space: dimensions, their values and defaults, in catalog order.

    Findings name scopes in words and by a witness, and a large project's findings
    name the same few hundred scopes over and over, so those answers are kept by mask
    once computed (the memos never change an answer: the space is frozen).
    """

    dimensions: tuple[Dimension, ...]
    full: Masks = field(init=False, repr=False, compare=False)
    """Every value of every dimension: the scope of a rule without ``when``."""
    _default_bits: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _witnesses: dict[Masks, tuple[tuple[str, str], ...]] = field(
        init=False, repr=False, compare=False
    )
    _described: dict[Masks, str] = field(init=False, repr=False, compare=False)
    _described_witnesses: dict[Masks, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dims = self.dimensions
        object.__setattr__(self, "full", tuple((1 << len(d.values)) - 1 for d in dims))
        object.__setattr__(
            self, "_default_bits", tuple(1 << d.values.index(d.default) for d in dims)
        )
        object.__setattr__(self, "_witnesses", {})
        object.__setattr__(self, "_described", {})
        object.__setattr__(self, "_described_witnesses", {})

    @classmethod
    def of(cls, dimensions: Iterable[Dimension]) -> Space:
        """The space of these dimensions, ordered by id so that the order catalogs are
        listed in never changes a result."""
        return cls(tuple(sorted(dimensions, key=lambda d: d.id)))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)

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
        found = self._witnesses.get(masks)
        if found is None:
            found = self._witnesses[masks] = self._witness(masks)
        return found

    def _witness(self, masks: Masks) -> tuple[tuple[str, str], ...]:
        if is_empty(masks):
            return ()
        out = []
        for dim, mask, default_bit in zip(self.dimensions, masks, self._default_bits, strict=True):
            if mask & default_bit:
                out.append((dim.id, dim.default))
            else:
                out.append((dim.id, dim.values[(mask & -mask).bit_length() - 1]))
        return tuple(out)

    def describe(self, masks: Masks) -> str:
        """A scope as text: ``audience in {minor}, domain in {medical, legal}``."""
        found = self._described.get(masks)
        if found is None:
            parts = [
                f"{dim.id} in {{{', '.join(self.values_of(i, m))}}}"
                for i, (dim, m, f) in enumerate(zip(self.dimensions, masks, self.full, strict=True))
                if m != f
            ]
            found = self._described[masks] = ", ".join(parts) if parts else "every context"
        return found

    def describe_witness(self, masks: Masks) -> str:
        """The witness, naming only the dimensions the scope narrows."""
        found = self._described_witnesses.get(masks)
        if found is None:
            found = self._described_witnesses[masks] = self._describe_witness(masks)
        return found

    def _describe_witness(self, masks: Masks) -> str:
        if is_empty(masks):
            return "no context"
        parts = [
            f"{name}={value}"
            for (name, value), m, f in zip(self.witness(masks), masks, self.full, strict=True)
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
COVER_WORK_LIMIT = 16 * COVER_LIMIT
"""How many pieces, over all its covers, :func:`covered` may cut before it gives up."""


def covered(box: Masks, covers: Iterable[Masks], limit: int = COVER_LIMIT) -> bool | None:
    """Whether the union of ``covers`` contains ``box``; None if it would take more
    than ``limit`` pieces to decide (the caller then treats it as not covered)."""
    pieces = [box]
    # the pieces are cut once per cover: without a bound on the work as well, hundreds
    # of covers over thousands of pieces took seconds per rule (PK412 against a large
    # baseline)
    work = 0
    for cut in covers:
        nxt: list[Masks] = []
        for piece in pieces:
            nxt.extend(subtract(piece, cut))
        pieces = nxt
        if not pieces:
            return True
        work += len(pieces)
        if len(pieces) > limit or work > COVER_WORK_LIMIT:
            return None
    return not pieces
