"""The hosted OpenAI Evals API export, checked against the request types of the
official client (generated from OpenAI's published API specification)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from policykit.export import CaseSet, get_exporter
from policykit.export._runtime import runtime_file
from policykit.export.openai_evals_api import GRADER_SYSTEM, GRADER_USER, UNCLASSIFIED
from tests.export.nasty import NASTY

openai = pytest.importorskip("openai")
pydantic = pytest.importorskip("pydantic")

from openai.types.eval_create_params import (  # noqa: E402
    DataSourceConfigCustom,
    EvalCreateParams,
)
from openai.types.eval_create_params import (  # noqa: E402
    TestingCriterionLabelModel as LabelModelGrader,
)
from openai.types.evals.create_eval_completions_run_data_source_param import (  # noqa: E402
    CreateEvalCompletionsRunDataSourceParam,
)
from openai.types.evals.run_create_params import RunCreateParams  # noqa: E402

TEMPLATE = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")


def _files(case_set: CaseSet) -> dict[str, Any]:
    files = get_exporter("openai-evals-api").render(case_set)
    assert files["run.py"] == runtime_file("openai_evals_run.py")
    return {k: json.loads(v) for k, v in files.items() if k.endswith(".json")}


def test_bodies_have_the_shape_of_the_api(health_cases: CaseSet) -> None:
    files = _files(health_cases)
    behaviors = list(dict.fromkeys(c.behavior for c in health_cases.cases))
    evals = sorted(k for k in files if k.startswith("evals/"))
    assert len(evals) == len(behaviors)
    assert sorted(k for k in files if k.startswith("runs/")) == [
        e.replace("evals/", "runs/") for e in evals
    ]
    # the unions of the request types accept nearly anything: check each part against
    # the one type it is meant to be, too
    create = pydantic.TypeAdapter(EvalCreateParams)
    custom = pydantic.TypeAdapter(DataSourceConfigCustom)
    label = pydantic.TypeAdapter(LabelModelGrader)
    run = pydantic.TypeAdapter(RunCreateParams)
    completions = pydantic.TypeAdapter(CreateEvalCompletionsRunDataSourceParam)
    items = 0
    for name in evals:
        body = files[name]
        create.validate_python(body, strict=True)
        custom.validate_python(body["data_source_config"], strict=True)
        for criterion in body["testing_criteria"]:
            label.validate_python(criterion, strict=True)
        run_body = files[name.replace("evals/", "runs/")]
        run.validate_python(run_body, strict=True)
        completions.validate_python(run_body["data_source"], strict=True)
        [grader] = body["testing_criteria"]
        behavior = body["metadata"]["policykit_behavior"]
        cases = [c for c in health_cases.cases if c.behavior == behavior]
        assert grader["labels"] == [*sorted(cases[0].outcomes), UNCLASSIFIED]
        assert set(grader["passing_labels"]) <= set(grader["labels"])
        assert grader["passing_labels"]
        content = run_body["data_source"]["source"]["content"]
        assert [c["item"]["case"] for c in content] == [c.id for c in cases]
        schema = body["data_source_config"]["item_schema"]
        for row in content:
            assert set(row["item"]) == set(schema["required"]) == set(schema["properties"])
        items += len(content)
    assert items == len(health_cases.cases)


def test_passing_labels_are_what_every_cell_allows(health_cases: CaseSet) -> None:
    files = _files(health_cases)
    for name, body in files.items():
        if not name.startswith("evals/"):
            continue
        behavior = body["metadata"]["policykit_behavior"]
        cases = [c for c in health_cases.cases if c.behavior == behavior]
        everywhere = set.intersection(
            *({o for o, b in c.bounds.items() if b.max > 0} for c in cases)
        )
        if everywhere:
            assert set(body["testing_criteria"][0]["passing_labels"]) == everywhere


def test_policy_text_is_item_data_never_a_template(nasty_cases: CaseSet) -> None:
    files = _files(nasty_cases)
    for name, body in files.items():
        if name.startswith("evals/"):
            grader = body["testing_criteria"][0]
            assert [m["content"] for m in grader["input"]] == [GRADER_SYSTEM, GRADER_USER]
            # the only templates: references to the item and the sample
            refs = TEMPLATE.findall(GRADER_USER)
            assert refs == ["item.conversation", "sample.output_text", "item.classes"]
        else:
            template = body["data_source"]["input_messages"]["template"]
            assert [m["content"] for m in template] == ["{{item.system}}", "{{item.user}}"]
            blob = json.dumps([c["item"] for c in body["data_source"]["source"]["content"]])
            for fragment in NASTY:
                assert json.dumps(fragment)[1:-1] in blob
