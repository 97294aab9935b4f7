"""The registry of diagnostic codes.

Every code policykit can report is declared here once, with its default severity, a
bad example and how to fix it. ``docs/diagnostics.md`` is generated from this table
(``python -m policykit codes --markdown``) and a test keeps the two in step. A code is
never reused: retire it by leaving it out of use, not by giving it a new meaning.

Groups: PK1xx reading files, PK2xx schema and references, PK3xx graph structure,
PK4xx conflicts and permissions, PK5xx export and evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

from policykit.diagnostics import Diagnostic, Related, Severity


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    title: str
    severity: Severity
    example: str
    fix: str


def _c(code: str, title: str, severity: Severity, example: str, fix: str) -> Code:
    return Code(code, title, severity, example.strip("\n"), fix)


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

_ALL = (
    # -- PK1xx: reading files ---------------------------------------------------------
    _c(
        "PK100",
        "File cannot be read",
        E,
        """
policies:
  - path: policies/deployer.yaml   # no such file
    stakeholder: deployer
""",
        "Check the path; paths are relative to the file that names them.",
    ),
    _c(
        "PK101",
        "YAML syntax error",
        E,
        """
rules:
  - id: a
   behavior: b      # indented one space short
""",
        "Fix the YAML at the position shown; a YAML-aware editor points at it too.",
    ),
    _c(
        "PK102",
        "Tab character in indentation",
        E,
        """
rules:
\t- id: a
""",
        "Indent with spaces; YAML does not allow tabs in indentation.",
    ),
    _c(
        "PK103",
        "File is not UTF-8",
        E,
        "title: caf\\xe9  # Latin-1 byte",
        "Save the file as UTF-8 (a byte order mark is fine).",
    ),
    _c(
        "PK104",
        "Duplicate key",
        E,
        """
rules:
  - id: a
    id: b
""",
        "Remove one of the keys; YAML would silently keep only the last.",
    ),
    _c(
        "PK105",
        "Explicit YAML tag",
        E,
        """
metadata: !!python/object/apply:os.system ["rm -rf /"]
""",
        "Remove the tag. policykit files are plain data; tags are never honoured.",
    ),
    _c(
        "PK106",
        "Too many anchors or aliases",
        E,
        """
a: &a [x, x, x]
b: &b [*a, *a, *a]
c: [*b, *b, *b]
""",
        "Write the values out; anchors and aliases are capped to stop expansion bombs.",
    ),
    _c(
        "PK107",
        "Nesting too deep",
        E,
        "a: [[[[[[[[[[[[ ... ]]]]]]]]]]]]",
        "Flatten the document; no policykit file needs that much nesting.",
    ),
    _c(
        "PK108",
        "File too large",
        E,
        "(a 100 MB policy file)",
        "Split the file, or raise the limit in the loader options if it is trusted.",
    ),
    _c(
        "PK109",
        "Several YAML documents in one file",
        E,
        """
kind: Policy
---
kind: Policy
""",
        "Put each document in its own file and list each one in the project.",
    ),
    _c(
        "PK110",
        "Empty file or not a mapping",
        E,
        "- just\n- a list",
        "A policykit file is a mapping with apiVersion, kind and metadata.",
    ),
    _c(
        "PK111",
        "Include leaves the project root",
        E,
        """
policies:
  - path: ../../etc/other.yaml
    stakeholder: user
""",
        "Keep included files inside the project folder; use std: for the standard library.",
    ),
    _c(
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
    ),
    _c(
        "PK113",
        "Unknown standard library entry",
        E,
        "catalogs: [std:nope.yaml]",
        "Run `policykit std` to list the standard library, or fix the name.",
    ),
    _c(
        "PK114",
        "Fast YAML parser unavailable",
        W,
        "(PyYAML built without libyaml)",
        "Install PyYAML with libyaml (the wheels on PyPI have it) for fast loading.",
    ),
    _c(
        "PK115",
        "Mapping key is not a plain scalar",
        E,
        "? [a, b]\n: c",
        "Use a plain string as the key.",
    ),
    _c(
        "PK116",
        "Includes nested too deep",
        E,
        """
# catalog-1.yaml includes catalog-2.yaml, which includes catalog-3.yaml, ...
include: [catalog-2.yaml]
""",
        "Include the catalogs from fewer levels (a project may list many catalogs), or "
        "raise `limits.max_include_depth` in the project file.",
    ),
    # -- PK2xx: schema and references -------------------------------------------------
    _c(
        "PK201",
        "Unknown field",
        E,
        """
