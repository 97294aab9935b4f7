"""Issue #14, section 3 and "Terminal safety": control characters from input files are
shown escaped (``\\x1b``) in every text output, never sent to the terminal raw.

A rejected file's source line, a quoted value in a message, and a hint all come from
the untrusted file. Each test puts ESC or a C1 control character into one of them and
reads every byte the command wrote.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hostile.harness import assert_no_traceback, run
from tests.minimal import POLICY, project

# C0 controls except tab and newline, DEL, and the C1 controls
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")

CLEAR = "\x1b[2J\x1b[H"
"""Clear the screen and home the cursor."""
FORGED = "\x1b[2K\rok: 0 errors, 0 warnings, 0 notes in 3 files"
"""Erase the line and write a verdict of one's own."""


def _assert_escaped(text: str, *shown: str) -> None:
    bad = RAW_CONTROL.findall(text)
    assert not bad, f"raw control characters reached the output: {bad!r}\n{text!r}"
    for piece in shown:
        assert piece in text, f"{piece!r} not shown in {text!r}"


def _policy_with_raw(char: str) -> bytes:
    """The minimal policy with ``char`` written raw (unescaped) into a rule's
    rationale, which the YAML reader rejects as a non-printable character."""
    text = POLICY + f'    rationale: "ha{char}[2J{char}[Hok: 0 errors"\n'
    return text.encode("utf-8")


@pytest.mark.parametrize("fmt", ["text", "github"])
@pytest.mark.parametrize(("char", "shown"), [("\x1b", "\\x1b"), ("\x9b", "\\x9b")])
def test_rejected_source_line_is_escaped(fmt: str, char: str, shown: str, tmp_path: Path) -> None:
    """Terminal: "A rejected file's source line is printed as is: ESC and C1 control
    characters can clear the screen or forge an ok line"; they must show as ``\\x1b`` /
    ``\\x9b`` (where the line is shown at all) and the run fail."""
    root = project(tmp_path)
    (root / "deployer.yaml").write_bytes(_policy_with_raw(char))
    result = run(["validate", str(root), "--format", fmt], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    # the text report quotes the source line; a GitHub annotation only the message
    _assert_escaped(result.text, *([shown] if fmt == "text" else []))


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_escaped_value_in_a_message_is_shown_escaped(fmt: str, tmp_path: Path) -> None:
    """Terminal: a value written with YAML's ``"\\e"`` escape and quoted back in a
    message (an unknown behavior) reaches the output as ``\\x1b``, not as ESC."""
    root = project(tmp_path)
    (root / "deployer.yaml").write_text(
        POLICY.replace("behavior: profanity", f'behavior: "x\\e[2J\\e[H{FORGED[1:]}"'),
        encoding="utf-8",
    )
    result = run(["validate", str(root), "--format", fmt], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    _assert_escaped(result.text, "\\x1b")


def test_unknown_key_with_controls_cannot_forge_a_verdict(tmp_path: Path) -> None:
    """Terminal: an unknown key made of ``\\r``, ESC and a fake verdict line neither
    moves the cursor nor prints a line that starts with ``ok:``; the only verdict is
    the real one, ``failed``."""
    root = project(tmp_path)
    key = '"\\e[2K\\rok: 0 errors\\nok: 0 errors"'
    (root / "deployer.yaml").write_text(
        POLICY + f"    {key}: 1\n",
        encoding="utf-8",
    )
    result = run(["validate", str(root)], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    _assert_escaped(result.text, "\\x1b")
    verdicts = [line for line in result.text.splitlines() if line.lstrip().startswith("ok:")]
    assert verdicts == [], result.text
    assert result.out.rstrip().splitlines()[-1].startswith("failed"), result.text


def test_compile_failure_is_escaped(tmp_path: Path) -> None:
    """Terminal: every text output: the diagnostics ``compile`` prints when it stops
    show control characters escaped too."""
    root = project(tmp_path)
    (root / "deployer.yaml").write_bytes(_policy_with_raw("\x1b"))
    result = run(["compile", str(root), "-o", str(tmp_path / "spec.json")], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    _assert_escaped(result.text, "\\x1b")
    assert not (tmp_path / "spec.json").exists()


@pytest.mark.parametrize("command", ["explain", "validate"])
def test_file_name_with_controls_is_escaped(command: str, tmp_path: Path) -> None:
    """Terminal: a file name is input too: a project folder whose name holds ESC is
    shown escaped where ``explain`` lists each rule's location and where ``validate``
    points at a finding."""
    root = project(tmp_path / f"p{CLEAR}x")
    if command == "validate":
        (root / "deployer.yaml").write_text(
            POLICY.replace("behavior: profanity", "behavior: profanty"), encoding="utf-8"
        )
        args = ["validate", str(root)]
    else:
        args = ["explain", str(root), "--behavior", "profanity", "--context", "audience=minor"]
    result = run(args, timeout=30)
    assert_no_traceback(result)
    assert result.rc == (0 if command == "explain" else 1), result.describe()
    assert "deployer.yaml" in result.text, result.describe()
    _assert_escaped(result.text, "\\x1b")
