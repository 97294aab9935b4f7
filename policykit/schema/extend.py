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
    defined: Site = (origin.catalog.document, origin.path)
    outcomes = dict(behavior.outcomes)
    added: dict[str, Site] = {}
    default = behavior.default
    default_site: Site | None = None
    probes = list(behavior.probes)
    ok = True
    for cf, i, ext in exts:
        doc = cf.document
        base: tuple[str | int, ...] = ("extend", i)
        for outcome, spec in ext.outcomes.items():
            path = (*base, "outcomes", outcome)
            if outcome in behavior.outcomes or outcome in added:
                ok = False
                first = (
                    _related(
                        "already defined here", (defined[0], (*origin.path, "outcomes", outcome))
                    )
                    if outcome in behavior.outcomes
                    else _related("first added here", added[outcome])
                )
                check.add(
                    PK228,
                    f"behavior {behavior.id!r} already has an outcome {outcome!r}",
                    doc,
                    path,
                    key=True,
                    related=(first,),
                    hint="give the new outcome another id, or add exemplars to it with exemplars:",
                )
                continue
            added[outcome] = (doc, path)
            outcomes[outcome] = spec
        if ext.outcomes and ext.default is None:
            ok = False
            check.add(
                PK229,
                f"this extension adds outcomes to {behavior.id!r} but does not restate its "
                "default over all of them",
                doc,
                (*base, "outcomes"),
                key=True,
                related=(_related("the behavior is defined here", defined),),
                hint="give default: a distribution over every outcome, old and new",
            )
        if ext.default is not None:
            if default_site is not None and dict(ext.default) != dict(default):
                ok = False
                check.add(
                    PK230,
                    f"a second extension of {behavior.id!r} restates its default differently",
                    doc,
                    (*base, "default"),
                    related=(_related("the other default", default_site),),
                    hint="let one catalog restate the default, or make both the same",
                )
            elif default_site is None:
                default, default_site = ext.default, (doc, (*base, "default"))
        probes.extend(ext.probes)
    # references last: an outcome one extension adds may be named by another's default
    for cf, i, ext in exts:
        base = ("extend", i)
        for outcome in ext.default or ():
            if not check.reference(
                "outcome",
                outcome,
                outcomes,
                cf.document,
                (*base, "default", outcome),
                key=True,
                context=f" of behavior {behavior.id!r}",
            ):
                ok = False
        for outcome, exemplars in ext.exemplars.items():
            if not check.reference(
                "outcome",
                outcome,
                outcomes,
                cf.document,
                (*base, "exemplars", outcome),
                key=True,
                context=f" of behavior {behavior.id!r}",
            ):
                ok = False
                continue
            current = outcomes[outcome]
            outcomes[outcome] = Outcome(
                description=current.description, exemplars=(*current.exemplars, *exemplars)
            )
    cap = check.limits.max_outcomes
    if len(outcomes) > cap:
        cf, i, _ = exts[-1]
        check.add(
            PK214,
            f"behavior {behavior.id!r} has {len(outcomes)} outcomes with its extensions, more "
            f"than the cap of {cap}",
            cf.document,
            ("extend", i, "outcomes"),
            hint="merge outcomes into fewer response classes, or raise limits.max_outcomes "
            "in the project file",
        )
        ok = False
    if not ok:
        return None
    return Behavior(
        id=behavior.id,
        description=behavior.description,
        property=behavior.property,
        outcomes=outcomes,
        default=dict(default),
        probes=tuple(probes),
        tags=behavior.tags,
    )
