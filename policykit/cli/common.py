"""What the command modules share: exit statuses, consoles, common options."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console

    from policykit.diagnostics import Diagnostic
    from policykit.export import CaseSet

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@dataclass
class Run:
    """One invocation of the CLI, as click's context object: what a command tells the
    error boundary."""

    exit_at_once: bool = False
    """The command is done with the process: nothing it built needs cleaning up."""


def console(err: bool = False) -> Console:
    """A console for stdout (or stderr), wide enough for tables in logs and pipes."""
    # imported here: rich takes tens of milliseconds to import, and the JSON, SARIF and
    # GitHub reports never need it
    from rich.console import Console

    out = Console(stderr=err, soft_wrap=True, highlight=False, emoji=False)
    if not out.is_terminal:
        out.width = max(out.width, 140)  # tables stay readable in logs and pipes
    return out


def echo_pieces(pieces: Iterable[str]) -> None:
    """Write a report piece by piece as it is rendered, then end its last line; write
    nothing for a report without pieces."""
    from policykit.util.output import write_stdout

    wrote = False
    for piece in pieces:
        write_stdout(piece)
        wrote = True
    if wrote:
        write_stdout("\n")


def write_output(output: Path | None, text: str) -> str | None:
    """Write ``text`` to the file ``output`` atomically (an old file is never damaged),
    or to stdout when it is None or ``-``; the file's name as the user should see it,
    or None for stdout."""
    from policykit.cli.terminal import shown
    from policykit.util.output import write_atomic, write_stdout

    if output is None or str(output) == "-":
        write_stdout(text)
        return None
    write_atomic(output, text)
    return shown(str(output))


def parse_context(values: tuple[str, ...]) -> dict[str, str]:
    """``--context DIM=VALUE`` options as a dict."""
    context: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise click.BadParameter(f"{item!r} is not DIMENSION=VALUE", param_hint="--context")
        context[name.strip()] = value.strip()
    return context


CONTEXT = click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="DIM=VALUE",
    help="A context value (repeat for several dimensions); missing ones take defaults.",
)
FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


def failed_compile(diagnostics: Sequence[Diagnostic]) -> int:
    """Show why a project did not compile; the exit status for it."""
    from policykit.cli import render

    err = console(err=True)
    render.render_text(err, diagnostics)
    err.print(f"[bold red]failed[/]: {render.summary_line(diagnostics, 0).split(' in ')[0]}")
    return EXIT_FINDINGS


SPEC = click.argument(
    "spec_path", metavar="SPEC", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
MAX_CASES = click.option(
    "--max-cases-per-behavior",
    type=click.IntRange(min=1),
    default=None,
    help="Sample each behavior's cells down to about N cases (seeded); cells where "
    "stakeholders conflict are always kept whole.",
)
SEED = click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the cell sampling."
)
DEFAULT_MAX_CASES = 10_000
"""The cap of ``export`` and ``cases`` unless --max-cases says otherwise: a spec of a few
KB can make 100,000 cases, 16 s and 867 MB as JSON Lines."""
CAP = click.option(
    "--max-cases",
    "cap",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_CASES,
    show_default=True,
    help="Refuse a spec that makes more cases than this, before building them.",
)


def load_cases(spec_path: Path, max_cases: int | None, seed: int, cap: int) -> CaseSet:
    """The eval cases of the spec at ``spec_path``, sampled as asked, at most ``cap``."""
    from policykit.export import CaseOptions, build_cases
    from policykit.export.cases import CaseCapError
    from policykit.spec.reader import read_spec

    options = CaseOptions(max_cases_per_behavior=max_cases, seed=seed, max_cases=cap)
    spec = read_spec(spec_path)
    try:
        return build_cases(spec, options)
    except CaseCapError as exc:
        raise CaseCapError(f"{exc}; raise it with --max-cases") from None
