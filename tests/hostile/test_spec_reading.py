"""Issue #14, section 6 and "Spec reading": every command that reads a spec refuses a
malformed, truncated, tampered or other-version spec with a one-line message and exit
1; FIFOs, devices and unbounded streams are refused or read with a cap.

The spec variants are made from a real spec of the minimal project, each broken in one
way. Reading commands: ``query``, ``diff`` (the spec as either side), ``cases`` and
``export``. Variants that cannot hang run in-process through ``main``; FIFOs, devices,
deep nesting and huge files run in a bounded child process.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policykit.cli import main
from tests.hostile.harness import GIB, assert_one_line_error, run

Spec = dict[str, Any]


def _cell(spec: Spec) -> dict[str, Any]:
    cell: dict[str, Any] = spec["behaviors"][0]["cells"][0]
    return cell


def _set(path: str, value: Any) -> Callable[[Spec], None]:
    """A change that sets the dotted ``path`` (ints index lists) to ``value``."""

    def change(spec: Spec) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = spec
        for p in parents:
            node = node[p]
        node[last] = value

    return change


def _drop(path: str) -> Callable[[Spec], None]:
    def change(spec: Spec) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = spec
        for p in parents:
            node = node[p]
        del node[last]

    return change


def _scale_intended(factor: float) -> Callable[[Spec], None]:
    def change(spec: Spec) -> None:
        cell = _cell(spec)
        cell["intended"] = {o: p * factor for o, p in cell["intended"].items()}

    return change


def _outside_bounds(spec: Spec) -> None:
    cell = _cell(spec)
    outcome = sorted(cell["bounds"])[0]
    cell["bounds"][outcome] = {"min": 0.0, "max": 0.0}
    other = sorted(cell["intended"])[1]
    cell["intended"] = {o: (1.0 if o == other else 0.0) for o in cell["intended"]}
    cell["intended"][outcome] = 0.5
    cell["intended"][other] = 0.5


def _extra_cell(spec: Spec) -> None:
    b = spec["behaviors"][0]
    b["cells"].append(copy.deepcopy(b["cells"][0]))


def _unknown_class_value(spec: Spec) -> None:
    b = spec["behaviors"][0]
    dim = b["dimensions"][0]
    b["classes"][dim][0] = ["no-such-value"]


def _markup_id(spec: Spec) -> None:
    spec["behaviors"][0]["id"] = "[/x]"


JSON_VARIANTS: dict[str, Callable[[Spec], None]] = {
    "missing behaviors": _drop("behaviors"),
    "missing dimensions": _drop("dimensions"),
    "missing intended": lambda s: _cell(s).pop("intended"),
    "missing classes": _drop("behaviors.0.classes"),
    "behaviors not a list": _set("behaviors", {"b": 1}),
    "cells not a list": _set("behaviors.0.cells", "all of them"),
    "probability as text": lambda s: _cell(s)["intended"].update(
        {k: "0.5" for k in _cell(s)["intended"]}
    ),
    "no cells": _set("behaviors.0.cells", []),
    "extra cell": _extra_cell,
    "unknown class value": _unknown_class_value,
    "intended sums to 1.5": _scale_intended(1.5),
    "negative probability": lambda s: _cell(s)["intended"].update(
        {sorted(_cell(s)["intended"])[0]: -0.5, sorted(_cell(s)["intended"])[1]: 1.5}
    ),
    "intended outside its bounds": _outside_bounds,
    "other version": _set("apiVersion", "policykit.spec/v2"),
    "no apiVersion": _drop("apiVersion"),
}


def _variant_bytes(spec_path: Path, change: Callable[[Spec], None]) -> bytes:
    data = json.loads(spec_path.read_text(encoding="utf-8"))
    change(data)
    return json.dumps(data, indent=2).encode()


RAW_VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "invalid utf-8": lambda b: b.replace(b'"project": "', b'"project": "\xff\xfe', 1),
    "nan probability": lambda b: b.replace(b'"weight": 1.0', b'"weight": NaN', 1),
    "not json": lambda b: b"apiVersion: policykit.spec/v1\n",
    "top level a list": lambda b: b"[" + b + b"]",
}


def _commands(path: Path, good: Path, out: Path) -> dict[str, list[str]]:
    return {
        "query": ["query", str(path)],
        "query json": ["query", str(path), "--format", "json"],
        "diff old": ["diff", str(path), str(good)],
        "diff new": ["diff", str(good), str(path)],
        "cases": ["cases", str(path)],
        "export": ["export", str(path), "--to", "jsonl", "-o", str(out)],
    }


COMMANDS = ["query", "query json", "diff old", "diff new", "cases", "export"]


def _one_line_refusal(argv: list[str], capsys: pytest.CaptureFixture[str], *mentions: str) -> str:
    status = main(argv)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text, text
    assert status == 1, f"exit {status}\n{text}"
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, text
    for mention in mentions:
        assert mention in lines[0], text
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("variant", sorted(JSON_VARIANTS))
def test_malformed_spec_is_refused_in_one_line(
    variant: str, command: str, spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spec reading: "query and diff crash on a spec with missing keys or wrong types; a
    behavior with no cells; ...": every reading command refuses a malformed, tampered or
    other-version spec with a one-line message naming the file, exit 1."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(_variant_bytes(spec, JSON_VARIANTS[variant]))
    argv = _commands(bad, spec, tmp_path / "out")[command]
    _one_line_refusal(argv, capsys, str(bad))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("variant", sorted(RAW_VARIANTS))
def test_unreadable_spec_is_refused_in_one_line(
    variant: str, command: str, spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spec reading: a truncated, empty, non-JSON, NaN-carrying or invalid UTF-8 spec
    ("invalid UTF-8" crashes query and diff) is refused in one line, exit 1."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(RAW_VARIANTS[variant](spec.read_bytes()))
    argv = _commands(bad, spec, tmp_path / "out")[command]
    _one_line_refusal(argv, capsys, str(bad))


@pytest.mark.parametrize("command", ["query", "diff old", "cases"])
def test_markup_id_is_text(
    command: str, spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spec reading: "an id like [/x] (read as markup)" crashes query and diff. Such a
    spec is either refused in one line (exit 1) or read, and then the id is printed as
    the text it is."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(_variant_bytes(spec, _markup_id))
    argv = _commands(bad, spec, tmp_path / "out")[command]
    status = main(argv)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text, text
    assert status in (0, 1), text
    if status == 1:
        assert len([line for line in captured.err.splitlines() if line.strip()]) == 1, text
    else:
        assert "[/x]" in captured.out, text


def _deep(depth: int) -> bytes:
    return b'{"apiVersion": "policykit.spec/v1", "behaviors": ' + b"[" * depth + b"]" * depth + b"}"


def _huge_int(spec: Path) -> bytes:
    return spec.read_bytes().replace(b'"weight": 1.0', b'"weight": 1' + b"0" * 5000, 1)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("variant", ["deep nesting", "5000-digit integer"])
def test_deep_or_huge_number_spec_is_refused(
    variant: str, command: str, spec: Path, tmp_path: Path
) -> None:
    """Spec reading: "cases and export crash on 100k-deep nesting and on a 5000-digit
    integer": one reader with a depth cap refuses both in one line, exit 1."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(_deep(100_000) if variant == "deep nesting" else _huge_int(spec))
    result = run(_commands(bad, spec, tmp_path / "out")[command], timeout=30)
    assert_one_line_error(result, str(bad))
    assert result.rc == 1


