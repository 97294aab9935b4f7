"""The table of diagnostic codes.

Every code policykit can report is declared here once, as a constant (``PK401``) that
the code emitting it names, with its default severity, a bad example and how to fix
it. Nothing registers codes at import time elsewhere: this table is the whole list.
``docs/diagnostics.md`` is generated from this table (``python -m policykit codes
--markdown``) and a test keeps the two in step. A code is
never reused: retire it by leaving it out of use, not by giving it a new meaning.

Groups: PK1xx reading files, PK2xx schema and references, PK3xx graph structure,
PK4xx conflicts and permissions, PK5xx export and evaluation.
"""

from __future__ import annotations

from policykit.diagnostics import Diagnostic, Related, Severity


class Code(str):
    """One diagnostic code: its name (the string itself, so it compares equal to
    ``"PK401"``), summary, default severity and documentation.

    Code that emits a diagnostic names the constant (``codes.PK401``), never the bare
    string, so a type checker sees every use.
    """

    summary: str
    severity: Severity
    example: str
    fix: str

    def __new__(cls, code: str, summary: str, severity: Severity, example: str, fix: str) -> Code:
        self = super().__new__(cls, code)
        self.summary, self.severity, self.example, self.fix = summary, severity, example, fix
        return self

    @property
    def code(self) -> str:
        return str(self)

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return lookup, (str(self),)


_ALL: list[Code] = []


