"""Where the time of one `validate` goes: load, bind, graph, analyse, in one process.

    .venv/bin/python bench/phases.py PROJECT [--repeat 1] [--profile OUT.prof]

Import time is printed first (the package imports of a cold `policykit validate`);
then each stage of :func:`policykit.api.validate_project`, run the way it runs there
(with the cyclic collector paused over the whole bulk, as the API does).
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
    import policykit.api
    import policykit.cli
    from policykit.analyze import analyze
    from policykit.graph.objective import ObjectiveGraph
    from policykit.load.project import load_sources
    from policykit.schema.workspace import bind

    print(f"import   {time.perf_counter() - t0:6.3f} s")

    def once() -> None:
        with policykit.api.bulk():
            t = time.perf_counter()
            sources, _ = load_sources(a.project)
            t1 = time.perf_counter()
            assert sources is not None
            workspace, diags = bind(sources)
            t2 = time.perf_counter()
            assert workspace is not None, diags[:3]
            graph = ObjectiveGraph(workspace)
            t3 = time.perf_counter()
            found = analyze(graph)
            t4 = time.perf_counter()
        print(
            f"load {t1 - t:6.3f}  bind {t2 - t1:6.3f}  graph {t3 - t2:6.3f}  "
            f"analyze {t4 - t3:6.3f}  total {t4 - t:6.3f} s  ({len(found)} findings)"
        )

    if a.profile is not None:
        import cProfile

        cProfile.runctx("once()", globals(), {"once": once}, str(a.profile))
        return
    for _ in range(a.repeat):
        once()


if __name__ == "__main__":
    main()
