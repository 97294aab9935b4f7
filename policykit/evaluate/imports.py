"""Responses made by the tools people already run, read for the ``responses`` backend.

``--responses PATH`` takes three formats, told apart by the file's content:

- **JSONL**: one ``{"id": "<case id>", "response": "<text>"}`` per line (``policykit
  export --to jsonl`` gives the cases; the openai backend's response cache is one too);
- **an Inspect log**, ``.eval`` (a zip archive) or ``.json``, of ``inspect eval`` on a
  ``policykit export --to inspect`` task: each sample's id is its case id and its
  output's completion the response (every epoch is one more sample). Read with
  Inspect's own ``read_eval_log``, so it needs ``inspect-ai`` installed;
- **a promptfoo output JSON**, of ``promptfoo eval -o out.json`` on a ``policykit export
  --to promptfoo`` config: each result's ``testCase.metadata.policykit_case`` names its
  case and ``response.output`` is the response (every ``--repeat`` is one more sample).

Responses are matched to cases by id. A sample that errored in its tool (no output) is
left out and counted in :attr:`Imported.failed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policykit.evaluate.errors import EvalError, MissingDependency, jsonl_objects

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class Imported:
    format: str
    """jsonl, inspect or promptfoo."""
    responses: dict[str, list[str]]
    """Case id -> responses, in the file's order."""
    failed: int = 0
    """Samples the tool recorded without a response (an error in its run)."""


def read_any(path: Path) -> Imported:
    """The responses in ``path``, whichever of the three formats it is."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise EvalError(f"{path}: cannot read responses: {exc}") from exc
    if head == ZIP_MAGIC:
        return _inspect(path)
    data = _whole_json(path)
    if isinstance(data, dict) and "eval" in data and "version" in data:
        return _inspect(path)
    if isinstance(data, dict) and isinstance(data.get("results"), dict) and "evalId" in data:
        return _promptfoo(path, data)
    return Imported("jsonl", read_jsonl(path))


def _whole_json(path: Path) -> Any:
    """The file as one JSON value, or None when it is not one (JSONL, say)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def read_jsonl(path: Path) -> dict[str, list[str]]:
    """Case id -> responses, in file order; EvalError with file:line on a bad line."""
    out: dict[str, list[str]] = {}
    for number, record in jsonl_objects(path, "responses", "id and response"):
        case_id, response = record.get("id"), record.get("response")
        if not isinstance(case_id, str) or not isinstance(response, str):
            raise EvalError(
                f"{path}:{number}: 'id' and 'response' must both be strings "
                f"(got {type(case_id).__name__} and {type(response).__name__})"
            )
        out.setdefault(case_id, []).append(response)
    return out


def _inspect(path: Path) -> Imported:
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise MissingDependency(
            f"{path} is an Inspect log; reading it needs inspect-ai: pip install inspect-ai"
        ) from None
    try:
        log = read_eval_log(str(path))
    except Exception as exc:  # Inspect raises many kinds on a damaged log
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvalError(f"{path}: not a readable Inspect log: {first}") from None
    out: dict[str, list[str]] = {}
    failed = 0
    for sample in log.samples or ():
        completion = sample.output.completion if sample.output is not None else ""
        if sample.error is not None or not completion:
            failed += 1
            continue
        out.setdefault(str(sample.id), []).append(completion)
    return Imported("inspect", out, failed)


def _promptfoo(path: Path, data: dict[str, Any]) -> Imported:
    results = data["results"].get("results")
    if not isinstance(results, list):
        raise EvalError(f"{path}: a promptfoo output needs results.results, a list")
    out: dict[str, list[str]] = {}
    failed = 0
    for number, result in enumerate(results):
        if not isinstance(result, dict):
            raise EvalError(f"{path}: results.results[{number}] is not an object")
        case_id = _field(_field(result, "testCase"), "metadata").get("policykit_case")
        if not isinstance(case_id, str):
            raise EvalError(
                f"{path}: results.results[{number}] has no testCase.metadata.policykit_case "
                "(is this the output of a `policykit export --to promptfoo` config?)"
            )
        output = _field(result, "response").get("output")
        if not isinstance(output, str):  # the provider failed; an assertion failure keeps it
            failed += 1
            continue
        out.setdefault(case_id, []).append(output)
    return Imported("promptfoo", out, failed)


def _field(obj: dict[str, Any], name: str) -> dict[str, Any]:
    """``obj[name]`` where it is an object, else an empty one."""
    value = obj.get(name)
    return value if isinstance(value, dict) else {}
