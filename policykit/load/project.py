"""Reading a project: the project file and every file it includes.

Includes resolve relative to the file that names them and must stay inside the project
folder (no ``..`` escape, absolute path, ``~`` or symlink leading out). The standard
library is reached through the ``std:`` prefix. Catalogs may include other catalogs;
a chain that returns to a file still being read is a cycle and is reported with the
whole chain. Only the include keys are read here; everything else is the schema
stage's business, so a malformed include list is skipped, not reported twice.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from policykit.codes import PK100, PK111, PK112, PK113, PK116, PK208, Code, diag
from policykit.diagnostics import Diagnostic, PolicykitError, Related
from policykit.load.parallel import read_all
from policykit.load.reader import Document, Limits, YMap, YSeq, read_file, unpack
from policykit.util.text import suggest_or_list

PROJECT_FILE = "policykit.yaml"
MAX_INCLUDE_DEPTH = 32
"""The default of the project's ``limits.max_include_depth``."""
MAX_INCLUDE_DEPTH_CEILING = 200
"""The most it may be raised to: reading an include recurses, once per level."""
STD_PREFIX = "std:"


def std_root() -> Path:
    """Where the standard library lives: inside the installed package, or the repo."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "policies", here.parent / "policies"):
        if candidate.is_dir():
            return candidate
    return here / "policies"


def std_entries() -> list[str]:
    root = std_root()
    return sorted(
        STD_PREFIX + p.relative_to(root).as_posix() for p in root.rglob("*.yaml") if p.is_file()
    )


def display_path(path: Path) -> str:
    """The path as a user would type it: a standard-library file as its ``std:`` entry
    (not the site-packages path it happens to be installed at), any other relative to
    the working directory if inside."""
    std = std_root().resolve()
    if path.is_relative_to(std):
        return STD_PREFIX + path.relative_to(std).as_posix()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def source_path(file: str) -> Path:
    """The file a diagnostic's ``file`` names (see :func:`display_path`)."""
    if file.startswith(STD_PREFIX):
        return std_root() / file[len(STD_PREFIX) :]
    return Path(file)


@dataclass(frozen=True, slots=True)
class IncludeSite:
    """Where a file was named: the including file and the position of the name."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Source:
    """One file of a project, with the role the project gives it."""

    document: Document
    role: str  # "catalog" or "policy"
    path: Path
    site: IncludeSite
    stakeholder: str | None = None
    on_violation: str | None = None
    index: int = 0  # the position in the project's list


@dataclass(frozen=True, slots=True)
class SourceSet:
    root: Path
    project: Document
    catalogs: tuple[Source, ...]
    policies: tuple[Source, ...]
    catalogs_complete: bool = True
    """False when some catalog could not be read: references into it can't be checked."""


@dataclass
class _Reader:
    root: Path
    limits: Limits
    fork: bool = False
    roots: tuple[Path, ...] = ()
    """Further trusted roots the project names (``include_roots``), resolved."""
    """Whether :meth:`prefetch` may fork (see :mod:`policykit.load.parallel`)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    seen: dict[Path, Document | None] = field(default_factory=dict)
    ready: dict[Path, Document | PolicykitError] = field(default_factory=dict)
    """Files read ahead of time (see :meth:`prefetch`), not yet asked for."""

    def read(self, path: Path) -> Document | None:
        if path not in self.seen:
            try:
                ready = self.ready.pop(path, None)
                if isinstance(ready, PolicykitError):
                    raise ready
                if ready is None:
                    ready = read_file(path, display_path(path), self.limits)
                self.seen[path] = ready
            except PolicykitError as exc:
                self.diagnostics.extend(exc.diagnostics)
                self.seen[path] = None
        return self.seen[path]

    def prefetch(self, paths: Iterable[Path]) -> None:
        """Read these files now, all together (on two cores when there is a lot);
        :meth:`read` then hands them out, and reports their errors, in its own order."""
        todo = [p for p in paths if p not in self.seen and p not in self.ready]
        self.ready.update(read_all(todo, display_path, self.limits, self.fork))

    def resolve(self, ref: str, base: Path, site: IncludeSite) -> Path | None:
        """The file ``ref`` names, or None after reporting why it can't be used."""
        try:
            return self._resolve(ref, base, site)
        except (OSError, ValueError, RuntimeError) as exc:
            # a NUL byte (ValueError), a symlink loop (RuntimeError in resolve(), ELOOP),
            # a name too long for the file system (ENAMETOOLONG)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            reason = reason[:1].lower() + reason[1:]
            self.report(PK100, f"include {ref!r} cannot be read: {reason}", site)
            return None

    def _resolve(self, ref: str, base: Path, site: IncludeSite) -> Path | None:
        if "\0" in ref:
            raise ValueError("the path holds a NUL character")
        if ref.startswith(STD_PREFIX):
            std = std_root().resolve()
            rel = ref[len(STD_PREFIX) :]
            target = (std / rel).resolve()
            if (
                not rel
                or Path(rel).is_absolute()
                or not target.is_relative_to(std)
                or not target.is_file()
            ):
                self.report(
                    PK113,
                    f"{ref!r} is not in the standard library",
                    site,
                    hint=suggest_or_list(ref, std_entries()),
                )
                return None
            return target
        if ref.startswith("~") or os.path.isabs(ref) or ref.startswith("\\"):
            self.report(
                PK111,
                f"include {ref!r} is not a relative path inside the project",
                site,
                hint="name files relative to the project file; use std: for the standard library",
            )
            return None
        target = (base.parent / ref).resolve()
        # A standard library catalog may name its siblings relative to itself.
        std = std_root().resolve()
        inside_std = base.is_relative_to(std) and target.is_relative_to(std)
        trusted = target.is_relative_to(self.root) or any(
            target.is_relative_to(r) for r in self.roots
        )
        if not trusted and not inside_std:
            self.report(
                PK111,
                f"include {ref!r} points outside the project folder"
                + ("" if self.root == Path.cwd().resolve() else f" {display_path(self.root)}")
                + (" and its include_roots" if self.roots else ""),
                site,
                hint="to share files between projects, name their folder under include_roots "
                "in the project file",
            )
            return None
        if not target.is_file():
            self.report(PK100, f"included file {ref!r} does not exist", site)
            return None
        return target

    def report(
        self,
        code: Code,
        message: str,
        site: IncludeSite,
        *,
        hint: str = "",
        related: tuple[Related, ...] = (),
    ) -> None:
        self.diagnostics.append(
            diag(code, message, site.file, site.line, site.column, hint=hint, related=related)
        )


