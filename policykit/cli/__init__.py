"""The ``policykit`` command line: one module per command, and the one error boundary.

Commands parse arguments and render; the library does the work. Each command module
imports what it needs inside the command, so ``--help`` and ``query`` never import the
compiler.
"""

from __future__ import annotations

import errno
import io
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from policykit import __version__
from policykit.cli.cases import cases_command
from policykit.cli.catalog import catalog_command
from policykit.cli.codes import codes
from policykit.cli.common import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, Run, console
from policykit.cli.compile import compile_command
from policykit.cli.diff import diff
from policykit.cli.eval import eval_command
from policykit.cli.explain import explain
from policykit.cli.export import export_command
from policykit.cli.graph import graph
from policykit.cli.init import init
from policykit.cli.judge_check import judge_check_command
from policykit.cli.query import query
from policykit.cli.schema import schema
from policykit.cli.test import test_command
from policykit.cli.validate import validate

if TYPE_CHECKING:
    from policykit.errors import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policykit")
def cli() -> None:
    """policykit: check stakeholders' policies for a language model and compile what
    they intend."""


for _command in (
    validate,
    graph,
    schema,
    init,
    codes,
    compile_command,
    test_command,
    catalog_command,
    query,
    explain,
    diff,
    export_command,
    cases_command,
    eval_command,
    judge_check_command,
):
    cli.add_command(_command)

_ARGUMENTS = {"spec": "SPEC"}
"""Inputs a command takes as an argument rather than an option, by the name a library
error gives them (``UserError.subject``)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the one error boundary. Returns the exit status.

    Without ``argv``, the command line is the process's own (the console script,
    ``python -m policykit``); then a command that says so (``validate``) ends the
    process as soon as its output is flushed, rather than returning: freeing the
    millions of objects a large project's validation holds, one by one at
    interpreter exit, took longer than writing its report.
    """
    from policykit.errors import UserError
    from policykit.util.output import OutputError

    args = list(sys.argv[1:] if argv is None else argv)
    run = Run()
    if sys.stdout is None:  # started with stdout closed: a report must fail, not vanish
        sys.stdout = _ClosedStdout()
    try:
        result = cli.main(args=args, prog_name="policykit", standalone_mode=False, obj=run)
        sys.stdout.flush()  # a full device or a closed pipe must fail the command
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except UserError as exc:
        return _user_error(exc)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except OutputError as exc:
        click.echo(f"Error: {exc}", err=True)
        return EXIT_FINDINGS
    except OSError as exc:
        # an output the command could not finish: stdout a closed pipe, a full device
        _silence_stdout(argv is None)
        if exc.filename is not None:  # not stdout: a file some library code opened
            click.echo(f"Error: {exc.filename}: {exc.strerror or exc}", err=True)
        elif exc.errno != errno.EPIPE:
            click.echo(f"Error: cannot write the output: {exc.strerror or exc}", err=True)
        return EXIT_FINDINGS
    except Exception:
        traceback.print_exc()
        click.echo(
            "policykit hit an internal error (a bug, not a problem in your files); "
            "please report it with the traceback above.",
            err=True,
        )
        return EXIT_INTERNAL
    status = result if isinstance(result, int) else EXIT_OK
    if argv is None and run.exit_at_once:
        _exit_now(status)
    return status


class _ClosedStdout(io.TextIOBase):
    """What ``sys.stdout`` is when the process started without one: writing to it
    fails, as writing to a closed descriptor does."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "stdout is closed")


def _silence_stdout(own_process: bool) -> None:
    """After stdout failed: point it at /dev/null so that the interpreter's own flush
    at exit does not fail a second time (the Python docs' advice for SIGPIPE)."""
    if not own_process:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        sys.stdout = None


def _user_error(exc: UserError) -> int:
    """Show an error that is the user's to fix; the exit status for it.

    About one input (a behavior, a context): a usage error naming its option.
    Otherwise one line, in the shape of a diagnostic's first line (with its code).
    """
    from policykit.cli.terminal import markup_safe, shown

    if exc.subject:
        hint = _ARGUMENTS.get(exc.subject, f"--{exc.subject}")
        click.BadParameter(shown(str(exc)), param_hint=hint).show()
        return EXIT_USAGE
    code = markup_safe(f"[{exc.code}]") if exc.code else ""
    line = f"[bold red]error{code}[/]: {markup_safe(str(exc))}"
    if exc.file:
        line += f"\n  [blue]-->[/] {markup_safe(exc.file)}"
    if exc.hint:
        line += f"\n  [blue]=[/] help: {markup_safe(exc.hint)}"
    console(err=True).print(line)
    return EXIT_FINDINGS


def _exit_now(status: int) -> None:
    """Flush the output and end the process with ``status``, skipping the interpreter's
    teardown; returns only if the output cannot be flushed (the normal exit then
    reports it as it would have)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe or stream
        return
    os._exit(status)
