"""Issue #14, section 1 and "Outputs": what ``-o`` may replace, and how output fails.

Only regular files, or new paths, are replaced; a device, FIFO, socket or directory at
``-o`` is a clear error and stays what it was; ``-o -`` streams to stdout; no temporary
file is left behind, even after SIGKILL; exports never write through symlinks; every OS
error on output is one line with exit 1 or 2; paths are never read as markup.

Every run that could block on a FIFO is a bounded child process (harness.run).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile import shapes
from tests.hostile.harness import REPO, assert_no_traceback, assert_one_line_error, run

ROOT = os.geteuid() == 0

# Each command that takes -o FILE, as (name, args before -o) given the project and spec.
Writers = Callable[[Path, Path], list[str]]
WRITERS: dict[str, Writers] = {
    "compile": lambda project, spec: ["compile", str(project)],
    "graph": lambda project, spec: ["graph", str(project)],
    "cases": lambda project, spec: ["cases", str(spec)],
}


def _kind(path: Path) -> str:
    mode = path.lstat().st_mode
    for name, test in (
        ("fifo", stat.S_ISFIFO),
        ("char device", stat.S_ISCHR),
        ("socket", stat.S_ISSOCK),
        ("directory", stat.S_ISDIR),
        ("regular file", stat.S_ISREG),
    ):
        if test(mode):
            return name
    return "other"


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_fifo_at_output_is_refused_and_left_a_fifo(
    command: str, mini: Path, spec: Path, tmp_path: Path
) -> None:
    """Outputs: a FIFO at -o is a clear error (exit 1 or 2, one line naming it), and it
    is still a FIFO afterwards (issue: "A FIFO ... named by -o becomes a regular
    file")."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    result = run([*WRITERS[command](mini, spec), "-o", str(fifo)], timeout=20)
    assert_one_line_error(result, str(fifo))
    assert _kind(fifo) == "fifo"


@pytest.mark.skipif(not ROOT, reason="creating a character device needs root")
@pytest.mark.parametrize("command", sorted(WRITERS))
def test_character_device_at_output_is_refused_and_left_a_device(
    command: str, mini: Path, spec: Path, tmp_path: Path
) -> None:
    """Outputs: a character device at -o is a clear error and is not replaced (issue:
    "As root, policykit compile p -o /dev/null would replace the system's /dev/null";
    here a private copy of /dev/null's device numbers stands in for it)."""
    null = os.stat("/dev/null")
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, null.st_rdev)
    result = run([*WRITERS[command](mini, spec), "-o", str(device)], timeout=20)
    assert_one_line_error(result, str(device))
    assert _kind(device) == "char device"
    assert device.lstat().st_rdev == null.st_rdev


@pytest.mark.skipif(ROOT, reason="as root, today's code would replace the real /dev/null")
def test_dev_null_at_output_is_refused(mini: Path) -> None:
    """Outputs: ``-o /dev/null`` is a clear error (a device), never a traceback, and
    /dev/null stays a character device."""
    result = run(["compile", str(mini), "-o", "/dev/null"], timeout=20)
    assert_one_line_error(result, "/dev/null")
    assert _kind(Path("/dev/null")) == "char device"


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_socket_at_output_is_refused_and_left_a_socket(
    command: str, mini: Path, spec: Path, tmp_path: Path
) -> None:
    """Outputs: a socket at -o is a clear error and stays a socket."""
    path = tmp_path / "out.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        result = run([*WRITERS[command](mini, spec), "-o", str(path)], timeout=20)
    finally:
        server.close()
    assert_one_line_error(result, str(path))
    assert _kind(path) == "socket"


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_directory_at_output_is_refused(
    command: str, mini: Path, spec: Path, tmp_path: Path
) -> None:
    """Outputs: a directory at -o is a clear error and is left as it was."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    result = run([*WRITERS[command](mini, spec), "-o", str(folder)], timeout=20)
    assert not result.timed_out
    assert_no_traceback(result)
    assert result.rc in (1, 2), result.describe()
    assert _kind(folder) == "directory"
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_dash_streams_to_stdout(command: str, mini: Path, spec: Path, tmp_path: Path) -> None:
    """Outputs: ``-o -`` is the way to stream: the output goes to stdout and no file
    named '-' is made."""
    result = run([*WRITERS[command](mini, spec), "-o", "-"], cwd=tmp_path, timeout=20)
    assert result.rc == 0, result.describe()
    assert not (tmp_path / "-").exists()
    assert result.out.strip(), "nothing was written to stdout"
    if command == "compile":
        assert json.loads(result.out)["apiVersion"] == "policykit.spec/v1"


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_output_under_a_regular_file_is_one_line(
    command: str, mini: Path, spec: Path, tmp_path: Path
) -> None:
    """Outputs: "Writing ... one under a regular file, gives a traceback": it must be
    a one-line message with exit 1 or 2, and the file in the way is untouched."""
    blocker = tmp_path / "plain.txt"
    blocker.write_text("mine")
    result = run([*WRITERS[command](mini, spec), "-o", str(blocker / "out.json")], timeout=20)
    assert_one_line_error(result, str(blocker))
    assert blocker.read_text() == "mine"


@pytest.mark.skipif(ROOT, reason="root writes into read-only folders")
@pytest.mark.parametrize("command", sorted(WRITERS))
def test_unwritable_destination_is_one_line(
    command: str, mini: Path, spec: Path, tmp_path: Path
) -> None:
    """Outputs: writing into an unwritable destination is a one-line message with exit
    1 or 2 (issue: it "gives a traceback")."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = run([*WRITERS[command](mini, spec), "-o", str(folder / "out")], timeout=20)
    finally:
        folder.chmod(0o700)
    assert_one_line_error(result, str(folder))


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_destination_where_nobody_may_create_files_is_one_line(
    command: str, mini: Path, spec: Path
) -> None:
    """Outputs: an unwritable destination even for root: nobody may create a file in
    /proc. One line naming the path, exit 1 or 2, not a traceback."""
    target = "/proc/policykit-hostile-test.json"
    result = run([*WRITERS[command](mini, spec), "-o", target], timeout=20)
    assert_one_line_error(result, target)
    assert not os.path.exists(target)