def _strings(data: YMap, key: str) -> Iterator[tuple[str, int]]:
    """The string items of list ``key`` with their positions (malformed items skipped)."""
    items = data.get(key)
    if isinstance(items, YSeq):
        for item, pos in zip(items, items.ipos, strict=True):
            if isinstance(item, str):
                yield item, pos


def _policy_targets(entries: YSeq, project_path: Path, reader: _Reader) -> Iterator[Path]:
    """The files the project's policy entries name, found as the loop over the entries
    in :func:`_policy_sources` finds them (its reports are made there, not here)."""
    quiet = _Reader(reader.root, reader.limits, roots=reader.roots)
    for entry in entries:
        if isinstance(entry, YMap) and isinstance(entry.get("path"), str):
            target = quiet.resolve(entry["path"], project_path, IncludeSite("", 0, 0))
            if target is not None:
                yield target


def _site(doc: Document, pos: int) -> IncludeSite:
    line, col = unpack(pos)
    return IncludeSite(doc.file, line, col)


def _include_depth_cap(data: YMap) -> int:
    """The project's ``limits.max_include_depth``, read before the schema stage has
    checked the project (includes are read first): the default unless it is a valid
    value, which the schema stage then reports."""
    limits = data.get("limits")
    value = limits.get("max_include_depth") if isinstance(limits, YMap) else None
    if type(value) is int and 1 <= value <= MAX_INCLUDE_DEPTH_CEILING:
        return value
    return MAX_INCLUDE_DEPTH


def _include_roots(project: Document, project_path: Path, reader: _Reader) -> tuple[Path, ...]:
    """The folders the project names under ``include_roots``, resolved; a name that is
    not a folder is reported and left out."""
    roots = []
    for ref, pos in _strings(project.data, "include_roots"):
        target = (project_path.parent / os.path.expanduser(ref)).resolve()
        if not target.is_dir():
            reader.report(PK100, f"include root {ref!r} is not a folder", _site(project, pos))
            continue
        roots.append(target)
    return tuple(roots)


def load_listed(
    path: str | os.PathLike[str], key: str, limits: Limits | None = None
) -> tuple[tuple[tuple[Path, Document], ...], tuple[Diagnostic, ...]]:
    """The files a project lists under ``key`` (such as ``tests``), read and parsed, with
    the diagnostics met on the way. They are named and checked as includes are: relative
    to the project file, inside its folder or its ``include_roots``."""
    project_path = find_project_file(path).resolve()
    reader = _Reader(project_path.parent, limits or Limits())
    project = reader.read(project_path) if project_path.is_file() else None
    if project is None:
        if not project_path.is_file():
            reader.diagnostics.append(
                diag(PK100, "no such project file", display_path(project_path))
            )
        return (), tuple(reader.diagnostics)
    reader.roots = _include_roots(project, project_path, reader)
    found = []
    for ref, pos in _strings(project.data, key):
        target = reader.resolve(ref, project_path, _site(project, pos))
        if target is None:
            continue
        doc = reader.read(target)
        if doc is not None:
            found.append((target, doc))
    return tuple(found), tuple(reader.diagnostics)


