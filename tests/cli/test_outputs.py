"""Outputs: only a regular file or a new name is replaced, nothing is left behind,
exports never write through a symlink, every OS error is one line, a closed pipe or
stdout fails the command, and paths and input text are never markup or raw control
characters on the terminal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from policykit.cli import main
from policykit.util.output import OutputError, write_atomic
from tests.cli.test_cli import run
from tests.minimal import POLICY, project

REPO = Path(__file__).resolve().parents[2]
HEALTH = REPO / "examples" / "health_assistant"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The minimal project, as the working directory."""
    monkeypatch.chdir(tmp_path)
    return project(tmp_path)


def _special_files(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    sock_path = folder / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()
    special = {"a FIFO": fifo, "a socket": sock_path, "a folder": folder / "dir"}
    (folder / "dir").mkdir()
    if os.geteuid() == 0:  # only root may make a device node; it is the root case
        os.mknod(folder / "null", 0o666 | 0o020000, os.makedev(1, 3))
        special["a character device"] = folder / "null"
    return special


@pytest.mark.parametrize("command", ["compile", "graph", "cases"])
def test_a_special_file_at_o_is_an_error_and_stays(
    root: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    if command == "cases":
        assert main(["compile", ".", "-o", "spec.json"]) == 0
        capsys.readouterr()
    source = "spec.json" if command == "cases" else "."
    for kind, path in _special_files(root / "out").items():
        before = os.lstat(path)
        code, out, err = run(capsys, command, source, "-o", str(path))
        assert code in (1, 2), (kind, err)
        assert out == ""
        assert "Traceback" not in err
        if kind != "a folder":  # click refuses a folder for a file option itself
            assert err.endswith(
                f"Error: cannot write {path}: it is {kind}, and only a regular file is "
                "replaced (use -o - to write to stdout)\n"
            )
        after = os.lstat(path)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)


def test_dash_streams_to_stdout(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", ".", "-o", "-")
    assert code == 0 and out.startswith("{") and not (root / "-").exists()
    code, out, _ = run(capsys, "graph", ".", "-o", "-")
    assert code == 0 and out.startswith("digraph")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("policykit.yaml/spec.json", "policykit.yaml is not a folder"),
        ("locked/spec.json", "permission denied"),
    ],
)
def test_an_unwritable_destination_is_one_line(
    root: Path, capsys: pytest.CaptureFixture[str], target: str, reason: str
) -> None:
    (root / "locked").mkdir()
    (root / "locked").chmod(0o500)
    if reason == "permission denied" and os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder")
    code, out, err = run(capsys, "compile", ".", "-o", target)
    assert (code, out) == (1, "")
    assert err.endswith(f"Error: cannot write {target}: {reason}\n")
    assert err.count("Error") == 1 and "Traceback" not in err


def test_a_path_with_brackets_is_not_markup(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for target in ("out/[bold]/spec.json", "out/[/x]/spec.json"):
        code, _, err = run(capsys, "compile", ".", "-o", target)
        assert code == 0, err
        assert f"-> {target} (sha256:" in err
        assert (root / target).is_file()


def test_no_temporary_file_is_left_by_a_failed_write(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = root / "out.txt"
    target.write_text("old\n", encoding="utf-8")

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OutputError, match=r"cannot write .*out\.txt: no space left on device"):
        write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in root.iterdir() if p.name.endswith(".tmp")) == []


def test_sigkill_mid_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "big.txt"
    script = textwrap.dedent(
        f"""
        import os, sys
        from policykit.util import output
        real = os.write
        def slow(fd, data):
            if fd > 2:
                sys.stdout.write("writing\\n"); sys.stdout.flush()
                os.kill(os.getpid(), 9)
            return real(fd, data)
        os.write = slow
        output.write_atomic({str(target)!r}, "x" * 100_000)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL and proc.stdout == "writing\n"
    assert list(tmp_path.iterdir()) == []


def test_an_export_never_writes_through_a_symlinked_folder(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", ".", "-o", "spec.json"]) == 0
    outside = root / "outside"
    outside.mkdir()
    export = root / "export"
    export.mkdir()
    for fmt in ("openai-evals", "promptfoo", "inspect", "lm-eval"):
        assert main(["export", "spec.json", "--to", fmt, "-o", str(root / "probe")]) == 0
    capsys.readouterr()
    subfolders = {p.relative_to(root / "probe").parts[0] for p in (root / "probe").rglob("*")}
    subfolders = {s for s in subfolders if (root / "probe" / s).is_dir()}
    assert subfolders, "some exporter writes a subfolder"
    for name in subfolders:
        (export / name).symlink_to(outside, target_is_directory=True)
    for fmt in ("openai-evals", "promptfoo", "inspect", "lm-eval"):
        code, _, err = run(capsys, "export", "spec.json", "--to", fmt, "-o", str(export))
        assert code in (0, 1)
        if code == 1:
            assert "is a symlink, and outputs never write through one" in err
            assert err.count("\n") == 1
    assert list(outside.iterdir()) == []


def test_closed_stdout_fails_validate(root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "policykit", "validate", "."],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == 1
    assert proc.stderr == "Error: cannot write the output: stdout is closed\n"


def test_a_broken_pipe_fails_compile(tmp_path: Path) -> None:
    # health_assistant's spec is larger than a pipe holds, so the reader that stops
    # after 10 bytes makes the write fail part way
    reader = subprocess.Popen(
        [sys.executable, "-c", "import os; os.read(0, 10)"], stdin=subprocess.PIPE
    )
    proc = subprocess.run(
        [sys.executable, "-m", "policykit", "compile", str(HEALTH)],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait()
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "compiled:" not in proc.stderr


def test_a_full_device_fails_compile() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "policykit", "compile", str(HEALTH)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert proc.returncode == 1
    assert proc.stderr.endswith("Error: cannot write the output: No space left on device\n")


def test_control_characters_from_a_file_are_shown_escaped(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = "\x1b[2J\x1b[1;1Hok: 0 errors\x9b31m"
    (root / "deployer.yaml").write_text(
        POLICY.replace("forbid: comply", f"forbid: comply  # {forged}\n    bogus: 1"),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "validate", ".")
    assert code == 1
    assert "\x1b" not in out and "\x9b" not in out
    assert "\\x1b[2J\\x1b[1;1Hok: 0 errors\\x9b31m" in out
    code, out, _ = run(capsys, "validate", ".", "--format", "github")
    assert "\x1b" not in out
