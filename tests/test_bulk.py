"""The cyclic garbage collector is paused while a project is validated, and only then."""

from __future__ import annotations

import gc

import pytest

from policykit.api import bulk


def test_bulk_pauses_and_restores_the_collector() -> None:
    assert gc.isenabled()
    with bulk():
        assert not gc.isenabled()
        with bulk():  # nested: the outer block still owns the pause
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_bulk_restores_the_collector_on_error() -> None:
    with pytest.raises(ValueError), bulk():
        raise ValueError("boom")
    assert gc.isenabled()


def test_bulk_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with bulk():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_bulk_allocated_is_not_scanned_as_young() -> None:
    with bulk():
        kept = [[i] for i in range(50_000)]
    # straight into the oldest generation, not through the young ones
    assert any(o is kept for o in gc.get_objects(generation=2))


def test_bulk_leaves_objects_the_caller_froze_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with bulk():
            kept = [[i] for i in range(1000)]
        assert gc.get_freeze_count() == frozen
        assert len(kept) == 1000
    finally:
        gc.unfreeze()
