"""The K-12 homework tutor of issue #12, as file texts for tests to vary."""

from __future__ import annotations

PROJECT = """\
apiVersion: policykit/v1
kind: Project
metadata:
  name: k12-tutor
deployment:
  description: A K-12 homework tutor run by a school district.
catalogs: [std:core/catalog.yaml]
stakeholders:
  society:   {rank: 40}
  developer: {rank: 40}
  district:  {kind: deployer, rank: 30, weight: 0.9, description: Lakeview USD}
  school:    {kind: deployer, rank: 25}
  parent:    {kind: user, rank: 20, weight: 0.8}
  student:   {kind: user, rank: 10, weight: 0.6}
policies:
  - {path: policies/district.yaml, stakeholder: district}
  - {path: prefs/parents.yaml, stakeholder: parent, on_violation: drop}
  - {path: prefs/student.yaml, stakeholder: student, on_violation: drop}
"""

DISTRICT = """\
apiVersion: policykit/v1
kind: Policy
metadata:
  name: district
rules:
  - id: district-no-explicit
    behavior: sexual_content
    forbid: explicit
"""

PARENTS = """\
apiVersion: policykit/v1
kind: Policy
metadata:
  name: parents
rules:
  - id: parent-hints-not-answers
    behavior: answer_directly
    target: {direct: 0.2, hedge_heavily: 0.8}
"""

STUDENT = """\
apiVersion: policykit/v1
kind: Policy
metadata:
  name: student
rules:
  - id: student-just-the-answer
    behavior: answer_directly
    prefer: direct
"""

FILES = {
    "policykit.yaml": PROJECT,
    "policies/district.yaml": DISTRICT,
    "prefs/parents.yaml": PARENTS,
    "prefs/student.yaml": STUDENT,
}


def rule(rid: str, behavior: str, body: str) -> str:
    """One rule as a YAML list item (``body``: its directive lines, unindented)."""
    lines = [f"  - id: {rid}", f"    behavior: {behavior}"]
    lines += [f"    {line}" for line in body.strip().splitlines()]
    return "\n".join(lines) + "\n"


def policy(name: str, *rules: str, claim: str | None = None) -> str:
    meta = f"  name: {name}\n" + (f"  stakeholder: {claim}\n" if claim else "")
    return (
        "apiVersion: policykit/v1\nkind: Policy\nmetadata:\n"
        + meta
        + ("rules:\n" + "".join(rules) if rules else "rules: []\n")
    )
