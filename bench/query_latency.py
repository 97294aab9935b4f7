"""How fast a compiled spec answers ``intended(context, behavior)``, against Cedar.

    .venv/bin/python bench/query_latency.py [--sizes 1000 10000 100000] [--samples 200000]
        [--rounds 5] [--cedar-samples 2000] [--rules-per-behavior 50] [--dimensions 3]
        [--values 4] [--no-cedar]

For each size, one run: generate a synthetic project (bench/generate.py), compile it with
``policykit.pipeline.compile_project`` (with the CLI's ``Tuning``), write the artifact
with ``spec.artifact.dumps``, load it with ``Spec.load`` and time single queries;
translate the same rules into a Cedar policy set, parse it once and time single
``cedarpy.is_authorized`` decisions. Printed:
compile seconds, spec size, policykit and Cedar median/p99 per call, the speedup, the
retained memory of a loaded spec per rule, then the ratios and PASS/FAIL per target.

**Project shape.** The query path reads one cell, so what matters is how many cells a
behavior is cut into (at most values ** dimensions) and how many rules share a behavior.
Here 3 dimensions x 4 values (at most 64 cells per behavior) and a fixed number of rules
per behavior (50 by default, so 20 behaviors at 1k and 2,000 at 100k, none "hot",
``hot_share=0``): the index grows in proportion to the rules, as it would in a real
catalog, so the random queries at 100k really are spread over a 100x larger index than
at 1k, while the cells per rule stay about constant (~1.3) and the spec per rule is
comparable across sizes. The generator's defaults (4 x 6, a fixed 200 behaviors, 30% of
the rules on 5 hot behaviors, thousands of rules each at 100k) cut a behavior into up to
1,296 cells and make the index size depend on the catalog, not the rule count: several
KB of artifact per rule at 1k, and nothing more learnt about the query.
``conflict_rate=0``: same-rank contradictions are compile errors (PK420), and a bench
needs a spec.

**Timing.** 200k (context, behavior) pairs are drawn up front: a random value for every
dimension and a random behavior, so consecutive lookups land in unrelated parts of the
index. Each call is timed on its own with two ``time.perf_counter_ns()`` reads; the cost
of the reads themselves (the median of the same loop with nothing between the reads) is
subtracted from every sample. A mean over batches of 1,000 calls, which has no
per-call timer error, is printed as a cross-check. The cyclic GC is off while timing.
All the pairs are timed in ``--rounds`` passes (5) and the pass with the lowest median
is reported, with its p99: on a shared 2-core machine other processes only ever add
time, so the quietest pass is the best estimate of the query itself. The highest median
of the passes and the load average are printed too, to show how much noise there was.

**Cedar.** cedarpy (``pip install .[bench]``) has a pre-parsed handle:
``cedarpy.PolicySet.from_str(text)`` is parsed once per size and passed to
``cedarpy.is_authorized(request, policy_set, entities)``, with the (empty) entity set
also pre-parsed (``cedarpy.Entities.from_json_str("[]")``). Each rule becomes one
policy on its behavior's action, ``forbid`` for the hard rules and ``permit`` for the
soft ones, its scope a conjunction of set tests on the context::

    permit(principal, action == Action::"b7", resource)
    when { ["v1", "v3"].contains(context.d0) && ["v2"].contains(context.d2) };

A request is one behavior (action) in one random full context: the same decision a
query answers. Fewer samples (``--cedar-samples``, cut to ~20 s of calls per size but
never below 200), timed the same way.

**Memory.** ``tracemalloc`` traced bytes after ``gc.collect()``, before and after
``Spec.load``: the whole ``Spec`` as loaded; and, if the Spec keeps the parsed JSON as
``spec.data`` (earlier versions did), again after dropping it -- the query index alone.

Targets (2-core machine): median <= 1 us, p99 <= 5 us, >= 20x faster than the Cedar
call, median at the largest size <= 1.5x that at 1k, loaded spec <= 500 B per rule.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from policykit.pipeline import CompileOptions, compile_project  # noqa: E402
from policykit.spec.artifact import TargetBehaviorSpec, dumps  # noqa: E402
from policykit.spec.query import Spec  # noqa: E402
from policykit.util.tuning import FAST  # noqa: E402

TARGET_MEDIAN_US = 1.0
TARGET_P99_US = 5.0
TARGET_SPEEDUP = 20.0
TARGET_GROWTH = 1.5
TARGET_BYTES_PER_RULE = 500
HARD = ("forbid", "require", "bounds")
BATCH = 1000
CEDAR_BUDGET_S = 20.0


@dataclass
class Row:
    size: int
    behaviors: int
    cells: int
    compile_s: float
    spec_bytes: int
    load_s: float
    pk: tuple[float, float, float]
    """median, p99 (per-call samples, the round with the lowest median) and the lowest
    batched mean, in microseconds"""
    pk_worst_median: float
    """the highest median of the rounds: how much the other load on the machine moved it"""
    cedar: tuple[float, float, int] | None
    """median, p99 in microseconds, and the number of samples"""
    spec_per_rule: float
    index_per_rule: float


def timer_overhead_ns(n: int = 200_000) -> int:
    """Median of two back-to-back ``perf_counter_ns()`` reads in the timing loop."""
    pc = time.perf_counter_ns
    out = [0] * n
    for i in range(n):
        t0 = pc()
        t1 = pc()
        out[i] = t1 - t0
    return int(statistics.median(out))


def time_calls(
    call: Callable[[Any, Any], object], args: Sequence[tuple[Any, Any]], overhead: int
) -> list[int]:
    """Nanoseconds of each ``call(a, b)``, timed one by one, less the timer overhead."""
    pc = time.perf_counter_ns
    out = [0] * len(args)
    gc.collect()
    gc.disable()
    try:
        for i, (a, b) in enumerate(args):
            t0 = pc()
            call(a, b)
            t1 = pc()
            out[i] = t1 - t0 - overhead
    finally:
        gc.enable()
    return out


def batched_mean_ns(call: Callable[[Any, Any], object], args: Sequence[tuple[Any, Any]]) -> float:
    pc = time.perf_counter_ns
    total = 0
    gc.collect()
    gc.disable()
    try:
        for start in range(0, len(args) - BATCH + 1, BATCH):
            chunk = args[start : start + BATCH]
            t0 = pc()
            for a, b in chunk:
                call(a, b)
            total += pc() - t0
    finally:
        gc.enable()
    return total / (len(args) // BATCH * BATCH)


def quantiles_us(samples: list[int]) -> tuple[float, float]:
    ordered = sorted(samples)
    median = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return max(median, 0) / 1000, max(p99, 0) / 1000


def random_pairs(
    rng: random.Random, dims: dict[str, list[str]], behaviors: list[str], n: int
) -> list[tuple[dict[str, str], str]]:
    names = list(dims)
    return [({d: rng.choice(dims[d]) for d in names}, rng.choice(behaviors)) for _ in range(n)]


def measure_memory(path: Path) -> tuple[int, int]:
    """Bytes retained by ``Spec.load(path)``: the whole Spec, and the Spec without the
    parsed JSON (``spec.data``) where it keeps one -- the query index alone."""
    gc.collect()
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        spec = Spec.load(path)
        gc.collect()
        full = tracemalloc.get_traced_memory()[0] - before
        if "data" in vars(spec):
            del spec.data
            gc.collect()
        index = tracemalloc.get_traced_memory()[0] - before
        del spec
    finally:
        tracemalloc.stop()
    return full, index


def cedar_policies(spec: TargetBehaviorSpec) -> str:
    """One Cedar policy per rule: forbid for hard rules, permit for soft ones."""
    out = []
    for rule in spec.rules:
        effect = "forbid" if rule.directive.split(":")[0] in HARD else "permit"
        head = f'{effect}(principal, action == Action::"{rule.behavior}", resource)'
        tests = [
            "[{}].contains(context.{})".format(", ".join(f'"{v}"' for v in values), dim)
            for dim, values in sorted(rule.when.items())
        ]
        out.append(head + (f" when {{ {' && '.join(tests)} }};" if tests else ";"))
    return "\n".join(out) + "\n"


def bench_cedar(
    text: str, pairs: Sequence[tuple[dict[str, str], str]], samples: int, overhead: int
) -> tuple[float, float, int]:
    import cedarpy

    policy_set = cedarpy.PolicySet.from_str(text)
    entities = cedarpy.Entities.from_json_str("[]")
    requests = [
        (
            {
                "principal": 'User::"u"',
                "action": f'Action::"{behavior}"',
                "resource": 'Resource::"r"',
                "context": context,
            },
            None,
        )
        for context, behavior in pairs[: samples + 50]
    ]

    def decide(request: dict[str, Any], _: None) -> object:
        return cedarpy.is_authorized(request, policy_set, entities)

    # sanity: the policy set parsed and evaluates without errors
    result = decide(requests[0][0], None)
    if result.diagnostics.errors:  # type: ignore[attr-defined]
        raise SystemExit(f"cedar errors: {result.diagnostics.errors[:3]}")  # type: ignore[attr-defined]
    warm = time_calls(decide, requests[:50], overhead)
    per_call = max(statistics.median(warm), 1) / 1e9
    n = max(200, min(samples, int(CEDAR_BUDGET_S / per_call)))
    timed = time_calls(decide, requests[50 : 50 + n], overhead)
    median, p99 = quantiles_us(timed)
    return median, p99, len(timed)


def run_size(tmp: Path, n: int, a: argparse.Namespace, overhead: int, with_cedar: bool) -> Row:
    behaviors = max(1, n // a.rules_per_behavior)
    project = generate(
        tmp / f"p{n}",
        n,
        behaviors=behaviors,
        dimensions=a.dimensions,
        values=a.values,
        conflict_rate=0.0,
        hot_share=0.0,
        seed=a.seed,
    )
    t0 = time.perf_counter()
    result = compile_project(project, CompileOptions(tuning=FAST))  # as the CLI compiles
    compile_s = time.perf_counter() - t0
    if result.spec is None:
        errors = [d for d in result.diagnostics if d.severity.name == "ERROR"][:5]
        raise SystemExit(f"{n} rules: compile failed: {errors}")
    spec_model = result.spec
    cells = sum(len(b.cells) for b in spec_model.behaviors)
    cedar_text = cedar_policies(spec_model) if with_cedar else ""
    path = tmp / f"spec{n}.json"
    path.write_text(dumps(spec_model), encoding="utf-8")
    del result, spec_model
    gc.collect()
    spec_bytes = path.stat().st_size

    full, index = measure_memory(path)
    t0 = time.perf_counter()
    spec = Spec.load(path)
    load_s = time.perf_counter() - t0

    rng = random.Random(a.seed + n)
    dims = {name: sorted(values) for name, values in spec.dimensions.items()}
    pairs = random_pairs(rng, dims, list(spec.behaviors), a.samples)
    intended = spec.intended
    time_calls(intended, pairs[:10_000], overhead)  # warm up the code path
    rounds = []
    for _ in range(a.rounds):
        median, p99 = quantiles_us(time_calls(intended, pairs, overhead))
        rounds.append((median, p99, batched_mean_ns(intended, pairs) / 1000))
    median, p99, _ = min(rounds)
    mean = min(r[2] for r in rounds)
    spread = max(r[0] for r in rounds)
    del spec, intended
    gc.collect()

    cedar = None
    if with_cedar:
        cedar = bench_cedar(cedar_text, pairs, a.cedar_samples, overhead)
    return Row(
        n,
        behaviors,
        cells,
        compile_s,
        spec_bytes,
        load_s,
        (median, p99, mean),
        spread,
        cedar,
        full / n,
        index / n,
    )


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(rows: list[Row]) -> None:
    print()
    print(
        f"{'rules':>7} {'behav':>6} {'cells':>7} {'compile s':>9} {'spec MiB':>8} "
        f"{'load s':>7} {'pk med us':>9} {'pk p99 us':>9} {'pk mean':>7} "
        f"{'cedar med':>9} {'cedar p99':>9} {'speedup':>8} {'B/rule':>7} {'idx B/r':>7}"
    )
    for r in rows:
        med, p99, mean = r.pk
        if r.cedar is not None:
            c_med, c_p99, _ = r.cedar
            cedar = f"{c_med:>9.1f} {c_p99:>9.1f} {c_med / med if med else 0:>7.0f}x"
        else:
            cedar = f"{'-':>9} {'-':>9} {'-':>8}"
        print(
            f"{r.size:>7} {r.behaviors:>6} {r.cells:>7} {r.compile_s:>9.1f} "
            f"{r.spec_bytes / 2**20:>8.1f} {r.load_s:>7.2f} {med:>9.3f} {p99:>9.3f} "
            f"{mean:>7.3f} {cedar} {r.spec_per_rule:>7.0f} {r.index_per_rule:>7.0f}"
        )
    for r in rows:
        print(
            f"  {r.size}: median over the rounds {r.pk[0]:.3f}..{r.pk_worst_median:.3f} us"
            + (f"; cedar samples {r.cedar[2]}" if r.cedar is not None else "")
        )
    print(
        "(pk = Spec.intended, one call; pk mean = mean over batches of 1,000 calls; "
        "cedar = cedarpy.is_authorized with a pre-parsed PolicySet; B/rule = whole loaded "
        "Spec, idx B/r = without spec.data)"
    )

    first, last = rows[0], rows[-1]
    growth = last.pk[0] / first.pk[0] if first.pk[0] else float("inf")
    if len(rows) > 1:
        print(f"\npolicykit median at {last.size} / at {first.size}: {growth:.2f}x")
    if len(rows) > 1 and first.cedar is not None and last.cedar is not None:
        cedar_growth = last.cedar[0] / first.cedar[0]
        print(f"cedar median at {last.size} / at {first.size}: {cedar_growth:.1f}x")

    print()
    worst_med = max(rows, key=lambda r: r.pk[0])
    worst_p99 = max(rows, key=lambda r: r.pk[1])
    print(
        f"{verdict(worst_med.pk[0] <= TARGET_MEDIAN_US)}  median <= {TARGET_MEDIAN_US} us "
        f"(worst {worst_med.pk[0]:.3f} us at {worst_med.size})"
    )
    print(
        f"{verdict(worst_p99.pk[1] <= TARGET_P99_US)}  p99 <= {TARGET_P99_US} us "
        f"(worst {worst_p99.pk[1]:.3f} us at {worst_p99.size})"
    )
    with_cedar = [r for r in rows if r.cedar is not None]
    if with_cedar:
        slowest = min(with_cedar, key=lambda r: r.cedar[0] / r.pk[0] if r.pk[0] else 1e9)  # type: ignore[index]
        ratio = slowest.cedar[0] / slowest.pk[0]  # type: ignore[index]
        print(
            f"{verdict(ratio >= TARGET_SPEEDUP)}  >= {TARGET_SPEEDUP:.0f}x faster than Cedar "
            f"(smallest {ratio:.0f}x at {slowest.size})"
        )
    else:
        print("SKIP  >= 20x faster than Cedar (--no-cedar)")
    if len(rows) > 1 and last.size > first.size:
        print(
            f"{verdict(growth <= TARGET_GROWTH)}  median at {last.size} <= "
            f"{TARGET_GROWTH}x that at {first.size} ({growth:.2f}x)"
        )
    else:
        print("SKIP  growth with size (one size only)")
    big = max(rows, key=lambda r: r.spec_per_rule)
    index = max(r.index_per_rule for r in rows)
    kept = (
        f"; the query index alone, without the parsed JSON the Spec keeps: {index:.0f} B/rule"
        if index < big.spec_per_rule
        else "; the Spec keeps no parsed JSON, so this is the query index"
    )
    print(
        f"{verdict(big.spec_per_rule <= TARGET_BYTES_PER_RULE)}  loaded spec <= "
        f"{TARGET_BYTES_PER_RULE} B/rule (worst {big.spec_per_rule:.0f} B/rule at {big.size}"
        f"{kept})"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    p.add_argument("--samples", type=int, default=200_000, help="policykit queries per size")
    p.add_argument("--rounds", type=int, default=5, help="timed passes over the queries")
    p.add_argument("--cedar-samples", type=int, default=2000, help="Cedar calls per size")
    p.add_argument("--rules-per-behavior", type=int, default=50)
    p.add_argument("--dimensions", type=int, default=3)
    p.add_argument("--values", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-cedar", action="store_true", help="skip the Cedar comparison")
    a = p.parse_args()

    with_cedar = not a.no_cedar
    if with_cedar:
        try:
            import cedarpy  # noqa: F401
        except ImportError:
            raise SystemExit(
                "cedarpy is not installed: pip install -e '.[bench]' (or pass --no-cedar)"
            ) from None
    print(f"load average at the start: {load_average()} ({os.cpu_count()} CPUs)")
    overhead = timer_overhead_ns()
    print(f"timer overhead (two perf_counter_ns reads, median): {overhead} ns, subtracted")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(a.sizes):
            row = run_size(Path(tmp), n, a, overhead, with_cedar)
            rows.append(row)
            cedar = f", cedar {row.cedar[0]:.1f}/{row.cedar[1]:.1f} us" if row.cedar else ""
            print(
                f"{n} rules: compile {row.compile_s:.1f} s, spec "
                f"{row.spec_bytes / 2**20:.1f} MiB, query {row.pk[0]:.3f}/{row.pk[1]:.3f} us"
                f"{cedar}",
                flush=True,
            )
    report(rows)
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
