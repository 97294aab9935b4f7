"""Named principals in the analysis and resolution: two user-kind stakeholders are two
parties (tension between them by name, each its own target in the pool), and
`adjustable_by: [parent]` empowers parents, not students."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from policykit.pipeline import compile_project, validate_project
from tests.minimal import CATALOG, write_tree

GOLDEN = Path(__file__).parents[1] / "projects" / "named-principals"

HEAD = """\
apiVersion: policykit/v1
kind: Project
metadata: {name: tutor}
deployment: {description: A homework tutor.}
catalogs: [catalog.yaml]
stakeholders:
  district: {kind: deployer, rank: 2}
  parent:   {kind: user, rank: 1, weight: 0.8}
  student:  {kind: user, rank: 1, weight: 0.6}
policies:
"""


def _policy(name: str, rules: str) -> str:
    return f"apiVersion: policykit/v1\nkind: Policy\nmetadata: {{name: {name}}}\nrules:\n{rules}"


def _write(root: Path, bindings: str, policies: dict[str, str]) -> Path:
    return write_tree(
        root, {"policykit.yaml": HEAD + bindings, "catalog.yaml": CATALOG, **policies}
    )


def test_tension_is_between_named_stakeholders(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "  - {path: p.yaml, stakeholder: parent}\n  - {path: s.yaml, stakeholder: student}\n",
        {
            "p.yaml": _policy("p", "  - {id: p, behavior: profanity, prefer: refuse}\n"),
            "s.yaml": _policy("s", "  - {id: s, behavior: profanity, prefer: comply}\n"),
        },
    )
    (d,) = validate_project(tmp_path).diagnostics
    assert d.code == "PK410"
    assert set(d.stakeholders) == {"parent", "student"}
    assert "student rule 's'" in d.message and "parent rule 'p'" in d.message


def test_two_users_are_two_parties_in_the_pool(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "  - {path: p.yaml, stakeholder: parent}\n  - {path: s.yaml, stakeholder: student}\n",
        {
            "p.yaml": _policy("p", "  - {id: p, behavior: profanity, prefer: refuse}\n"),
            "s.yaml": _policy("s", "  - {id: s, behavior: profanity, prefer: comply}\n"),
        },
    )
    spec = compile_project(tmp_path).spec
    assert spec is not None
    (cell,) = spec.behaviors[0].cells
    assert set(cell.stakeholders) == {"parent", "student"}
    assert cell.stakeholders["parent"].influence == 0.8
    assert cell.stakeholders["student"].influence == 0.6
    # the linear pool weighs them by their own weights: refuse 0.8 / 1.4
    assert math.isclose(cell.intended["refuse"], 0.8 / 1.4, abs_tol=1e-9)
    assert cell.kinds is not None
    assert cell.kinds["user"].stakeholders == ["parent", "student"]
    assert math.isclose(cell.kinds["user"].influence, 1.4)
    expected = (
        0.8 * cell.stakeholders["parent"].cost + 0.6 * cell.stakeholders["student"].cost
    ) / 1.4
    assert math.isclose(cell.kinds["user"].cost, expected, abs_tol=1e-9)
    assert spec.stakeholders["parent"].kind == "user"
    assert spec.stakeholders["user"].kind is None


def test_a_file_weight_scales_its_rules_within_the_stakeholder(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "  - {path: a.yaml, stakeholder: parent}\n"
        "  - {path: b.yaml, stakeholder: parent, weight: 0.25}\n",
        {
            "a.yaml": _policy("a", "  - {id: a, behavior: profanity, prefer: refuse}\n"),
            "b.yaml": _policy("b", "  - {id: b, behavior: profanity, prefer: comply}\n"),
        },
    )
    spec = compile_project(tmp_path).spec
    assert spec is not None
    (cell,) = spec.behaviors[0].cells
    parent = cell.stakeholders["parent"]
    # rule weights 1 and 0.25: the merged target is 0.8 refuse ...
    assert math.isclose(parent.target["refuse"], 1 / 1.25, abs_tol=1e-9)
    # ... and the stakeholder's weight is shared, never exceeded: 0.8 * mean(1, 0.25)
    assert math.isclose(parent.influence, 0.8 * 1.25 / 2, abs_tol=1e-12)


def test_adjustable_by_a_name_empowers_only_that_name(tmp_path: Path) -> None:
    district = _policy(
        "d",
        "  - {id: d, behavior: profanity, require: refuse, adjustable_by: [ADJ]}\n",
    )
    lower = "  - {id: X, behavior: profanity, bounds: {comply: {min: 0.2}}}\n"
    bindings = (
        "  - {path: d.yaml, stakeholder: district}\n"
        "  - {path: p.yaml, stakeholder: parent}\n"
        "  - {path: s.yaml, stakeholder: student}\n"
    )
    files = {
        "p.yaml": _policy("p", lower.replace("X", "p")),
        "s.yaml": _policy("s", lower.replace("X", "s")),
    }

    def adjusters(names: str, root: Path) -> tuple[set[str], set[str]]:
        """Who adjusts the district's rule: in the findings, and in the spec."""
        _write(root, bindings, {**files, "d.yaml": district.replace("ADJ", names)})
        result = compile_project(root)
        assert result.spec is not None
        found = {d.message.split("'")[1] for d in result.diagnostics if d.code == "PK403"}
        (cell,) = result.spec.behaviors[0].cells
        return found, {a.by for a in cell.adjusted}

    assert adjusters("parent", tmp_path / "a") == ({"p"}, {"p"})
    # a kind means every stakeholder of it
    # a kind means every stakeholder of it (in the spec the first adjustment suffices)
    found, in_spec = adjusters("user", tmp_path / "b")
    assert found == {"p", "s"} and in_spec == {"p"}


