"""Where the time of one `validate` goes: load, bind, graph, analyse, render.

    .venv/bin/python bench/phases.py PROJECT [--repeat 1] [--profile OUT.prof]

Import time is printed first (the package imports of a cold `policykit validate`);
then each stage of :func:`policykit.pipeline.validate_project`, run the way it runs there
(with the cyclic collector paused and a forked helper allowed, as the CLI asks), and the JSON
report `policykit validate --format json` writes, as wall and CPU seconds of this
process (the CPU of a forked reader or analysis child is not counted: on an idle
machine, wall is the measure; on a busy one, CPU is the steadier one).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("project", type=Path)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--profile", type=Path, default=None)
    a = p.parse_args()

    t0 = time.perf_counter()
    import policykit.cli
    import policykit.pipeline
    import policykit.util.tuning
    from policykit.analyze import analyze
    from policykit.cli import render
    from policykit.diagnostics import sort_diagnostics
    from policykit.graph.objective import ObjectiveGraph
    from policykit.load.project import load_sources
    from policykit.schema.workspace import bind

    print(f"import   {time.perf_counter() - t0:6.3f} s")

    def once() -> None:
        marks = [(time.perf_counter(), time.process_time())]
        with policykit.util.tuning.bulk():
            sources, _ = load_sources(a.project, fork=True)
            marks.append((time.perf_counter(), time.process_time()))
            assert sources is not None
            workspace, diags = bind(sources)
            marks.append((time.perf_counter(), time.process_time()))
            assert workspace is not None, diags[:3]
            graph = ObjectiveGraph(workspace)
            marks.append((time.perf_counter(), time.process_time()))
            found = analyze(graph, policykit.util.tuning.FAST).diagnostics
            marks.append((time.perf_counter(), time.process_time()))
            files = 1 + len(sources.catalogs) + len(sources.policies)
            size = sum(map(len, render.iter_json(sort_diagnostics(found), files)))
            marks.append((time.perf_counter(), time.process_time()))
        steps = zip(("load", "bind", "graph", "analyze", "render"), marks, marks[1:], strict=False)
        print(
            "  ".join(f"{name} {b[0] - a[0]:6.3f}/{b[1] - a[1]:.3f}" for name, a, b in steps)
            + f"  total {marks[-1][0] - marks[0][0]:6.3f}/{marks[-1][1] - marks[0][1]:.3f}"
            + f" s wall/cpu ({len(found)} findings, {size / 2**20:.1f} MiB of JSON)"
        )

    if a.profile is not None:
        import cProfile

        cProfile.runctx("once()", globals(), {"once": once}, str(a.profile))
        return
    for _ in range(a.repeat):
        once()


if __name__ == "__main__":
    main()
