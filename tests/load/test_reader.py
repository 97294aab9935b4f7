from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from policykit.diagnostics import PolicykitError, Related, Severity
from policykit.load import reader
from policykit.load.reader import FAST_YAML, Limits, YMap, YSeq, parse, read_file, unpack

pytestmark = pytest.mark.usefixtures("builder")

Finding = tuple[str, str, int, int]


def findings(exc: PolicykitError) -> list[Finding]:
    return [(d.code, d.message, d.line, d.column) for d in exc.diagnostics]


def parse_error(text: str, limits: Limits | None = None) -> list[Finding]:
    with pytest.raises(PolicykitError) as info:
        parse(text, "f.yaml", limits)
    assert all(d.file == "f.yaml" for d in info.value.diagnostics)
    return findings(info.value)


def read_error(tmp_path: Path, raw: bytes, limits: Limits | None = None) -> list[Finding]:
    path = tmp_path / "f.yaml"
    path.write_bytes(raw)
    with pytest.raises(PolicykitError) as info:
        read_file(path, "f.yaml", limits)
    return findings(info.value)


# -- each bad input, with its exact diagnostic ---------------------------------------

# Messages of these come from the parser itself; both parsers agree on code and place.
SYNTAX_ERRORS = [
    pytest.param(
        "a: 1\n b: 2\n",
        ("PK101", "mapping values are not allowed in this context", 2, 3),
        id="bad-indentation",
    ),
    pytest.param(
        "a: b: c\n",
        ("PK101", "mapping values are not allowed in this context", 1, 5),
        id="value-after-value",
    ),
    pytest.param(
        "a: [1, 2\n",
        (
            "PK101",
            "did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)",
            2,
            1,
        ),
        id="unclosed-flow-sequence",
    ),
]


@pytest.mark.skipif(not FAST_YAML, reason="the messages are libyaml's")
@pytest.mark.parametrize(("text", "expected"), SYNTAX_ERRORS)
def test_syntax_error(text: str, expected: Finding) -> None:
    assert parse_error(text) == [expected]


