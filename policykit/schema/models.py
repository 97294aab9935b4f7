"""The authored file kinds: Project, Catalog and Policy (apiVersion ``policykit/v1``).

These models are what people write. They are frozen, forbid unknown fields and never
coerce: a string field given ``no`` (which YAML reads as false) is an error, not the
string ``"False"``. Field docstrings become the descriptions in the JSON Schemas that
editors use, so they are written for the person typing the file.
"""

from __future__ import annotations

import datetime
import math
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from policykit.load.project import MAX_INCLUDE_DEPTH, MAX_INCLUDE_DEPTH_CEILING

API_VERSION = "policykit/v1"
SUM_TOLERANCE = 1e-6

Kind = Literal["society", "developer", "deployer", "user"]
"""The four kinds of stakeholder whose intent policykit weighs."""

KINDS_OF_STAKEHOLDER: tuple[Kind, ...] = ("society", "developer", "deployer", "user")
STAKEHOLDERS: tuple[Kind, ...] = KINDS_OF_STAKEHOLDER
"""The built-in stakeholders: one per kind, named after it, present in every project."""

Property = Literal["helpful", "honest", "harmless"]
"""The HHH property a behavior serves."""

Strategy = Literal["weighted_linear", "weighted_log", "maxmin", "chain_of_command"]
OnViolation = Literal["error", "drop"]

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$", max_length=128),
]
"""A name: letters, digits, `_` and `-`, starting with a letter or `_`."""

Stakeholder = Id
"""A stakeholder's name: one of the four built-in ones (society, developer, deployer,
user) or one the project declares under `stakeholders:`."""

Value = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$", max_length=128),
]
"""A dimension value: letters, digits and `_ . + -`."""

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Text = Annotated[str, StringConstraints(max_length=20_000)]


def _one_or_many(value: Any) -> Any:
    """Let `forbid: comply` and `audience: minor` stand for one-item lists. Any other
    scalar is wrapped too, so `region: no` (read as false) gets the same "quote it"
    error as `region: [no]`."""
    if isinstance(value, tuple):  # a YAML list: the common case, asked first
        return value
    if isinstance(value, (str, bool, int, float, datetime.date)):
        return (value,)
    return value


_VALUE_LISTS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(values: tuple[str, ...]) -> tuple[str, ...]:
    """One copy of each list of values: a few dozen lists recur in thousands of rules'
    scopes, and a tuple per rule and dimension was a tenth of a rule's memory."""
    shared = _VALUE_LISTS.get(values)
    if shared is None:
        if len(_VALUE_LISTS) >= 4096:  # lists are few; never grow without bound
            return values
        shared = _VALUE_LISTS[values] = values
    return shared


OneOrManyValues = Annotated[
    tuple[Value, ...],
    BeforeValidator(_one_or_many, json_schema_input_type=Value | list[Value]),
    AfterValidator(_shared),
]
OneOrManyIds = Annotated[
    Annotated[tuple[Id, ...], Field(min_length=1)],
    BeforeValidator(
        _one_or_many, json_schema_input_type=Id | Annotated[list[Id], Field(min_length=1)]
    ),
]


def _check_distribution(value: dict[str, float]) -> dict[str, float]:
    total = math.fsum(value.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise PydanticCustomError(
            "distribution_sum",
            "probabilities sum to {total}, not 1",
            {"total": round(total, 9)},
        )
    return value


_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _share_fields_set(model: BaseModel) -> None:
    """Let instances that set the same fields share one record of which they set.

    Pydantic keeps a set per instance (about 200 bytes, a tenth of a rule's memory).
    A frozen model's set never changes, and pydantic copies it before changing a copy,
    so sharing it is invisible. Called by validators of models made once per rule.
    """
    fields = model.__pydantic_fields_set__
    key = frozenset(fields)
    shared = _FIELDS_SETS.get(key)
    if shared is None:
        if len(_FIELDS_SETS) >= 1024:  # combinations are few; never grow without bound
            return
        shared = _FIELDS_SETS[key] = fields
    object.__setattr__(model, "__pydantic_fields_set__", shared)


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
        populate_by_name=False,
        hide_input_in_errors=True,
    )


