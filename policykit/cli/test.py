"""``policykit test``: check a project against its Test files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from policykit.cli.common import EXIT_FINDINGS, EXIT_OK, console

if TYPE_CHECKING:
    from policykit.testing import TestRun


@click.command("test")
@click.argument("project", type=click.Path(exists=True, path_type=Path))
@click.argument(
    "test_files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "junit"]),
    default="text",
    show_default=True,
    help="Output format (junit: JUnit XML for CI).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report here (atomically) instead of stdout.",
)
def test_command(project: Path, test_files: tuple[Path, ...], fmt: str, output: Path | None) -> int:
    """Run the tests of PROJECT: the TEST_FILES given, else those its tests: list names.

    Exit status: 0 every test passed, 1 a test failed or a test file has errors,
    2 usage error (no tests at all).
    """
    from policykit.cli import render
    from policykit.testing import run_tests
    from policykit.util.output import write_atomic

    run = run_tests(project, test_files)
    if not run.results and not run.diagnostics:
        raise click.UsageError(
            "no tests: list test files under tests: in the project file, or give them "
            "after the project"
        )
    if run.diagnostics:
        render.render_text(console(err=True), run.diagnostics)
    text = junit_xml(run) if fmt == "junit" else None
    if text is not None:
        if output is None:
            click.echo(text, nl=False)
        else:
            write_atomic(output, text)
    else:
        report = _text(run)
        if output is None:
            click.echo(report, nl=False)
        else:
            write_atomic(output, report)
    return EXIT_OK if run.ok else EXIT_FINDINGS


def _text(run: TestRun) -> str:
    lines = []
    for r in run.results:
        if r.passed:
            lines.append(f"PASS {r.name}")
        else:
            lines.append(f"FAIL {r.name}")
            lines.append(f"  --> {r.location}")
            lines += [f"  {f.describe()}" for f in r.failures]
    c = run.coverage
    if c is not None:
        tested_b = len(c.behaviors) - len(c.untested_behaviors)
        tested_r = len(c.rules) - len(c.untested_rules) - len(c.untested_std_rules)
        lines.append("")
        lines.append(
            f"coverage: {tested_b} of {len(c.behaviors)} behaviors, "
            f"{tested_r} of {len(c.rules)} rules touched by a test"
        )
        if c.untested_behaviors:
            lines.append("  behaviors no test touches: " + ", ".join(c.untested_behaviors))
        if c.untested_rules:
            lines.append("  rules no test touches: " + ", ".join(c.untested_rules))
        if c.untested_std_rules:
            lines.append(
                f"  and {len(c.untested_std_rules)} standard-library rules no test touches"
            )
    passed = sum(r.passed for r in run.results)
    failed = len(run.results) - passed
    errors = len(run.diagnostics)
    lines.append("")
    closing = f"{passed} passed, {failed} failed"
    if errors:
        closing += f", {errors} error{'s' * (errors != 1)} in the test files"
    lines.append(closing)
    return "\n".join(lines) + "\n"


def junit_xml(run: TestRun) -> str:
    """The run as JUnit XML: a suite per test file, a case per test, a failure per
    failing test (its location and every failed assertion), and an error case per
    problem in the test files."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="policykit test")
    by_file: dict[str, list[object]] = {f: [] for f in run.files}
    for r in run.results:
        by_file.setdefault(r.file, []).append(r)
    for d in run.diagnostics:
        by_file.setdefault(d.file, []).append(d)
    total = failures = errors = 0
    from policykit.diagnostics import Diagnostic
    from policykit.testing import TestResult

    for file, items in by_file.items():
        results = [i for i in items if isinstance(i, TestResult)]
        problems = [i for i in items if isinstance(i, Diagnostic)]
        failed = sum(not r.passed for r in results)
        name = results[0].suite if results else file
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            file=file,
            tests=str(len(results) + len(problems)),
            failures=str(failed),
            errors=str(len(problems)),
        )
        for r in results:
            case = ET.SubElement(
                suite, "testcase", name=r.name, classname=name, file=r.file, line=str(r.line)
            )
            if not r.passed:
                failure = ET.SubElement(case, "failure", message=r.failures[0].describe())
                failure.text = "\n".join([r.location, *(f.describe() for f in r.failures)])
        for d in problems:
            case = ET.SubElement(
                suite, "testcase", name=f"{d.code} {d.location}", classname=name, file=d.file
            )
            error = ET.SubElement(case, "error", message=d.message, type=d.code)
            error.text = f"{d.location}: {d.message}" + (f" ({d.hint})" if d.hint else "")
        total += len(results) + len(problems)
        failures += failed
        errors += len(problems)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"