def _c(code: str, summary: str, severity: Severity, example: str, fix: str) -> Code:
    declared = Code(code, summary, severity, example.strip("\n"), fix)
    _ALL.append(declared)
    return declared


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# -- PK1xx: reading files ---------------------------------------------------------
PK100 = _c(
    "PK100",
    "File cannot be read",
    E,
    """
policies:
  - path: policies/deployer.yaml   # no such file
    stakeholder: deployer
""",
    "Check the path; paths are relative to the file that names them.",
)
PK101 = _c(
    "PK101",
    "YAML syntax error",
    E,
    """
rules:
  - id: a
   behavior: b      # indented one space short
""",
    "Fix the YAML at the position shown; a YAML-aware editor points at it too.",
)
PK102 = _c(
    "PK102",
    "Tab character in indentation",
    E,
    """
rules:
\t- id: a
""",
    "Indent with spaces; YAML does not allow tabs in indentation.",
)
PK103 = _c(
    "PK103",
    "File is not UTF-8",
    E,
    "title: caf\\xe9  # Latin-1 byte",
    "Save the file as UTF-8 (a byte order mark is fine).",
)
PK104 = _c(
    "PK104",
    "Duplicate key",
    E,
    """
rules:
  - id: a
    id: b
""",
    "Remove one of the keys; YAML would silently keep only the last.",
)
PK105 = _c(
    "PK105",
    "Explicit YAML tag",
    E,
    """
metadata: !!python/object/apply:os.system ["rm -rf /"]
""",
    "Remove the tag. policykit files are plain data; tags are never honoured.",
)
PK106 = _c(
    "PK106",
    "Too many anchors or aliases",
    E,
    """
a: &a [x, x, x]
b: &b [*a, *a, *a]
c: [*b, *b, *b]
""",
    "Write the values out; anchors and aliases are capped to stop expansion bombs.",
)
PK107 = _c(
    "PK107",
    "Nesting too deep",
    E,
    "a: [[[[[[[[[[[[ ... ]]]]]]]]]]]]",
    "Flatten the document; no policykit file needs that much nesting.",
)
PK108 = _c(
    "PK108",
    "File too large",
    E,
    "(a 100 MB policy file)",
    "Split the file, or raise the limit in the loader options if it is trusted.",
)
PK109 = _c(
    "PK109",
    "Several YAML documents in one file",
    E,
    """
kind: Policy
---
kind: Policy
""",
    "Put each document in its own file and list each one in the project.",
)
PK110 = _c(
    "PK110",
    "Empty file or not a mapping",
    E,
    "- just\n- a list",
    "A policykit file is a mapping with apiVersion, kind and metadata.",
)
PK111 = _c(
    "PK111",
    "Include leaves the project root",
    E,
    """
policies:
  - path: ../../etc/other.yaml
    stakeholder: user
""",
    "Keep included files inside the project folder; use std: for the standard library.",
)
PK112 = _c(
    "PK112",
    "Include cycle",
    E,
    """
# a.yaml
include: [b.yaml]
# b.yaml
include: [a.yaml]
""",
    "Remove one include so the chain no longer returns to a file already being read.",
)
PK113 = _c(
    "PK113",
    "Unknown standard library entry",
    E,
    "catalogs: [std:nope.yaml]",
    "Name one of the entries the hint lists (`policykit catalog` lists the standard "
    "library's files and vocabulary), or fix the name.",
)
PK114 = _c(
    "PK114",
    "Fast YAML parser unavailable",
    W,
    "(PyYAML built without libyaml)",
    "Install PyYAML with libyaml (the wheels on PyPI have it) for fast loading.",
)
PK115 = _c(
    "PK115",
    "Mapping key is not a plain scalar",
    E,
    "? [a, b]\n: c",
    "Use a plain string as the key.",
)
PK116 = _c(
    "PK116",
    "Includes nested too deep",
    E,
    """
# catalog-1.yaml includes catalog-2.yaml, which includes catalog-3.yaml, ...
include: [catalog-2.yaml]
""",
    "Include the catalogs from fewer levels (a project may list many catalogs), or "
    "raise `limits.max_include_depth` in the project file.",
)
# -- PK2xx: schema and references -------------------------------------------------
PK201 = _c(
    "PK201",
    "Unknown field",
    E,
    """
rules:
  - id: a
    behaviour: self_harm   # British spelling
""",
    "Use one of the fields the message lists; `policykit schema` prints them all.",
)
PK202 = _c(
    "PK202",
    "Missing field",
    E,
    """
rules:
  - id: a       # no behavior
    require: refuse
""",
    "Add the field.",
)
PK203 = _c(
    "PK203",
    "Wrong type",
    E,
    """
rules:
  - id: a
    weight: high
""",
    "Give a value of the type the message names.",
)
PK204 = _c(
    "PK204",
    "Unquoted value read as a non-string",
    E,
    """
dimensions:
  - id: region
    values: [no, se, dk]   # `no` is read as false
""",
    "Quote the value: 'no', '1.10', '12:30'.",
)
PK205 = _c(
    "PK205",
    "Value out of range",
    E,
    """
rules:
  - id: a
    prefer: comply
    weight: 1.5
""",
    "Use a value inside the range the message names.",
)
PK206 = _c(
    "PK206",
    "Distribution does not sum to 1",
    E,
    """
default: {refuse: 0.5, comply: 0.4}
""",
    "Make the probabilities add up to 1 (within 1e-6).",
)
PK207 = _c(
    "PK207",
    "Unknown reference",
    E,
    """
rules:
  - id: a
    behavior: self_harn     # typo
    require: refuse
""",
    "Refer to a behavior, outcome, dimension or value the catalog declares.",
)
PK208 = _c(
    "PK208",
    "Duplicate id",
    E,
    """
behaviors:
  - id: profanity
  - id: profanity
""",
    "Give each behavior, dimension and rule a unique id.",
)
PK209 = _c(
    "PK209",
    "Policy claims another stakeholder",
    E,
    """
# policykit.yaml binds prefs.yaml to `user`, but prefs.yaml says:
metadata:
  stakeholder: developer
""",
    "The project decides who a file speaks for; fix the policy's metadata or the binding.",
)
PK210 = _c(
    "PK210",
    "Wrong kind or apiVersion",
    E,
    """
apiVersion: policykit/v2
kind: Policy
""",
    "Use apiVersion policykit/v1 and the kind the project expects at that place.",
)
PK211 = _c(
    "PK211",
    "Rule has no single directive",
    E,
    """
rules:
  - id: a
    behavior: profanity
    require: refuse
    prefer: comply       # two directives
""",
    "Give each rule exactly one of require, forbid, bounds, target or prefer.",
)
PK212 = _c(
    "PK212",
    "Placeholder names no dimension",
    W,
    """
probes:
  - "As a {audiense}, how do I ..."   # typo of {audience}
""",
    "Fix the placeholder, or leave it: unknown placeholders are kept as literal text.",
)
PK302 = _c(
    "PK302",
    "Relation names an unknown behavior",
    E,
    """
relations:
  - type: refines
    from: medical_advice
    to: specialised_advice   # no such behavior
""",
    "Name behaviors the catalogs declare at both ends of every relation.",
)
PK213 = _c(
    "PK213",
    "Inconsistent value",
    E,
    """
dimensions:
  - id: audience
    values: [adult, minor]
    default: child
""",
    "Make the values agree as the message explains.",
)
PK214 = _c(
    "PK214",
    "Behavior with more outcomes than the cap",
    E,
    """
outcomes: {o1: ..., o2: ..., o3: ..., ..., o100: ...}   # limits.max_outcomes: 32
""",
    "Merge outcomes into fewer response classes, or raise `limits.max_outcomes` in the "
    "project file.",
)
PK215 = _c(
    "PK215",
    "When list longer than the cap",
    E,
    """
when: {region: [eu, us, eu, us, eu, us, ...]}   # 100,000 values; the cap is 1,000
""",
    "List each value once, or leave the dimension out to mean every value; the project "
    "file can raise `limits.max_when_values`.",
)
PK216 = _c(
    "PK216",
    "Project divided into more cells than the cap",
    E,
    "(the rules of all behaviors together cut the context space into 60,000 cells; "
    "limits.max_cells is 20,000)",
    "Use fewer distinct `when` value sets, or raise `limits.max_cells` in the project file.",
)
PK217 = _c(
    "PK217",
    "Rules on one behavior with more candidate pairs than the cap",
    E,
    "(1,000 hard rules with different bounds on one behavior: 1,000,000 pairs to compare; "
    "pairs of soft targets are compared on arrays and count 1/64)",
    "Write fewer distinct rules on the behavior (rules alike are compared once), or raise "
    "`limits.max_candidate_pairs` in the project file.",
)
PK218 = _c(
    "PK218",
    "Context space of a behavior too finely divided",
    E,
    "(rules on one behavior cut its dimensions into more cells than "
    "limits.max_cells_per_behavior, 10,000 by default)",
    "Use fewer distinct `when` value sets on the behavior, split it in two, or raise "
    "`limits.max_cells_per_behavior` in the project file.",
)
PK219 = _c(
    "PK219",
    "Permission field without effect on this kind of rule",
    E,
    """
- id: dev-concise
  behavior: conciseness
  target: {concise: 0.7, thorough: 0.3}
  adjustable_by: [user]
  within: {concise: {min: 0.5}}   # a soft rule: lower stakeholders pool with it freely
- id: dev-no-malware
  behavior: cyber_malware
  forbid: comply
  locked: false                   # a hard rule is locked unless it says adjustable_by
""",
    "A soft rule is a default that lower stakeholders' targets are pooled with; to keep "
    "them inside limits, write the limits as a hard `bounds` rule (with `adjustable_by` "
    "and `within` if they may move it), or make the soft rule `locked: true`. To let lower "
    "stakeholders change a hard rule, give it `adjustable_by` instead of `locked: false`.",
)
PK220 = _c(
    "PK220",
    "Named stakeholder without a kind",
    E,
    """
stakeholders:
  parent: {rank: 20}   # which kind: developer, deployer, user or society?
""",
    "Give every stakeholder other than the four built-in ones a `kind` "
    "(developer, deployer, user or society); reports and defaults group by it.",
)
PK221 = _c(
    "PK221",
    "Policy file bound to an undeclared stakeholder",
    E,
    """
stakeholders:
  parent: {kind: user, rank: 20}
policies:
  - {path: prefs/parents.yaml, stakeholder: parents}   # declared as parent
""",
    "Bind the file to a stakeholder the project declares under `stakeholders:` (or a "
    "built-in one), or declare the name there with its kind and rank.",
)
PK222 = _c(
    "PK222",
    "Unknown stakeholder or kind in adjustable_by or a grant",
    E,
    """
# policies/district.yaml (the project declares parent and student)
rules:
  - id: hints-first
    behavior: homework_answers
    prefer: hint
    adjustable_by: [parnet]   # typo of parent
""",
    "Name a stakeholder the project declares, a built-in one, or a kind (developer, "
    "deployer, user, society: every stakeholder of that kind).",
)
PK225 = _c(
    "PK225",
    "Context default outside the allowed values",
    E,
    """
# project file: the catalog's default audience is general
context:
  dimensions:
    audience: {values: [minor, adult]}          # no default given
    region: {values: [us], default: eu}         # eu is not allowed
""",
    "Give a `default` that is one of the dimension's allowed `values`.",
)
PK226 = _c(
    "PK226",
    "Context space left empty",
    E,
    """
context:
  dimensions:
    audience: {values: [minor]}
  exclude:
    - {audience: minor}          # excludes every context there is
""",
    "Narrow the `exclude` entry so that some context remains, or allow more values.",
)
PK227 = _c(
    "PK227",
    "Excluded combination contains the default context",
    E,
    """
context:
  dimensions:
    audience: {values: [minor, general], default: minor}
  exclude:
    - {audience: minor, region: us}    # region defaults to us: the default context
""",
    "A context that does not say takes every default, so the defaults must form an "
    "allowed context: change a default or narrow the exclusion.",
)
PK228 = _c(
    "PK228",
    "Extension adds an outcome that already exists",
    E,
    """
# std:core/catalog.yaml defines sexual_content with outcome refuse
extend:
  - behavior: sexual_content
    outcomes:
      refuse: {description: ..., exemplars: [...]}
""",
    "Give the new outcome another id, or add exemplars to the existing one with "
    "`exemplars:`. Both files are named.",
)
PK229 = _c(
    "PK229",
    "Extension adds outcomes without restating the default",
    E,
    """
extend:
  - behavior: sexual_content
    outcomes:
      educational: {description: Explains factually, exemplars: ["In health class..."]}
    # no default: which share should educational get?
""",
    "Restate `default` as a distribution over all the behavior's outcomes, old and new.",
)
PK230 = _c(
    "PK230",
    "Two extensions of one behavior replace its default differently",
    E,
    """
# district/catalog.yaml
extend: [{behavior: profanity, default: {refuse: 1.0}}]
# school/catalog.yaml
extend: [{behavior: profanity, default: {refuse: 0.5, comply: 0.5}}]
""",
    "Additions of several extensions are merged, but a default has one value: let one "
    "catalog restate it (or make both restate the same distribution). Both files are "
    "named.",
)
PK231 = _c(
    "PK231",
    "Extension of a behavior its own catalog defines",
    E,
    """
behaviors:
  - id: profanity
    ...
extend:
  - behavior: profanity       # defined a few lines up, in this same file
""",
    "Write the outcomes, probes and default into the behavior itself; `extend` is for "
    "behaviors another catalog defines.",
)
PK301 = _c(
    "PK301",
    "Cycle in refines relations",
    E,
    """
relations:
  - {type: refines, from: medical_advice, to: specialized_advice}
  - {type: refines, from: specialized_advice, to: medical_advice}
""",
    (
        "Remove one `refines` relation of the cycle; refinement runs from the special case to"
        " the general one only. A `refines` relation is descriptive only: it documents the"
        " catalog and groups reports, but resolution never carries a rule on the general"
        " behavior to the special one (write the rule on each behavior; see"
        " docs/semantics.md)."
    ),
)
PK303 = _c(
    "PK303",
    "Scope selects no context",
    E,
    """
- id: dep-minors
  behavior: profanity
  when: {audience: []}
  forbid: use_freely
""",
    "List at least one value, or leave the dimension out of `when` to mean every value.",
)
PK401 = _c(
    "PK401",
    "Hard rules of the same rank contradict",
    E,
    """
# developer (rank 3)
- id: dev-no-dosing
  behavior: dosage_information
  forbid: specific_dose
# society (rank 3)
- id: soc-dosing-for-clinicians
  behavior: dosage_information
  when: {audience: professional}
  require: specific_dose
""",
    (
        "Make the rules agree, narrow one rule's `when` so the scopes no longer overlap, or "
        "give one stakeholder a higher rank in the project."
    ),
)
PK402 = _c(
    "PK402",
    "Lower-ranked hard rule is overridden",
    W,
    """
# developer (rank 3)
- id: dev-no-dosing-minors
  behavior: dosage_information
  when: {audience: minor}
  forbid: specific_dose
# deployer (rank 2)
- id: dep-dosing
  behavior: dosage_information
  require: specific_dose
""",
    (
        "Narrow the lower rule's `when` to leave out the contexts the higher rule covers, or "
        "ask the higher stakeholder to make its rule `adjustable_by` yours."
    ),
)
PK403 = _c(
    "PK403",
    "Adjustment within the allowed bounds",
    I,
    """
# developer
- id: dev-no-explicit
  behavior: sexual_content
  forbid: explicit
  adjustable_by: [deployer]
  within: {explicit: {max: 0.5}}
# deployer
- id: dep-allow-some
  behavior: sexual_content
  bounds: {explicit: {max: 0.3}}
""",
    "No action needed.",
)
PK404 = _c(
    "PK404",
    "Lower-ranked rule would change a locked soft rule",
    E,
    """
# deployer
- id: dep-disclose
  behavior: ai_disclosure
  target: {disclose: 0.9, deflect: 0.1}
  locked: true
# user
- id: user-pretend-human
  behavior: ai_disclosure
  prefer: claim_human
""",
    (
        "Remove the rule, or ask the higher stakeholder to drop `locked: true`, so that "
        "lower targets are pooled with theirs. Hard rules are locked whether or not they "
        "say so. A lower hard rule that contradicts one is overridden (PK402), and a lower "
        "soft target is pooled inside its bounds; see docs/semantics.md."
    ),
)
PK405 = _c(
    "PK405",
    "Adjustment leaves its within bounds",
    E,
    """
# developer
- id: dev-no-explicit
  behavior: sexual_content
  forbid: explicit
  adjustable_by: [deployer]
  within: {explicit: {max: 0.5}}
# deployer
- id: dep-all-explicit
  behavior: sexual_content
  require: explicit
""",
    "Keep the adjustment inside the `within` bounds named in the message.",
)
PK406 = _c(
    "PK406",
    "Grant gives more than the grantor holds",
    E,
    """
# developer
- id: dev-no-explicit
  behavior: sexual_content
  forbid: explicit
  adjustable_by: [deployer]
  within: {explicit: {max: 0.3}}
# deployer
grants:
  - behavior: sexual_content
    to: [user]
    within: {explicit: {max: 0.8}}
""",
    "Narrow the grant's `within` to the grantor's own, or drop the grant.",
)
PK410 = _c(
    "PK410",
    "Soft targets of two stakeholders are in tension",
    W,
    """
# deployer
- id: dep-concise
  behavior: conciseness
  target: {concise: 0.9, thorough: 0.1}
# user
- id: user-thorough
  behavior: conciseness
  target: {concise: 0.1, thorough: 0.9}
""",
    (
        "Agree on closer targets, lower one rule's `weight`, or raise "
        "`analysis.tension_threshold` if this much disagreement is expected."
    ),
)
PK411 = _c(
    "PK411",
    "Rules push conflicting behaviors together",
    W,
    """
relations:
  - {type: conflicts, from: answer_directly, from_outcome: direct,
     to: ask_clarifying_questions, to_outcome: ask}
# deployer
- {id: dep-direct, behavior: answer_directly, prefer: direct}
# user
- {id: user-ask, behavior: ask_clarifying_questions, prefer: ask}
""",
    (
        "Lower one of the targets below one half, or narrow the scopes so the two rules no "
        "longer apply together."
    ),
)
PK412 = _c(
    "PK412",
    "Rule is shadowed by higher-ranked hard rules",
    W,
    """
# developer
- id: dev-no-weapons
  behavior: cbrn_weapons_uplift
  require: refuse
# deployer
- id: dep-weapons-lab
  behavior: cbrn_weapons_uplift
  when: {domain: education}
  prefer: safe_complete
""",
    "Remove the rule, or narrow its `when` to contexts the higher rules do not cover.",
)
PK413 = _c(
    "PK413",
    "Exact duplicate rule",
    I,
    """
# developer
- id: dev-no-cbrn
  behavior: cbrn_weapons_uplift
  forbid: comply
# society
- id: soc-no-cbrn
  behavior: cbrn_weapons_uplift
  forbid: comply
""",
    "Nothing is wrong if both stakeholders mean it; remove one copy if they are the same author's.",
)
PK414 = _c(
    "PK414",
    "Deployer or user ranked at or above a developer or society",
    W,
    """
stakeholders:
  developer: {rank: 40}
  district:  {kind: deployer, rank: 40}   # renumbered, now level with the developer
""",
    "Rank deployer- and user-kind stakeholders below every developer- and society-kind "
    "one, or set `rank_intended: true` on the stakeholder if the rank is deliberate.",
)
PK415 = _c(
    "PK415",
    "Accepted finding matches nothing",
    W,
    """
accept:
  - code: PK410
    rule: usr-thorough-explanations   # no PK410 about this rule any more
    reason: The patient's wish is kept on record.
""",
    "Remove the acceptance, or fix its code, rule or when so it names the finding; "
    "errors cannot be accepted.",
)
PK420 = _c(
    "PK420",
    "Hard rules of the same rank cannot all hold in a cell",
    E,
    """
# developer: comply >= 0.5; society: refuse >= 0.4; society: partial >= 0.3
# pairwise compatible, but 0.5 + 0.4 + 0.3 > 1 where all three apply
""",
    "Loosen one of the bounds, or narrow a rule's `when` so they no longer meet.",
)
PK430 = _c(
    "PK430",
    "Rule selects only contexts outside the project's context space",
    W,
    """
# project: context: {dimensions: {audience: {values: [minor, general]}},
#                    exclude: [{grade_band: k2, audience: general}]}
- id: dep-adults
  behavior: profanity
  when: {audience: [adult]}        # restricted away: the rule applies nowhere
  forbid: use_freely
""",
    "Remove the rule, widen its `when` to contexts the deployment meets, or allow those "
    "values in the project's `context:`.",
)
PK431 = _c(
    "PK431",
    "Rule names values the project's context space restricts away",
    W,
    """
# project: context: {dimensions: {audience: {values: [minor, general]}}}
- id: dep-careful
  behavior: profanity
  when: {audience: [minor, adult]}   # adult is restricted away; the rule covers minor
  forbid: use_freely
""",
    "Drop the restricted-away values from the `when` list (they never occur here), or "
    "allow them in the project's `context:`.",
)
# -- PK5xx: export and evaluation ----------------------------------------------
PK500 = _c(
    "PK500",
    "File is not a spec this version can read",
    E,
    """
$ policykit query policykit.yaml    # a project, not a compiled spec
""",
    "Give a spec written by `policykit compile` with this version; recompile an older one.",
)
PK501 = _c(
    "PK501",
    "Export failed",
    E,
    """
$ policykit export spec.json --to openai-evals -o out   # a behavior with 30 outcomes
""",
    "Read the message: it names the exporter's limit or the unsafe path it returned.",
)
PK510 = _c(
    "PK510",
    "Export with more cases than the cap",
    E,
    "(policykit export spec.json --to jsonl: 200,000 cases; the default cap is 10,000)",
    "Raise the cap with --max-cases, or compile a spec with fewer cells or probes.",
)
PK520 = _c(
    "PK520",
    "Evaluation cannot run",
    E,
    """
$ policykit eval spec.json -o out --backend responses   # and no responses file
""",
    "Read the message: it names the input, model or setting to fix.",
)
PK521 = _c(
    "PK521",
    "Optional package missing",
    E,
    """
$ pip install policykit-align && policykit eval spec.json -o out   # without the eval extra
""",
    "Install what the message names (usually the eval extra).",
)

