"""The import rules of DESIGN.md's layout, and where the process-level tricks may live,
checked on the source so that a new import or a second fork shows up in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "policykit"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _importers(files: list[Path], prefix: str) -> list[str]:
    return sorted(
        str(f.relative_to(REPO))
        for f in files
        if any(m == prefix or m.startswith(prefix + ".") for m in _imports(f))
    )


@pytest.mark.parametrize(
    ("stage", "below"),
    [
        ("resolve", "policykit.analyze"),
        ("graph", "policykit.analyze"),
        ("graph", "policykit.resolve"),
        ("util", "policykit.analyze"),
        ("load", "policykit.schema"),
    ],
)
def test_a_stage_does_not_import_a_later_one(stage: str, below: str) -> None:
    assert _importers(sorted((PACKAGE / stage).rglob("*.py")), below) == []


def test_nothing_below_the_cli_imports_it() -> None:
    # ``python -m policykit`` is the command line's own entry point
    files = [
        f
        for f in PACKAGE.rglob("*.py")
        if "cli" not in f.relative_to(PACKAGE).parts and f != PACKAGE / "__main__.py"
    ]
    assert _importers(files, "policykit.cli") == []


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("stage", ["evaluate", "export"])
def test_no_import_cycle_inside_a_stage(stage: str) -> None:
    """Protocols and types in one module that the plugins import, the registry in
    another that imports the plugins (pre-commit's lang_base and all_languages)."""
    import networkx as nx

    files = sorted((PACKAGE / stage).rglob("*.py"))
    modules = {_module(f): f for f in files}
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for imported in _imports(path):
            if imported in modules and imported != name and imported != f"policykit.{stage}":
                graph.add_edge(name, imported)
    assert list(nx.simple_cycles(graph)) == []


def test_bench_does_not_import_the_tests() -> None:
    assert _importers(sorted((REPO / "bench").glob("*.py")), "tests") == []


@pytest.mark.parametrize(
    "engine", ["policykit.analyze", "policykit.graph.numbers", "policykit.graph.permissions"]
)
def test_the_reference_does_not_import_the_engine_it_checks(engine: str) -> None:
    """The pair checks, the arithmetic they stand on and the permissions are restated
    in the reference; only the graph (its input) is shared."""
    reference = REPO / "tests" / "analyze" / "reference.py"
    assert _importers([reference], engine) == []


@pytest.mark.parametrize(
    ("text", "home"),
    [
        ("os.fork(", "policykit/util/fork.py"),
        ('"/proc/loadavg"', "policykit/util/fork.py"),
        ("gc.disable(", "policykit/util/tuning.py"),
        ("gc.freeze(", "policykit/util/tuning.py"),
    ],
)
def test_process_level_tricks_live_in_one_place(text: str, home: str) -> None:
    found = sorted(
        str(f.relative_to(REPO))
        for f in PACKAGE.rglob("*.py")
        if text in f.read_text(encoding="utf-8")
    )
    assert found == [home]


COMPILER = ("policykit.load", "policykit.schema", "policykit.analyze", "policykit.resolve")


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["query", "{spec}", "--behavior", "tone"],
        ["query", "{spec}", "--format", "json"],
    ],
)
def test_reading_a_spec_does_not_import_the_compiler(argv: list[str], tmp_path: Path) -> None:
    import subprocess
    import sys

    from policykit.pipeline import compile_project
    from policykit.spec.artifact import dumps

    spec = tmp_path / "spec.json"
    compiled = compile_project(REPO / "examples" / "health_assistant").spec
    assert compiled is not None
    spec.write_text(dumps(compiled), encoding="utf-8")
    args = [a.replace("{spec}", str(spec)) for a in argv]
    script = (
        "import sys\nfrom policykit.cli import main\n"
        f"status = main({args!r})\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({COMPILER!r}))\n"
        "print(loaded, file=sys.stderr)\nsys.exit(status)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"