Distribution = Annotated[
    dict[Id, Probability],
    Field(min_length=1),
    AfterValidator(_check_distribution),
]
"""Outcome id to probability; outcomes left out have probability 0; sums to 1."""


class Metadata(_Model):
    name: Id
    """A short unique name for this file."""
    description: Text = ""
    """What this file is for, in a sentence or two."""
    version: Annotated[str, StringConstraints(max_length=64)] = ""
    """A version you maintain for this file (quote it: '1.10')."""
    owners: tuple[Annotated[str, StringConstraints(max_length=200)], ...] = ()
    """Who to ask about this file (names, teams or e-mail addresses)."""


class PolicyMetadata(Metadata):
    stakeholder: Stakeholder | None = None
    """The stakeholder (by name) this policy speaks for. The project's binding decides; if this
    is given it must agree with the binding."""


# -- Catalog -------------------------------------------------------------------------


class Dimension(_Model):
    id: Id
    """The dimension's name, used in `when` scopes and probe placeholders."""
    description: Text = ""
    """What the dimension describes about a conversation."""
    values: Annotated[tuple[Value, ...], Field(min_length=1, max_length=1000)]
    """Every value the dimension can take; a finite set."""
    default: Value
    """The value assumed when a context does not say."""
    labels: dict[Value, Text] = {}
    """Optional phrases for values, used when rendering a context for a model
    (`clinician: a licensed clinician`)."""

    @cached_property
    def value_set(self) -> frozenset[str]:
        """The values, to look one up without a scan of up to 1,000."""
        return frozenset(self.values)


class Outcome(_Model):
    description: Text
    """One line saying what a response in this class does."""
    exemplars: Annotated[tuple[Text, ...], Field(min_length=1)]
    """Example continuations of this class; evaluators score or compare against them."""


class Behavior(_Model):
    id: Id
    """The behavior's name, referred to by rules."""
    description: Text
    """What situation the behavior covers."""
    property: Property
    """The HHH property it serves: helpful, honest or harmless."""
    outcomes: Annotated[dict[Id, Outcome], Field(min_length=2)]
    """The response classes, by id (e.g. refuse, safe_complete, comply)."""
    default: Distribution
    """The distribution over outcomes when no rule applies; sums to 1."""
    probes: Annotated[tuple[Text, ...], Field(min_length=1)]
    """Prompts that elicit the behavior; `{dimension}` is replaced by a context value."""
    tags: tuple[Id, ...] = ()
    """Free-form labels (e.g. a hazard taxonomy category)."""


RelationType = Literal["conflicts", "supports", "refines"]


class Relation(_Model):
    type: RelationType
    """conflicts: pushing both behaviors toward the named outcomes clashes; supports:
    one helps the other; refines: `from` is a special case of `to`."""
    from_: Id = Field(alias="from")
    """The first behavior."""
    to: Id
    """The second behavior."""
    from_outcome: Id | None = None
    """For conflicts: the outcome of `from` that clashes."""
    to_outcome: Id | None = None
    """For conflicts: the outcome of `to` that clashes."""
    description: Text = ""
    """Why the behaviors are related."""

    @model_validator(mode="after")
    def _conflicts_name_outcomes(self) -> Relation:
        if self.type == "conflicts" and (self.from_outcome is None or self.to_outcome is None):
            raise PydanticCustomError(
                "relation_outcomes",
                "a conflicts relation names from_outcome and to_outcome",
            )
        return self