CODES: dict[str, Code] = {c.code: c for c in _ALL}
"""Every code by its name: the whole table, complete once this module is imported."""


def lookup(name: str) -> Code:
    """The code named ``name`` (KeyError when there is none)."""
    return CODES[name]


def diag(
    code: Code,
    message: str,
    file: str,
    line: int = 0,
    column: int = 0,
    *,
    path: str = "",
    hint: str = "",
    related: tuple[Related, ...] = (),
    severity: Severity | None = None,
    behavior: str = "",
    stakeholders: tuple[str, ...] = (),
    witness: tuple[tuple[str, str], ...] = (),
) -> Diagnostic:
    """A diagnostic with the code's severity unless one is given."""
    return Diagnostic(
        code=str(code),
        severity=severity or code.severity,
        message=message,
        file=file,
        line=line,
        column=column,
        path=path,
        hint=hint,
        related=related,
        behavior=behavior,
        stakeholders=stakeholders,
        witness=witness,
    )


def over_cap(
    code: Code, behavior: str, where: tuple[str, int, int], amount: str, cap: int, hint: str
) -> Diagnostic:
    """A behavior whose rules make more of something than a cap of the project file
    allows (PK217, PK218), at ``where`` (file, line, column: the behavior's
    declaration): "the rules on 'b' ``amount``, more than the cap of ``cap``"."""
    file, line, col = where
    return diag(
        code,
        f"the rules on {behavior!r} {amount}, more than the cap of {cap}",
        file,
        line,
        col,
        behavior=behavior,
        hint=hint,
    )


def markdown() -> str:
    """The reference page for every code, generated from this table."""
    out = [
        "# Diagnostic codes",
        "",
        "Generated by `python -m policykit codes --markdown`; do not edit by hand.",
        "",
    ]
    for c in sorted(CODES.values(), key=lambda c: c.code):
        out += [
            f"## {c.code} — {c.summary}",
            "",
            f"Severity: {c.severity.value}",
            "",
            "Example:",
            "",
            "```yaml",
            c.example,
            "```",
            "",
            f"How to resolve: {c.fix}",
            "",
        ]
    return "\n".join(out)