@pytest.mark.parametrize("command", COMMANDS)
def test_fifo_as_spec_does_not_hang(command: str, spec: Path, tmp_path: Path) -> None:
    """Spec reading: "A FIFO given as the spec hangs them": a FIFO (no writer) is
    refused in one line, within the time limit."""
    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)
    result = run(_commands(fifo, spec, tmp_path / "out")[command], timeout=20)
    assert_one_line_error(result, str(fifo))


@pytest.mark.parametrize("command", COMMANDS)
def test_dev_zero_as_spec_is_refused(command: str, spec: Path, tmp_path: Path) -> None:
    """Spec reading: "/dev/zero reads without end": a device is refused, or read with a
    cap, in one line and bounded memory."""
    result = run(
        _commands(Path("/dev/zero"), spec, tmp_path / "out")[command], timeout=20, memory=2 * GIB
    )
    assert_one_line_error(result, "/dev/zero")


@pytest.mark.parametrize("command", ["query", "cases"])
def test_huge_sparse_spec_is_refused_by_its_size(command: str, spec: Path, tmp_path: Path) -> None:
    """Spec reading: the one reader has a size cap: an 8 GiB (sparse) file is refused
    before it is read, in one line, with bounded time and memory."""
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.write(b'{"apiVersion": "policykit.spec/v1", "x": "')
        fh.truncate(8 * GIB)
    result = run(_commands(big, spec, tmp_path / "out")[command], timeout=20, memory=2 * GIB)
    assert_one_line_error(result, str(big))


def test_good_spec_still_reads(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spec reading: the checks refuse only what is wrong: the untouched spec answers
    every reading command with exit 0 (so the refusals above are not a blanket no)."""
    for name, argv in _commands(spec, spec, tmp_path / "out").items():
        assert main(argv) == 0, name
    capsys.readouterr()