class Extension(_Model):
    """Additions to a behavior another catalog of the project defines. Extensions only
    add (outcomes, probes, exemplars) or restate the default, so nothing another file
    refers to can go away."""

    behavior: Id
    """The behavior extended; defined in another catalog the project includes."""
    outcomes: dict[Id, Outcome] = {}
    """New response classes; adding any requires restating `default` over all outcomes."""
    default: Distribution | None = None
    """The behavior's new default distribution over all its outcomes (old and new)."""
    probes: tuple[Text, ...] = ()
    """More prompts that elicit the behavior."""
    exemplars: dict[Id, Annotated[tuple[Text, ...], Field(min_length=1)]] = {}
    """More example continuations, per existing or added outcome."""


class Catalog(_Model):
    api_version: Literal["policykit/v1"] = Field(alias="apiVersion")
    """Always policykit/v1."""
    kind: Literal["Catalog"]
    """Catalog: the vocabulary of dimensions and behaviors."""
    metadata: Metadata
    """Name and description of this catalog."""
    include: tuple[str, ...] = ()
    """Other catalogs this one builds on (relative paths, or std: entries)."""
    dimensions: tuple[Dimension, ...] = ()
    """The dimensions of the context space."""
    behaviors: tuple[Behavior, ...] = ()
    """The behaviors policies talk about."""
    relations: tuple[Relation, ...] = ()
    """How behaviors relate to each other."""
    extend: tuple[Extension, ...] = ()
    """Additions to behaviors that other catalogs of the project define."""


# -- Policy --------------------------------------------------------------------------


class Bound(_Model):
    min: Probability = 0.0
    """Lowest probability allowed."""
    max: Probability = 1.0
    """Highest probability allowed."""

    @model_validator(mode="after")
    def _ordered(self) -> Bound:
        if self.min > self.max:
            raise PydanticCustomError(
                "bound_order", "min {min} is above max {max}", {"min": self.min, "max": self.max}
            )
        _share_fields_set(self)
        return self


Bounds = Annotated[dict[Id, Bound], Field(min_length=1)]
Scope = dict[Id, OneOrManyValues]
"""Per dimension, the values a rule applies to; a dimension left out means all values."""

HARD_DIRECTIVES = ("require", "forbid", "bounds")
SOFT_DIRECTIVES = ("target", "prefer")
DIRECTIVES = HARD_DIRECTIVES + SOFT_DIRECTIVES
_DIRECTIVE_SET = frozenset(DIRECTIVES)


