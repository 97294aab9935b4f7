"""Results from the tools people already run: the exported Inspect task and promptfoo
config run by the tools themselves, their logs read back by ``policykit eval
--responses``, and the same results as the same responses given as JSONL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policykit.cli import main
from policykit.export import CaseSet
from tests.export.test_promptfoo import _promptfoo, run_promptfoo

inspect_ai = pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.model import ChatMessage, ModelOutput, get_model  # noqa: E402

LIMIT = 6


def _exemplar_reply(health_cases: CaseSet) -> Any:
    """A reply per prompt: the first exemplar of the case's most intended outcome."""
    replies = {}
    for case in health_cases.cases:
        top = max(sorted(case.intended), key=lambda o: case.intended[o])
        replies[case.messages[1].content] = case.outcomes[top].exemplars[0]
    return replies


def _results(out: Path) -> dict[str, Any]:
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return dict(data)


def _as_jsonl(path: Path, responses: dict[str, list[str]]) -> Path:
    lines = [json.dumps({"id": i, "response": r}) for i, rs in responses.items() for r in rs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _same_results(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in ("cases", "behaviors", "stakeholders", "properties", "overall", "missing"):
        assert a[key] == b[key], key


@pytest.mark.parametrize("log_format", ["eval", "json"])
def test_an_inspect_log_is_judged_like_its_responses(
    health_spec_file: Path,
    health_cases: CaseSet,
    tiktoken_cache: Path,
    offline: Path,
    monkeypatch: pytest.MonkeyPatch,
    log_format: str,
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tiktoken_cache))
    task = offline / "inspect"
    assert main(["export", str(health_spec_file), "--to", "inspect", "-o", str(task)]) == 0
    replies = _exemplar_reply(health_cases)

    def generate(messages: list[ChatMessage], *args: Any) -> ModelOutput:
        return ModelOutput.from_content(model="mockllm/model", content=replies[messages[-1].text])

    model = get_model("mockllm/model", custom_outputs=generate, memoize=False)
    # Inspect's --limit takes the first samples: round-robin, the cases eval --limit takes
    [log] = inspect_eval(
        f"{task / 'task.py'}@policykit",
        model=model,
        log_dir=str(offline / "logs"),
        display="none",
        limit=LIMIT,
        log_format=log_format,
    )
    assert log.status == "success", log.error
    assert log.location.endswith(f".{log_format}")
    common = ["eval", str(health_spec_file), "--limit", str(LIMIT), "--judge", "nearest"]
    assert main([*common, "-o", str(offline / "a"), "--responses", log.location]) == 0
    from_log = _results(offline / "a")
    assert from_log["missing"] == 0 and len(from_log["cases"]) == LIMIT
    assert len({c["behavior"] for c in from_log["cases"]}) == LIMIT
    assert from_log["run"]["options"]["responses_format"] == "inspect"
    answers = {c["id"]: [r["text"] for r in c["sample"]["responses"]] for c in from_log["cases"]}
    by_prompt = {c.id: replies[c.messages[1].content] for c in health_cases.cases}
    assert answers == {i: [by_prompt[i]] for i in answers}
    jsonl = _as_jsonl(offline / "answers.jsonl", answers)
    assert main([*common, "-o", str(offline / "b"), "--responses", str(jsonl)]) == 0
    _same_results(from_log, _results(offline / "b"))
    assert (offline / "a" / "report.html").is_file()


def test_a_promptfoo_output_is_judged_like_its_responses(
    health_spec_file: Path, tmp_path: Path
) -> None:
    binary = _promptfoo()
    config = tmp_path / "promptfoo"
    assert main(["export", str(health_spec_file), "--to", "promptfoo", "-o", str(config)]) == 0
    output = tmp_path / "out.json"
    done = run_promptfoo(binary, config, tmp_path, output, "--filter-first-n", "8")
    assert done.returncode in (0, 100), done.stdout + done.stderr
    common = ["eval", str(health_spec_file), "--judge", "nearest"]
    assert main([*common, "-o", str(tmp_path / "a"), "--responses", str(output)]) == 0
    from_output = _results(tmp_path / "a")
    assert len(from_output["cases"]) == 8
    assert from_output["run"]["options"]["responses_format"] == "promptfoo"
    answers = {c["id"]: [r["text"] for r in c["sample"]["responses"]] for c in from_output["cases"]}
    # the echo provider answers with what it was sent: the case's own messages
    raw = json.loads(output.read_text(encoding="utf-8"))["results"]["results"]
    assert {r["testCase"]["metadata"]["policykit_case"] for r in raw} == set(answers)
    jsonl = _as_jsonl(tmp_path / "answers.jsonl", answers)
    assert main([*common, "-o", str(tmp_path / "b"), "--responses", str(jsonl)]) == 0
    _same_results(from_output, _results(tmp_path / "b"))


def test_an_output_of_another_tool_is_refused(
    health_spec_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "out.json"
    other.write_text(json.dumps({"evalId": "x", "results": {"results": [{"vars": {}}]}}))
    args = ["eval", str(health_spec_file), "-o", str(tmp_path / "o"), "--responses", str(other)]
    assert main(args) == 1
    assert "has no testCase.metadata.policykit_case" in capsys.readouterr().err
