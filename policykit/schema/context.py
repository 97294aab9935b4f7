"""The project's shaped context space: the catalogs' dimensions as one deployment meets them.

A project's ``context:`` section restricts each dimension to the values the deployment
can meet, may give it another default, and excludes combinations that cannot occur::

    context:
      dimensions:
        audience: {values: [minor, general], default: minor}
        region:   {values: [us]}
      exclude:
        - {grade_band: k2, audience: general}

Restriction is exact everywhere: the workspace's dimensions *are* the restricted ones,
so cells, the spec, queries, cases and exports never see a value restricted away, and a
rule's scope is its ``when`` intersected with the allowed values (a value restricted away
selects nothing). Exclusions are a few boxes of the restricted space; they are recorded
in the spec, refused by queries, left out of cases, and findings that exist only inside
them are not reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policykit.codes import PK208, PK225, PK226, PK227, PK430, PK431
from policykit.diagnostics import Related
from policykit.graph.scope import Masks, Space, covered, is_empty
from policykit.load.reader import Document
from policykit.schema.models import (
    ContextDimension,
    ContextEntry,
    ContextShape,
    Dimension,
    Grant,
    Rule,
)

if TYPE_CHECKING:
    from policykit.schema.workspace import Workspace
    from policykit.schema.workspace import _Checker as _Check

Exclusion = tuple[tuple[str, tuple[str, ...]], ...]
"""One excluded combination: (dimension, values) pairs, by dimension id, values in the
dimension's order; the dimensions it leaves out mean every value."""


@dataclass(frozen=True, slots=True)
class Shaped:
    dimensions: dict[str, Dimension]
    """The dimensions, restricted (in the catalogs' order)."""
    exclusions: tuple[Exclusion, ...]
    """The excluded combinations that still name an allowed context, deduplicated and
    sorted, so the order they are written in never matters."""


def shape(
    check: _Check,
    shape: ContextShape,
    doc: Document,
    dimensions: Mapping[str, Dimension],
) -> Shaped:
    """The restricted dimensions and the exclusions; every problem is reported on
    ``check`` with the key path under ``context``."""
    restricted = dict(dimensions)
    base: tuple[str | int, ...] = ("context", "dimensions")
    for name, setting in shape.dimensions.items():
        dim = dimensions.get(name)
        if dim is None:
            check.reference("dimension", name, dimensions, doc, (*base, name), key=True)
            continue
        narrowed = _restrict(check, dim, setting, doc, (*base, name))
        if narrowed is not None:
            restricted[name] = narrowed
    exclusions = _exclusions(check, shape.exclude, doc, dimensions, restricted)
    if exclusions:
        _check_exclusions(check, shape.exclude, doc, Space.of(restricted.values()), exclusions)
    return Shaped(restricted, exclusions)


def _restrict(
    check: _Check,
    dim: Dimension,
    setting: ContextDimension,
    doc: Document,
    at: tuple[str | int, ...],
) -> Dimension | None:
    """``dim`` restricted to the values and default of its ``setting`` (at key path
    ``at``), or None (the dimension left as it is) when no value it names exists or its
    default is not among them: each problem is reported."""
    name = dim.id
    allowed = set(dim.values) if setting.values is None else set()
    for j, value in enumerate(setting.values or ()):
        path = (*at, "values", j)
        if value in allowed:
            check.add(PK208, f"value {value!r} appears twice in {name!r}", doc, path)
        elif check.reference(
            "value", value, dim.value_set, doc, path, context=f" of dimension {name!r}"
        ):
            allowed.add(value)
    if not allowed:
        return None
    values = tuple(v for v in dim.values if v in allowed)
    default = setting.default
    if default is None:
        # one value left is the default there is; of several, the project must choose
        default = dim.default if len(values) > 1 else values[0]
        if default not in allowed:
            check.add(
                PK225,
                f"the catalog's default {default!r} of dimension {name!r} is restricted "
                f"away; give this dimension a default among {', '.join(values)}",
                doc,
                at,
                key=True,
            )
            return None
    elif default not in allowed:
        check.add(
            PK225,
            f"default {default!r} of dimension {name!r} is not one of its allowed "
            f"values ({', '.join(values)})",
            doc,
            (*at, "default"),
        )
        return None
    return Dimension(
        id=dim.id,
        description=dim.description,
        values=values,
        default=default,
        labels={v: t for v, t in dim.labels.items() if v in allowed},
    )


