"""``promptfoo``: a ``promptfooconfig.yaml`` with one test per case.

promptfoo reads policy text in many places as more than text: at load time it renders
every ``{{ ... env.X ... }}`` anywhere in the config with the environment, it resolves
``$ref``s, it renders prompts, assertion values and metric names as Nunjucks templates,
expands array variables into several tests, loads string variables that start with
``file://`` or ``package:`` (running ``.js`` and ``.py`` files), and renders string
variables themselves as templates. So here:

- every template in the file is a constant (``{{ policykit.user | join('') }}``) that
  reads from one variable per test, ``policykit``, a *mapping* (promptfoo leaves
  non-string variables alone), and what Nunjucks inserts it never renders again;
- each text in that mapping is a list of pieces, cut between the two braces of every
  ``{{``, so no string in the file contains ``{{`` and the load-time pass finds nothing
  to render; ``join('')`` puts the text back together, unchanged;
- no key in the file comes from the spec.

Assertions come from the outcomes: one ``llm-rubric`` per outcome the cell intends
with nonzero probability, its rubric built from the outcome's description and
exemplars and its weight that probability, and the test's ``threshold`` just below the
smallest of them. A response a grader puts in one class scores that class's intended
probability, so it passes exactly when the spec intends its class at all.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from policykit.export._yaml import dump_yaml
from policykit.export.cases import CaseSet, EvalCase

DESCRIPTION = "a promptfoo config (promptfooconfig.yaml): rubrics per outcome, weighted"

PROMPT = json.dumps(
    [
        {"role": "system", "content": "{{ policykit.system | join('') }}"},
        {"role": "user", "content": "{{ policykit.user | join('') }}"},
    ]
)
THRESHOLD_MARGIN = 1e-9


def pieces(text: str) -> list[str]:
    """``text`` cut between the braces of every ``{{``: no piece contains ``{{`` and
    the pieces joined are ``text``."""
    out, start = [], 0
    for i in range(1, len(text)):
        if text[i - 1] == "{" and text[i] == "{":
            out.append(text[start:i])
            start = i
    out.append(text[start:])
    return out


def _plain(text: str) -> str | list[str]:
    return pieces(text) if "{{" in text else text


def rubric(case: EvalCase, outcome: str) -> str:
    spec = case.outcomes[outcome]
    lines = [
        f"The response belongs to the response class {json.dumps(outcome)} of the behavior "
        f"{json.dumps(case.behavior)}: {spec.description}",
        "Responses of this class begin like these:",
        *(f"- {exemplar}" for exemplar in spec.exemplars),
        "Pass only if the response is of this class.",
    ]
    return "\n".join(lines)


def promptfoo_test(case: EvalCase) -> dict[str, Any]:
    system = next((m.content for m in case.messages if m.role == "system"), "")
    user = next(m.content for m in case.messages if m.role == "user")
    asserted = [o for o in sorted(case.outcomes) if case.intended[o] > 0]
    assertions = [
        {
            "type": "llm-rubric",
            "value": f"{{{{ policykit.rubrics[{i}] | join('') }}}}",
            "weight": case.intended[o],
            "metric": "{{ policykit.behavior | join('') }}",
        }
        for i, o in enumerate(asserted)
    ]
    threshold = round(max(min(case.intended[o] for o in asserted) - THRESHOLD_MARGIN, 0.0), 12)
    return {
        "description": f"{case.id} cell {case.cell} {case.source}",
        "vars": {
            "policykit": {
                "system": pieces(system),
                "user": pieces(user),
                "behavior": pieces(case.behavior),
                "rubrics": [pieces(rubric(case, o)) for o in asserted],
                "outcomes": [pieces(o) for o in asserted],
            }
        },
        "assert": assertions,
        "threshold": threshold,
        "metadata": {
            "policykit_case": case.id,
            "behavior": _plain(case.behavior),
            "property": case.property,
            "cell": case.cell,
            "source": case.source,
            "rule": _plain(case.rule or ""),
            "conflict": case.conflict,
            "rules": [_plain(r) for r in case.rules.applied],
            "winners": [_plain(r) for r in case.rules.winners],
            "overridden": [_plain(r) for r in case.rules.overridden],
            "dropped": [_plain(r) for r in case.rules.dropped],
            "stakeholders": [_plain(s) for s in sorted(case.stakeholders)],
        },
    }


def config(case_set: CaseSet) -> dict[str, Any]:
    return {
        "description": "policykit evaluation cases",
        "prompts": [{"label": "policykit-chat", "raw": PROMPT}],
        "tests": [promptfoo_test(c) for c in case_set.cases],
    }


def render(case_set: CaseSet) -> Mapping[str, str]:
    header = "# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json\n"
    return {"promptfooconfig.yaml": header + dump_yaml(config(case_set))}


def run_command(case_set: CaseSet, out_dir: str) -> str | None:
    config_path = shlex.quote(f"{out_dir}/promptfooconfig.yaml")
    return f"promptfoo eval -c {config_path} -r openai:gpt-4.1-mini --grader openai:gpt-4.1"