def test_export_into_a_file_path_is_one_line(spec: Path, tmp_path: Path) -> None:
    """Outputs: every OS error on output is one line with exit 1 or 2: export into a
    folder that lies under a regular file."""
    blocker = tmp_path / "plain.txt"
    blocker.write_text("mine")
    result = run(["export", str(spec), "--to", "jsonl", "-o", str(blocker / "x")], timeout=20)
    assert_one_line_error(result, str(blocker))
    assert blocker.read_text() == "mine"


@pytest.mark.parametrize("stream", ["compile", "cases", "validate"])
def test_stdout_on_a_full_device_fails(stream: str, mini: Path, spec: Path) -> None:
    """Outputs: "So does stdout on a full device": writing to /dev/full must end with a
    non-zero exit and no traceback."""
    args = {
        "compile": ["compile", str(mini)],
        "cases": ["cases", str(spec)],
        "validate": ["validate", str(mini)],
    }[stream]
    with open("/dev/full", "wb") as full:
        result = run(args, stdout=full.fileno(), timeout=20)
    assert not result.timed_out
    assert_no_traceback(result)
    assert result.rc in (1, 2), result.describe()


@pytest.mark.parametrize(
    "name", ["out[bold]spec.json", "[red]x[/red].json", "a[/]b.json", "[link=x]y.json"]
)
def test_output_path_with_brackets_is_not_markup(name: str, mini: Path, tmp_path: Path) -> None:
    """Outputs: paths are never interpreted as markup (issue: "a spec is written and then
    the command exits 3, or the message names the wrong path"): exit 0 and the
    confirmation names the exact path."""
    target = tmp_path / name
    result = run(["compile", str(mini), "-o", str(target)], timeout=20)
    assert result.rc == 0, result.describe()
    assert_no_traceback(result)
    assert json.loads(target.read_text())["apiVersion"] == "policykit.spec/v1"
    assert str(target) in result.err, result.describe()


def test_error_naming_a_bracketed_path_is_exact(mini: Path, tmp_path: Path) -> None:
    """Outputs: an error about a path with ``[...]`` in it names that path exactly."""
    blocker = tmp_path / "[bold]plain[red].txt"
    blocker.write_text("mine")
    result = run(["compile", str(mini), "-o", str(blocker / "out.json")], timeout=20)
    assert_one_line_error(result, str(blocker))


def test_sigkill_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Outputs: "A SIGKILL leaves a hidden .tmp file behind": no temporary file is left
    behind. The compile is killed the moment any new name shows up in the output
    folder (or in its private TMPDIR), and the folder then holds the old spec or the
    complete new one, and nothing else."""
    project = shapes.cell_split(tmp_path / "p", dims=3, per_dim=9)  # 1,000 cells
    out = tmp_path / "out"
    out.mkdir()
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    target = out / "spec.json"
    target.write_text("old\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "policykit", "compile", str(project), "-o", str(target)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if _leftovers(out, {"spec.json"}) or any(tmp.iterdir()) or target.stat().st_size > 4:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _leftovers(out, {"spec.json"}) == []
    assert list(tmp.iterdir()) == []
    text = target.read_text()
    assert text == "old\n" or json.loads(text)["apiVersion"] == "policykit.spec/v1"


def test_failed_write_keeps_the_old_file_and_leaves_nothing(mini: Path, tmp_path: Path) -> None:
    """Outputs: nothing already written is lost, and no temporary file is left behind,
    when the write itself fails (here: the file-size limit is one byte)."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / "spec.json"
    target.write_text("o\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2, 2))

    proc = subprocess.run(
        [sys.executable, "-m", "policykit", "compile", str(mini), "-o", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=small_files,
    )
    assert proc.returncode in (1, 2), proc.stderr
    assert "Traceback" not in proc.stderr
    assert target.read_text() == "o\n"
    assert _leftovers(out, {"spec.json"}) == []


@pytest.mark.parametrize("link", ["evals", "data", "modelgraded"])
def test_openai_evals_export_does_not_write_through_a_symlinked_folder(
    link: str, spec: Path, tmp_path: Path
) -> None:
    """Outputs: "If the export folder holds a symlinked subfolder, openai-evals writes
    through it, outside -o": exports never write through symlinks. The folder outside
    stays empty, whatever the export does with the link."""
    out = tmp_path / "export"
    out.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (out / link).symlink_to(outside, target_is_directory=True)
    result = run(["export", str(spec), "--to", "openai-evals", "-o", str(out)], timeout=30)
    assert not result.timed_out
    assert_no_traceback(result)
    assert list(outside.rglob("*")) == [], result.describe()


@pytest.mark.parametrize("fmt", ["jsonl", "promptfoo"])
def test_export_does_not_write_through_a_symlinked_file(
    fmt: str, spec: Path, tmp_path: Path
) -> None:
    """Outputs: exports never write through symlinks: a symlink where the export puts
    its file leaves the file it points at untouched."""
    names = {"jsonl": "cases.jsonl", "promptfoo": "promptfooconfig.yaml"}
    out = tmp_path / "export"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / names[fmt]).symlink_to(victim)
    result = run(["export", str(spec), "--to", fmt, "-o", str(out)], timeout=30)
    assert not result.timed_out
    assert_no_traceback(result)
    assert victim.read_text() == "precious\n"
