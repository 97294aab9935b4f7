"""The context space's witnesses and descriptions, asked once or many times, are what
the plain definitions give."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from policykit.graph.scope import Masks, Space, is_empty
from policykit.schema.models import Dimension


@st.composite
def spaces(draw: st.DrawFn) -> Space:
    dims = []
    for i in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 6))
        values = tuple(f"v{j}" for j in range(n))
        dims.append(Dimension(id=f"d{i}", values=values, default=draw(st.sampled_from(values))))
    return Space.of(dims)


def _witness(space: Space, masks: Masks) -> tuple[tuple[str, str], ...]:
    if is_empty(masks):
        return ()
    out = []
    for i, (dim, mask) in enumerate(zip(space.dimensions, masks, strict=True)):
        if mask >> dim.values.index(dim.default) & 1:
            out.append((dim.id, dim.default))
        else:
            out.append((dim.id, space.values_of(i, mask)[0]))
    return tuple(out)


def _describe(space: Space, masks: Masks) -> str:
    parts = [
        f"{dim.id} in {{{', '.join(space.values_of(i, m))}}}"
        for i, (dim, m) in enumerate(zip(space.dimensions, masks, strict=True))
        if m != (1 << len(dim.values)) - 1
    ]
    return ", ".join(parts) if parts else "every context"


def _describe_witness(space: Space, masks: Masks) -> str:
    if is_empty(masks):
        return "no context"
    parts = [
        f"{name}={value}"
        for (name, value), dim, m in zip(
            _witness(space, masks), space.dimensions, masks, strict=True
        )
        if m != (1 << len(dim.values)) - 1
    ]
    return ", ".join(parts) if parts else "any context (both apply everywhere)"


@given(st.data())
def test_answers_match_the_definitions(data: st.DataObject) -> None:
    space = data.draw(spaces())
    assert space.full == tuple((1 << len(d.values)) - 1 for d in space.dimensions)
    for _ in range(5):
        masks = tuple(data.draw(st.integers(0, f)) for f in space.full)
        for _ in range(2):  # computed, then remembered
            assert space.witness(masks) == _witness(space, masks)
            assert space.describe(masks) == _describe(space, masks)
            assert space.describe_witness(masks) == _describe_witness(space, masks)


def test_spaces_with_the_same_dimensions_are_equal() -> None:
    dims = [Dimension(id="a", values=("x", "y"), default="y")]
    one, two = Space.of(dims), Space.of(dims)
    one.witness((1,))
    assert one == two
    assert repr(one) == repr(two)
