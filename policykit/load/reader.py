"""Safe YAML reading for untrusted policy files.

The reader works on the parser's event stream (libyaml's, through ``CSafeLoader``,
where PyYAML was built with it) and builds plain Python values itself, so it can refuse
what a policy file never needs before any of it is constructed: explicit tags, alias
expansion bombs, deep nesting, duplicate keys, several documents. Mappings and
sequences are built as :class:`YMap` and :class:`YSeq`, which remember where each key
and item stood, so every later stage can point at the source.

Scalars resolve as PyYAML's safe loader resolves them (YAML 1.1: ``no`` is false,
``1.10`` is a float, ``12:30`` is an int); the schema stage turns such values in string
fields into a "quote it" diagnostic instead of silently accepting them.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import re
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from policykit.codes import (
    PK100,
    PK101,
    PK102,
    PK103,
    PK104,
    PK105,
    PK106,
    PK107,
    PK108,
    PK109,
    PK110,
    PK115,
    Code,
    diag,
)
from policykit.diagnostics import Diagnostic, PolicykitError, Related

try:
    from yaml import CSafeLoader as _FastLoader

    FAST_YAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _FastLoader = yaml.SafeLoader  # type: ignore[assignment,misc]
    FAST_YAML = False

# The common case of the builder below, in C (policykit/load/_fastyaml.c), built when
# policykit is installed where a C compiler and libyaml's headers are found; without it,
# or with POLICYKIT_PURE_PYTHON set, every document takes the Python path, with the
# same values, positions and diagnostics, only slower.
_FASTYAML_ABI = 3
_fastyaml: Any
try:
    if os.environ.get("POLICYKIT_PURE_PYTHON"):
        raise ImportError("POLICYKIT_PURE_PYTHON is set")
    from policykit.load import _fastyaml  # type: ignore[attr-defined,no-redef]

    if _fastyaml.ABI != _FASTYAML_ABI:  # left over from an older build of the source
        _fastyaml = None
except ImportError:
    _fastyaml = None

_COL_BITS = 24
_COL_MASK = (1 << _COL_BITS) - 1


def pack(line: int, column: int) -> int:
    """A 1-based line and column in one int (positions are kept for every value)."""
    return (line << _COL_BITS) | column


def unpack(pos: int) -> tuple[int, int]:
    return pos >> _COL_BITS, pos & _COL_MASK


# Positions are kept for every key, value and item, but read only to report a finding.
# Two dicts of positions per mapping took more memory than the mappings themselves, so
# each document keeps its positions in one flat array of packed ints, and each mapping
# or sequence knows where its run starts. A mapping's run is its own position, then the
# key's and the value's position of each entry, in key order; a sequence's run is its
# own position, then each item's. Where every line of a file is shorter than 4095
# characters and the file has fewer than 2**20, a position fits in 32 bits (line << 12 |
# column) and the array holds those (typecode "I"); otherwise the packing of `pack`.
_NARROW_BITS = 12
_NARROW_MASK = (1 << _NARROW_BITS) - 1
_NARROW = "I" if array("I").itemsize == 4 else ""
_LINE_BREAK = re.compile("[\n\r\x85\u2028\u2029]")  # YAML's line breaks (\r\n is two)


def _packing(text: str) -> tuple[str, int]:
    """The array typecode and the column bits for the positions of ``text``: narrow
    when no line reaches column 4095 (a value may start just past a line's end) and
    there are fewer lines than 2**20 (there are at most as many as characters, plus 1)."""
    if (
        _NARROW
        and len(text) + 1 < 1 << (32 - _NARROW_BITS)
        and (len(text) < _NARROW_MASK or max(map(len, _LINE_BREAK.split(text))) < _NARROW_MASK)
    ):
        return _NARROW, _NARROW_BITS
    return "Q", _COL_BITS


def _position(at: array[int], index: int) -> int:
    """Entry ``index`` of a positions array, in the public packing of :func:`pack`."""
    pos = at[index]
    if at.typecode == _NARROW:
        return (pos >> _NARROW_BITS) << _COL_BITS | (pos & _NARROW_MASK)
    return pos


class YMap(dict[str, Any]):
    """A mapping read from YAML that knows where its keys and values stand.

    ``pos`` is where the mapping starts; ``kpos``/``vpos`` map each key to the
    position of the key and of its value (built on request: to look one up, use
    :meth:`key_position` and :meth:`value_position`).
    """

    __slots__ = ("_at", "_base")

    _at: array[int]
    _base: int

    @property
    def pos(self) -> int:
        return _position(self._at, self._base)

    @property
    def kpos(self) -> dict[str, int]:
        at, base = self._at, self._base + 1
        return {k: _position(at, base + 2 * i) for i, k in enumerate(self)}

    @property
    def vpos(self) -> dict[str, int]:
        at, base = self._at, self._base + 2
        return {k: _position(at, base + 2 * i) for i, k in enumerate(self)}

    def key_position(self, key: str) -> int:
        return _position(self._at, self._base + 1 + 2 * self._index(key))

    def value_position(self, key: str) -> int:
        return _position(self._at, self._base + 2 + 2 * self._index(key))

    def _index(self, key: str) -> int:
        if key not in self:
            raise KeyError(key)
        # Finding a key's place is a scan of the mapping; a file with thousands of
        # unknown keys in one mapping asks once per key, so the few mappings asked
        # about last keep their key-to-place tables (held here, not on every YMap).
        found = _INDEXES.get(id(self))
        if found is None or found[0] is not self:
            if len(_INDEXES) >= 8:
                _INDEXES.clear()
            found = _INDEXES[id(self)] = (self, {k: i for i, k in enumerate(self)})
        return found[1][key]


_INDEXES: dict[int, tuple[YMap, dict[str, int]]] = {}


class YSeq(tuple[Any, ...]):
    """A sequence read from YAML; ``pos`` is where it starts, ``ipos`` where each item
    does (to look one up, use :meth:`item_position`)."""

    _at: array[int]
    _base: int

    @property
    def pos(self) -> int:
        return _position(self._at, self._base)

    @property
    def ipos(self) -> tuple[int, ...]:
        base = self._base + 1
        return tuple(_position(self._at, base + i) for i in range(len(self)))

    def item_position(self, index: int) -> int:
        if not 0 <= index < len(self):
            raise IndexError(index)
        return _position(self._at, self._base + 1 + index)


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that keep a hostile file from costing time or memory."""

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 64
    max_aliases: int = 64
    max_alias_nodes: int = 10_000


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed file: its data (a :class:`YMap`) and the text it came from."""

    file: str
    data: YMap
    text: str
    _starts: list[int] = field(default_factory=list, compare=False, repr=False)
    """Where each line starts in ``text``, found on the first call of line_text."""

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) as an editor shows it: lines end at LF, CR or CRLF
        only, never at NEL, LS or PS (which YAML 1.2 and editors do not break at)."""
        starts = self._starts
        if not starts:
            starts += line_starts(self.text)
        if not 0 < line <= len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r\n")


_EDITOR_BREAK = re.compile("\r\n?|\n")
_LIBYAML_BREAK = re.compile("\r\n?|[\n\x85\u2028\u2029]")
_ODD_BREAK = re.compile("[\x85\u2028\u2029]")
"""What libyaml (YAML 1.1) ends a line at but an editor does not."""


def line_starts(text: str) -> list[int]:
    """The offset of each line of ``text``, lines ending at LF, CR or CRLF."""
    return [0, *(m.end() for m in _EDITOR_BREAK.finditer(text))]


def split_lines(text: str) -> list[str]:
    """``text`` split as :func:`line_starts` splits it (``str.splitlines`` also breaks at
    NEL, LS, PS, VT, FF and the file separators, which would shift every later line)."""
    return _EDITOR_BREAK.split(text)


class _Remap:
    """libyaml's (line, column) to an editor's, for text with NEL, LS or PS in it:
    libyaml counts each as a line break, so every later line number was off."""

    def __init__(self, text: str) -> None:
        self.yaml_starts = [0, *(m.end() for m in _LIBYAML_BREAK.finditer(text))]
        self.real_starts = line_starts(text)

    def __call__(self, line: int, column: int) -> tuple[int, int]:
        """1-based in, 1-based out."""
        if not 0 < line <= len(self.yaml_starts):
            return line, column
        offset = self.yaml_starts[line - 1] + column - 1
        real = bisect.bisect_right(self.real_starts, offset)
        return real, offset - self.real_starts[real - 1] + 1

    def positions(self, data: YMap) -> None:
        """Every position of the document of ``data``, rewritten in place."""
        old = data._at
        narrow = old.typecode == _NARROW
        new = array("Q")
        for i in range(len(old)):
            line, column = unpack(_position(old, i))
            if line:
                line, column = self(line, column)
            new.append(pack(line, column))
        if narrow:  # reuse the narrow array when every remapped position still fits
            if all((p >> _COL_BITS) < 1 << 20 and (p & _COL_MASK) < _NARROW_MASK for p in new):
                old[:] = array(
                    old.typecode, ((p >> _COL_BITS) << _NARROW_BITS | (p & _COL_MASK) for p in new)
                )
                return
        else:
            old[:] = new
            return
        stack: list[Any] = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, (YMap, YSeq)) and node._at is old:
                node._at = new
                stack.extend(node.values() if isinstance(node, YMap) else node)

    def diagnostics(self, exc: PolicykitError) -> PolicykitError:
        return PolicykitError([self.diagnostic(d) for d in exc.diagnostics])

    def diagnostic(self, d: Diagnostic) -> Diagnostic:
        line, column = self(d.line, d.column) if d.line else (d.line, d.column)
        related = tuple(
            dataclasses.replace(r, line=self(r.line, r.column)[0], column=self(r.line, r.column)[1])
            if r.line and r.file == d.file
            else r
            for r in d.related
        )
        return dataclasses.replace(d, line=line, column=column, related=related)


