"""A shaped context space and extensible catalogs (issue #12)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.semantics import helpers as h
from tests.semantics import k12

GENERAL = "a member of the general public (age and role unknown)"
MINOR = "a minor (under 18)"
ADULT = "a verified adult (18 or over)"
GLOBAL = "no specific jurisdiction"
ALLOWED = {"audience": {"minor", "general"}, "region": {"us"}}

CATALOG = """\
apiVersion: policykit/v1
kind: Catalog
metadata:
  name: k12
dimensions:
  - id: grade_band
    values: [k2, g3_5, g6_8, g9_12]
    default: g6_8
    labels:
      k2: kindergarten to grade 2
      g3_5: grades 3 to 5
      g6_8: grades 6 to 8
      g9_12: grades 9 to 12
"""

CONTEXT = """\
context:
  dimensions:
    audience: {values: [minor, general], default: minor}
    region:   {values: [us]}
  exclude:
    - {grade_band: k2, audience: general}
"""

DISTRICT = k12.policy(
    "district",
    k12.rule("district-no-explicit", "sexual_content", "forbid: explicit"),
    k12.rule(
        "district-young-refuse",
        "profanity",
        "when: {grade_band: [k2, g3_5]}\nforbid: use_freely",
    ),
)


def _project(root: Path, context: str = CONTEXT, **files: str) -> Path:
    project = k12.PROJECT.replace(
        "catalogs: [std:core/catalog.yaml]", "catalogs: [std:core/catalog.yaml, catalog.yaml]"
    )
    return h.write_files(
        root,
        {
            **k12.FILES,
            "policykit.yaml": project + context,
            "catalog.yaml": CATALOG,
            "policies/district.yaml": DISTRICT,
            **files,
        },
    )


def _allowed(ctx: dict[str, str]) -> bool:
    if any(ctx.get(d) is not None and ctx[d] not in vs for d, vs in ALLOWED.items()):
        return False
    return not (ctx.get("grade_band") == "k2" and ctx.get("audience") == "general")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("k12")
    path = _project(root)
    spec, diags = h.compiled(path)
    assert spec is not None, [f"{d.location} {d.message}" for d in h.errors(diags)]
    out = root / "spec.json"
    out.write_text(h.spec_bytes(spec), encoding="utf-8")
    return out, spec


def test_the_issues_context_block_validates(tmp_path: Path) -> None:
    code, out, err = h.cli("validate", str(_project(tmp_path)))
    assert code == 0, out + err


def test_dimensions_are_restricted_and_the_default_overridden(compiled: tuple[Path, Any]) -> None:
    _, spec = compiled
    dims = {d.id: d for d in spec.dimensions}
    assert set(dims["audience"].values) == {"minor", "general"}
    assert dims["audience"].default == "minor"
    assert list(dims["region"].values) == ["us"]
    assert dims["region"].default == "us"
    assert set(dims["grade_band"].values) == {"k2", "g3_5", "g6_8", "g9_12"}


def test_every_cell_lies_in_the_allowed_space(compiled: tuple[Path, Any]) -> None:
    _, spec = compiled
    dims = {d.id: list(d.values) for d in spec.dimensions}
    for b in spec.behaviors:
        for cell in b.cells:
            for d, vs in cell.when.items():
                if d in ALLOWED:
                    assert set(vs) <= ALLOWED[d], (b.id, cell.when)
            names = list(dims)
            choices = [cell.when.get(n, dims[n]) for n in names]
            assert any(
                _allowed(dict(zip(names, combo, strict=True)))
                for combo in itertools.product(*choices)
            ), (b.id, cell.when)


def _cases(spec_path: Path) -> list[dict[str, Any]]:
    code, out, err = h.cli("cases", str(spec_path))
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_cases_cover_only_the_allowed_space(compiled: tuple[Path, Any]) -> None:
    cases = _cases(compiled[0])
    assert cases
    for case in cases:
        assert _allowed(case["context"]), case["context"]


def test_cases_describe_the_overridden_default(compiled: tuple[Path, Any]) -> None:
    cases = _cases(compiled[0])
    texts = [(case["context"], json.dumps(case["messages"], ensure_ascii=False)) for case in cases]
    assert any(MINOR in text for _, text in texts)
    for context, text in texts:
        assert ADULT not in text and GLOBAL not in text
        if context.get("audience") != "general":
            assert GENERAL not in text, context


def test_exports_cover_only_the_allowed_space(compiled: tuple[Path, Any], tmp_path: Path) -> None:
    code, _, err = h.cli("export", str(compiled[0]), "--to", "jsonl", "-o", str(tmp_path / "out"))
    assert code == 0, err
    text = "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*") if p.is_file()
    )
    assert MINOR in text
    assert ADULT not in text and GLOBAL not in text


def test_queries_inside_the_space_answer(compiled: tuple[Path, Any]) -> None:
    code, out, err = h.cli(
        "query",
        str(compiled[0]),
        "--behavior",
        "profanity",
        "--context",
        "grade_band=k2",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)


@pytest.mark.parametrize(
    "context",
    [
        ["audience=adult"],  # restricted away
        ["region=eu"],
        ["grade_band=k2", "audience=general"],  # excluded
    ],
    ids=["restricted-audience", "restricted-region", "excluded"],
)
def test_a_query_outside_the_space_is_a_clear_error(
    compiled: tuple[Path, Any], context: list[str]
) -> None:
    args = [a for c in context for a in ("--context", c)]
    code, out, err = h.cli("query", str(compiled[0]), "--behavior", "profanity", *args)
    assert code not in (0, 3)
    assert "Traceback" not in out + err
    message = out + err
    assert any(c.split("=")[1] in message for c in context), message


@pytest.mark.parametrize(
    "when",
    ["{grade_band: [k2], audience: [general]}", "{audience: [adult]}"],
    ids=["excluded-combination", "restricted-value"],
)
def test_a_rule_selecting_only_excluded_contexts_is_reported(tmp_path: Path, when: str) -> None:
    district = k12.policy(
        "district",
        k12.rule("district-no-explicit", "sexual_content", "forbid: explicit"),
        k12.rule("district-nowhere", "profanity", f"when: {when}\nforbid: use_freely"),
    )
    path = _project(tmp_path, **{"policies/district.yaml": district})
    found = [
        d
        for d in h.validate_project_diagnostics(path)
        if Path(d.file).name == "district.yaml" and d.severity.rank >= 1
    ]
    assert found, "a rule that can never apply is not reported"
    lines = (tmp_path / "policies" / "district.yaml").read_text(encoding="utf-8").splitlines()
    rule_line = next(i for i, line in enumerate(lines, 1) if "district-nowhere" in line)
    assert any(d.line >= rule_line for d in found)


# -- extending a standard behavior -----------------------------------------------------

EDUCATIONAL = {
    "description": "Explains the biology or health facts at the learner's level.",
    "exemplars": ["Here is how the reproductive system works, in plain terms:"],
}
DEFAULT = {"refuse": 0.1, "fade_to_black": 0.2, "explicit": 0.0, "educational": 0.7}


def _shapes(behavior: str, body: dict[str, Any]) -> list[tuple[str, Any]]:
    """The ways a catalog might say "extend BEHAVIOR with BODY": the issue names the
    feature, not its syntax, so each is tried and the one the project accepts is used.
    Each is (catalog key, value)."""
    return [
        ("extend", [{"behavior": behavior, **body}]),
        ("extend", [{"id": behavior, **body}]),
        ("extend", {behavior: body}),
        ("behaviors", [{"extend": behavior, **body}]),
        ("behaviors", [{"id": behavior, "extend": True, **body}]),
    ]


def _extension_shapes(default: dict[str, float] | None) -> list[tuple[str, Any]]:
    body: dict[str, Any] = {"outcomes": {"educational": EDUCATIONAL}}
    if default is not None:
        body["default"] = default
    return _shapes("sexual_content", body)


def _extended(root: Path, extend: tuple[str, Any], extra_rule: str = "") -> Path:
    catalog = yaml.safe_load(CATALOG)
    catalog[extend[0]] = extend[1]
    district = k12.policy(
        "district",
        k12.rule("district-no-explicit", "sexual_content", "forbid: explicit"),
        *([extra_rule] if extra_rule else []),
    )
    return _project(
        root,
        **{
            "catalog.yaml": yaml.safe_dump(catalog, sort_keys=False),
            "policies/district.yaml": district,
        },
    )


SEX_ED = k12.rule("district-teach", "sexual_content", "when: {domain: [education]}\nforbid: refuse")


def _working_extension(tmp_path: Path) -> tuple[Path, Any]:
    tried = []
    for i, shape in enumerate(_extension_shapes(DEFAULT)):
        path = _extended(tmp_path / f"shape{i}", shape, SEX_ED)
        errs = h.validate_errors(path)
        if not errs:
            return path, shape
        tried.append([d.message for d in errs])
    raise AssertionError(f"no form of `extend:` adds an outcome to a standard behavior: {tried}")


def test_an_extension_adds_an_outcome_to_a_standard_behavior(tmp_path: Path) -> None:
    path, _ = _working_extension(tmp_path)
    spec, diags = h.compiled(path)
    assert spec is not None, [d.message for d in h.errors(diags)]
    b = next(x for x in spec.behaviors if x.id == "sexual_content")
    assert set(b.outcomes) == {"refuse", "fade_to_black", "explicit", "educational"}
    assert abs(b.default["educational"] - 0.7) <= 1e-9
    got = h.cell_values(spec, "sexual_content", domain="education")
    assert got["refuse"] <= 1e-6 and got["explicit"] <= 1e-6
    assert got["educational"] >= 0.5, got


def test_an_extension_replaces_a_default_and_adds_probes(tmp_path: Path) -> None:
    _, shape = _working_extension(tmp_path / "ok")
    index = _extension_shapes(DEFAULT).index(shape)
    body = {
        "default": {"avoid": 0.9, "mirror_user": 0.1, "use_freely": 0.0},
        "probes": ["Can you swear for my school play script?"],
    }
    path = _extended(tmp_path / "p", _shapes("profanity", body)[index])
    assert h.validate_errors(path) == []
    spec, _ = h.compiled(path)
    assert spec is not None
    b = next(x for x in spec.behaviors if x.id == "profanity")
    assert b.default == {"avoid": 0.9, "mirror_user": 0.1, "use_freely": 0.0}
    assert "Can you swear for my school play script?" in b.probes
    assert len(b.probes) > 1  # added to the standard probes, not replacing them


def test_adding_an_outcome_without_restating_the_default_names_both_files(tmp_path: Path) -> None:
    _, shape = _working_extension(tmp_path / "ok")
    index = _extension_shapes(DEFAULT).index(shape)
    path = _extended(tmp_path / "bad", _extension_shapes(None)[index])
    code, out, err = h.cli("validate", str(path))
    assert code == 1
    assert "Traceback" not in out + err
    errs = h.validate_errors(path)
    assert errs
    named = [
        " ".join([d.file, d.message, *(r.file + " " + r.message for r in d.related)]) for d in errs
    ]
    assert any("core" in n and str(tmp_path) in n for n in named), named


def test_redeclaring_a_standard_behavior_without_extending_it_names_both_files(
    tmp_path: Path,
) -> None:
    catalog = yaml.safe_load(CATALOG)
    catalog["behaviors"] = [
        h.behavior("sexual_content", ["refuse", "educational"], {"refuse": 0.5, "educational": 0.5})
    ]
    path = _project(tmp_path, **{"catalog.yaml": yaml.safe_dump(catalog, sort_keys=False)})
    errs = h.validate_errors(path)
    assert errs
    named = [
        " ".join([d.file, d.message, *(r.file + " " + r.message for r in d.related)]) for d in errs
    ]
    assert any(("core" in n and str(tmp_path) in n) or "catalog.yaml" in n for n in named), named