def _exclusions(
    check: _Check,
    exclude: Sequence[ContextEntry],
    doc: Document,
    dimensions: Mapping[str, Dimension],
    restricted: Mapping[str, Dimension],
) -> tuple[Exclusion, ...]:
    """The ``exclude`` entries as exclusions of the ``restricted`` space, deduplicated
    and sorted. Names are checked against the catalogs' ``dimensions``; an entry with
    an unknown name is reported and dropped, and so is one that, restricted, excludes
    nothing."""
    exclusions: set[Exclusion] = set()
    for i, entry in enumerate(exclude):
        parts = []
        ok = True
        for name, values in entry.items():
            at: tuple[str | int, ...] = ("context", "exclude", i, name)
            full = dimensions.get(name)
            if full is None:
                check.reference("dimension", name, dimensions, doc, at, key=True)
                ok = False
                continue
            for j, value in enumerate(values):
                if not check.reference(
                    "value",
                    value,
                    full.value_set,
                    doc,
                    (*at, j),
                    context=f" of dimension {name!r}",
                ):
                    ok = False
            kept = set(values) & restricted[name].value_set
            parts.append((name, tuple(v for v in restricted[name].values if v in kept)))
        if ok and all(values for _, values in parts):
            exclusions.add(tuple(sorted(parts)))
    return tuple(sorted(exclusions))


def _check_exclusions(
    check: _Check,
    exclude: Sequence[ContextEntry],
    doc: Document,
    space: Space,
    exclusions: Sequence[Exclusion],
) -> None:
    """Report exclusions that leave no context at all (PK226), or else the first that
    contains the default context (PK227), at the entry it was written as."""
    boxes = [space.masks(dict(e)) for e in exclusions]
    if covered(space.full, boxes):
        check.add(PK226, "the exclusions leave no context at all", doc, ("context", "exclude"))
        return
    defaults = space.masks({d.id: (d.default,) for d in space.dimensions})
    for e, box in zip(exclusions, boxes, strict=True):
        if covered(defaults, [box]):
            index = next(
                i
                for i, entry in enumerate(exclude)
                if set(dict(e)) <= set(entry) and all(set(v) <= set(entry[k]) for k, v in e)
            )
            check.add(
                PK227,
                "this exclusion contains the default context ("
                + ", ".join(f"{d.id}={d.default}" for d in space.dimensions)
                + "), which a query that names no value falls back to",
                doc,
                ("context", "exclude", index),
                hint="change a dimension's default, or narrow the exclusion",
            )
            return


def exclusion_masks(space: Space, exclusions: Sequence[Exclusion]) -> tuple[Masks, ...]:
    """The exclusions as boxes of ``space``."""
    return tuple(space.masks(dict(e)) for e in exclusions)


def check_scopes(
    check: _Check,
    items: Sequence[tuple[Rule | Grant, Document, tuple[str | int, ...], Related | None]],
    shaped: Shaped,
    catalog: Mapping[str, Dimension],
) -> None:
    """Report rules that name values restricted away (PK431) and rules that select only
    contexts outside the shaped space (PK430). Runs only for a project with ``context:``;
    each distinct ``when`` is judged once."""
    space = Space.of(shaped.dimensions.values())
    boxes = exclusion_masks(space, shaped.exclusions)
    judged: dict[tuple[tuple[str, tuple[str, ...]], ...], tuple[list[str], bool]] = {}
    for item, doc, base, related in items:
        if not isinstance(item, Rule):
            continue
        key = tuple(sorted(item.when.items()))
        found = judged.get(key)
        if found is None:
            gone = [
                f"{name}={value}"
                for name, values in key
                if name in catalog
                for value in values
                if value not in shaped.dimensions[name].value_set
            ]
            masks = space.masks(item.when)
            nowhere = is_empty(masks) or (bool(boxes) and covered(masks, boxes) is True)
            found = judged[key] = (gone, nowhere)
        gone, nowhere = found
        if nowhere:
            check.add(
                PK430,
                f"rule {item.id!r} selects only contexts outside the project's context "
                "space, so it applies nowhere",
                doc,
                (*base, "when") if item.when else (*base, "id"),
                related=() if related is None else (related,),
                hint="widen its when, remove it, or allow those contexts in the project's context:",
            )
        elif gone:
            check.add(
                PK431,
                f"rule {item.id!r} names {', '.join(gone)}, which the project's context "
                "space restricts away; the rule covers only its other values",
                doc,
                (*base, "when"),
                related=() if related is None else (related,),
                hint="drop those values from its when, or allow them in the project's context:",
            )


def catalog_values(workspace: Workspace, name: str) -> tuple[str, ...]:
    """Every value the catalogs give dimension ``name``, before the project restricted
    it (empty for an unknown dimension)."""
    origin = workspace.origins.get(f"dimension:{name}")
    if origin is None:
        return ()
    return next((d.values for d in origin.catalog.model.dimensions if d.id == name), ())


def excluded_by(workspace: Workspace, context: Mapping[str, str]) -> Exclusion | None:
    """The exclusion that rules out the full ``context``, if any."""
    for entry in workspace.exclusions:
        if all(context.get(name) in values for name, values in entry):
            return entry
    return None
