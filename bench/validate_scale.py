"""How `policykit validate` scales: wall time, rules per second and peak memory.

    .venv/bin/python bench/validate_scale.py [--sizes 1000 10000 100000] [--runs 3]

Each size is a synthetic project (bench/generate.py) validated cold, in a fresh
`policykit validate --format json` process, as a user or CI would run it. Printed per
size: best wall time over the runs (start-up included), rules per second, peak RSS and
bytes per rule. Then the ratios the targets are stated in, all measured in this run:
cost per rule at the largest size over the cost at 10k, and the indexed conflict check
against running the same checks on every overlapping pair of rules, on the same project
(that both find the same is tests/analyze/test_differential.py's to show).

Targets (2-core machine): 10k rules <= 1.5 s; 100k rules <= 10 s; per-rule cost at
100k <= 1.2x that at 10k; peak memory <= 4 KB per rule.

Wall time is the target's measure, and it is only meaningful on an otherwise idle
machine: the load average is printed first, and CPU seconds beside each wall time
(best over the runs; peak memory is the highest over them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policykit.analyze.context import Context
    from policykit.graph.objective import ObjectiveGraph

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402


def run_cold(project: Path) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (bytes) and CPU seconds (user + system, its own helper
    process included) of one `policykit validate` process."""
    exe = Path(sys.executable).with_name("policykit")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "validate", str(project), "--format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"validate failed on {project} with status {status}")
    return wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def baseline_rss() -> int:
    """Peak RSS of a process that only starts Python and imports the CLI."""
    proc = subprocess.Popen([sys.executable, "-c", "import policykit.cli, policykit.pipeline"])
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss * 1024


def pairs_speedup(project: Path) -> tuple[float, float]:
    """Seconds of the indexed pair engine and of the same checks on every pair."""
    from policykit.analyze import find_pairs
    from policykit.analyze.context import Context
    from policykit.graph.objective import ObjectiveGraph
    from policykit.pipeline import ValidateOptions, validate_project

    result = validate_project(project, ValidateOptions(analyze=False))
    assert result.workspace is not None
    graph = ObjectiveGraph(result.workspace)
    t0 = time.perf_counter()
    find_pairs(graph, Context(graph))
    t1 = time.perf_counter()
    all_pairs(graph, Context(graph))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def all_pairs(graph: ObjectiveGraph, ctx: Context) -> int:
    """Every check on every ordered pair of overlapping rules on a behavior, twice (the
    second time without the rules that violate a permission, as the engine does): what
    conflict detection costs without an index. Returns how many codes it found."""
    from policykit.analyze.conflicts import pair_codes
    from policykit.analyze.shadow import nullifies
    from policykit.graph.scope import is_empty, overlaps

    found = 0
    for behavior in graph.behaviors():
        refs = [r for r in graph.rules_for(behavior) if not is_empty(r.masks)]
        for _ in range(2):
            for r in refs:
                for s in refs:
                    if s is not r and overlaps(r.masks, s.masks):
                        found += len(pair_codes(r, s, ctx))
                        found += s.hard and s.rank > r.rank and nullifies(r, s, ctx)
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument(
        "--pairs-size",
        type=int,
        default=4000,
        help="project size for the indexed vs all-pairs comparison",
    )
    a = p.parse_args()
    base = baseline_rss()
    print(f"start-up baseline: python + import policykit = {base / 2**20:.0f} MiB peak RSS")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{'rules':>8} {'wall s':>8} {'rules/s':>9} {'peak MiB':>9} {'B/rule':>7}"
        f" {'us/rule':>8} {'cpu s':>7}"
    )
    per_rule: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.sizes:
            project = generate(Path(tmp) / f"p{n}", n)
            runs = [run_cold(project) for _ in range(a.runs)]
            best = min(wall for wall, _, _ in runs)
            peak = max(rss for _, rss, _ in runs)
            cpu = min(cpu for _, _, cpu in runs)
            per_rule[n] = best / n
            print(
                f"{n:>8} {best:>8.2f} {n / best:>9.0f} {peak / 2**20:>9.0f}"
                f" {(peak - base) / n:>7.0f} {best / n * 1e6:>8.1f} {cpu:>7.2f}"
            )
        if 10_000 in per_rule and max(per_rule) > 10_000:
            top = max(per_rule)
            print(f"cost per rule at {top} / at 10000: {per_rule[top] / per_rule[10_000]:.2f}x")
        project = generate(Path(tmp) / "pairs", a.pairs_size)
        fast, slow = pairs_speedup(project)
        print(
            f"pair checks at {a.pairs_size} rules: indexed {fast:.3f} s, all-pairs "
            f"{slow:.2f} s, {slow / fast:.0f}x"
        )


if __name__ == "__main__":
    main()
