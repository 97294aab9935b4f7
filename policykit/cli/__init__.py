"""The ``policykit`` command line: one module per command, and the one error boundary.

Commands parse arguments and render; the library does the work. Each command module
imports what it needs inside the command, so ``--help`` and ``query`` never import the
compiler.
"""

from __future__ import annotations

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

    args = list(sys.argv[1:] if argv is None else argv)
    run = Run()
    try:
        result = cli.main(args=args, prog_name="policykit", standalone_mode=False, obj=run)
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
    except BrokenPipeError:
        return EXIT_OK
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


def _user_error(exc: UserError) -> int:
    """Show an error that is the user's to fix; the exit status for it.

    About one input (a behavior, a context): a usage error naming its option. With a
    code: in the shape of a diagnostic. Otherwise one line.
    """
    from rich.markup import escape

    if exc.subject:
        hint = _ARGUMENTS.get(exc.subject, f"--{exc.subject}")
        click.BadParameter(str(exc), param_hint=hint).show()
        return EXIT_USAGE
    err = console(err=True)
    if exc.code:
        from policykit.cli import render
        from policykit.diagnostics import Diagnostic, Severity

        render.render_text(
            err, [Diagnostic(exc.code, Severity.ERROR, str(exc), exc.file, hint=exc.hint)]
        )
    else:
        err.print(f"[bold red]error[/]: {escape(str(exc))}")
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
