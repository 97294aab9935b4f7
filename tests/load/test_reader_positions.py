"""The reader's compact positions and its cache of resolved scalars.

Positions are kept in one array per document; these tests check them against PyYAML's
own composer (an independent record of where every node starts) and check that the
scalar cache changes no value and stays bounded.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykit.diagnostics import PolicykitError
from policykit.load import reader
from policykit.load.reader import YMap, YSeq, parse, unpack
from policykit.schema.errors import locate

pytestmark = pytest.mark.usefixtures("builder")

# Plain data with no anchors, aliases or tags, written in block and flow styles.
KEYS = st.sampled_from(["id", "when", "rules", "a", "b", "no", "1.10", "x y", "é"])
SCALARS = st.one_of(
    st.sampled_from(["v1", "0.5", "true", "no", "~", "2024-01-02", "12:30", "=", "", "é"]),
    st.integers(-5, 5),
    st.text(alphabet="abc xyz", min_size=1, max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, min_size=1, max_size=4)
    ),
    max_leaves=12,
)
DOCS = st.dictionaries(KEYS, VALUES, min_size=1, max_size=4)


def _plain(value: Any) -> Any:
    if isinstance(value, YMap):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, YSeq):
        return [_plain(v) for v in value]
    return value


def _pos(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _compare(value: Any, node: yaml.Node, path: tuple[str | int, ...], doc: Any) -> None:
    """Each position the reader kept equals where PyYAML's composer says the node starts,
    read both from the YMap/YSeq and through `locate`."""
    if isinstance(node, yaml.MappingNode):
        assert isinstance(value, YMap)
        assert unpack(value.pos) == _pos(node.start_mark)
        assert list(value) == [k.value for k, _ in node.value]
        for k, v in node.value:
            key = k.value
            assert unpack(value.kpos[key]) == unpack(value.key_position(key)) == _pos(k.start_mark)
            assert unpack(value.vpos[key]) == unpack(value.value_position(key))
            assert unpack(value.vpos[key]) == _pos(v.start_mark)
            assert locate(doc, (*path, key), key=True) == _pos(k.start_mark)
            assert locate(doc, (*path, key)) == _pos(v.start_mark)
            _compare(value[key], v, (*path, key), doc)
    elif isinstance(node, yaml.SequenceNode):
        assert isinstance(value, YSeq)
        assert unpack(value.pos) == _pos(node.start_mark)
        assert [unpack(p) for p in value.ipos] == [_pos(n.start_mark) for n in node.value]
        for i, item in enumerate(node.value):
            assert unpack(value.item_position(i)) == _pos(item.start_mark)
            assert locate(doc, (*path, i)) == _pos(item.start_mark)
            _compare(value[i], item, (*path, i), doc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS, st.sampled_from([None, True, False]), st.booleans())
def test_positions_agree_with_the_composer(data: Any, flow: bool | None, fast: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    with pytest.MonkeyPatch.context() as patch:
        if not fast:
            patch.setattr(reader, "_FastLoader", yaml.SafeLoader)
            patch.setattr(reader, "_fastyaml", None)
        doc = parse(text, "f.yaml")
    assert _plain(doc.data) == data
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert node is not None
    _compare(doc.data, node, (), doc)


@pytest.mark.parametrize("width", [4093, 4094, 4095, 5000])
def test_positions_past_the_narrow_packing(width: int) -> None:
    """Lines near and past 4095 characters (columns no longer fit the narrow packing),
    and many lines (line numbers no longer do)."""
    filler = "x" * (width - len("a: [") - len(", b]"))
    for text in (
        f"a: [{filler}, b]\nc:\nd: [{filler}, b]\n",
        f"a: {filler}\nb:\n",
        "\n" * 1_050_000 + "a: [1]\nb:\n",
    ):
        doc = parse(text, "f.yaml")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        assert node is not None
        _compare(doc.data, node, (), doc)


def test_positions_of_many_documents_do_not_mix() -> None:
    first = parse("a: [1, 2]\nb: {c: d}\n", "f.yaml").data
    second = parse("\n\nb: {c: d}\na: [1, 2]\n", "g.yaml").data
    assert unpack(first["a"].item_position(1)) == (1, 8)
    assert unpack(second["a"].item_position(1)) == (4, 8)
    assert unpack(first["b"].value_position("c")) == (2, 8)
    assert unpack(second["b"].value_position("c")) == (3, 8)


def test_position_lookups_of_missing_entries_raise() -> None:
    data = parse("a: [1]\n", "f.yaml").data
    with pytest.raises(KeyError):
        data.key_position("b")
    with pytest.raises(IndexError):
        data["a"].item_position(1)
    with pytest.raises(IndexError):
        data["a"].item_position(-1)


def test_an_alias_keeps_its_own_position_and_the_anchors_positions() -> None:
    data = parse("a: &x {k: [1]}\nb:\n  - *x\n", "f.yaml").data
    assert unpack(data["b"].item_position(0)) == (3, 5)  # where the alias stands
    assert data["b"][0] is data["a"]  # the same value, positions and all
    assert unpack(data["b"][0].value_position("k")) == (1, 11)


# -- the cache of resolved scalars ---------------------------------------------------

SCALAR_TEXT = "a: 1\nb: 2.5\nc: true\nd: 2024-01-02\ne: no\nf: ~\ng: 0x1F\nh: 12:30\ni: x\n"


def test_cached_scalars_resolve_as_uncached_ones() -> None:
    reader._SCALARS.clear()
    cold = parse(SCALAR_TEXT, "f.yaml").data
    warm = parse(SCALAR_TEXT, "f.yaml").data
    expected = {
        "a": 1,
        "b": 2.5,
        "c": True,
        "d": datetime.date(2024, 1, 2),
        "e": False,
        "f": None,
        "g": 31,
        "h": 750,
        "i": "x",
    }
    for data in (cold, warm):
        assert data == expected
        assert [type(v) for v in data.values()] == [type(v) for v in expected.values()]
    assert warm == yaml.safe_load(SCALAR_TEXT)


def test_invalid_scalars_are_reported_every_time() -> None:
    for _ in range(2):
        with pytest.raises(PolicykitError) as info:
            parse("a: 2024-02-30\n", "f.yaml")
        assert [d.code for d in info.value.diagnostics] == ["PK101"]
    assert "2024-02-30" not in reader._SCALARS


def test_quoted_text_is_never_resolved_through_the_cache() -> None:
    data = parse("a: 1\nb: '1'\nc: \"1\"\n", "f.yaml").data
    assert data == {"a": 1, "b": "1", "c": "1"}


def test_scalar_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_SCALARS_MAX", 50)
    reader._SCALARS.clear()
    text = "".join(f"k{i}: v{i}\n" for i in range(500))
    data = parse(text, "f.yaml").data
    assert data["k499"] == "v499"
    assert len(reader._SCALARS) <= 50
    long_text = "x" * (reader._SCALAR_TEXT_MAX + 1)
    parse(f"a: {long_text}\n", "f.yaml")
    assert long_text not in reader._SCALARS


def test_repeated_values_and_keys_share_one_string() -> None:
    data = parse("r:\n- {id: rule, when: v3}\n- {id: rule, when: v3}\n", "f.yaml").data
    first, second = data["r"]
    assert first["when"] is second["when"]
    assert next(iter(first)) is next(iter(second))