_TAB_INDENT = re.compile(r"^[ ]*\t", re.MULTILINE)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"


def read_text(path: str | os.PathLike[str], display: str, limits: Limits) -> str:
    """The file's text, after the checks that need no parsing (size, encoding)."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise PolicykitError([diag(PK100, f"cannot read file: {exc.strerror}", display)]) from None
    if size > limits.max_bytes:
        raise PolicykitError(
            [
                diag(
                    PK108,
                    f"file is {size} bytes, over the limit of {limits.max_bytes} bytes",
                    display,
                )
            ]
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limits.max_bytes + 1)
    except OSError as exc:
        raise PolicykitError([diag(PK100, f"cannot read file: {exc.strerror}", display)]) from None
    if len(raw) > limits.max_bytes:  # grew since stat, or a device file
        raise PolicykitError(
            [diag(PK108, f"file is over the limit of {limits.max_bytes} bytes", display)]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # exc.start counts from after the BOM that utf-8-sig strips; columns count
        # characters, as the parser's do, not bytes.
        data = exc.object
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8")) + 1
        raise PolicykitError(
            [
                diag(
                    PK103,
                    f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
                    display,
                    line,
                    col,
                )
            ]
        ) from None


def read_file(
    path: str | os.PathLike[str], display: str | None = None, limits: Limits | None = None
) -> Document:
    """Read and parse one policykit file; raises :class:`PolicykitError` on bad input."""
    limits = limits or Limits()
    display = display if display is not None else os.fspath(path)
    return parse(read_text(path, display, limits), display, limits)


def parse(text: str, file: str, limits: Limits | None = None) -> Document:
    """Parse YAML text into a :class:`Document`; raises :class:`PolicykitError`."""
    limits = limits or Limits()
    if text.startswith("\ufeff"):
        text = text[1:]
    tab = _TAB_INDENT.search(text) if "\t" in text else None
    if tab:
        line = text.count("\n", 0, tab.start()) + 1
        col = tab.end() - tab.start()
        raise PolicykitError(
            [
                diag(
                    PK102,
                    "tab character in indentation",
                    file,
                    line,
                    col,
                    hint="indent with spaces",
                )
            ]
        )
    if _ODD_BREAK.search(text):
        remap = _Remap(text)
        try:
            document = _parse(text, file, limits)
        except PolicykitError as exc:
            raise remap.diagnostics(exc) from None
        remap.positions(document.data)
        return document
    return _parse(text, file, limits)


def _parse(text: str, file: str, limits: Limits) -> Document:
    data = _build_fast(text, limits)
    if data is not None:
        return Document(file, data, text)
    try:
        data = _Builder(file, limits, *_packing(text)).build(yaml.parse(text, Loader=_FastLoader))
    except yaml.MarkedYAMLError as exc:
        raise PolicykitError([_syntax_error(exc, file, text)]) from None
    except yaml.reader.ReaderError as exc:
        # libyaml's position counts UTF-8 bytes; the first occurrence of the character
        # is the one reported, since any earlier one would have been reported instead.
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        index = text.find(char)
        raise _bad_character(text, index if index >= 0 else exc.position, char, file) from None
    except UnicodeEncodeError as exc:  # a lone surrogate, which libyaml cannot take
        raise _bad_character(text, exc.start, text[exc.start], file) from None
    except yaml.YAMLError as exc:
        raise PolicykitError([diag(PK101, f"YAML error: {exc}", file)]) from None
    except RecursionError:
        raise PolicykitError(
            [diag(PK107, f"nesting deeper than {limits.max_depth} levels", file)]
        ) from None
    return Document(file, data, text)


def has_fast_builder() -> bool:
    """Whether the C reader was built and is in use."""
    return _fastyaml is not None


def _build_fast(text: str, limits: Limits) -> YMap | None:
    """The document built by the C reader, or None where the Python builder must run:
    the C reader is not built, or the document has something it leaves to that builder
    (any error, a tag, an anchor or alias, a scalar that does not resolve)."""
    if _fastyaml is None:
        return None
    try:
        data: YMap | None = _fastyaml.build(
            text,
            _NARROW,
            limits.max_depth,
            YMap,
            YSeq,
            _SCALARS,
            _SCALARS_MAX,
            _SCALAR_TEXT_MAX,
            resolve_plain,
            _RESOLVED_STARTS,
            array,
        )
    except UnicodeEncodeError:  # a lone surrogate: the Python path reports it
        return None
    return data


def _bad_character(text: str, index: int, char: str, file: str) -> PolicykitError:
    lines = split_lines(text[:index] + "x")
    message = f"character {_codepoint(char)} is not allowed in YAML"
    return PolicykitError([diag(PK101, message, file, len(lines), len(lines[-1]))])


def _codepoint(char: int | str) -> str:
    return f"U+{char if isinstance(char, int) else ord(char):04X}"


def _syntax_error(exc: yaml.MarkedYAMLError, file: str, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = exc.problem or "invalid YAML"
    # libyaml's message does not always say that the character it stopped at is a tab.
    lines = split_lines(text) if mark else []
    at_tab = 0 < line <= len(lines) and lines[line - 1][col - 1 : col] == "\t"
    if at_tab or "\\t" in problem or "\t" in problem:
        return diag(PK102, "tab character where YAML does not allow one", file, line, col)
    message = problem
    if exc.context and exc.context_mark and exc.context_mark is not mark:
        cm = exc.context_mark
        message = f"{problem} ({exc.context} at line {cm.line + 1}, column {cm.column + 1})"
    elif exc.context:
        message = f"{exc.context}: {problem}"
    code = PK103 if "special characters are not allowed" in problem else PK101
    return diag(code, message, file, line, col)


# Resolved plain scalars by their text. Policy files repeat the same few values
# (behavior ids, dimension values, probabilities) thousands of times; resolving each
# runs several regular expressions, and sharing the result also shares the string.
# Every value is immutable (str, int, float, bool, None, date), so sharing is safe.
# Bounded, since a long run meets any number of distinct values; long texts (prose)
# rarely repeat and are not kept.
_SCALARS: dict[str, Any] = {}
_SCALARS_MAX = 8192
_SCALAR_TEXT_MAX = 64
_MISSING = object()

_ScalarEvent = yaml.ScalarEvent
_MappingStartEvent = yaml.MappingStartEvent
_MappingEndEvent = yaml.MappingEndEvent
_SequenceStartEvent = yaml.SequenceStartEvent
_SequenceEndEvent = yaml.SequenceEndEvent
_AliasEvent = yaml.AliasEvent
_DocumentStartEvent = yaml.DocumentStartEvent


# The first characters of the texts that the resolver may turn into something else than
# a string (the empty text is always resolved); None where some resolver is tried on
# every text (none is, in PyYAML's).
_RESOLVED_STARTS: str | None = (
    None
    if None in _RESOLVER.yaml_implicit_resolvers
    else "".join(sorted(k for k in _RESOLVER.yaml_implicit_resolvers if k))
)


def _resolve_tag(text: str) -> str:
    return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call,no-any-return]


def resolve_plain(text: str) -> Any:
    """A plain scalar's value, resolved as PyYAML's safe loader resolves it, and
    remembered in the scalar cache; raises ValueError or OverflowError for text that
    looks like an int, float or date but is not a valid one (``2024-02-30``)."""
    tag = _resolve_tag(text)
    if tag == _STR_TAG:
        value: Any = text
    elif tag == _NULL_TAG:
        value = None
    else:
        # Call the scalar constructor directly: construct_object would keep every node
        # in the shared constructor's cache for good. `=` and `<<` have none: text.
        construct = _CONSTRUCTOR.yaml_constructors.get(tag)
        value = text if construct is None else construct(_CONSTRUCTOR, yaml.ScalarNode(tag, text))
    if len(text) <= _SCALAR_TEXT_MAX:
        if len(_SCALARS) >= _SCALARS_MAX:
            _SCALARS.clear()
        _SCALARS[text] = value
    return value


class _Builder:
    """Turns a parser event stream into YMap/YSeq values, enforcing the limits."""

    def __init__(
        self, file: str, limits: Limits, typecode: str = "Q", col_bits: int = _COL_BITS
    ) -> None:
        self.file = file
        self.limits = limits
        self.typecode = typecode
        self.col_bits = col_bits
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.alias_count = 0
        self.alias_nodes = 0

    def fail(self, code: Code, message: str, mark: Any, **kw: Any) -> PolicykitError:
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        return PolicykitError([diag(code, message, self.file, line, col, **kw)])

    def build(self, events: Iterator[Any]) -> YMap:
        """The document's root mapping.

        This loop runs once per event, tens of events per rule, and is most of the
        time `validate` takes on a large project, so it keeps the collection being
        filled in local variables (saved on ``stack`` while a nested one is open)
        and leaves only rare cases and errors to methods.
        """
        max_depth = self.limits.max_depth
        scalars = _SCALARS
        intern = sys.intern
        positions: array[int] = array(self.typecode)
        line_unit = 1 << self.col_bits
        first = line_unit + 1  # line 1, column 1: the parser counts both from 0
        root: YMap | None = None
        documents = 0
        stack: list[tuple[Any, ...]] = []
        # The collection being filled: a mapping (``node``) or a sequence's items
        # (``items``), neither at the top level; ``run`` is its own position, then the
        # positions of what it holds; ``key`` the key waiting for its value; ``size``
        # how many values it holds, counted as an alias would expand them.
        node: YMap | None = None
        items: list[Any] | None = None
        run: list[int] = []
        key: str | None = None
        size = 0
        anchor: Any = None  # the start event, when it declares an anchor
        for event in events:
            cls = event.__class__
            if cls is _ScalarEvent:
                if event.tag is not None:
                    raise self.tag_error(event)
                text = event.value
                if event.style:  # quoted or block scalar: always a string
                    value = text
                else:
                    value = scalars.get(text, _MISSING)
                    if value is _MISSING:
                        value = self.scalar(event)
                if event.anchor is not None:
                    self.anchor(event, value, 1)
                mark = event.start_mark
                pos = mark.line * line_unit + mark.column + first
                if node is not None:
                    if key is None:
                        # A key is a name: `no:` or `1.10:` mean the text the user wrote.
                        key = intern(text)
                        if key in node:
                            raise self.duplicate(node, run, key, mark)
                    else:
                        node[key] = value
                        key = None
                elif items is not None:
                    items.append(value)
                else:
                    root = self.add(value, mark, 0)
                run.append(pos)
                size += 1
            elif cls is _MappingEndEvent or cls is _SequenceEndEvent:
                value = node if node is not None else YSeq(items)  # type: ignore[arg-type]
                value._at = positions
                value._base = len(positions)
                positions.extend(run)
                pos = run[0]
                inner = size
                inner_anchor = anchor
                node, items, run, key, size, anchor = stack.pop()
                if inner_anchor is not None:
                    self.anchor(inner_anchor, value, inner)
                if node is not None:
                    if key is None:
                        raise self.not_a_key(pos)
                    node[key] = value
                    key = None
                elif items is not None:
                    items.append(value)
                else:
                    root = self.add(value, event.start_mark, pos)
                run.append(pos)
                size += inner
            elif cls is _MappingStartEvent or cls is _SequenceStartEvent:
                if event.tag is not None:
                    raise self.tag_error(event)
                if len(stack) >= max_depth:
                    raise self.fail(
                        PK107, f"nesting deeper than {max_depth} levels", event.start_mark
                    )
                mark = event.start_mark
                stack.append((node, items, run, key, size, anchor))
                if cls is _MappingStartEvent:
                    node, items = YMap(), None
                else:
                    node, items = None, []
                run = [mark.line * line_unit + mark.column + first]
                key = None
                size = 1
                anchor = event if event.anchor is not None else None
            elif cls is _AliasEvent:
                mark = event.start_mark
                value, inner = self.alias(event)
                pos = mark.line * line_unit + mark.column + first
                if node is not None:
                    if key is None:
                        raise self.not_a_key(pos)
                    node[key] = value
                    key = None
                elif items is not None:
                    items.append(value)
                else:
                    root = self.add(value, mark, 0)
                run.append(pos)
                size += inner
            elif cls is _DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail(
                        PK109,
                        "a second YAML document starts here; one document per file",
                        event.start_mark,
                    )
        if root is None:
            raise PolicykitError([diag(PK110, "the file is empty; expected a mapping", self.file)])
        return root

    def tag_error(self, event: Any) -> PolicykitError:
        # Name the tag as written: !!python/... rather than tag:yaml.org,2002:python/...
        tag = re.sub(r"^tag:yaml\.org,2002:", "!!", event.tag)
        return self.fail(
            PK105,
            f"explicit tag {tag!r} is not allowed",
            event.start_mark,
            hint="policykit files are plain data; remove the tag",
        )

    def scalar(self, event: Any) -> Any:
        """A plain scalar's value, resolved as the safe loader would (and remembered)."""
        text = event.value
        try:
            return resolve_plain(text)
        except (ValueError, OverflowError) as exc:  # 2024-02-30, 0x_
            kind = _resolve_tag(text).rsplit(":", 1)[-1]
            raise self.fail(
                PK101,
                f"{text!r} is not a valid {kind}: {exc}",
                event.start_mark,
                hint=f"quote it if it is text: '{text}'",
            ) from None

    def count_alias(self, mark: Any) -> None:
        self.alias_count += 1
        if self.alias_count > self.limits.max_aliases:
            raise self.fail(PK106, f"more than {self.limits.max_aliases} anchors and aliases", mark)

    def anchor(self, event: Any, value: Any, size: int) -> None:
        self.count_alias(event.start_mark)
        self.anchors[event.anchor] = (value, size)

    def alias(self, event: Any) -> tuple[Any, int]:
        """The anchored value an alias stands for, and how many values it holds."""
        self.count_alias(event.start_mark)
        if event.anchor not in self.anchors:
            raise self.fail(PK101, f"unknown alias *{event.anchor}", event.start_mark)
        value, size = self.anchors[event.anchor]
        self.alias_nodes += size
        if self.alias_nodes > self.limits.max_alias_nodes:
            raise self.fail(
                PK106,
                f"aliases expand to more than {self.limits.max_alias_nodes} values",
                event.start_mark,
            )
        return value, size

    def add(self, value: Any, mark: Any, pos: int) -> YMap:
        """The finished top-level value, which must be a mapping; ``pos`` is where a
        collection started (0 for a scalar or alias: then ``mark``)."""
        if not isinstance(value, YMap):
            line, col = self.unpack(pos) if pos else (mark.line + 1, mark.column + 1)
            raise PolicykitError(
                [
                    diag(
                        PK110,
                        "the document is not a mapping of keys to values",
                        self.file,
                        line,
                        col,
                    )
                ]
            )
        return value

    def unpack(self, pos: int) -> tuple[int, int]:
        """A position packed as this document's array holds them."""
        return pos >> self.col_bits, pos & ((1 << self.col_bits) - 1)

    def not_a_key(self, pos: int) -> PolicykitError:
        line, col = self.unpack(pos)  # where the key starts, not where it ends
        return PolicykitError(
            [diag(PK115, "mapping keys must be plain strings", self.file, line, col)]
        )

    def duplicate(self, node: YMap, run: list[int], key: str, mark: Any) -> PolicykitError:
        first_line, first_col = self.unpack(run[1 + 2 * list(node).index(key)])
        return self.fail(
            PK104,
            f"duplicate key {key!r} (first defined at line {first_line})",
            mark,
            related=(Related("first defined here", self.file, first_line, first_col),),
        )