class Rule(_Model):
    id: Id
    """The rule's name, unique in the project."""
    behavior: Id
    """The catalog behavior the rule is about."""
    when: Scope = {}
    """Where the rule applies: per dimension, the values it covers. Empty: everywhere."""
    require: Id | None = None
    """Hard: this outcome always (P = 1)."""
    forbid: OneOrManyIds | None = None
    """Hard: never these outcomes (P = 0)."""
    bounds: Bounds | None = None
    """Hard: per-outcome probability bounds."""
    target: Distribution | None = None
    """Soft: the distribution this stakeholder would like; sums to 1."""
    prefer: Id | None = None
    """Soft: this outcome, as a target of probability 1."""
    weight: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    """Soft rules only: how strongly, in (0, 1]."""
    rationale: Text = ""
    """Why the rule exists; shown in explanations and reports."""
    examples: tuple[Text, ...] = ()
    """Extra probe prompts for this rule's scope."""
    locked: bool | None = None
    """Nobody below may change this. Hard rules are locked unless `adjustable_by` is
    given; soft rules are defaults that lower stakeholders may override."""
    adjustable_by: tuple[Stakeholder, ...] = ()
    """Lower stakeholders allowed to change this rule (within `within`), by name or by
    kind: a kind (`user`) means every stakeholder of that kind."""
    within: Bounds | None = None
    """Bounds an adjustment by `adjustable_by` must respect."""

    @model_validator(mode="after")
    def _one_directive(self) -> Rule:
        # Runs once per rule: the fields are read from __dict__, where pydantic put them.
        values = self.__dict__
        fields = self.__pydantic_fields_set__
        named = fields.intersection(_DIRECTIVE_SET)  # given, though perhaps as null
        directive = named.pop() if len(named) == 1 else None
        if directive is None or values[directive] is None:
            given = [d for d in DIRECTIVES if values[d] is not None]
            if len(given) != 1:
                listed = ", ".join(given) if given else "none"
                raise PydanticCustomError(
                    "directive",
                    "a rule has exactly one of require, forbid, bounds, target, prefer "
                    "(found: {found})",
                    {"found": listed},
                )
            directive = given[0]
        hard = directive in HARD_DIRECTIVES
        if hard and "weight" in fields:
            raise PydanticCustomError(
                "directive", "weight applies to soft rules (target, prefer) only", {}
            )
        if directive == "bounds":
            lo = math.fsum(b.min for b in values["bounds"].values())
            if lo > 1 + SUM_TOLERANCE:
                raise PydanticCustomError(
                    "inconsistent",
                    "the bounds' minimums add up to {total}, more than 1",
                    {"total": round(lo, 9)},
                )
        adjustable_by = values["adjustable_by"]
        if adjustable_by and values["locked"]:
            raise PydanticCustomError(
                "inconsistent", "a rule cannot be both locked and adjustable_by", {}
            )
        if not adjustable_by and values["within"] is not None:
            raise PydanticCustomError(
                "inconsistent", "within limits an adjustment: give adjustable_by too", {}
            )
        # Every rule's directive is asked for, so fill the cached properties now, as
        # their first use would: cached_property takes a lock on each first use.
        values["directive"] = directive
        values["hard"] = hard
        _share_fields_set(self)
        return self

    @cached_property
    def directive(self) -> str:
        """Which directive the rule uses: require, forbid, bounds, target or prefer."""
        return next(d for d in DIRECTIVES if getattr(self, d) is not None)

    @cached_property
    def hard(self) -> bool:
        return self.directive in HARD_DIRECTIVES

    @property
    def is_locked(self) -> bool:
        """Whether lower stakeholders are kept from changing this rule."""
        if self.locked is not None:
            return self.locked
        return self.hard and not self.adjustable_by


class Grant(_Model):
    behavior: Id
    """The behavior whose adjustment right is passed on."""
    to: Annotated[tuple[Stakeholder, ...], Field(min_length=1)]
    """The lower stakeholders who receive the right, by name or by kind (a kind means
    every stakeholder of that kind)."""
    when: Scope = {}
    """Where the grant applies; empty means everywhere."""
    within: Bounds | None = None
    """Bounds the grantees' adjustments must respect; never wider than the grantor's."""
    rationale: Text = ""
    """Why the right is passed on."""


class Policy(_Model):
    api_version: Literal["policykit/v1"] = Field(alias="apiVersion")
    """Always policykit/v1."""
    kind: Literal["Policy"]
    """Policy: one stakeholder's rules."""
    metadata: PolicyMetadata
    """Name, description and the stakeholder this policy speaks for."""
    rules: tuple[Rule, ...] = ()
    """The rules, each about one behavior."""
    grants: tuple[Grant, ...] = ()
    """Adjustment rights this stakeholder passes on to lower ones."""


# -- Project -------------------------------------------------------------------------


class StakeholderSettings(_Model):
    kind: Kind | None = None
    """developer, deployer, user or society: what this stakeholder is, for reports and
    defaults. The built-in names default to their own kind; any other name must say."""
    rank: Annotated[int, Field(ge=0, le=100)]
    """Authority: a higher rank wins hard conflicts and locks lower ranks out."""
    weight: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    """Influence on soft targets, in (0, 1]; shared among the stakeholder's rules."""
    description: Text = ""
    """Who this stakeholder is in this deployment."""
    rank_intended: bool = False
    """A deployer- or user-kind stakeholder ranked at or above a developer- or
    society-kind one is reported (PK414); true says that rank is deliberate."""


DEFAULT_STAKEHOLDERS: dict[Stakeholder, StakeholderSettings] = {
    "society": StakeholderSettings(rank=3),
    "developer": StakeholderSettings(rank=3),
    "deployer": StakeholderSettings(rank=2),
    "user": StakeholderSettings(rank=1),
}