BAD_TEXT = [
    pytest.param("a:\n\tb: 1\n", ("PK102", "tab character in indentation", 2, 1), id="tab"),
    pytest.param(
        "a:\n  b: 1\n  \tc: 2\n",
        ("PK102", "tab character in indentation", 3, 3),
        id="tab-after-spaces",
    ),
    pytest.param(
        "a:\n  - x\n  -\t- y\n",
        ("PK102", "tab character where YAML does not allow one", 3, 4),
        id="tab-inside-line",
    ),
    pytest.param(
        "a: 1\nb: 2\na: 3\n",
        ("PK104", "duplicate key 'a' (first defined at line 1)", 3, 1),
        id="duplicate-key",
    ),
    pytest.param(
        "outer:\n  k: 1\n  'k': 2\n",
        ("PK104", "duplicate key 'k' (first defined at line 2)", 3, 3),
        id="duplicate-key-quoted",
    ),
    pytest.param(
        "metadata: !!python/object/apply:os.system ['rm -rf /']\n",
        ("PK105", "explicit tag '!!python/object/apply:os.system' is not allowed", 1, 11),
        id="python-tag",
    ),
    pytest.param(
        "a: !!str 1\n", ("PK105", "explicit tag '!!str' is not allowed", 1, 4), id="str-tag"
    ),
    pytest.param(
        "a: !local x\n", ("PK105", "explicit tag '!local' is not allowed", 1, 4), id="local-tag"
    ),
    pytest.param(
        "!!map\na: 1\n", ("PK105", "explicit tag '!!map' is not allowed", 1, 1), id="tag-on-root"
    ),
    pytest.param(
        "a: !<tag:example.com,2024:x> [1]\n",
        ("PK105", "explicit tag 'tag:example.com,2024:x' is not allowed", 1, 4),
        id="verbatim-tag",
    ),
    pytest.param(
        "a: &a 1\n" + "".join(f"b{i}: *a\n" for i in range(64)),
        ("PK106", "more than 64 anchors and aliases", 65, 6),
        id="too-many-aliases",
    ),
    pytest.param(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        ("PK106", "aliases expand to more than 10000 values", 4, 36),
        id="billion-laughs",
    ),
    pytest.param(
        "a: " + "[" * 64 + "]" * 64 + "\n",
        ("PK107", "nesting deeper than 64 levels", 1, 67),
        id="too-deep-flow",
    ),
    pytest.param(
        "".join("  " * i + f"k{i}:\n" for i in range(64)) + "  " * 64 + "k64: x\n",
        ("PK107", "nesting deeper than 64 levels", 65, 129),
        id="too-deep-block",
    ),
    pytest.param(
        "a: 1\n---\nb: 2\n",
        ("PK109", "a second YAML document starts here; one document per file", 2, 1),
        id="two-documents",
    ),
    pytest.param(
        "a: 1\n...\n---\nb: 2\n",
        ("PK109", "a second YAML document starts here; one document per file", 3, 1),
        id="two-documents-with-end-marker",
    ),
    pytest.param(
        "a: 1\n---\n",
        ("PK109", "a second YAML document starts here; one document per file", 2, 1),
        id="empty-second-document",
    ),
    pytest.param("", ("PK110", "the file is empty; expected a mapping", 0, 0), id="empty"),
    pytest.param(
        "  \n\n", ("PK110", "the file is empty; expected a mapping", 0, 0), id="whitespace"
    ),
    pytest.param(
        "# nothing here\n",
        ("PK110", "the file is empty; expected a mapping", 0, 0),
        id="only-a-comment",
    ),
    pytest.param(
        "- a\n- b\n",
        ("PK110", "the document is not a mapping of keys to values", 1, 1),
        id="top-level-list",
    ),
    pytest.param(
        "\n\nhello\n",
        ("PK110", "the document is not a mapping of keys to values", 3, 1),
        id="top-level-scalar",
    ),
    pytest.param(
        "~\n", ("PK110", "the document is not a mapping of keys to values", 1, 1), id="null"
    ),
    pytest.param(
        "---\n",
        ("PK110", "the document is not a mapping of keys to values", 2, 1),
        id="empty-explicit-document",
    ),
    pytest.param(
        "? [a, b]\n: c\n",
        ("PK115", "mapping keys must be plain strings", 1, 3),
        id="complex-key",
    ),
    pytest.param(
        "a:\n  ? {x: 1}\n  : c\n",
        ("PK115", "mapping keys must be plain strings", 2, 5),
        id="mapping-key",
    ),
    pytest.param("a: *nope\n", ("PK101", "unknown alias *nope", 1, 4), id="unknown-alias"),
    pytest.param("a: &x [*x]\n", ("PK101", "unknown alias *x", 1, 8), id="self-referencing-alias"),
    pytest.param(
        "a: ok\nb: x\x07y\n",
        ("PK101", "character U+0007 is not allowed in YAML", 2, 5),
        id="control-character",
    ),
    pytest.param(
        "x: 1\nab: éé\x07\n",
        ("PK101", "character U+0007 is not allowed in YAML", 2, 7),
        id="control-character-after-multibyte",
    ),
    pytest.param(
        "a: \ud800\n",
        ("PK101", "character U+D800 is not allowed in YAML", 1, 4),
        id="lone-surrogate",
    ),
    pytest.param(
        "a: 2024-02-30\n",
        ("PK101", "'2024-02-30' is not a valid timestamp: day is out of range for month", 1, 4),
        id="impossible-date",
    ),
    pytest.param(
        "a: 0x_\n",
        ("PK101", "'0x_' is not a valid int: invalid literal for int() with base 16: ''", 1, 4),
        id="empty-hex-number",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_TEXT)
def test_bad_text(text: str, expected: Finding) -> None:
    assert parse_error(text) == [expected]


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(PolicykitError) as info:
        parse("rules:\n  - id: a\n    id: b\n", "p.yaml")
    (d,) = info.value.diagnostics
    assert d.location == "p.yaml:3:5"
    assert d.message == "duplicate key 'id' (first defined at line 2)"
    assert d.related == (Related("first defined here", "p.yaml", 2, 5),)


def test_explicit_tag_hint() -> None:
    with pytest.raises(PolicykitError) as info:
        parse("a: !!python/name:os.system ''\n", "f.yaml")
    (d,) = info.value.diagnostics
    assert d.severity is Severity.ERROR
    assert d.hint == "policykit files are plain data; remove the tag"


def test_tab_hint() -> None:
    with pytest.raises(PolicykitError) as info:
        parse("a:\n\tb: 1\n", "f.yaml")
    assert info.value.diagnostics[0].hint == "indent with spaces"


def test_invalid_timestamp_hint_says_quote_it() -> None:
    with pytest.raises(PolicykitError) as info:
        parse("version: 2024-13-01\n", "f.yaml")
    (d,) = info.value.diagnostics
    assert d.message == "'2024-13-01' is not a valid timestamp: month must be in 1..12"
    assert d.hint == "quote it if it is text: '2024-13-01'"


def test_lower_limits_apply() -> None:
    limits = Limits(max_depth=2, max_aliases=2, max_alias_nodes=5)
    assert parse_error("a: {b: {c: 1}}\n", limits) == [
        ("PK107", "nesting deeper than 2 levels", 1, 8)
    ]
    assert parse_error("a: &x 1\nb: *x\nc: *x\n", limits) == [
        ("PK106", "more than 2 anchors and aliases", 3, 4)
    ]
    limits = Limits(max_aliases=10, max_alias_nodes=5)
    assert parse_error("a: &x [1, 2, 3]\nb: *x\nc: *x\n", limits) == [
        ("PK106", "aliases expand to more than 5 values", 3, 4)
    ]


# -- files: encoding and size --------------------------------------------------------


def test_non_utf8_byte(tmp_path: Path) -> None:
    raw = b"name: x\ntitle: caf\xe9\n"
    assert read_error(tmp_path, raw) == [("PK103", "byte 0xe9 is not valid UTF-8", 2, 11)]


def test_non_utf8_column_counts_characters(tmp_path: Path) -> None:
    raw = "name: x\ntïtle: ".encode() + b"caf\xe9\n"
    assert read_error(tmp_path, raw) == [("PK103", "byte 0xe9 is not valid UTF-8", 2, 11)]


def test_non_utf8_after_bom(tmp_path: Path) -> None:
    raw = b"\xef\xbb\xbftitle: caf\xe9\n"
    assert read_error(tmp_path, raw) == [("PK103", "byte 0xe9 is not valid UTF-8", 1, 11)]


def test_utf16_is_not_utf8(tmp_path: Path) -> None:
    raw = "a: 1\n".encode("utf-16")
    assert read_error(tmp_path, raw) == [("PK103", "byte 0xff is not valid UTF-8", 1, 1)]


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: x\nitems: [a]\n")
    doc = read_file(path, "f.yaml")
    assert doc.data == {"name": "x", "items": ("a",)}
    assert unpack(doc.data.kpos["name"]) == (1, 1)
    assert unpack(doc.data.vpos["items"]) == (2, 8)
    assert doc.line_text(1) == "name: x"


def test_bom_is_accepted_by_parse() -> None:
    assert parse("\ufeffa: 1\n", "f.yaml").data == {"a": 1}


def test_file_over_size_cap_is_rejected_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("yaml.parse was called")

    monkeypatch.setattr(yaml, "parse", no_parsing)
    raw = b"a: " + b"x" * 200 + b"\n"
    assert read_error(tmp_path, raw, Limits(max_bytes=100)) == [
        ("PK108", "file is 204 bytes, over the limit of 100 bytes", 0, 0)
    ]


def test_file_at_size_cap_is_read(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: " + b"x" * 96 + b"\n")
    assert read_file(path, "f.yaml", Limits(max_bytes=100)).data == {"a": "x" * 96}


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_endless_file_is_cut_at_size_cap() -> None:
    # stat() says 0 bytes; the read is what finds the file too large.
    with pytest.raises(PolicykitError) as info:
        read_file("/dev/zero", "zero.yaml", Limits(max_bytes=100))
    assert findings(info.value) == [("PK108", "file is over the limit of 100 bytes", 0, 0)]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicykitError) as info:
        read_file(tmp_path / "nope.yaml", "nope.yaml")
    assert findings(info.value) == [("PK100", "cannot read file: No such file or directory", 0, 0)]
    assert info.value.diagnostics[0].file == "nope.yaml"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(PolicykitError) as info:
        read_file(tmp_path, "dir")
    assert findings(info.value) == [("PK100", "cannot read file: Is a directory", 0, 0)]


def test_display_name_defaults_to_path(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\n")
    assert read_file(path).file == str(path)


# -- values and positions ------------------------------------------------------------

POSITIONS = """\
name: demo
rules:
  - id: a
    when: {audience: [adult, minor]}
  - plain
empty:
"""


def test_positions_of_keys_values_and_items() -> None:
    data = parse(POSITIONS, "f.yaml").data
    assert isinstance(data, YMap)
    assert unpack(data.pos) == (1, 1)
    assert {k: unpack(v) for k, v in data.kpos.items()} == {
        "name": (1, 1),
        "rules": (2, 1),
        "empty": (6, 1),
    }
    assert {k: unpack(v) for k, v in data.vpos.items()} == {
        "name": (1, 7),
        "rules": (3, 3),
        "empty": (6, 7),
    }
    rules = data["rules"]
    assert isinstance(rules, YSeq)
    assert [unpack(p) for p in rules.ipos] == [(3, 5), (5, 5)]
    first = rules[0]
    assert unpack(first.kpos["when"]) == (4, 5)
    assert unpack(first.vpos["when"]) == (4, 11)
    when = first["when"]
    assert unpack(when.vpos["audience"]) == (4, 22)
    assert [unpack(p) for p in when["audience"].ipos] == [(4, 23), (4, 30)]
    assert data == {
        "name": "demo",
        "rules": ({"id": "a", "when": {"audience": ("adult", "minor")}}, "plain"),
        "empty": None,
    }


def test_alias_position_is_where_the_alias_stands() -> None:
    data = parse("a: &x [1]\nb:\n  - *x\n", "f.yaml").data
    assert data["b"] == ((1,),)
    assert [unpack(p) for p in data["b"].ipos] == [(3, 5)]


def test_yaml11_scalars_resolve_like_safe_load() -> None:
    text = "a: no\nb: 1.10\nc: 12:30\nd: '1.10'\ne: .nan\nf: =\n1.10: key\nno: key\n"
    data = parse(text, "f.yaml").data
    assert data["a"] is False
    assert data["b"] == 1.1
    assert data["c"] == 750
    assert data["d"] == "1.10"
    assert data["e"] != data["e"]  # nan
    assert data["f"] == "="
    # keys are names: the text as written
    assert data["1.10"] == "key"
    assert data["no"] == "key"


def test_aliases_under_the_cap_are_accepted() -> None:
    text = "base: &b {x: 1}\n" + "".join(f"c{i}: *b\n" for i in range(63))
    data = parse(text, "f.yaml").data
    assert len(data) == 64
    assert data["c62"] == {"x": 1}


def test_nesting_at_the_cap_is_accepted() -> None:
    text = "a: " + "[" * 63 + "]" * 63 + "\n"
    data = parse(text, "f.yaml").data
    depth, node = 1, data["a"]
    while node:
        depth, node = depth + 1, node[0]
    assert depth == 63


# -- the pure-Python parser ----------------------------------------------------------

# Every bad input above; syntax errors are worded by each parser in its own way.
BOTH_PARSERS = [pytest.param(*p.values, True, id=p.id) for p in BAD_TEXT] + [
    pytest.param(*p.values, False, id=p.id) for p in SYNTAX_ERRORS
]


@pytest.mark.parametrize(("text", "expected", "same_message"), BOTH_PARSERS)
def test_pure_python_parser_gives_the_same_result(
    text: str, expected: Finding, same_message: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_FastLoader", yaml.SafeLoader)
    monkeypatch.setattr(reader, "_fastyaml", None)
    got = parse_error(text)
    if same_message:
        assert got == [expected]
    else:
        assert [(code, line, col) for code, _, line, col in got] == [
            (expected[0], expected[2], expected[3])
        ]


def test_pure_python_parser_reads_the_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = parse(POSITIONS, "f.yaml").data
    monkeypatch.setattr(reader, "_FastLoader", yaml.SafeLoader)
    monkeypatch.setattr(reader, "_fastyaml", None)
    slow = parse(POSITIONS, "f.yaml").data
    assert slow == fast
    assert slow.kpos == fast.kpos and slow.vpos == fast.vpos
    assert slow["rules"].ipos == fast["rules"].ipos


def test_recursion_error_becomes_nesting_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_fastyaml", None)  # what the Python builder does

    def recurse(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(reader._Builder, "add", recurse)
    assert parse_error("a: 1\n") == [("PK107", "nesting deeper than 64 levels", 0, 0)]


def test_unexpected_yaml_error_becomes_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_fastyaml", None)  # what the Python builder does

    def broken(*args: object, **kwargs: object) -> None:
        raise yaml.YAMLError("something odd")

    monkeypatch.setattr(yaml, "parse", broken)
    assert parse_error("a: 1\n") == [("PK101", "YAML error: something odd", 0, 0)]


def test_scalar_cache_does_not_grow() -> None:
    # The constructor is shared by every parse; its node cache must stay empty.
    for _ in range(3):
        parse("a: 1\nb: 2.5\nc: true\nd: 2024-01-02\n", "f.yaml")
    assert reader._CONSTRUCTOR.constructed_objects == {}
    assert reader._CONSTRUCTOR.recursive_objects == {}
