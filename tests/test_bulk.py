"""The cyclic garbage collector is paused while a project is validated, only then, and
only when the caller asks."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from policykit import pipeline as api
from policykit.util.tuning import Tuning, bulk
from tests.minimal import project


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
        # unfreezing would empty the permanent generation; a frozen object that another
        # thread (torch's, a tokenizer's) frees meanwhile only lowers the count by one
        assert gc.get_freeze_count() >= frozen - 100 > 0
        assert len(kept) == 1000
    finally:
        gc.unfreeze()


def test_the_library_pauses_the_collector_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    seen: list[bool] = []
    real = api._validate

    def spy(*args: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(api, "_validate", spy)
    api.validate_project(tmp_path)
    api.validate_project(tmp_path, api.ValidateOptions(tuning=Tuning(pause_gc=True)))
    assert seen == [True, False]
    assert gc.isenabled()
