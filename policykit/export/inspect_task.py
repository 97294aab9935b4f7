"""``inspect``: an Inspect (inspect_ai) dataset and the task that scores it.

``dataset.jsonl`` holds one Inspect sample per case (``id``, chat ``input``, ``target``:
the outcomes intended with nonzero probability, and the whole case as ``metadata``),
taken one behavior after another in turn (conflict cases first), so that ``inspect eval
--limit N`` covers the behaviors as ``policykit eval --limit N`` does;
``task.py`` is a fixed file (see ``runtime/inspect_task.py``) whose scorer maps each
response to an outcome and reports the divergence from the intended distribution.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from policykit.export._runtime import runtime_file
from policykit.export.cases import CaseSet, json_line, round_robin_order

DESCRIPTION = "an Inspect task (task.py) and its dataset (dataset.jsonl)"


def render(case_set: CaseSet) -> Mapping[str, str]:
    lines = []
    cases = case_set.cases
    for case in (cases[i] for i in round_robin_order(cases)):
        metadata = case.model_dump(mode="json", exclude={"messages"})
        record = {
            "id": case.id,
            "input": [m.model_dump(mode="json") for m in case.messages],
            "target": sorted(o for o, p in case.intended.items() if p > 0),
            "metadata": metadata,
        }
        lines.append(json_line(record) + "\n")
    return {"dataset.jsonl": "".join(lines), "task.py": runtime_file("inspect_task.py")}


def run_command(case_set: CaseSet, out_dir: str) -> str | None:
    # task.py@policykit, not task.py: Inspect globs a bare path, and Python 3.11 cannot
    # glob an absolute one
    return f"inspect eval {shlex.quote(out_dir + '/task.py@policykit')} --model openai/gpt-4o-mini"