class PolicyRef(_Model):
    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    """The policy file, relative to the project file, or a std: entry."""
    stakeholder: Stakeholder
    """Who this file speaks for. The binding is made here, never by the file itself."""
    on_violation: OnViolation | None = None
    """error: a permission violation stops compilation; drop: the offending rule is
    dropped with a warning (for untrusted preference files). Default: the project's."""
    weight: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    """How much this file's soft rules count among its stakeholder's rules, in (0, 1]:
    each rule counts with its own weight times this. The stakeholder's weight is still
    shared among all its rules on a behavior, from every file, so a second file never
    buys more influence."""


class Deployment(_Model):
    description: Text
    """What is deployed, for whom; used when rendering eval prompts."""
    context_template: Text = ""
    """How a context is described to the model, with `{dimension}` placeholders
    (e.g. "The user is {audience}. Domain: {domain}."). Empty: one line per dimension."""


class Analysis(_Model):
    tension_threshold: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1
    """Soft targets of two stakeholders whose Jensen–Shannon divergence (bits) exceeds
    this are reported as tension."""


class Limits(_Model):
    """Caps on what the files of this project may cost to check and compile. Policy
    files can be untrusted (a user's own preferences), so each cap is checked before
    the work it bounds, and only the project file can raise one, never a policy file."""

    max_cells: Annotated[int, Field(ge=1, le=10_000_000)] = 10_000
    """Cells over all behaviors together: each is resolved and written to the spec."""
    max_cells_per_behavior: Annotated[int, Field(ge=1, le=10_000_000)] = 10_000
    """Cells one behavior's rules may divide its context space into."""
    max_outcomes: Annotated[int, Field(ge=2, le=10_000)] = 32
    """Outcomes of one behavior (the strategies' cost grows with them)."""
    max_when_values: Annotated[int, Field(ge=1, le=1_000_000)] = 1_000
    """Values in one `when` list of a rule or grant."""
    max_include_depth: Annotated[int, Field(ge=1, le=MAX_INCLUDE_DEPTH_CEILING)] = MAX_INCLUDE_DEPTH
    """How deep catalogs may include catalogs that include catalogs."""
    max_candidate_pairs: Annotated[int, Field(ge=1, le=100_000_000)] = 100_000
    """Pairs the conflict checks of one behavior may compare: pairs of distinct rule
    signatures (stakeholder, rank, directive, permissions), or on a behavior with grants
    pairs of distinct rules. Past it the behavior is an error (PK217), never left
    unchecked."""


class Acceptance(_Model):
    code: Annotated[str, StringConstraints(pattern=r"^PK[0-9]{3}$")]
    """The diagnostic code accepted (a warning or note; errors cannot be accepted)."""
    rule: Id
    """The rule the finding is about: the rule it points at, or its other side."""
    when: Scope = {}
    """Only findings whose witness context lies in this scope; empty: anywhere."""
    reason: Annotated[str, StringConstraints(pattern=r"\S", max_length=2000)]
    """Why the finding is deliberate; required, shown beside it in every report."""


class ContextDimension(_Model):
    values: Annotated[tuple[Value, ...], Field(min_length=1, max_length=1000)] | None = None
    """The catalog values this deployment can meet; left out: all of them."""
    default: Value | None = None
    """The value assumed when a context does not say; one of `values`. Left out: the
    catalog's default, which must then be among `values`."""


ContextEntry = dict[Id, OneOrManyValues]
"""Per dimension, a value or a list of values: one combination that cannot occur."""


class ContextShape(_Model):
    dimensions: dict[Id, ContextDimension] = {}
    """Per catalog dimension, the values it takes in this deployment and its default."""
    exclude: tuple[Annotated[ContextEntry, Field(min_length=1)], ...] = ()
    """Combinations that cannot occur: each entry maps dimensions to a value or a list
    of values, and the contexts matching all of them are outside the space."""


