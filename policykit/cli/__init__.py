"""The ``policykit`` command line: argument parsing and rendering only."""

from __future__ import annotations

import errno
import io
import os
import sys
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from policykit import __version__
from policykit.cli.eval_commands import eval_command
from policykit.cli.export_commands import cases_command, export_command
from policykit.cli.judge_commands import judge_check_command
from policykit.diagnostics import has_errors

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@dataclass
class Run:
    """One invocation of the CLI, as click's context object: what a command tells the
    error boundary."""

    exit_at_once: bool = False
    """The command is done with the process: nothing it built needs cleaning up."""


def _console(err: bool = False) -> Console:
    # imported here: rich takes tens of milliseconds to import, and the JSON, SARIF and
    # GitHub reports never need it
    from rich.console import Console

    console = Console(stderr=err, soft_wrap=True, highlight=False, emoji=False)
    if not console.is_terminal:
        console.width = max(console.width, 140)  # tables stay readable in logs and pipes
    return console


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policykit")
def cli() -> None:
    """policykit: check stakeholders' policies for a language model and compile what
    they intend."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_obj
def validate(run: Run | None, paths: tuple[Path, ...], fmt: str, strict: bool) -> int:
    """Check projects: each PATH is a policykit.yaml, or a folder holding one.

    Exit status: 0 clean, 1 findings at error level (or warnings with --strict),
    2 usage error, 3 internal error.
    """
    from policykit.api import ValidateOptions, validate_project
    from policykit.cli import render
    from policykit.diagnostics import sort_diagnostics
    from policykit.util.tuning import FAST, bulk

    # The collector stays paused while the report is written too: nothing here makes
    # cycles, and a collection would walk every object the validation kept.
    with bulk():
        options = ValidateOptions(tuning=FAST)
        results = [validate_project(path, options) for path in paths]
        if len(results) == 1:  # already sorted and unique
            diagnostics = results[0].diagnostics
        else:
            diagnostics = sort_diagnostics(d for r in results for d in r.diagnostics)
        if fmt == "json":
            _echo_pieces(render.iter_json(diagnostics))
        elif fmt == "sarif":
            _echo_pieces(render.iter_sarif(diagnostics))
        elif fmt == "github":
            _echo_pieces(render.iter_github(diagnostics))
        else:
            console = _console()
            render.render_text(console, diagnostics)
            checked = sum(r.files_read for r in results)
            failed = has_errors(diagnostics, strict=strict)
            style = "bold red" if failed else "bold green"
            verdict = "failed" if failed else "ok"
            console.print(f"[{style}]{verdict}[/]: {render.summary_line(diagnostics, checked)}")
    if run is not None:
        run.exit_at_once = True
    return EXIT_FINDINGS if has_errors(diagnostics, strict=strict) else EXIT_OK


def _echo_pieces(pieces: Iterable[str]) -> None:
    """Write a report piece by piece as it is rendered, then end its last line; write
    nothing for a report without pieces."""
    from policykit.output import write_stdout

    wrote = False
    for piece in pieces:
        write_stdout(piece)
        wrote = True
    if wrote:
        write_stdout("\n")


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dot", "mermaid", "json"]),
    default="dot",
    show_default=True,
    help="Graphviz DOT, Mermaid flowchart, or networkx node-link JSON.",
)
@click.option("--behavior", help="Only this behavior, its rules and related behaviors.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write to a file (- for stdout).",
)
def graph(path: Path, fmt: str, behavior: str | None, output: Path | None) -> int:
    """Write the weighted objective graph of a project."""
    from policykit.api import ValidateOptions, validate_project
    from policykit.cli import render
    from policykit.graph.formats import FORMATS, subgraph_nodes
    from policykit.graph.objective import ObjectiveGraph
    from policykit.output import write_atomic, write_stdout
    from policykit.util.text import suggest
    from policykit.util.tuning import FAST

    result = validate_project(path, ValidateOptions(analyze=False, tuning=FAST))
    if result.workspace is None:
        render.render_text(_console(err=True), result.diagnostics)
        _console(err=True).print("[bold red]failed[/]: fix the errors above first")
        return EXIT_FINDINGS
    objective = ObjectiveGraph(result.workspace)
    if behavior is not None and behavior not in result.workspace.behaviors:
        hint = suggest(behavior, result.workspace.behaviors)
        raise click.BadParameter(
            f"unknown behavior {behavior!r}" + (f"; {hint}" if hint else ""),
            param_hint="--behavior",
        )
    text = FORMATS[fmt](objective, subgraph_nodes(objective, behavior))
    if output is None or str(output) == "-":
        write_stdout(text)
    else:
        from policykit.cli.terminal import shown

        write_atomic(output, text)
        click.echo(f"wrote {shown(str(output))}", err=True)
    return EXIT_OK


@cli.command()
@click.option(
    "--kind",
    type=click.Choice(["project", "catalog", "policy"]),
    help="Print the schema of one file kind (default: all three, keyed by kind).",
)
@click.option(
    "--write",
    "write_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write <kind>.schema.json files (and, without --kind, the spec artifact's "
    "spec.schema.json) into this folder instead of printing.",
)
def schema(kind: str | None, write_dir: Path | None) -> int:
    """Print the JSON Schema of policykit's file kinds."""
    import json

    from policykit.output import write_atomic
    from policykit.schema.jsonschema import SCHEMA_MODELS, dumps, json_schema, schema_file_name

    kinds = [kind] if kind else list(SCHEMA_MODELS)
    if write_dir is not None:
        from policykit.spec.artifact import spec_json_schema

        write_dir.mkdir(parents=True, exist_ok=True)
        for k in kinds:
            target = write_dir / schema_file_name(k)
            write_atomic(target, dumps(json_schema(k)))
            click.echo(f"wrote {target}")
        if kind is None:
            target = write_dir / "spec.schema.json"
            write_atomic(target, dumps(spec_json_schema()))
            click.echo(f"wrote {target}")
        return EXIT_OK
    if kind:
        click.echo(dumps(json_schema(kind)), nl=False)
    else:
        click.echo(json.dumps({k: json_schema(k) for k in kinds}, indent=2, ensure_ascii=False))
    return EXIT_OK


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, name: str | None, force: bool) -> int:
    """Create a working project in DIRECTORY: a project file and one policy per
    stakeholder, ready for `policykit validate`."""
    from policykit.scaffold import ScaffoldError, scaffold

    try:
        written = scaffold(directory, name=name, force=force)
    except ScaffoldError as exc:
        from policykit.cli.terminal import markup_safe

        _console(err=True).print(f"[bold red]error[/]: {markup_safe(str(exc))}")
        return EXIT_FINDINGS
    for path in written:
        click.echo(f"created {path}")
    click.echo(f"next: policykit validate {directory}")
    return EXIT_OK


