"""``lm-eval``: an lm-evaluation-harness task over the outcomes' exemplars.

``task.yaml`` configures a ``multiple_choice`` task whose every hook is a
``!function`` in ``utils.py`` (a fixed file, see ``runtime/lm_eval_utils.py``), and
``docs.jsonl`` holds one flat document per case. The YAML holds no policy text: its
only variables are the task name, reduced to ``[a-z0-9_]``, and the spec's hash.
The prompt is the system message, then ``User: ...`` and ``Assistant:``, and each
exemplar is scored as its continuation.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from policykit.export._runtime import runtime_file
from policykit.export._yaml import dump_yaml
from policykit.export.cases import CaseSet, EvalCase, json_line, suite_name

DESCRIPTION = "an lm-evaluation-harness multiple_choice task (task.yaml, utils.py, docs.jsonl)"


def prompt_text(case: EvalCase) -> str:
    system = next((m.content for m in case.messages if m.role == "system"), "")
    user = next(m.content for m in case.messages if m.role == "user")
    return f"{system}\n\nUser: {user}\nAssistant:" if system else f"User: {user}\nAssistant:"


def document(case: EvalCase) -> dict[str, object]:
    outcomes = sorted(case.outcomes)
    choices: list[str] = []
    choice_outcomes: list[int] = []
    for index, name in enumerate(outcomes):
        for exemplar in case.outcomes[name].exemplars:
            choices.append(exemplar)
            choice_outcomes.append(index)
    # the target is the first exemplar of the most intended outcome (ties: first by id)
    best = max(range(len(outcomes)), key=lambda i: (case.intended[outcomes[i]], -i))
    return {
        "id": case.id,
        "behavior": case.behavior,
        "cell": case.cell,
        "prompt": prompt_text(case),
        "choices": choices,
        "choice_outcomes": choice_outcomes,
        "outcomes": outcomes,
        "intended": [case.intended[o] for o in outcomes],
        "allowed": [case.bounds[o].max > 0 for o in outcomes],
        "weight": case.weight,
        "target": choice_outcomes.index(best),
    }


def task_yaml(case_set: CaseSet) -> str:
    # The `!function` lines are constant and written by hand (a safe YAML emitter cannot
    # write tags); everything else goes through a safe YAML emitter.
    functions = (
        "custom_dataset: !function utils.load_cases\n"
        "doc_to_text: !function utils.doc_to_text\n"
        "doc_to_choice: !function utils.doc_to_choice\n"
        "doc_to_target: !function utils.doc_to_target\n"
        "process_results: !function utils.process_results\n"
    )
    data = {
        "task": suite_name(case_set.project),
        "test_split": "test",
        "output_type": "multiple_choice",
        "metric_list": [
            {"metric": "tv", "aggregation": "mean", "higher_is_better": False},
            {"metric": "js", "aggregation": "mean", "higher_is_better": False},
            {"metric": "allowed_mass", "aggregation": "mean", "higher_is_better": True},
        ],
        "metadata": {"version": 1.0, "policykit_spec": case_set.spec_hash},
    }
    return functions + dump_yaml(data)


def render(case_set: CaseSet) -> Mapping[str, str]:
    docs = "".join(json_line(document(c)) + "\n" for c in case_set.cases)
    return {
        "task.yaml": task_yaml(case_set),
        "utils.py": runtime_file("lm_eval_utils.py"),
        "docs.jsonl": docs,
    }


def run_command(case_set: CaseSet, out_dir: str) -> str | None:
    return (
        f"lm_eval --model hf --model_args pretrained=MODEL --include_path {shlex.quote(out_dir)} "
        f"--tasks {suite_name(case_set.project)} --log_samples --output_path results"
    )
