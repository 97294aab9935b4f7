"""How the cost of hostile inputs grows with their size: issue #14's shapes.

    .venv/bin/python bench/adversarial.py [--shapes cells soft_pairs ...] [--timeout 120]
        [--max-exponent 1.3] [--keep DIR]

Each shape is a project that passes every YAML and schema check, generated at three
sizes (the largest under 1 MB). Each size is run as ``policykit validate``, ``compile``
or ``export`` in a fresh process, which times the command itself (imports excluded) and
reports its peak memory. Printed per shape: the sizes, seconds and MB, and the growth
exponent of the time: the largest ``log(t2 / t1) / log(n2 / n1)`` between consecutive
sizes (times below the 0.5 s noise floor count as 0.5 s, so a shape whose cost stays
flat shows as ~0). Exits 1 when any shape grows faster than ``--max-exponent``
(1.3), or runs past ``--timeout`` seconds, or past the goal (validate 2 s, compile 10 s,
1 GB), on any size.

The baseline every ratio is measured against is the smallest size of the same shape,
in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from policykit.schema import models  # noqa: E402

_HAS_LIMITS = hasattr(models, "Limits")
FLOOR = 0.5
GOAL = {"validate": 2.0, "compile": 10.0, "export": 10.0}
GOAL_MB = 1024

Files = dict[str, str]


def _dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=2**20)


def _project(catalogs: list[str], policies: list[tuple[str, str]], **extra: object) -> str:
    if not _HAS_LIMITS:  # measuring a policykit from before the caps: it has no limits:
        extra.pop("limits", None)
    return _dump(
        {
            "apiVersion": "policykit/v1",
            "kind": "Project",
            "metadata": {"name": "adversarial"},
            "deployment": {"description": "A hostile user's preferences."},
            "catalogs": catalogs,
            "policies": [
                {"path": p, "stakeholder": s, **({"on_violation": "drop"} if s == "user" else {})}
                for p, s in policies
            ],
            **extra,
        }
    )


def _catalog(dims: dict[str, int], behaviors: list[dict[str, object]]) -> str:
    return _dump(
        {
            "apiVersion": "policykit/v1",
            "kind": "Catalog",
            "metadata": {"name": "adv"},
            "dimensions": [
                {"id": d, "values": [f"v{i}" for i in range(n)], "default": "v0"}
                for d, n in dims.items()
            ],
            "behaviors": behaviors,
        }
    )


def _behavior(name: str, outcomes: int = 2) -> dict[str, object]:
    ids = [f"o{i}" for i in range(outcomes)]
    p = round(1.0 / outcomes, 12)
    default = {o: p for o in ids}
    default[ids[0]] = round(1.0 - p * (outcomes - 1), 12)
    return {
        "id": name,
        "description": "A behavior.",
        "property": "helpful",
        "outcomes": {o: {"description": o, "exemplars": [o]} for o in ids},
        "default": default,
        "probes": ["Say something."],
    }


def _policy(stakeholder: str, rules: list[dict[str, object]], **extra: object) -> str:
    return _dump(
        {
            "apiVersion": "policykit/v1",
            "kind": "Policy",
            "metadata": {"name": f"{stakeholder}-prefs", "stakeholder": stakeholder},
            "rules": rules,
            **extra,
        }
    )


def _user_project(
    dims: dict[str, int], behaviors: list[dict[str, object]], rules: list[dict[str, object]]
) -> Files:
    return {
        "policykit.yaml": _project(["catalog.yaml"], [("user.yaml", "user")]),
        "catalog.yaml": _catalog(dims, behaviors),
        "user.yaml": _policy("user", rules),
    }


def cells(n: int) -> Files:
    """n user rules, one per value of six dimensions: (n/6 + 1)^6 cells in one behavior."""
    per = n // 6
    rules = [
        {"id": f"r{d}-{v}", "behavior": "b", "when": {f"d{d}": [f"v{v}"]}, "prefer": "o1"}
        for d in range(6)
        for v in range(1, per + 1)
    ]
    return _user_project({f"d{d}": per + 1 for d in range(6)}, [_behavior("b")], rules)


def cells_total(n: int) -> Files:
    """n behaviors, each cut into 4^6 = 4,096 cells by 18 user rules."""
    rules = [
        {"id": f"r{b}-{d}-{v}", "behavior": f"b{b}", "when": {f"d{d}": [f"v{v}"]}, "prefer": "o1"}
        for b in range(n)
        for d in range(6)
        for v in range(1, 4)
    ]
    behaviors = [_behavior(f"b{b}") for b in range(n)]
    return _user_project({f"d{d}": 4 for d in range(6)}, behaviors, rules)


def soft_pairs(n: int) -> Files:
    """n soft targets on one behavior, half the deployer's and half the user's, each
    a different distribution, all everywhere."""
    files = _user_project({"d": 2}, [_behavior("b")], [])

    def rules(who: str, start: int) -> list[dict[str, object]]:
        out = []
        for i in range(start, n, 2):
            p = round((i + 1) / (n + 2), 9)
            out.append({"id": f"{who}-{i}", "behavior": "b", "target": {"o0": p, "o1": 1 - p}})
        return out

    files["user.yaml"] = _policy("user", rules("u", 1))
    files["deployer.yaml"] = _policy("deployer", rules("d", 0))
    files["policykit.yaml"] = _project(
        ["catalog.yaml"], [("deployer.yaml", "deployer"), ("user.yaml", "user")]
    )
    return files


def grants(n: int) -> Files:
    """A behavior with a grant and n rules: deployer bounds adjustable by the user,
    user targets inside them, scattered scopes."""
    files = soft_pairs(0)
    dep, usr = [], []
    for i in range(n // 2):
        when = {"d": [f"v{i % 8}"], "e": [f"v{(i * 3) % 8}"]}
        dep.append(
            {
                "id": f"d{i}",
                "behavior": "b",
                "when": when,
                "bounds": {"o1": {"max": 0.5 + (i % 40) / 100}},
                "adjustable_by": ["user"],
                "within": {"o1": {"max": 0.95}},
            }
        )
        usr.append(
            {
                "id": f"u{i}",
                "behavior": "b",
                "when": when,
                "target": {
                    "o0": round(0.3 + (i % 50) / 100, 6),
                    "o1": round(0.7 - (i % 50) / 100, 6),
                },
            }
        )
    files["catalog.yaml"] = _catalog({"d": 8, "e": 8}, [_behavior("b")])
    grant = {"behavior": "b", "to": ["user"], "within": {"o1": {"max": 0.9}}}
    files["deployer.yaml"] = _policy("deployer", dep, grants=[grant])
    files["user.yaml"] = _policy("user", usr)
    return files


def shadow(n: int) -> Files:
    """n user rules with scattered scopes against the standard developer and society
    baselines (PK412: is each rule's scope covered by the rules that override it?)."""
    rules = []
    for i in range(n):
        rules.append(
            {
                "id": f"u{i}",
                "behavior": "cbrn_weapons_uplift",
                "when": {
                    "audience": ["adult", "minor"][: 1 + i % 2],
                    "domain": [d for j, d in enumerate(DOMAINS) if (i >> j) & 1 or j == i % 8],
                    "region": [r for j, r in enumerate(REGIONS) if (i + j) % 3],
                },
                "require": "comply",
            }
        )
    return {
        "policykit.yaml": _project(
            ["std:core/catalog.yaml"],
            [
                ("std:developer/baseline.yaml", "developer"),
                ("std:society/baseline.yaml", "society"),
                ("user.yaml", "user"),
            ],
        ),
        "user.yaml": _policy("user", rules),
    }


DOMAINS: list[str] = []
REGIONS: list[str] = []


def _std_values() -> None:
    catalog = yaml.safe_load((ROOT / "policies" / "core" / "catalog.yaml").read_text())
    values = {d["id"]: d["values"] for d in catalog["dimensions"]}
    DOMAINS[:] = values["domain"]
    REGIONS[:] = values["region"]


def typos(n: int) -> Files:
    """n rules, each naming a value that is not one of a 1,000-value dimension's."""
    rules = [
        {"id": f"r{i}", "behavior": "b", "when": {"d": [f"v{i}x"]}, "prefer": "o1"}
        for i in range(n)
    ]
    return _user_project({"d": 1000}, [_behavior("b")], rules)


def out_of_range(n: int) -> Files:
    """n rules with a weight out of range (PK205 each)."""
    rules = [{"id": f"r{i}", "behavior": "b", "prefer": "o1", "weight": 5} for i in range(n)]
    return _user_project({"d": 2}, [_behavior("b")], rules)


def unknown_keys(n: int) -> Files:
    """One rule with n unknown keys (PK201 each)."""
    rule: dict[str, object] = {"id": "r", "behavior": "b", "prefer": "o1"}
    rule.update({f"k{i}": i for i in range(n)})
    return _user_project({"d": 2}, [_behavior("b")], [rule])


def when_lists(n: int) -> Files:
    """One rule whose `when` list repeats a dimension's values n times over."""
    values = [f"v{i % 1000}" for i in range(n)]
    rule = {"id": "r", "behavior": "b", "when": {"d": values}, "prefer": "o1"}
    return _user_project({"d": 1000}, [_behavior("b")], [rule])


def partition(n: int) -> Files:
    """n rules on one behavior, each with its own set of values of a 1,000-value
    dimension: the cell partition refines n value sets."""
    rules = [
        {
            "id": f"r{i}",
            "behavior": "b",
            "when": {"d": [f"v{(i * 7 + j) % 1000}" for j in range(5)]},
            "prefer": "o1",
        }
        for i in range(n)
    ]
    return _user_project({"d": 1000}, [_behavior("b")], rules)


def outcomes(n: int) -> Files:
    """One behavior with n outcomes, resolved by maxmin from two soft targets."""
    files = _user_project({"d": 2}, [_behavior("b", n)], [])
    ids = [f"o{i}" for i in range(n)]
    first = {o: round(1.0 / n, 12) for o in ids}
    first[ids[0]] = round(1.0 - sum(first[o] for o in ids[1:]), 12)
    second = {ids[0]: 0.5, ids[1]: 0.5}
    files["user.yaml"] = _policy("user", [{"id": "u", "behavior": "b", "target": first}])
    files["deployer.yaml"] = _policy("deployer", [{"id": "d", "behavior": "b", "target": second}])
    files["policykit.yaml"] = _project(
        ["catalog.yaml"],
        [("deployer.yaml", "deployer"), ("user.yaml", "user")],
        strategy="maxmin",
    )
    return files


def export_cases(n: int) -> Files:
    """A behavior cut into n cells (one rule per value but the first of two dimensions,
    of n/4 and 4 values) with 20 probes: its export has 20n cases. The project file
    raises the cell caps, so the case cap is what bounds the export."""
    rules = [
        {"id": f"r{d}{v}", "behavior": "b", "when": {d: [f"v{v}"]}, "prefer": "o1"}
        for d, count in (("d", n // 4), ("e", 4))
        for v in range(1, count)
    ]
    behavior = _behavior("b")
    behavior["probes"] = [f"Question {i} for {{d}}." for i in range(20)]
    files = _user_project({"d": n // 4, "e": 4}, [behavior], rules)
    files["policykit.yaml"] = _project(
        ["catalog.yaml"],
        [("user.yaml", "user")],
        limits={"max_cells": 100_000, "max_cells_per_behavior": 100_000},
    )
    return files


SHAPES: dict[str, tuple[Callable[[int], Files], str, tuple[int, int, int]]] = {
    "cells": (cells, "compile", (18, 30, 42)),
    "cells_total": (cells_total, "compile", (2, 4, 8)),
    "soft_pairs": (soft_pairs, "validate", (500, 1000, 2000)),
    "grants": (grants, "validate", (250, 500, 1000)),
    "shadow": (shadow, "validate", (4, 16, 64)),
    "typos": (typos, "validate", (250, 500, 1000)),
    "out_of_range": (out_of_range, "validate", (1000, 2000, 4000)),
    "unknown_keys": (unknown_keys, "validate", (2000, 4000, 8000)),
    "when_lists": (when_lists, "validate", (25_000, 50_000, 100_000)),
    "partition": (partition, "compile", (250, 500, 1000)),
    "outcomes": (outcomes, "compile", (25, 50, 100)),
    "export_cases": (export_cases, "export", (1000, 2000, 4000)),
}

# Runs one command in this fresh process: its own time and peak memory, as JSON.
RUNNER = textwrap.dedent(
    """
    import json, resource, sys, time
    from policykit.cli import main
    argv = sys.argv[1:]
    start = time.perf_counter()
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"status": status, "seconds": seconds, "mb": peak}), file=sys.__stderr__)
    """
)


def _argv(command: str, folder: Path) -> list[str]:
    if command == "validate":
        return ["validate", str(folder), "--format", "json"]
    if command == "compile":
        return ["compile", str(folder), "-o", str(folder / "spec.json")]
    return ["export", str(folder / "spec.json"), "--to", "jsonl", "-o", str(folder / "out")]


def run_one(command: str, folder: Path, timeout: float) -> dict[str, float | int | None]:
    if command == "export":  # the spec is compiled first, outside the measurement
        subprocess.run(
            [sys.executable, "-m", "policykit", *_argv("compile", folder)],
            capture_output=True,
            timeout=timeout,
            check=False,
            env=_env(),
        )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, *_argv(command, folder)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=_env(),
        )
    except subprocess.TimeoutExpired:
        return {"status": None, "seconds": math.inf, "mb": math.nan}
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "{}"
    try:
        result: dict[str, float | int | None] = json.loads(last)
    except json.JSONDecodeError:
        return {"status": proc.returncode, "seconds": math.nan, "mb": math.nan}
    return result


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def exponent(sizes: tuple[int, ...], seconds: list[float]) -> float:
    """The steepest growth between consecutive sizes: a cap that cuts the cost at the
    largest size must not hide how fast it grew below it."""
    steepest = -math.inf
    for (n1, t1), (n2, t2) in itertools.pairwise(zip(sizes, seconds, strict=True)):
        if math.isinf(t2) or math.isnan(t2):
            return math.inf
        steepest = max(steepest, math.log(max(t2, FLOOR) / max(t1, FLOOR)) / math.log(n2 / n1))
    return steepest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="*", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--max-exponent", type=float, default=1.3)
    parser.add_argument("--keep", type=Path, help="Keep the generated projects here.")
    args = parser.parse_args()
    _std_values()
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        print(
            f"{'shape':<13} {'command':<8} {'size':>8} {'bytes':>9} {'exit':>4} "
            f"{'seconds':>8} {'MB':>7}"
        )
        for name in args.shapes:
            make, command, sizes = SHAPES[name]
            seconds = []
            over_goal = False
            for n in sizes:
                folder = base / f"{name}-{n}"
                folder.mkdir(parents=True, exist_ok=True)
                files = make(n)
                for rel, text in files.items():
                    (folder / rel).write_text(text, encoding="utf-8")
                size = sum(len(t.encode()) for t in files.values())
                r = run_one(command, folder, args.timeout)
                t = float(r["seconds"]) if r["seconds"] is not None else math.nan
                mb = float(r["mb"]) if r["mb"] is not None else math.nan
                seconds.append(t)
                over_goal |= (
                    not t <= GOAL[command] or (not math.isnan(mb) and mb > GOAL_MB)
                ) and size < 1 << 20
                shown = ">timeout" if math.isinf(t) else f"{t:8.2f}"
                print(
                    f"{name:<13} {command:<8} {n:>8} {size:>9} {r['status']!s:>4} "
                    f"{shown:>8} {mb:7.0f}",
                    flush=True,
                )
            e = exponent(sizes, seconds)
            verdict = "ok" if e <= args.max_exponent and not over_goal else "FAIL"
            if verdict == "FAIL":
                failed.append(name)
            goal = "; over the goal" if over_goal else ""
            print(f"{name:<13} growth exponent {e:.2f} ({verdict}{goal})\n", flush=True)
    print("all shapes ok" if not failed else f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
