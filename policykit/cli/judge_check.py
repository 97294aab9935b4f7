"""``policykit judge-check``: argument parsing and rendering for measuring judges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from policykit.cli.common import EXIT_OK
from policykit.cli.common import console as _console

if TYPE_CHECKING:
    from rich.console import Console

    from policykit.evaluate.judges.check import CheckReport

MATRIX_LABELS = 12
"""Above this many labels the text output names the top confusions instead of the
whole matrix (it is always in the JSON)."""


@click.command("judge-check")
@click.argument(
    "labels", metavar="LABELS.jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--spec",
    "specs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A compiled spec whose behaviors the labels name (repeatable).",
)
@click.option(
    "--catalog",
    "catalogs",
    multiple=True,
    help="A catalog file or std: entry whose behaviors the labels name (repeatable; "
    "default without --spec: std:core/catalog.yaml).",
)
@click.option(
    "--judge",
    "judges",
    multiple=True,
    help="The judge to measure (repeatable; default: stance). See the list below.",
)
@click.option("--judge-model", help="--judge model: the grader (a model folder or .gguf file).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), help="Judge confidence floor.")
@click.option("--embedder", help="Sentence-embedding model folder (default: the bundled MiniLM).")
@click.option("--device", default="cpu", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write JSON here."
)
@click.option(
    "--errors",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="text: list this many disagreements per judge.",
)
def judge_check_command(
    labels: Path,
    specs: tuple[Path, ...],
    catalogs: tuple[str, ...],
    judges: tuple[str, ...],
    judge_model: str | None,
    threshold: float | None,
    embedder: str | None,
    device: str,
    seed: int,
    fmt: str,
    output: Path | None,
    errors: int,
) -> int:
    """Measure judges on labelled responses: per-class precision, recall and F1,
    macro-F1, Cohen's kappa, the confusion matrix, abstention and refuse-vs-comply
    accuracy.

    LABELS.jsonl has one {"behavior", "prompt", "response", "label"} object per line;
    label is an outcome id of the behavior or "unclassified". Exit status: 0 done, 1
    the check could not run, 2 usage error.
    """
    from policykit.evaluate.judges import JudgeOptions, get_judge
    from policykit.evaluate.judges.check import (
        catalog_outcomes,
        check,
        read_labels,
        spec_outcomes,
    )
    from policykit.util.output import write_atomic

    err = _console(err=True)
    names = judges or ("stance",)
    outcomes = {}
    for name in catalogs or (() if specs else ("std:core/catalog.yaml",)):
        outcomes.update(catalog_outcomes(name))
    for path in specs:
        outcomes.update(spec_outcomes(path))
    gold = read_labels(labels, outcomes)
    reports = []
    for name in names:
        factory = get_judge(name)
        with err.status(f"loading the {name} judge…"):
            judge = factory(
                JudgeOptions(
                    device=device,
                    embedder=embedder,
                    threshold=threshold,
                    model=judge_model,
                    seed=seed,
                )
            )
        with err.status(f"judging {len(gold)} responses with {name}…"):
            report, _ = check(judge, gold)
        reports.append(report)
    data = {"labels": str(labels), "reports": [r.as_json() for r in reports]}
    if output is not None:
        write_atomic(output, json.dumps(data, indent=1) + "\n")
    if fmt == "json":
        click.echo(json.dumps(data, indent=1))
    else:
        console = _console()
        for report in reports:
            _render(console, report, errors)
    return EXIT_OK


def _rate(n: int, seconds: float) -> str:
    if seconds <= 0:
        return "∞"
    rate = n / seconds
    return f"{rate:.0f}" if rate >= 10 else f"{rate:.2f}"


def _render(console: Console, r: CheckReport, errors: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    rvc = (
        "–"
        if r.refuse_vs_comply is None
        else f"{r.refuse_vs_comply:.3f} ({r.refuse_vs_comply_n} responses)"
    )
    console.print(
        f"[bold]{escape(r.judge)}[/] on {r.total} responses: accuracy {r.accuracy:.3f}, "
        f"macro-F1 {r.macro_f1:.3f}, Cohen's κ {r.kappa:.3f}, refuse-vs-comply {rvc}, "
        f"abstained {r.abstention:.1%} (gold unclassified {r.gold_unclassified:.1%}), "
        f"{_rate(r.total, r.seconds)} responses/s in the model"
    )
    table = Table(title="per class", title_justify="left")
    for column in ("class", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for name, c in r.classes.items():
        table.add_row(
            escape(name), f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.support)
        )
    console.print(table)
    if len(r.labels) <= MATRIX_LABELS:
        confusion = Table(title="confusion (rows: gold, columns: judged)", title_justify="left")
        confusion.add_column("")
        for name in r.labels:
            confusion.add_column(escape(name[:10]), justify="right")
        for name, row in zip(r.labels, r.confusion, strict=True):
            if any(row):
                confusion.add_row(escape(name), *(str(x) if x else "·" for x in row))
        console.print(confusion)
    else:
        pairs = sorted(
            (
                (n, gold, judged)
                for gold, row in zip(r.labels, r.confusion, strict=True)
                for judged, n in zip(r.labels, row, strict=True)
                if n and gold != judged
            ),
            reverse=True,
        )
        top = ", ".join(f"{escape(g)} → {escape(j)} {n}" for n, g, j in pairs[:8])
        console.print(
            f"most frequent confusions (gold → judged): {top or 'none'}; the full "
            f"{len(r.labels)}×{len(r.labels)} confusion matrix is in --format json"
        )
    if errors and r.errors:
        console.print(f"first {min(errors, len(r.errors))} of {len(r.errors)} disagreements:")
        for case_id, gold, judged in r.errors[:errors]:
            console.print(f"  {escape(case_id)}: gold {escape(gold)}, judged {escape(judged)}")
