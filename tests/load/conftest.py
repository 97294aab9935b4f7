"""The reader tests run twice: with the C reader (where it is built) and without.

Modules opt in with ``pytestmark = pytest.mark.usefixtures("builder")``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from policykit.load import reader

BUILT = reader._fastyaml


@pytest.fixture(params=["c", "python"])
def builder(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "c" and BUILT is None:
        pytest.skip("the C reader is not built here")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "_fastyaml", BUILT if request.param == "c" else None)
        yield request.param
