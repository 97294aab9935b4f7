"""The C reader gives exactly what the Python builder gives: the same values of the same
types, the same positions, the same interned keys, and for anything it leaves to the
Python builder (errors, tags, anchors) the same diagnostics, because that builder is
what reports them."""

from __future__ import annotations

import datetime
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykit.diagnostics import PolicykitError
from policykit.load import reader
from policykit.load.reader import Limits, YMap, YSeq
from tests.load.test_reader_properties import LIMITS, YAMLISH

C_READER = reader._fastyaml
needs_c = pytest.mark.skipif(C_READER is None, reason="the C reader is not built here")

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(text: str, c: bool, limits: Limits | None = None) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "_fastyaml", C_READER if c else None)
        try:
            return reader.parse(text, "f.yaml", limits)
        except PolicykitError as exc:
            return exc.diagnostics


def shape(value: Any) -> Any:
    """A value with its type, and for collections the position of everything inside."""
    if isinstance(value, YMap):
        assert all(sys.intern(k) is k for k in value)
        return (
            "map",
            value.pos,
            [
                (k, value.key_position(k), value.value_position(k), shape(v))
                for k, v in value.items()
            ],
        )
    if isinstance(value, YSeq):
        return ("seq", value.pos, [(value.item_position(i), shape(v)) for i, v in enumerate(value)])
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, value)


def assert_same(text: str, limits: Limits | None = None) -> None:
    fast = outcome(text, True, limits)
    slow = outcome(text, False, limits)
    if isinstance(slow, reader.Document):
        assert isinstance(fast, reader.Document), fast
        assert shape(fast.data) == shape(slow.data)
        assert fast.text == slow.text
    else:
        assert fast == slow


SCALARS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            *("no", "yes", "on", "1.10", "12:30", "0x1f", "0o17", "1_000", "~", "null"),
            *(".inf", "-.NaN", "2024-01-02", "2024-01-02 10:00:00", "=", "<<", "é", "a b"),
            *("- x", "#"),
        ]
    ),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(timezones=st.just(datetime.UTC)),
)
KEYS = st.one_of(st.text(min_size=1, max_size=8), st.sampled_from(["no", "1.10", "on", "~"]))
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)


@needs_c
@SETTINGS
@given(
    st.dictionaries(KEYS, DATA, max_size=5),
    st.sampled_from([None, True, False]),
    st.sampled_from([None, '"', "'"]),
    st.sampled_from([2, 4]),
)
def test_dumped_documents_read_the_same(
    data: dict[str, Any], flow: bool | None, style: str | None, indent: int
) -> None:
    text = yaml.safe_dump(
        data, default_flow_style=flow, default_style=style, indent=indent, allow_unicode=True
    )
    assert_same(text)


@needs_c
@SETTINGS
@given(YAMLISH)
def test_any_text_reads_the_same(text: str) -> None:
    assert_same(text, LIMITS)


@needs_c
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: &x [1, 2]\nb: *x\n", id="anchor-and-alias"),
        pytest.param("a: !!str 1\n", id="tag"),
        pytest.param("a: !custom {b: 1}\n", id="tag-on-mapping"),
        pytest.param("a: 1\nb: 2\na: 3\n", id="duplicate-key"),
        pytest.param("? [a]\n: 1\n", id="collection-as-key"),
        pytest.param("a: 1\n---\nb: 2\n", id="second-document"),
        pytest.param("- 1\n- 2\n", id="root-sequence"),
        pytest.param("just text\n", id="root-scalar"),
        pytest.param("", id="empty"),
        pytest.param("# only a comment\n", id="comment-only"),
        pytest.param("a: [1, 2\n", id="syntax-error"),
        pytest.param("a: 2024-02-30\n", id="invalid-date"),
        pytest.param("a: '\ud800'\n", id="lone-surrogate"),
        pytest.param("a: \x07\n", id="control-character"),
        pytest.param("a:\n\tb: 1\n", id="tab-indent"),
        pytest.param("a: " + "[" * 70 + "]" * 70 + "\n", id="too-deep"),
        pytest.param("a: " + "[" * 63 + "]" * 63 + "\n", id="deep-at-the-cap"),
        pytest.param("a: 1\r\nb:\r\n  - x\r\n", id="crlf"),
        pytest.param("a: 1\x85b: 2\u2028c: [3]\n", id="other-line-breaks"),
        pytest.param("k: |\n  block\n  text\nf: >\n  folded\n", id="block-scalars"),
        pytest.param("é: ñ\n\"q\": 'x'\nno: no\n1.10: 1.10\n", id="keys-as-written"),
        pytest.param("a: [" + "x, " * 2000 + "y]\n", id="line-past-4095-columns"),
        pytest.param("a:\n" + "  - 1\n" * 5000 + "b: 2\n", id="many-lines"),
        pytest.param("a: ~\nb:\nc: null\n", id="nulls"),
    ],
)
def test_edge_cases_read_the_same(text: str) -> None:
    assert_same(text)


@needs_c
def test_the_positions_keep_their_packing_in_a_long_document() -> None:
    text = "rules:\n" + "".join(f"  - {{id: r{i}, when: {{d: [a, b]}}}}\n" for i in range(3000))
    doc = outcome(text, True)
    assert doc.data._at.typecode == "I"  # 4 bytes a position where every one fits
    assert_same(text)
    wide = outcome("a: [" + "x, " * 2000 + "y]\n", True)
    assert wide.data._at.typecode == "Q"


@needs_c
def test_plain_scalars_share_the_reader_cache() -> None:
    reader._SCALARS.clear()
    doc = outcome("a: 0x10\nb: [0x10, '0x10']\n", True)
    assert doc.data["a"] == 16 and doc.data["b"] == (16, "0x10")
    assert reader._SCALARS["0x10"] == 16


def test_the_c_reader_is_built_where_it_can_be() -> None:
    """On a machine with a C compiler and libyaml's headers (this project's machines,
    CI's among them), installing policykit builds the C reader; elsewhere everything
    works without it, only slower."""
    if os.environ.get("POLICYKIT_PURE_PYTHON"):
        pytest.skip("POLICYKIT_PURE_PYTHON is set")
    if shutil.which("cc") is None or not Path("/usr/include/yaml.h").exists():
        pytest.skip("no C compiler or no libyaml headers here")
    assert C_READER is not None, "reinstall policykit (pip install -e .) to build it"
    assert C_READER.ABI == reader._FASTYAML_ABI
