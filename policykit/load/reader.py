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

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from policykit.codes import diag
from policykit.diagnostics import Diagnostic, PolicykitError, Related

try:
    from yaml import CSafeLoader as _FastLoader

    FAST_YAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _FastLoader = yaml.SafeLoader  # type: ignore[assignment,misc]
    FAST_YAML = False

_COL_BITS = 24
_COL_MASK = (1 << _COL_BITS) - 1


def pack(line: int, column: int) -> int:
    """A 1-based line and column in one int (positions are kept for every value)."""
    return (line << _COL_BITS) | column


def unpack(pos: int) -> tuple[int, int]:
    return pos >> _COL_BITS, pos & _COL_MASK


class YMap(dict[str, Any]):
    """A mapping read from YAML; ``kpos``/``vpos`` hold each key's and value's position."""

    __slots__ = ("kpos", "pos", "vpos")

    def __init__(self, pos: int) -> None:
        super().__init__()
        self.pos = pos
        self.kpos: dict[str, int] = {}
        self.vpos: dict[str, int] = {}


class YSeq(tuple[Any, ...]):
    """A sequence read from YAML; ``ipos`` holds each item's position."""

    pos: int
    ipos: tuple[int, ...]

    def __new__(cls, items: list[Any], pos: int, ipos: list[int]) -> YSeq:
        seq = super().__new__(cls, items)
        seq.pos = pos
        seq.ipos = tuple(ipos)
        return seq


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

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


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
        raise PolicykitError(
            [diag("PK100", f"cannot read file: {exc.strerror}", display)]
        ) from None
    if size > limits.max_bytes:
        raise PolicykitError(
            [
                diag(
                    "PK108",
                    f"file is {size} bytes, over the limit of {limits.max_bytes} bytes",
                    display,
                )
            ]
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limits.max_bytes + 1)
    except OSError as exc:
        raise PolicykitError(
            [diag("PK100", f"cannot read file: {exc.strerror}", display)]
        ) from None
    if len(raw) > limits.max_bytes:  # grew since stat, or a device file
        raise PolicykitError(
            [diag("PK108", f"file is over the limit of {limits.max_bytes} bytes", display)]
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
                    "PK103",
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
    tab = _TAB_INDENT.search(text)
    if tab:
        line = text.count("\n", 0, tab.start()) + 1
        col = tab.end() - tab.start()
        raise PolicykitError(
            [
                diag(
                    "PK102",
                    "tab character in indentation",
                    file,
                    line,
                    col,
                    hint="indent with spaces",
                )
            ]
        )
    try:
        data = _Builder(file, limits).build(yaml.parse(text, Loader=_FastLoader))
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
        raise PolicykitError([diag("PK101", f"YAML error: {exc}", file)]) from None
    except RecursionError:
        raise PolicykitError(
            [diag("PK107", f"nesting deeper than {limits.max_depth} levels", file)]
        ) from None
    return Document(file, data, text)


def _bad_character(text: str, index: int, char: str, file: str) -> PolicykitError:
    lines = (text[:index] + "x").splitlines()
    message = f"character {_codepoint(char)} is not allowed in YAML"
    return PolicykitError([diag("PK101", message, file, len(lines), len(lines[-1]))])


def _codepoint(char: int | str) -> str:
    return f"U+{char if isinstance(char, int) else ord(char):04X}"


def _syntax_error(exc: yaml.MarkedYAMLError, file: str, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = exc.problem or "invalid YAML"
    # libyaml's message does not always say that the character it stopped at is a tab.
    lines = text.splitlines() if mark else []
    at_tab = 0 < line <= len(lines) and lines[line - 1][col - 1 : col] == "\t"
    if at_tab or "\\t" in problem or "\t" in problem:
        return diag("PK102", "tab character where YAML does not allow one", file, line, col)
    message = problem
    if exc.context and exc.context_mark and exc.context_mark is not mark:
        cm = exc.context_mark
        message = f"{problem} ({exc.context} at line {cm.line + 1}, column {cm.column + 1})"
    elif exc.context:
        message = f"{exc.context}: {problem}"
    code = "PK103" if "special characters are not allowed" in problem else "PK101"
    return diag(code, message, file, line, col)


class _Frame:
    __slots__ = ("anchor", "ipos", "items", "key", "kpos", "node", "pos", "size")

    def __init__(self, node: YMap | None, pos: int, anchor: Any) -> None:
        self.node = node  # the YMap being filled, or None for a sequence
        self.anchor = anchor  # the start event, when it declares an anchor
        self.items: list[Any] = []
        self.ipos: list[int] = []
        self.key: str | None = None
        self.kpos = 0
        self.pos = pos
        self.size = 1


class _Builder:
    """Turns a parser event stream into YMap/YSeq values, enforcing the limits."""

    def __init__(self, file: str, limits: Limits) -> None:
        self.file = file
        self.limits = limits
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.alias_count = 0
        self.alias_nodes = 0

    def fail(self, code: str, message: str, mark: Any, **kw: Any) -> PolicykitError:
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        return PolicykitError([diag(code, message, self.file, line, col, **kw)])

    def build(self, events: Iterator[Any]) -> YMap:
        root: Any = None
        documents = 0
        stack: list[_Frame] = []
        for event in events:
            cls = type(event)
            if cls is yaml.ScalarEvent:
                self.check_tag(event)
                value = self.scalar(event)
                if event.anchor is not None:
                    self.anchor(event, value, 1)
                root = self.add(stack, value, event, 1, 0)
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                self.check_tag(event)
                if len(stack) >= self.limits.max_depth:
                    raise self.fail(
                        "PK107",
                        f"nesting deeper than {self.limits.max_depth} levels",
                        event.start_mark,
                    )
                mark = event.start_mark
                pos = pack(mark.line + 1, mark.column + 1)
                node = YMap(pos) if cls is yaml.MappingStartEvent else None
                stack.append(_Frame(node, pos, event if event.anchor is not None else None))
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                frame = stack.pop()
                value = (
                    frame.node
                    if frame.node is not None
                    else YSeq(frame.items, frame.pos, frame.ipos)
                )
                if frame.anchor is not None:
                    self.anchor(frame.anchor, value, frame.size)
                root = self.add(stack, value, event, frame.size, frame.pos)
            elif cls is yaml.AliasEvent:
                root = self.alias(stack, event)
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail(
                        "PK109",
                        "a second YAML document starts here; one document per file",
                        event.start_mark,
                    )
        if root is None:
            raise PolicykitError(
                [diag("PK110", "the file is empty; expected a mapping", self.file)]
            )
        return root  # type: ignore[no-any-return]

    def check_tag(self, event: Any) -> None:
        if event.tag is not None:
            # Name the tag as written: !!python/... rather than tag:yaml.org,2002:python/...
            tag = re.sub(r"^tag:yaml\.org,2002:", "!!", event.tag)
            raise self.fail(
                "PK105",
                f"explicit tag {tag!r} is not allowed",
                event.start_mark,
                hint="policykit files are plain data; remove the tag",
            )

    def scalar(self, event: Any) -> Any:
        if event.style:  # quoted or block scalar: always a string
            return event.value
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, (True, False))  # type: ignore[no-untyped-call]
        if tag == _STR_TAG:
            return event.value
        if tag == _NULL_TAG:
            return None
        # Call the scalar constructor directly: construct_object would keep every node
        # in the shared constructor's cache for good. `=` and `<<` have none: text.
        construct = _CONSTRUCTOR.yaml_constructors.get(tag)
        if construct is None:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            return construct(_CONSTRUCTOR, node)
        except (ValueError, OverflowError) as exc:  # 2024-02-30, 0x_
            kind = tag.rsplit(":", 1)[-1]
            raise self.fail(
                "PK101",
                f"{event.value!r} is not a valid {kind}: {exc}",
                event.start_mark,
                hint=f"quote it if it is text: '{event.value}'",
            ) from None

    def count_alias(self, mark: Any) -> None:
        self.alias_count += 1
        if self.alias_count > self.limits.max_aliases:
            raise self.fail(
                "PK106", f"more than {self.limits.max_aliases} anchors and aliases", mark
            )

    def anchor(self, event: Any, value: Any, size: int) -> None:
        self.count_alias(event.start_mark)
        self.anchors[event.anchor] = (value, size)

    def alias(self, stack: list[_Frame], event: Any) -> Any:
        self.count_alias(event.start_mark)
        if event.anchor not in self.anchors:
            raise self.fail("PK101", f"unknown alias *{event.anchor}", event.start_mark)
        value, size = self.anchors[event.anchor]
        self.alias_nodes += size
        if self.alias_nodes > self.limits.max_alias_nodes:
            raise self.fail(
                "PK106",
                f"aliases expand to more than {self.limits.max_alias_nodes} values",
                event.start_mark,
            )
        return self.add(stack, value, event, size, 0)

    def add(self, stack: list[_Frame], value: Any, event: Any, size: int, pos: int) -> Any:
        """Put a finished value into the enclosing collection; returns the root."""
        mark = event.start_mark
        if not stack:
            if not isinstance(value, YMap):
                line, col = unpack(pos) if pos else (mark.line + 1, mark.column + 1)
                raise PolicykitError(
                    [
                        diag(
                            "PK110",
                            "the document is not a mapping of keys to values",
                            self.file,
                            line,
                            col,
                        )
                    ]
                )
            return value
        frame = stack[-1]
        frame.size += size
        if not pos:
            pos = pack(mark.line + 1, mark.column + 1)
        node = frame.node
        if node is None:
            frame.items.append(value)
            frame.ipos.append(pos)
        elif frame.key is None:
            if type(event) is not yaml.ScalarEvent:
                line, col = unpack(pos)  # where the key starts, not where it ends
                raise PolicykitError(
                    [diag("PK115", "mapping keys must be plain strings", self.file, line, col)]
                )
            # A key is a name: `no:` or `1.10:` mean the text the user wrote.
            key = event.value
            if key in node:
                first_line, first_col = unpack(node.kpos[key])
                raise self.fail(
                    "PK104",
                    f"duplicate key {key!r} (first defined at line {first_line})",
                    mark,
                    related=(Related("first defined here", self.file, first_line, first_col),),
                )
            frame.key = key
            frame.kpos = pos
        else:
            key = frame.key
            node[key] = value
            node.kpos[key] = frame.kpos
            node.vpos[key] = pos
            frame.key = None
        return None