@cli.command()
@click.option("--markdown", is_flag=True, help="Print the reference page in Markdown.")
@click.argument("code", required=False)
def codes(markdown: bool, code: str | None) -> int:
    """List diagnostic codes, or explain one (policykit codes PK207)."""
    # the checks and the resolver register their codes when imported
    import policykit.analyze
    import policykit.resolve.resolver  # noqa: F401
    from policykit.codes import CODES
    from policykit.codes import markdown as codes_markdown

    if markdown:
        click.echo(codes_markdown(), nl=False)
        return EXIT_OK
    if code:
        info = CODES.get(code.upper())
        if info is None:
            raise click.BadParameter(f"unknown code {code!r}", param_hint="CODE")
        click.echo(f"{info.code} ({info.severity.value}): {info.title}\n")
        click.echo("Example:\n")
        click.echo("\n".join("    " + line for line in info.example.splitlines()))
        click.echo(f"\nHow to resolve: {info.fix}")
        return EXIT_OK
    for info in sorted(CODES.values(), key=lambda c: c.code):
        click.echo(f"{info.code}  {info.severity.value:<7}  {info.title}")
    return EXIT_OK


def _parse_context(values: tuple[str, ...]) -> dict[str, str]:
    context: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise click.BadParameter(f"{item!r} is not DIMENSION=VALUE", param_hint="--context")
        context[name.strip()] = value.strip()
    return context


_CONTEXT = click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="DIM=VALUE",
    help="A context value (repeat for several dimensions); missing ones take defaults.",
)
_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


def _failed_compile(diagnostics: Sequence[object]) -> int:
    from policykit.cli import render
    from policykit.diagnostics import Diagnostic

    shown = [d for d in diagnostics if isinstance(d, Diagnostic)]
    console = _console(err=True)
    render.render_text(console, shown)
    console.print(f"[bold red]failed[/]: {render.summary_line(shown, 0).split(' in ')[0]}")
    return EXIT_FINDINGS


@cli.command("compile")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write the spec here (atomically; an old file is never damaged; only a regular "
    "file is replaced). Default, or -: stdout.",
)
def compile_command(path: Path, output: Path | None) -> int:
    """Compile a project into its target behavior spec (policykit.spec/v1)."""
    from policykit.cli import render
    from policykit.cli.terminal import markup_safe, shown
    from policykit.compile import CompileOptions, compile_project
    from policykit.diagnostics import Severity
    from policykit.output import write_atomic, write_stdout
    from policykit.spec.artifact import dumps
    from policykit.util.tuning import FAST

    result = compile_project(path, CompileOptions(tuning=FAST))
    if result.spec is None:
        return _failed_compile(result.diagnostics)
    text = dumps(result.spec)
    console = _console(err=True)
    notable = [d for d in result.diagnostics if d.severity is not Severity.INFO]
    if notable:
        render.render_text(console, notable)
    cells = sum(len(b.cells) for b in result.spec.behaviors)
    if output is None or str(output) == "-":
        write_stdout(text)
        where = "stdout"
    else:
        write_atomic(output, text)
        where = shown(str(output))
    console.print(
        f"[bold green]compiled[/]: {len(result.spec.behaviors)} behaviors, {cells} cells, "
        f"{len(result.spec.rules)} rules -> {markup_safe(where)} ({result.spec.inputs_hash[:19]})"
    )
    return EXIT_OK


