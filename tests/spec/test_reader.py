"""The one spec reader: every malformed, truncated, tampered or other-version spec is
one line and exit 1 from every command that reads a spec, never a crash or a hang."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policykit.cli import main
from policykit.pipeline import compile_project
from policykit.spec.artifact import dumps, spec_json_schema
from policykit.spec.query import Spec
from policykit.spec.reader import SpecFormatError, read_spec, validate_spec
from tests.spec.complete import complete_spec

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ROOT / "examples" / "health_assistant"
COMMANDS: list[Callable[[str], list[str]]] = [
    lambda spec: ["query", spec],
    lambda spec: ["diff", spec, spec],
    lambda spec: ["cases", spec],
    lambda spec: ["export", spec, "--to", "jsonl", "-o", os.devnull + "-never"],
    lambda spec: ["eval", spec, "-o", os.devnull + "-never", "--backend", "responses"],
]


@pytest.fixture(scope="module")
def health() -> dict[str, Any]:
    result = compile_project(HEALTH)
    assert result.spec is not None
    data: dict[str, Any] = json.loads(dumps(result.spec))
    return data


def _refused_by_every_command(path: Path, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    for command in COMMANDS:
        argv = command(str(path))
        assert main(argv) == 1, argv
        captured = capsys.readouterr()
        assert captured.out == "", argv
        assert captured.err.startswith("error[PK500]: ") and captured.err.count("\n") == 1, (
            argv,
            captured.err,
        )
        assert message in captured.err, (argv, captured.err)
        assert "Traceback" not in captured.err


def _tampered(data: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> str:
    copy = json.loads(json.dumps(data))
    change(copy)
    return json.dumps(copy)


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            data = data[int(part)] if part.isdigit() else data[part]  # type: ignore[index]
        del data[last]

    return change


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_drop("behaviors"), "at behaviors: Field required"),
        (_drop("behaviors.0.cells.0.intended"), "at behaviors.0.cells.0.intended: Field required"),
        (_set("dimensions", "role"), "at dimensions: Input should be a valid list"),
        (_set("behaviors.0.cells", []), "0 cells where the value classes make 1"),
        (_set("apiVersion", "policykit.spec/v2"), "upgrade policykit to read it"),
        (_set("apiVersion", "policykit.spec/v0"), "compile the project again"),
        (_set("apiVersion", "policykit/v1"), "apiVersion is 'policykit/v1'"),
        (_drop("apiVersion"), "apiVersion is missing"),
        (_set("behaviors.0.cells.0.intended", {}), "must name exactly the outcomes"),
        (_set("behaviors.1.classes", {}), "classes must name exactly the dividing"),
        (_set("dimensions.0.default", "nobody"), "the default is not one of the values"),
        (_set("behaviors.0.dimensions", ["nowhere"]), ""),
    ],
)
def test_a_tampered_spec_is_refused_by_every_command(
    health: dict[str, Any],
    change: Callable[[dict[str, Any]], None],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "spec.json"
    path.write_text(_tampered(health, change), encoding="utf-8")
    _refused_by_every_command(path, message, capsys)


def test_an_id_that_looks_like_markup_is_shown_as_written(
    health: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(_tampered(health, _set("behaviors.0.id", "[/x]")), encoding="utf-8")
    changed = _set(
        "behaviors.0.cells.0.intended", {"express_uncertainty": 0.0, "overconfident": 1.0}
    )
    new.write_text(_tampered(json.loads(old.read_text()), changed), encoding="utf-8")
    assert main(["query", str(old), "--behavior", "[/x]"]) == 0
    assert "[/x]" in capsys.readouterr().out
    assert main(["diff", str(old), str(new)]) == 0
    assert "[/x]" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not JSON"),
        (b'{"apiVersion": "policykit.spec/v1", ', "is not JSON"),
        (b"\xff\xfe{}", "is not UTF-8: byte 0xff at offset 0"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 16 levels"),
        (b"[" * 100_000, "nested deeper than 16 levels"),
        (b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[\\\\\\"[[["}', "not a policykit.spec/v1 spec"),
        (b'{"apiVersion": 1' + b"0" * 5000 + b"}", "is not JSON: number out of range"),
        (b"[]", "not a JSON object"),
        (b'"\x1b[2J"', "control character"),
        (b'"\\u001b[2J"', "not a JSON object"),
    ],
)
def test_a_file_that_is_not_a_spec_is_refused_by_every_command(
    content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "spec.json"
    path.write_bytes(content)
    _refused_by_every_command(path, message, capsys)


def test_a_5000_digit_number_in_a_cell_is_refused(
    health: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _tampered(health, _set("behaviors.0.cells.0.weight", 1.5))
    path = tmp_path / "spec.json"
    path.write_text(text.replace('"weight": 1.5', '"weight": ' + "9" * 5000, 1), encoding="utf-8")
    _refused_by_every_command(path, "is not JSON: number out of range at line 1 column", capsys)


def test_fifos_devices_and_folders_are_refused_without_blocking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    _refused_by_every_command(fifo, "is not a regular file (a FIFO)", capsys)
    _refused_by_every_command(
        Path("/dev/zero"), "is not a regular file (a character device)", capsys
    )


def test_the_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_bytes(b" " * 2000)
    with pytest.raises(SpecFormatError, match="is 2,000 bytes, over the spec size cap of 1,000"):
        read_spec(path, max_bytes=1000)


def test_a_file_that_grows_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader reads the size fstat gave plus one byte (not the 2 GiB cap, which
    would be allocated up front); more than that means the file grew meanwhile."""
    path = tmp_path / "spec.json"
    path.write_bytes(b" " * 2000)
    real = os.fstat

    def smaller(fd: int) -> os.stat_result:
        st = list(real(fd))
        st[6] = 1000  # st_size: the file "was" 1,000 bytes when it was opened
        return os.stat_result(st)

    monkeypatch.setattr(os, "fstat", smaller)
    with pytest.raises(SpecFormatError, match="grew while it was being read"):
        read_spec(path)


def test_the_depth_cap_skips_brackets_inside_strings(
    health: dict[str, Any], tmp_path: Path
) -> None:
    data = json.loads(json.dumps(health))
    data["description"] = '\\"' + "[{" * 500 + '\\\\"' + "]" * 30
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_spec(path).description == data["description"]


def test_the_reader_agrees_with_the_committed_json_schema() -> None:
    committed = json.loads((ROOT / "policykit" / "schemas" / "spec.schema.json").read_text())
    assert committed == spec_json_schema()


def test_query_answers_at_3000_dimensions() -> None:
    dims = [{"id": f"d{i}", "values": ["a", "b"], "default": "a"} for i in range(3000)]
    behavior = {
        "id": "b",
        "outcomes": {"yes": {}, "no": {}},
        "dimensions": ["d2999"],
        "classes": {"d2999": [["a"], ["b"]]},
        "cells": [
            {"when": {"d2999": ["a"]}, "intended": {"yes": 1.0, "no": 0.0}},
            {"when": {"d2999": ["b"]}, "intended": {"yes": 0.0, "no": 1.0}},
        ],
    }
    spec = Spec(validate_spec(complete_spec({"dimensions": dims, "behaviors": [behavior]})))
    full = {d["id"]: "a" for d in dims}
    assert dict(spec.intended(full, "b")) == {"yes": 1.0, "no": 0.0}
    assert dict(spec.intended({**full, "d2999": "b"}, "b")) == {"yes": 0.0, "no": 1.0}
    assert dict(spec.intended({"d2999": "b"}, "b")) == {"yes": 0.0, "no": 1.0}