rules:
  - id: a
    behaviour: self_harm   # British spelling
""",
        "Use one of the fields the message lists; `policykit schema` prints them all.",
    ),
    _c(
        "PK202",
        "Missing field",
        E,
        """
rules:
  - id: a       # no behavior
    require: refuse
""",
        "Add the field.",
    ),
    _c(
        "PK203",
        "Wrong type",
        E,
        """
rules:
  - id: a
    weight: high
""",
        "Give a value of the type the message names.",
    ),
    _c(
        "PK204",
        "Unquoted value read as a non-string",
        E,
        """
dimensions:
  - id: region
    values: [no, se, dk]   # `no` is read as false
""",
        "Quote the value: 'no', '1.10', '12:30'.",
    ),
    _c(
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
    ),
    _c(
        "PK206",
        "Distribution does not sum to 1",
        E,
        """
default: {refuse: 0.5, comply: 0.4}
""",
        "Make the probabilities add up to 1 (within 1e-6).",
    ),
    _c(
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
    ),
    _c(
        "PK208",
        "Duplicate id",
        E,
        """
behaviors:
  - id: profanity
  - id: profanity
""",
        "Give each behavior, dimension and rule a unique id.",
    ),
    _c(
        "PK209",
        "Policy claims another stakeholder",
        E,
        """
# policykit.yaml binds prefs.yaml to `user`, but prefs.yaml says:
metadata:
  stakeholder: developer
""",
        "The project decides who a file speaks for; fix the policy's metadata or the binding.",
    ),
    _c(
        "PK210",
        "Wrong kind or apiVersion",
        E,
        """
apiVersion: policykit/v2
kind: Policy
""",
        "Use apiVersion policykit/v1 and the kind the project expects at that place.",
    ),
    _c(
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
    ),
    _c(
        "PK212",
        "Placeholder names no dimension",
        W,
        """
probes:
  - "As a {audiense}, how do I ..."   # typo of {audience}
""",
        "Fix the placeholder, or leave it: unknown placeholders are kept as literal text.",
    ),
    _c(
        "PK214",
        "Behavior with more outcomes than the cap",
        E,
        """
outcomes: {o1: ..., o2: ..., o3: ..., ..., o100: ...}   # limits.max_outcomes: 32
""",
        "Merge outcomes into fewer response classes, or raise `limits.max_outcomes` in the "
        "project file.",
    ),
    _c(
        "PK215",
        "When list longer than the cap",
        E,
        """
when: {region: [eu, us, eu, us, eu, us, ...]}   # 100,000 values; the cap is 1,000
""",
        "List each value once, or leave the dimension out to mean every value; the project "
        "file can raise `limits.max_when_values`.",
    ),
    _c(
        "PK216",
        "Project divided into more cells than the cap",
        E,
        "(the rules of all behaviors together cut the context space into 60,000 cells; "
        "limits.max_cells is 20,000)",
        "Use fewer distinct `when` value sets, or raise `limits.max_cells` in the project file.",
    ),
    _c(
        "PK217",
        "Rules on one behavior with more candidate pairs than the cap",
        E,
        "(2,000 rules with different targets on one behavior: 4,000,000 pairs to compare)",
        "Write fewer distinct rules on the behavior (rules alike are compared once), or raise "
        "`limits.max_candidate_pairs` in the project file.",
    ),
    _c(
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
    ),
    _c(
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
    ),
    # -- PK5xx: export and evaluation -------------------------------------------------
    _c(
        "PK510",
        "Export with more cases than the cap",
        E,
        "(policykit export spec.json --to jsonl: 200,000 cases; the default cap is 10,000)",
        "Raise the cap with --max-cases, or compile a spec with fewer cells or probes.",
    ),
)

CODES: dict[str, Code] = {c.code: c for c in _ALL}


def register(code: Code) -> None:
    """Declare a code from a later stage (analysis checks register theirs here)."""
    if code.code in CODES and CODES[code.code] != code:
        raise ValueError(f"diagnostic code {code.code} declared twice")
    CODES[code.code] = code


def diag(
    code: str,
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
    """A diagnostic with the code's registered severity unless one is given."""
    return Diagnostic(
        code=code,
        severity=severity or CODES[code].severity,
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
            f"## {c.code} — {c.title}",
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