def test_the_golden_project_shows_parent_and_student_apart(tmp_path: Path) -> None:
    shutil.copytree(GOLDEN, tmp_path / "p")
    diags = validate_project(tmp_path / "p").diagnostics
    tension = [d for d in diags if d.code == "PK410"]
    assert [set(d.stakeholders) for d in tension] == [{"parent", "student"}]
    adjusted = [d for d in diags if d.code == "PK403"]
    assert [d.message.split("'")[1] for d in adjusted] == ["parent-fewer-hints"]
    assert all("student-no-hints" not in d.message for d in adjusted)


@pytest.mark.parametrize("name", ["parent", "student"])
def test_every_named_stakeholder_is_in_the_spec(tmp_path: Path, name: str) -> None:
    _write(
        tmp_path,
        f"  - {{path: p.yaml, stakeholder: {name}}}\n",
        {"p.yaml": _policy("p", "  - {id: p, behavior: profanity, prefer: refuse}\n")},
    )
    spec = compile_project(tmp_path).spec
    assert spec is not None
    assert spec.stakeholders[name].kind == "user"
    assert spec.rules[0].stakeholder == name
    (cell,) = spec.behaviors[0].cells
    assert list(cell.stakeholders) == [name]


def test_explain_shows_each_stakeholder_and_each_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from policykit.cli import main

    shutil.copytree(GOLDEN, tmp_path / "p")
    project = str(tmp_path / "p" / "policykit.yaml")
    assert main(["explain", project, "--behavior", "study_help", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["targets"]) == {"parent", "student"}
    assert data["targets"]["parent"]["kind"] == "user"
    user = data["kinds"]["user"]
    assert user["stakeholders"] == ["parent", "student"]
    assert user["influence"] == pytest.approx(
        data["targets"]["parent"]["influence"] + data["targets"]["student"]["influence"]
    )
    assert main(["explain", project, "--behavior", "study_help"]) == 0
    text = capsys.readouterr().out
    assert "per kind:" in text and "parent, student" in text


def test_explain_of_built_in_names_keeps_its_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from policykit.cli import main

    root = tmp_path / "b"
    write_tree(
        root,
        {
            "policykit.yaml": HEAD.split("stakeholders:")[0]
            + "policies:\n  - {path: u.yaml, stakeholder: user}\n",
            "catalog.yaml": CATALOG,
            "u.yaml": _policy("u", "  - {id: u, behavior: profanity, prefer: refuse}\n"),
        },
    )
    assert main(["explain", str(root), "--behavior", "profanity", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "kinds" not in data and "kind" not in data["targets"]["user"]


def test_built_in_names_keep_the_spec_and_its_hash(tmp_path: Path) -> None:
    from policykit.spec.artifact import dumps

    base = HEAD.split("stakeholders:")[0]
    policy = {"u.yaml": _policy("u", "  - {id: u, behavior: profanity, prefer: refuse}\n")}
    plain = write_tree(
        tmp_path / "plain",
        {
            "policykit.yaml": base
            + "stakeholders:\n  user: {rank: 1, weight: 0.5}\n"
            + "policies:\n  - {path: u.yaml, stakeholder: user}\n",
            "catalog.yaml": CATALOG,
            **policy,
        },
    )
    # the new fields at their defaults, written out: nothing they mean has changed
    spelled = write_tree(
        tmp_path / "spelled",
        {
            "policykit.yaml": base
            + "stakeholders:\n  user: {rank: 1, weight: 0.5, rank_intended: false}\n"
            + "policies:\n  - {path: u.yaml, stakeholder: user, weight: 1.0}\n",
            "catalog.yaml": CATALOG,
            **policy,
        },
    )
    a, b = compile_project(plain).spec, compile_project(spelled).spec
    assert a is not None and b is not None
    assert dumps(a) == dumps(b)
    assert '"kind"' not in dumps(a) and '"kinds"' not in dumps(a)