def find_project_file(path: str | os.PathLike[str]) -> Path:
    """The project file for PATH: the file itself, or ``policykit.yaml`` in a folder."""
    p = Path(path)
    return p / PROJECT_FILE if p.is_dir() else p


def load_sources(
    path: str | os.PathLike[str], limits: Limits | None = None, *, fork: bool = False
) -> tuple[SourceSet | None, tuple[Diagnostic, ...]]:
    """Read a project and everything it includes (``fork``: on two cores where that
    pays; see :mod:`policykit.load.parallel`).

    Returns the sources that could be read and every diagnostic met on the way; the
    set is None only when the project file itself cannot be read.
    """
    project_path = find_project_file(path).resolve()
    reader = _Reader(project_path.parent, limits or Limits(), fork)
    if not project_path.is_file():
        reader.diagnostics.append(diag(PK100, "no such project file", display_path(project_path)))
        return None, tuple(reader.diagnostics)
    project = reader.read(project_path)
    if project is None:
        return None, tuple(reader.diagnostics)
    reader.roots = _include_roots(project, project_path, reader)
    catalogs, complete = _catalog_sources(reader, project, project_path)
    policies = _policy_sources(reader, project, project_path)
    sources = SourceSet(project_path.parent, project, catalogs, policies, complete)
    return sources, tuple(reader.diagnostics)


def _catalog_sources(
    reader: _Reader, project: Document, project_path: Path
) -> tuple[tuple[Source, ...], bool]:
    """The catalogs the project lists and those they include, each read once, every
    catalog after the ones it includes; and whether all of them could be read (an
    include too deep, unusable or unreadable leaves the set incomplete; a cycle is
    reported and its last link skipped)."""
    catalogs: list[Source] = []
    loaded: set[Path] = set()
    complete = True
    max_depth = _include_depth_cap(project.data)

    def visit(doc: Document, doc_path: Path, chain: tuple[Path, ...], key: str) -> None:
        nonlocal complete
        for index, (ref, pos) in enumerate(_strings(doc.data, key)):
            site = _site(doc, pos)
            if len(chain) > max_depth:
                reader.report(
                    PK116,
                    f"includes nest {len(chain)} deep here, deeper than the cap of {max_depth}",
                    site,
                    hint="include the catalogs from fewer levels, or raise "
                    "limits.max_include_depth in the project file",
                )
                complete = False
                return
            target = reader.resolve(ref, doc_path, site)
            if target is None:
                complete = False
                continue
            if target in chain:
                cycle = [*chain[chain.index(target) :], target]
                names = " --> ".join(display_path(p) for p in cycle)
                reader.report(
                    PK112,
                    f"include cycle: {names}",
                    site,
                    hint="remove one include so the chain no longer returns",
                )
                continue
            if target in loaded:
                continue
            loaded.add(target)
            included = reader.read(target)
            if included is None:
                complete = False
                continue
            visit(included, target, (*chain, target), "include")
            catalogs.append(Source(included, "catalog", target, site, index=index))

    visit(project, project_path, (project_path,), "catalogs")
    return tuple(catalogs), complete


def _policy_sources(reader: _Reader, project: Document, project_path: Path) -> tuple[Source, ...]:
    """The policy files the project lists, read (all together first, see
    :meth:`_Reader.prefetch`), with the binding each entry gives them. Entries that are
    malformed are left to the schema stage; a file listed twice is reported."""
    entries = project.data.get("policies")
    if not isinstance(entries, YSeq):
        return ()
    policies: list[Source] = []
    first_seen: dict[Path, IncludeSite] = {}
    reader.prefetch(_policy_targets(entries, project_path, reader))
    for index, (entry, pos) in enumerate(zip(entries, entries.ipos, strict=True)):
        if not isinstance(entry, YMap) or not isinstance(entry.get("path"), str):
            continue
        site = _site(project, entry.value_position("path"))
        target = reader.resolve(entry["path"], project_path, site)
        if target is None:
            continue
        if target in first_seen:
            other = first_seen[target]
            reader.report(
                PK208,
                f"policy file {entry['path']!r} is listed twice",
                site,
                related=(Related("first listed here", other.file, other.line, other.column),),
            )
            continue
        first_seen[target] = site
        doc = reader.read(target)
        if doc is None:
            continue
        stakeholder = entry.get("stakeholder")
        on_violation = entry.get("on_violation")
        policies.append(
            Source(
                doc,
                "policy",
                target,
                _site(project, pos),
                stakeholder=stakeholder if isinstance(stakeholder, str) else None,
                on_violation=on_violation if isinstance(on_violation, str) else None,
                index=index,
            )
        )
    return tuple(policies)
