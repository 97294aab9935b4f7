"""The one reader of the spec artifact: every command that reads a spec reads it here.

A spec file may have been truncated, edited by hand or tampered with, or written by
another version of policykit, so nothing in it is trusted:

1. Only a regular file is read (a FIFO would hang, ``/dev/zero`` never ends), and at
   most ``max_bytes`` of it, checked before the bytes are parsed.
2. Its nesting is measured on the raw bytes before parsing, so a 100k-deep ``[[[...``
   never reaches a recursive parser.
3. The format version is gated first, with one line that says what to do
   (dbt's ``upgrade_schema_version``): a spec of another version is refused before its
   shape is looked at.
4. The whole document is validated against the artifact's model, whose JSON Schema is
   ``spec_json_schema()`` (``policykit/schemas/spec.schema.json``), then against what
   the schema cannot say: each behavior's cells are exactly the product of its value
   classes, and every distribution names exactly its behavior's outcomes.

Every failure is a :class:`SpecFormatError` with a one-line message that names the file.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable
from typing import Any

import pydantic_core
from pydantic import ValidationError

from policykit.codes import PK500
from policykit.errors import UserError
from policykit.spec.artifact import TargetBehaviorSpec
from policykit.spec.version import SPEC_VERSION
from policykit.util.output import file_kind


class SpecFormatError(UserError, ValueError):
    """A file that is not a policykit spec this version can read."""

    code = PK500


SPEC_MAX_BYTES = 2 << 30
"""The largest spec read (2 GiB): a 100k-rule project compiles to a few hundred MB."""
SUM_TOLERANCE = 1e-6
"""How far a cell's probabilities may sum from 1, or stand outside their bounds: the
spec rounds each to 12 digits."""
SPEC_MAX_DEPTH = 16
"""The deepest nesting read. A valid spec nests 7 deep (behaviors, a cell, its
stakeholders, a target), so anything deeper is refused before it is parsed."""

_VERSION = re.compile(r"policykit\.spec/v(\d+)")

# Earlier formats this version reads, each with the function that brings its parsed
# JSON to the next version (dbt's ``upgrade_schema_version``). There are none yet:
# policykit.spec/v1 is the first format.
_UPGRADES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def read_spec(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = SPEC_MAX_BYTES,
    max_depth: int = SPEC_MAX_DEPTH,
) -> TargetBehaviorSpec:
    """The spec at ``path``, validated; SpecFormatError when it is not one."""
    name = os.fspath(path)
    data = _read_bytes(name, max_bytes)
    depth = _nesting_exceeds(data, max_depth)
    if depth:
        raise SpecFormatError(
            f"{name} is not a {SPEC_VERSION} spec: nested deeper than {max_depth} levels"
        )
    try:
        parsed = pydantic_core.from_json(data, cache_strings=False, allow_inf_nan=False)
    except ValueError as exc:
        raise SpecFormatError(f"{name} is not JSON: {_one_line(str(exc))}") from None
    return validate_spec(parsed, name)


def validate_spec(data: Any, name: str = "spec") -> TargetBehaviorSpec:
    """``data`` (parsed JSON) as a validated spec; SpecFormatError when it is not one."""
    if not isinstance(data, dict):
        raise SpecFormatError(f"{name} is not a {SPEC_VERSION} spec (not a JSON object)")
    data = _gate_version(data, name)
    _check_numbers(data, name)
    try:
        spec = TargetBehaviorSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        count = exc.error_count()
        raise SpecFormatError(
            f"{name} is not a valid {SPEC_VERSION} spec: at {_one_line(where)!s}: "
            f"{_one_line(first['msg'])} ({count} problem{'s' * (count != 1)})"
        ) from None
    _check_shape(spec, name)
    return spec


def _read_bytes(name: str, max_bytes: int) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not hang before it is refused
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:
        raise SpecFormatError(f"cannot read {name}: {_os_reason(exc)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SpecFormatError(f"{name} is not a regular file ({file_kind(st.st_mode)})")
        if st.st_size > max_bytes:
            raise SpecFormatError(
                f"{name} is {st.st_size:,} bytes, over the spec size cap of {max_bytes:,}"
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            # one byte past the size fstat gave: a read of the cap itself would
            # allocate the whole cap up front, whatever the file's size
            data = fh.read(st.st_size + 1)
    except OSError as exc:
        raise SpecFormatError(f"cannot read {name}: {_os_reason(exc)}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > st.st_size:
        raise SpecFormatError(f"{name} grew while it was being read; read it again when done")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecFormatError(
            f"{name} is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
    return data


_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"')
_STRING = re.compile(rb'"[^"]*"')


def _nesting_exceeds(data: bytes, max_depth: int) -> bool:
    """Whether ``data`` nests deeper than ``max_depth`` (or its brackets do not
    pair up past that depth), in time linear in its size and without recursion: escapes and strings
    are cut out, then innermost bracket pairs are removed ``max_depth`` times."""
    # a backslash pair is one escaped backslash; after that, \" is an escaped quote
    brackets = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _STRUCTURE)
    brackets = _STRING.sub(b"", brackets)
    for _ in range(max_depth):
        inner = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if inner == brackets:  # nothing left but brackets that do not pair up
            return len(brackets) > max_depth
        brackets = inner
    return bool(brackets)


def _gate_version(data: dict[str, Any], name: str) -> dict[str, Any]:
    found = data.get("apiVersion")
    while isinstance(found, str) and found in _UPGRADES:
        data = _UPGRADES[found](data)
        found = data.get("apiVersion")
    if found == SPEC_VERSION:
        return data
    match = _VERSION.fullmatch(found) if isinstance(found, str) else None
    if match is not None:
        newer = int(match.group(1)) > int(_VERSION.fullmatch(SPEC_VERSION).group(1))  # type: ignore[union-attr]
        raise SpecFormatError(
            f"{name} is a {found} spec; this policykit reads {SPEC_VERSION}: "
            + (
                "upgrade policykit to read it"
                if newer
                else "compile the project again with this policykit"
            )
        )
    shown = _one_line(repr(found)) if found is not None else "missing"
    raise SpecFormatError(f"{name} is not a {SPEC_VERSION} spec (apiVersion is {shown})")


def _check_shape(spec: TargetBehaviorSpec, name: str) -> None:
    """What the JSON Schema cannot say about a spec, checked in time linear in it."""

    def bad(where: str, what: str) -> SpecFormatError:
        return SpecFormatError(
            f"{name} is not a valid {SPEC_VERSION} spec: at {_one_line(where)}: {what}"
        )

    values: dict[str, frozenset[str]] = {}
    for i, d in enumerate(spec.dimensions):
        if d.id in values:
            raise bad(f"dimensions.{i}", f"dimension {d.id!r} appears twice")
        if not d.values or len(set(d.values)) != len(d.values):
            raise bad(f"dimensions.{i}.values", "values must be present and distinct")
        if d.default not in d.values:
            raise bad(f"dimensions.{i}.default", "the default is not one of the values")
        values[d.id] = frozenset(d.values)
    if spec.context is not None:
        _check_context(spec, values, bad)
    seen: set[str] = set()
    for b in spec.behaviors:
        at = f"behaviors.{b.id}"
        if b.id in seen:
            raise bad(at, f"behavior {b.id!r} appears twice")
        seen.add(b.id)
        outcomes = set(b.outcomes)
        if not outcomes:
            raise bad(f"{at}.outcomes", "a behavior needs at least one outcome")
        if set(b.default) != outcomes:
            raise bad(f"{at}.default", "the default must name exactly the outcomes")
        if len(set(b.dimensions)) != len(b.dimensions) or set(b.classes) != set(b.dimensions):
            raise bad(f"{at}.classes", "classes must name exactly the dividing dimensions")
        cells = 1
        for dim in b.dimensions:
            if dim not in values:
                raise bad(f"{at}.dimensions", f"unknown dimension {dim!r}")
            classes = b.classes[dim]
            covered = [v for group in classes for v in group]
            if not all(classes) or len(covered) != len(values[dim]) or set(covered) != values[dim]:
                raise bad(
                    f"{at}.classes.{dim}", "the value classes must split the dimension's values"
                )
            cells *= len(classes)
            if cells > len(b.cells):
                break
        if len(b.cells) != cells:
            raise bad(
                f"{at}.cells",
                f"{len(b.cells)} cells where the value classes make {cells}",
            )
        for j, cell in enumerate(b.cells):
            if set(cell.intended) != outcomes or set(cell.bounds) != outcomes:
                raise bad(f"{at}.cells.{j}", "intended and bounds must name exactly the outcomes")
            if not all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in cell.intended.values()):
                raise bad(f"{at}.cells.{j}.intended", "probabilities must lie in [0, 1]")
            if abs(math.fsum(cell.intended.values()) - 1.0) > SUM_TOLERANCE:
                raise bad(f"{at}.cells.{j}.intended", "the probabilities must sum to 1")
            for o, bound in cell.bounds.items():
                if not (0.0 <= bound.min <= bound.max <= 1.0):
                    raise bad(
                        f"{at}.cells.{j}.bounds.{o}", "a bound must lie in [0, 1], min <= max"
                    )
                p = cell.intended[o]
                if not (bound.min - SUM_TOLERANCE <= p <= bound.max + SUM_TOLERANCE):
                    raise bad(
                        f"{at}.cells.{j}.intended.{o}", "the probability is outside its bounds"
                    )


def _check_context(
    spec: TargetBehaviorSpec,
    values: dict[str, frozenset[str]],
    bad: Callable[[str, str], SpecFormatError],
) -> None:
    """The shaped space must name the spec's dimensions: restricted-away values are
    outside them, excluded ones inside, and the default context is not excluded."""
    assert spec.context is not None
    for dim, gone in spec.context.restricted.items():
        if dim not in values:
            raise bad(f"context.restricted.{dim}", f"unknown dimension {dim!r}")
        if len(set(gone)) != len(gone) or values[dim] & set(gone):
            raise bad(
                f"context.restricted.{dim}",
                "restricted-away values must be distinct and not among the dimension's values",
            )
    defaults = {d.id: d.default for d in spec.dimensions}
    for i, entry in enumerate(spec.context.exclude):
        if not entry:
            raise bad(f"context.exclude.{i}", "an exclusion names at least one dimension")
        for dim, listed in entry.items():
            if dim not in values:
                raise bad(f"context.exclude.{i}.{dim}", f"unknown dimension {dim!r}")
            if not listed or not set(listed) <= values[dim]:
                raise bad(
                    f"context.exclude.{i}.{dim}", "excluded values must be the dimension's values"
                )
        if all(defaults[dim] in listed for dim, listed in entry.items()):
            raise bad(f"context.exclude.{i}", "the default context is excluded")


def _check_numbers(data: dict[str, Any], name: str) -> None:
    """Probabilities written as numbers, not text the model would convert (``"0.5"``)."""
    behaviors = data.get("behaviors")
    for i, b in enumerate(behaviors if isinstance(behaviors, list) else ()):
        cells = b.get("cells") if isinstance(b, dict) else None
        for j, cell in enumerate(cells if isinstance(cells, list) else ()):
            intended = cell.get("intended") if isinstance(cell, dict) else None
            if not isinstance(intended, dict):
                continue
            for o, p in intended.items():
                if isinstance(p, bool) or not isinstance(p, (int, float)):
                    raise SpecFormatError(
                        f"{name} is not a valid {SPEC_VERSION} spec: at behaviors.{i}.cells."
                        f"{j}.intended.{_one_line(str(o))}: a probability must be a number"
                    )


def _os_reason(exc: OSError | ValueError) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return _one_line(str(exc))


def _one_line(text: str) -> str:
    """``text`` on one line, with control characters escaped and a length cap."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= 200 else shown[:197] + "..."
