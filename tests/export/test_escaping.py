"""Policy text is data in every export: it arrives literally, and it can change no
assertion type, no file reference and no scorer.

The real tools' own runs (test_inspect, test_lm_eval, test_promptfoo) check what they
saw of the hostile project in ``nasty.py``; the tests here check the exported files
themselves, format by format.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from policykit.export import CaseSet, EvalCase, build_cases, get_exporter
from policykit.export._runtime import runtime_file
from policykit.export.cases import suite_name as eval_name
from policykit.export.lm_eval import document, prompt_text
from policykit.export.openai_evals import GRADER_PROMPT
from policykit.export.promptfoo import PROMPT, pieces, rubric
from policykit.spec.artifact import TargetBehaviorSpec
from tests.export.nasty import NASTY


def _texts(case: EvalCase) -> list[str]:
    """Every piece of policy text a case carries."""
    out = [m.content for m in case.messages]
    for outcome in case.outcomes.values():
        out.append(outcome.description)
        out.extend(outcome.exemplars)
    return out


def _strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in [k, *_strings(v)]]
    if isinstance(data, list):
        return [s for item in data for s in _strings(item)]
    return []


def _jsonl(text: str) -> list[Any]:
    assert text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def test_the_hostile_project_puts_every_fragment_in_every_kind_of_text(
    nasty_cases: CaseSet,
) -> None:
    case = next(c for c in nasty_cases.cases if c.messages[1].content.startswith("[probe]"))
    for text in _texts(case)[:4]:  # system, user, refuse's description and exemplar
        for fragment in NASTY:
            assert fragment in text
    # and the prompts that are nothing but a file reference or a template
    users = {c.messages[1].content for c in nasty_cases.cases}
    assert {"file://exploit.py", "{{ env.SECRET }}"} <= users


def test_jsonl_carries_the_text_literally(nasty_cases: CaseSet) -> None:
    records = _jsonl(get_exporter("jsonl").render(nasty_cases)["cases.jsonl"])
    for case, record in zip(nasty_cases.cases, records, strict=True):
        assert EvalCase.model_validate(record) == case


def test_inspect_dataset_is_data_and_the_task_is_constant(
    nasty_cases: CaseSet, health_cases: CaseSet
) -> None:
    files = get_exporter("inspect").render(nasty_cases)
    assert files["task.py"] == runtime_file("inspect_task.py")
    assert files["task.py"] == get_exporter("inspect").render(health_cases)["task.py"]
    records = _jsonl(files["dataset.jsonl"])
    for case, record in zip(nasty_cases.cases, records, strict=True):
        # only Sample fields that carry data: no files, sandbox, setup or choices
        assert set(record) == {"id", "input", "target", "metadata"}
        assert record["input"] == [m.model_dump(mode="json") for m in case.messages]
        assert record["target"] == sorted(o for o in case.outcomes if case.intended[o] > 0)
        assert EvalCase.model_validate({**record["metadata"], "messages": record["input"]}) == case


class _TagLoader(yaml.SafeLoader):
    """Reads lm-eval's ``!function`` tags as ("!function", value) pairs."""


_TagLoader.add_constructor(
    "!function", lambda loader, node: ("!function", loader.construct_scalar(node))
)


def test_lm_eval_yaml_has_only_its_own_functions(
    nasty_cases: CaseSet, health_cases: CaseSet
) -> None:
    files = get_exporter("lm-eval").render(nasty_cases)
    assert files["utils.py"] == runtime_file("lm_eval_utils.py")
    task = yaml.load(files["task.yaml"], Loader=_TagLoader)
    functions = {k: v for k, v in task.items() if isinstance(v, tuple)}
    assert functions == {
        "custom_dataset": ("!function", "utils.load_cases"),
        "doc_to_text": ("!function", "utils.doc_to_text"),
        "doc_to_choice": ("!function", "utils.doc_to_choice"),
        "doc_to_target": ("!function", "utils.doc_to_target"),
        "process_results": ("!function", "utils.process_results"),
    }
    assert task["task"] == "policykit_nasty" and task["output_type"] == "multiple_choice"
    # nothing else in it differs from another project's
    health = yaml.load(get_exporter("lm-eval").render(health_cases)["task.yaml"], _TagLoader)
    differs = {k for k in task if task[k] != health[k]}
    assert differs == {"task", "metadata"}
    docs = _jsonl(files["docs.jsonl"])
    for case, doc in zip(nasty_cases.cases, docs, strict=True):
        assert doc == document(case)
        assert doc["prompt"] == prompt_text(case)
        assert doc["choices"] == [
            e for o in sorted(case.outcomes) for e in case.outcomes[o].exemplars
        ]


def test_lm_eval_task_name_is_reduced_to_safe_characters(nasty_spec: TargetBehaviorSpec) -> None:
    spec = nasty_spec.model_copy(update={"project": "x: !function os.system\n{{ env.SECRET }}"})
    files = get_exporter("lm-eval").render(build_cases(spec))
    task = yaml.load(files["task.yaml"], Loader=_TagLoader)
    assert task["task"] == "policykit_x___function_os_system____env_secret___"
    assert len([v for v in task.values() if isinstance(v, tuple)]) == 5


_TEMPLATE = re.compile(r"\{\{ policykit\.(rubrics\[\d+\]|behavior) \| join\(''\) \}\}")
_PROMPTFOO_KEYS = {
    "description", "prompts", "label", "raw", "tests", "vars", "policykit", "system",
    "user", "behavior", "rubrics", "outcomes", "assert", "type", "value", "weight",
    "metric", "threshold", "metadata", "policykit_case", "property", "cell", "source",
    "rule", "conflict", "rules", "winners", "overridden", "dropped", "stakeholders",
}  # fmt: skip