@cli.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(exists=True, dir_okay=False))
@_CONTEXT
@click.option("--behavior", help="Only this behavior.")
@_FORMAT
def query(spec_path: str, contexts: tuple[str, ...], behavior: str | None, fmt: str) -> int:
    """What the spec intends in a context: the distribution over outcomes."""
    import json

    from rich.table import Table

    from policykit.cli.terminal import markup_safe as escape
    from policykit.spec.query import QueryError, Spec, SpecFormatError

    try:
        spec = Spec.load(spec_path)
    except SpecFormatError as exc:
        raise click.ClickException(str(exc)) from None
    context = _parse_context(contexts)
    try:
        answer = spec.intended(context, behavior)
    except QueryError as exc:
        hint = "--behavior" if behavior and behavior not in spec.behaviors else "--context"
        raise click.BadParameter(str(exc), param_hint=hint) from None
    results = {behavior: answer} if behavior else answer
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "context": {**spec.defaults, **context},
                    "intended": {b: dict(d) for b, d in results.items()},
                },
                indent=2,
                sort_keys=True,
            )
        )
        return EXIT_OK
    shown = ", ".join(f"{k}={v}" for k, v in sorted({**spec.defaults, **context}.items()))
    table = Table(title=f"intended behavior in {escape(shown)}", title_justify="left")
    table.add_column("behavior")
    table.add_column("outcomes (P_intended)")
    for name, dist in results.items():
        table.add_row(escape(name), escape("  ".join(f"{o} {p:.3f}" for o, p in dist.items())))
    _console().print(table)
    return EXIT_OK


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--behavior", required=True, help="The behavior to explain.")
@_CONTEXT
@_FORMAT
def explain(path: Path, behavior: str, contexts: tuple[str, ...], fmt: str) -> int:
    """Why the spec intends what it does for one behavior in one context."""
    import json

    from policykit.cli.explain import render_explanation
    from policykit.compile import CompileOptions, compile_project
    from policykit.resolve.explain import ExplainError, explain_cell
    from policykit.util.tuning import FAST

    result = compile_project(path, CompileOptions(tuning=FAST))
    if result.graph is None or result.resolution is None:
        return _failed_compile(result.diagnostics)
    try:
        explanation = explain_cell(
            result.graph, result.resolution, behavior, _parse_context(contexts)
        )
    except ExplainError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
    if fmt == "json":
        click.echo(json.dumps(explanation.to_json(), indent=2, sort_keys=True))
    else:
        render_explanation(_console(), explanation)
    return EXIT_OK


@cli.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--exit-code", is_flag=True, help="Exit 1 when intended behavior changed.")
@_FORMAT
def diff(old: str, new: str, exit_code: bool, fmt: str) -> int:
    """What changed in intended behavior between two specs, largest change first."""
    import json

    from rich.table import Table

    from policykit.cli.terminal import markup_safe as escape
    from policykit.spec.diff import diff_specs
    from policykit.spec.query import Spec, SpecFormatError

    try:
        changes = diff_specs(Spec.load(old), Spec.load(new))
    except SpecFormatError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps({"changes": [c.to_json() for c in changes]}, indent=2))
    elif not changes:
        _console().print("no change in intended behavior")
    else:
        table = Table(title=f"{len(changes)} changed cells", title_justify="left")
        for column in ("TV", "behavior", "where", "old", "new"):
            table.add_column(column)
        for c in changes:
            where = ", ".join(f"{k} in {{{', '.join(v)}}}" for k, v in c.when) or "everywhere"
            table.add_row(
                f"{c.distance:.3f}",
                escape(c.behavior),
                escape(where),
                escape(_dist(c.old)),
                escape(_dist(c.new)),
            )
        _console().print(table)
    return EXIT_FINDINGS if exit_code and changes else EXIT_OK


def _dist(d: dict[str, float] | None) -> str:
    return "(absent)" if d is None else "  ".join(f"{o} {p:.3f}" for o, p in d.items())


cli.add_command(export_command)
cli.add_command(cases_command)
cli.add_command(eval_command)
cli.add_command(judge_check_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the one error boundary. Returns the exit status.

    Without ``argv``, the command line is the process's own (the console script,
    ``python -m policykit``); then a command that says so (``validate``) ends the
    process as soon as its output is flushed, rather than returning: freeing the
    millions of objects a large project's validation holds, one by one at
    interpreter exit, took longer than writing its report.
    """
    from policykit.output import OutputError

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