class Project(_Model):
    api_version: Literal["policykit/v1"] = Field(alias="apiVersion")
    """Always policykit/v1."""
    kind: Literal["Project"]
    """Project: one deployment."""
    metadata: Metadata
    """Name and description of the deployment."""
    deployment: Deployment
    """The deployment as the model should understand it."""
    catalogs: Annotated[tuple[str, ...], Field(min_length=1)]
    """Catalog files (relative paths, or std: entries such as std:core/catalog.yaml)."""
    policies: tuple[PolicyRef, ...] = ()
    """Policy files and which stakeholder each speaks for."""
    stakeholders: dict[Stakeholder, StakeholderSettings] = {}
    """The stakeholders by name, each with its kind, rank and weight. The four
    built-in names (society, developer, deployer, user) always exist; unset ones keep
    the defaults (society = developer 3 > deployer 2 > user 1, weight 1). Any other
    name declares a named principal and must give its `kind`."""
    context: ContextShape | None = None
    """The part of the catalogs' context space this deployment meets: restricted
    values, new defaults and excluded combinations. Left out: the whole space."""
    strategy: Strategy = "weighted_linear"
    """How soft targets are combined inside the hard bounds."""
    on_violation: OnViolation = "error"
    """What a permission violation does, unless a policy entry says otherwise."""
    analysis: Analysis = Analysis()
    """Settings of the conflict analysis."""
    limits: Limits = Limits()
    """Caps on cost; raise one here when a large project needs it."""
    accept: tuple[Acceptance, ...] = ()
    """Deliberate findings, each with the reason it is accepted: they are reported as
    accepted and do not fail `validate --strict`."""
    tests: tuple[Annotated[str, StringConstraints(min_length=1, max_length=1024)], ...] = ()
    """Test files (kind: Test) that `policykit test` runs, relative to the project file."""
    include_roots: tuple[Annotated[str, StringConstraints(min_length=1, max_length=1024)], ...] = ()
    """Folders outside the project's own that includes may also name (relative to the
    project file, e.g. ../shared): trusted roots, given explicitly."""

    def settings(self, stakeholder: Stakeholder) -> StakeholderSettings:
        found = self.stakeholders.get(stakeholder)
        if found is not None:
            return found
        return DEFAULT_STAKEHOLDERS[stakeholder]

    def kind_of(self, stakeholder: Stakeholder) -> Kind:
        """The stakeholder's kind: declared, or a built-in name's own."""
        found = self.stakeholders.get(stakeholder)
        if found is not None and found.kind is not None:
            return found.kind
        return stakeholder  # type: ignore[return-value]  # a built-in name (checked)

    @cached_property
    def stakeholder_names(self) -> tuple[Stakeholder, ...]:
        """Every stakeholder of the project: the four built-in ones, then the declared
        ones in the order written."""
        extra = tuple(n for n in self.stakeholders if n not in DEFAULT_STAKEHOLDERS)
        return (*STAKEHOLDERS, *extra)

    def expand(self, names: tuple[Stakeholder, ...]) -> frozenset[Stakeholder]:
        """The stakeholders that ``adjustable_by`` or a grant's ``to`` mean.

        A kind means every stakeholder of that kind. A name that is also a kind
        (a built-in one) names that kind, unless the project declared it with another
        kind: then it means that one stakeholder. Unknown names mean nobody (they are
        reported when the project is checked).
        """
        out: set[Stakeholder] = set()
        for name in names:
            declared = self.stakeholders.get(name)
            if name in DEFAULT_STAKEHOLDERS and (declared is None or declared.kind in (None, name)):
                out.update(n for n in self.stakeholder_names if self.kind_of(n) == name)
            elif name in self.stakeholders:
                out.add(name)
        return frozenset(out)


KINDS: dict[str, type[_Model]] = {"Project": Project, "Catalog": Catalog, "Policy": Policy}
