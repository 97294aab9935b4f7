"""Catalog extensions: a catalog adding to a behavior that another catalog defines.

An extension names a behavior and may add outcomes, probes and exemplars, and restate
the default distribution (adding an outcome requires restating it: nothing else says
how likely the new class is). Extensions only add, so an outcome a rule, relation or
other file refers to can never go away.

Which file wins, when several catalogs extend one behavior:

- additions (outcomes, probes, exemplars) are merged from every extension; the same
  outcome id added twice, or an outcome the behavior already has, is an error (PK228)
  that names both files;
- the default has one value: at most one distinct restated default (PK230 names both
  files when two differ; restating the same distribution twice is fine);
- the merge is taken in the order of the catalog files' names (then their order in the
  file), never the order the project lists or includes them, so reordering ``catalogs:``
  or ``include:`` never changes a result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from policykit.codes import PK214, PK228, PK229, PK230, PK231
from policykit.diagnostics import Related
from policykit.schema.errors import locate
from policykit.schema.models import Behavior, Extension, Outcome

if TYPE_CHECKING:
    from policykit.load.reader import Document
    from policykit.schema.workspace import CatalogFile, Origin, _Checker

Site = tuple["Document", tuple[str | int, ...]]


def _related(what: str, site: Site) -> Related:
    doc, path = site
    line, col = locate(doc, path)
    return Related(what, doc.file, line, col)


def extensions(
    catalogs: Sequence[CatalogFile],
) -> list[tuple[CatalogFile, int, Extension]]:
    """Every extension, in the order they are merged: by file name, then position."""
    found = [(cf, i, ext) for cf in catalogs for i, ext in enumerate(cf.model.extend)]
    return sorted(found, key=lambda t: (t[0].document.file, t[1]))


def apply_extensions(
    check: _Checker,
    catalogs: Sequence[CatalogFile],
    behaviors: dict[str, Behavior],
    origins: dict[str, Origin],
) -> None:
    """Replace each extended behavior in ``behaviors`` by its extended form; report
    every problem on ``check``."""
    by_behavior: dict[str, list[tuple[CatalogFile, int, Extension]]] = {}
    for cf, i, ext in extensions(catalogs):
        base: tuple[str | int, ...] = ("extend", i)
        if ext.behavior not in behaviors:
            check.reference("behavior", ext.behavior, behaviors, cf.document, (*base, "behavior"))
            continue
        origin = origins[ext.behavior]
        if origin.catalog.document.file == cf.document.file:
            check.add(
                PK231,
                f"behavior {ext.behavior!r} is defined in this catalog; extend is for "
                "behaviors of other catalogs",
                cf.document,
                (*base, "behavior"),
                related=(_related("defined here", (cf.document, origin.path)),),
            )
            continue
        by_behavior.setdefault(ext.behavior, []).append((cf, i, ext))
    for name, exts in by_behavior.items():
        extended = _extend(check, behaviors[name], origins[name], exts)
        if extended is not None:
            behaviors[name] = extended


def _extend(
    check: _Checker,
    behavior: Behavior,
    origin: Origin,
    exts: Sequence[tuple[CatalogFile, int, Extension]],
) -> Behavior | None:
    """``behavior`` with ``exts`` merged in, or None after reporting why not."""
    merged = _Merged(check, behavior, origin)
    for cf, i, ext in exts:
        merged.add(cf.document, ("extend", i), ext)
    # references last: an outcome one extension adds may be named by another's default
    for cf, i, ext in exts:
        merged.resolve(cf.document, ("extend", i), ext)
    cf, i, _ = exts[-1]
    merged.check_cap(cf.document, ("extend", i, "outcomes"))
    return merged.behavior()


class _Merged:
    """A behavior as its extensions are merged into it, one at a time. Every problem is
    reported on ``check`` and clears ``ok``: a behavior with one is not extended."""

    def __init__(self, check: _Checker, behavior: Behavior, origin: Origin) -> None:
        self.check = check
        self.original = behavior
        self.origin = origin
        self.defined: Site = (origin.catalog.document, origin.path)
        self.outcomes = dict(behavior.outcomes)
        self.added: dict[str, Site] = {}
        """Where each new outcome was added."""
        self.default = behavior.default
        self.default_site: Site | None = None
        """Where the default was first restated (None while it has not been)."""
        self.probes = list(behavior.probes)
        self.ok = True

    def add(self, doc: Document, base: tuple[str | int, ...], ext: Extension) -> None:
        """Merge what one extension adds: its outcomes, probes and restated default."""
        self._add_outcomes(doc, base, ext)
        self._restate_default(doc, base, ext)
        self.probes.extend(ext.probes)

    def _add_outcomes(self, doc: Document, base: tuple[str | int, ...], ext: Extension) -> None:
        """Add the extension's outcomes; one the behavior already has, or another
        extension added first, is reported with the place it came from."""
        behavior = self.original
        for outcome, spec in ext.outcomes.items():
            path = (*base, "outcomes", outcome)
            if outcome in behavior.outcomes or outcome in self.added:
                self.ok = False
                first = (
                    _related(
                        "already defined here",
                        (self.defined[0], (*self.origin.path, "outcomes", outcome)),
                    )
                    if outcome in behavior.outcomes
                    else _related("first added here", self.added[outcome])
                )
                self.check.add(
                    PK228,
                    f"behavior {behavior.id!r} already has an outcome {outcome!r}",
                    doc,
                    path,
                    key=True,
                    related=(first,),
                    hint="give the new outcome another id, or add exemplars to it with exemplars:",
                )
                continue
            self.added[outcome] = (doc, path)
            self.outcomes[outcome] = spec

    def _restate_default(self, doc: Document, base: tuple[str | int, ...], ext: Extension) -> None:
        """Take the extension's default if it is the first restated; report one that
        differs from the first, or outcomes added without a default over them."""
        if ext.outcomes and ext.default is None:
            self.ok = False
            self.check.add(
                PK229,
                f"this extension adds outcomes to {self.original.id!r} but does not restate "
                "its default over all of them",
                doc,
                (*base, "outcomes"),
                key=True,
                related=(_related("the behavior is defined here", self.defined),),
                hint="give default: a distribution over every outcome, old and new",
            )
        if ext.default is None:
            return
        if self.default_site is None:
            self.default, self.default_site = ext.default, (doc, (*base, "default"))
        elif dict(ext.default) != dict(self.default):
            self.ok = False
            self.check.add(
                PK230,
                f"a second extension of {self.original.id!r} restates its default differently",
                doc,
                (*base, "default"),
                related=(_related("the other default", self.default_site),),
                hint="let one catalog restate the default, or make both the same",
            )

    def resolve(self, doc: Document, base: tuple[str | int, ...], ext: Extension) -> None:
        """Check that the outcomes one extension's default and exemplars name are among
        the merged outcomes, and add its exemplars to theirs."""
        context = f" of behavior {self.original.id!r}"
        for outcome in ext.default or ():
            path = (*base, "default", outcome)
            if not self.check.reference(
                "outcome", outcome, self.outcomes, doc, path, key=True, context=context
            ):
                self.ok = False
        for outcome, exemplars in ext.exemplars.items():
            path = (*base, "exemplars", outcome)
            if not self.check.reference(
                "outcome", outcome, self.outcomes, doc, path, key=True, context=context
            ):
                self.ok = False
                continue
            current = self.outcomes[outcome]
            self.outcomes[outcome] = Outcome(
                description=current.description, exemplars=(*current.exemplars, *exemplars)
            )

    def check_cap(self, doc: Document, path: tuple[str | int, ...]) -> None:
        """Report (at ``path``, the last extension's outcomes) more merged outcomes
        than the project's cap."""
        cap = self.check.limits.max_outcomes
        if len(self.outcomes) > cap:
            self.check.add(
                PK214,
                f"behavior {self.original.id!r} has {len(self.outcomes)} outcomes with its "
                f"extensions, more than the cap of {cap}",
                doc,
                path,
                hint="merge outcomes into fewer response classes, or raise limits.max_outcomes "
                "in the project file",
            )
            self.ok = False

    def behavior(self) -> Behavior | None:
        """The extended behavior, or None if any problem was reported."""
        if not self.ok:
            return None
        behavior = self.original
        return Behavior(
            id=behavior.id,
            description=behavior.description,
            property=behavior.property,
            outcomes=self.outcomes,
            default=dict(self.default),
            probes=tuple(self.probes),
            tags=behavior.tags,
        )