def test_promptfoo_templates_are_constant_and_text_is_never_a_template(
    nasty_cases: CaseSet,
) -> None:
    text = get_exporter("promptfoo").render(nasty_cases)["promptfooconfig.yaml"]
    config = yaml.safe_load(text)
    assert config["prompts"] == [{"label": "policykit-chat", "raw": PROMPT}]
    for case, test in zip(nasty_cases.cases, config["tests"], strict=True):
        for assertion in test["assert"]:
            assert assertion["type"] == "llm-rubric"
            assert _TEMPLATE.fullmatch(assertion["value"])
            assert assertion["metric"] == "{{ policykit.behavior | join('') }}"
        # one variable, a mapping: promptfoo loads and renders only string variables
        assert list(test["vars"]) == ["policykit"]
        found = test["vars"]["policykit"]
        assert "".join(found["system"]) == case.messages[0].content
        assert "".join(found["user"]) == case.messages[1].content
        asserted = [o for o in sorted(case.outcomes) if case.intended[o] > 0]
        assert ["".join(r) for r in found["rubrics"]] == [rubric(case, o) for o in asserted]
    # no string but the constant templates holds "{{", so promptfoo's load-time pass
    # that renders {{ env.X }} anywhere in the file finds nothing of the policy's
    templates = {PROMPT, *(a["value"] for t in config["tests"] for a in t["assert"])}
    templates.add("{{ policykit.behavior | join('') }}")
    assert [s for s in _strings(config) if "{{" in s and s not in templates] == []
    keys = {k for k in _keys(config)}
    assert keys <= _PROMPTFOO_KEYS, keys - _PROMPTFOO_KEYS


def _keys(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [k for key, value in data.items() for k in [key, *_keys(value)]]
    if isinstance(data, list):
        return [k for item in data for k in _keys(item)]
    return []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [""]),
        ("plain", ["plain"]),
        ("a {{ env.X }} b", ["a {", "{ env.X }} b"]),
        ("{{{", ["{", "{", "{"]),
        ("{x}{{y}}", ["{x}{", "{y}}"]),
    ],
)
def test_pieces_never_hold_double_braces_and_join_back(text: str, expected: list[str]) -> None:
    assert pieces(text) == expected
    assert "".join(pieces(text)) == text
    assert all("{{" not in p for p in pieces(text))


def test_openai_evals_grader_prompt_is_constant_and_fields_stay_literal(
    nasty_cases: CaseSet, health_cases: CaseSet
) -> None:
    files = get_exporter("openai-evals").render(nasty_cases)
    name = eval_name(nasty_cases.project)
    assert set(files) == {
        f"evals/{name}.yaml",
        f"modelgraded/{name}.yaml",
        f"data/{name}/samples.jsonl",
    }
    graded = yaml.safe_load(files[f"modelgraded/{name}.yaml"])[name]
    assert graded["prompt"] == GRADER_PROMPT
    assert graded["choice_strings"] == "AB"
    evals = yaml.safe_load(files[f"evals/{name}.yaml"])
    assert evals[f"{name}.dev.v0"]["class"] == (
        "evals.elsuite.modelgraded.classify:ModelBasedClassify"
    )
    assert evals[f"{name}.dev.v0"]["args"]["samples_jsonl"] == f"{name}/samples.jsonl"
    samples = _jsonl(files[f"data/{name}/samples.jsonl"])
    for case, sample in zip(nasty_cases.cases, samples, strict=True):
        # what OpenAI Evals does: ModelBasedClassify doubles the braces of the input and
        # str.format()s it; the grader prompt is str.format()ted with the sample's fields
        for message, sent in zip(case.messages, sample["input"], strict=True):
            scrubbed = sent["content"].replace("{", "{{").replace("}", "}}")
            assert scrubbed.format() == message.content
        filled = GRADER_PROMPT.format(**sample, completion="COMPLETION")
        for text in _texts(case):
            assert text in filled
        assert sample["policykit"]["letters"] == {"A": "comply", "B": "refuse"}


def test_every_export_carries_every_fragment(nasty_cases: CaseSet) -> None:
    for fmt in ("jsonl", "inspect", "lm-eval", "promptfoo", "openai-evals", "openai-evals-api"):
        files = get_exporter(fmt).render(nasty_cases)
        parsed: list[str] = []
        for path, text in files.items():
            if path.endswith(".jsonl"):
                parsed.extend(s for record in _jsonl(text) for s in _strings(record))
            elif path.endswith(".json"):
                parsed.extend(_strings(json.loads(text)))
            elif path.endswith(".yaml"):
                data = yaml.load(text, Loader=_TagLoader)
                parsed.extend(
                    v if isinstance(v, str) else "".join(v) for v in _lists_and_strings(data)
                )
        blob = "\n".join(parsed)
        for fragment in NASTY:
            assert fragment in blob, (fmt, fragment)


def _lists_and_strings(data: Any) -> list[Any]:
    """Strings, and lists of strings whole (promptfoo's pieces), in ``data``."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, list) and data and all(isinstance(x, str) for x in data):
        return [data]
    if isinstance(data, dict):
        return [x for v in data.values() for x in _lists_and_strings(v)]
    if isinstance(data, list):
        return [x for item in data for x in _lists_and_strings(item)]
    return []
