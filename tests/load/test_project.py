from __future__ import annotations

from pathlib import Path

import pytest

from policykit.diagnostics import Diagnostic, Related
from policykit.load import project as project_module
from policykit.load.project import SourceSet, find_project_file, load_sources, std_entries

pytestmark = pytest.mark.usefixtures("builder")

Finding = tuple[str, str, str, int, int]

PROJECT_HEAD = "apiVersion: policykit/v1\nkind: Project\n"


def findings(diags: tuple[Diagnostic, ...]) -> list[Finding]:
    return [(d.code, d.message, d.file, d.line, d.column) for d in diags]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder, which is also the working directory."""
    root = tmp_path.resolve() / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def std(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small standard library standing in for the real one."""
    root = tmp_path.resolve() / "std"
    write(
        root,
        {
            "core/catalog.yaml": "kind: Catalog\ninclude: [extra.yaml]\n",
            "core/extra.yaml": "kind: Catalog\n",
            "developer/baseline.yaml": "kind: Policy\n",
        },
    )
    monkeypatch.setattr(project_module, "std_root", lambda: root)
    return root


def load(path: Path | str = ".") -> tuple[SourceSet, list[Finding]]:
    sources, diags = load_sources(path)
    assert sources is not None
    return sources, findings(diags)


def test_relative_includes_resolve_from_the_including_file(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD
            + "catalogs: [catalogs/base.yaml]\n"
            + "policies:\n  - path: policies/dev.yaml\n    stakeholder: developer\n",
            "catalogs/base.yaml": "kind: Catalog\ninclude: [more.yaml, ./sub/../more.yaml]\n",
            "catalogs/more.yaml": "kind: Catalog\n",
            "policies/dev.yaml": "kind: Policy\n",
        },
    )
    sources, diags = load()
    assert diags == []
    assert sources.root == proj
    # included catalogs come before the catalogs that include them; each once
    assert [s.path for s in sources.catalogs] == [
        proj / "catalogs/more.yaml",
        proj / "catalogs/base.yaml",
    ]
    assert [s.document.file for s in sources.catalogs] == [
        "catalogs/more.yaml",
        "catalogs/base.yaml",
    ]
    (policy,) = sources.policies
    assert (policy.path, policy.role, policy.stakeholder) == (
        proj / "policies/dev.yaml",
        "policy",
        "developer",
    )
    assert (policy.site.file, policy.site.line, policy.site.column) == ("policykit.yaml", 5, 5)


def test_project_folder_or_file(proj: Path) -> None:
    assert find_project_file(proj) == proj / "policykit.yaml"
    assert find_project_file(proj / "other.yaml") == proj / "other.yaml"


def test_parent_escape(proj: Path) -> None:
    write(proj.parent, {"outside.yaml": "kind: Catalog\n"})
    write(proj, {"policykit.yaml": PROJECT_HEAD + "catalogs: [../outside.yaml]\n"})
    sources, diags = load()
    assert diags == [
        (
            "PK111",
            "include '../outside.yaml' points outside the project folder",
            "policykit.yaml",
            3,
            12,
        )
    ]
    assert sources.catalogs == ()


def test_escape_from_nested_file(proj: Path) -> None:
    write(proj.parent, {"outside.yaml": "kind: Catalog\n"})
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD + "catalogs: [a/cat.yaml]\n",
            "a/cat.yaml": "kind: Catalog\ninclude:\n  - ../../outside.yaml\n",
        },
    )
    _, diags = load()
    assert diags == [
        (
            "PK111",
            "include '../../outside.yaml' points outside the project folder",
            "a/cat.yaml",
            3,
            5,
        )
    ]


@pytest.mark.parametrize("ref", ["/etc/passwd", "~/policies/user.yaml", "~root/x.yaml"])
def test_absolute_and_home_paths(proj: Path, ref: str) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD
            + f"catalogs: [c.yaml]\npolicies:\n  - path: {ref}\n    stakeholder: user\n",
            "c.yaml": "kind: Catalog\n",
        },
    )
    sources, diags = load_sources(".")
    assert findings(diags) == [
        (
            "PK111",
            f"include {ref!r} is not a relative path inside the project",
            "policykit.yaml",
            5,
            11,
        )
    ]
    assert diags[0].hint == (
        "name files relative to the project file; use std: for the standard library"
    )
    assert sources is not None and sources.policies == ()


def test_symlink_leading_outside(proj: Path) -> None:
    write(proj.parent, {"secret/user.yaml": "kind: Policy\n"})
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD
            + "catalogs: [c.yaml]\npolicies:\n  - path: user.yaml\n    stakeholder: user\n",
            "c.yaml": "kind: Catalog\n",
        },
    )
    (proj / "user.yaml").symlink_to(proj.parent / "secret/user.yaml")
    sources, diags = load()
    assert diags == [
        (
            "PK111",
            "include 'user.yaml' points outside the project folder",
            "policykit.yaml",
            5,
            11,
        )
    ]
    assert sources.policies == ()


def test_symlink_staying_inside_is_fine(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD + "catalogs: [link.yaml]\n",
            "real/c.yaml": "kind: Catalog\n",
        },
    )
    (proj / "link.yaml").symlink_to(proj / "real/c.yaml")
    sources, diags = load()
    assert diags == []
    assert [s.path for s in sources.catalogs] == [proj / "real/c.yaml"]


def test_include_cycle_names_the_chain(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD + "catalogs: [a.yaml]\n",
            "a.yaml": "kind: Catalog\ninclude: [b.yaml]\n",
            "b.yaml": "kind: Catalog\ninclude:\n  - a.yaml\n",
        },
    )
    sources, diags = load_sources(".")
    assert findings(diags) == [
        ("PK112", "include cycle: a.yaml --> b.yaml --> a.yaml", "b.yaml", 3, 5)
    ]
    assert diags[0].hint == "remove one include so the chain no longer returns"
    # both files are still read, once each
    assert sources is not None
    assert [s.document.file for s in sources.catalogs] == ["b.yaml", "a.yaml"]


def test_longer_cycle_starts_where_it_returns(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD + "catalogs: [a.yaml]\n",
            "a.yaml": "include: [b.yaml]\n",
            "b.yaml": "include: [c.yaml]\n",
            "c.yaml": "include: [b.yaml]\n",
        },
    )
    _, diags = load()
    assert diags == [("PK112", "include cycle: b.yaml --> c.yaml --> b.yaml", "c.yaml", 1, 11)]


def test_catalog_including_itself(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD + "catalogs: [a.yaml]\n",
            "a.yaml": "include: [a.yaml]\n",
        },
    )
    _, diags = load()
    assert diags == [("PK112", "include cycle: a.yaml --> a.yaml", "a.yaml", 1, 11)]


def test_diamond_is_not_a_cycle(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD + "catalogs: [a.yaml, b.yaml]\n",
            "a.yaml": "include: [shared.yaml]\n",
            "b.yaml": "include: [shared.yaml]\n",
            "shared.yaml": "kind: Catalog\n",
        },
    )
    sources, diags = load()
    assert diags == []
    assert [s.document.file for s in sources.catalogs] == ["shared.yaml", "a.yaml", "b.yaml"]


def test_std_entry_resolves(proj: Path, std: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD
            + "catalogs: [std:core/catalog.yaml]\n"
            + "policies:\n  - path: std:developer/baseline.yaml\n    stakeholder: developer\n",
        },
    )
    sources, diags = load()
    assert diags == []
    # the std catalog includes its sibling by a relative path
    assert [s.path for s in sources.catalogs] == [
        std / "core/extra.yaml",
        std / "core/catalog.yaml",
    ]
    assert [s.path for s in sources.policies] == [std / "developer/baseline.yaml"]


def test_std_entries_are_listed(std: Path) -> None:
    assert std_entries() == [
        "std:core/catalog.yaml",
        "std:core/extra.yaml",
        "std:developer/baseline.yaml",
    ]


def test_unknown_std_entry_suggests_the_closest(proj: Path, std: Path) -> None:
    write(proj, {"policykit.yaml": PROJECT_HEAD + "catalogs: [std:core/catalg.yaml]\n"})
    _, diags = load_sources(".")
    assert findings(diags) == [
        (
            "PK113",
            "'std:core/catalg.yaml' is not in the standard library",
            "policykit.yaml",
            3,
            12,
        )
    ]
    assert diags[0].hint == "did you mean 'std:core/catalog.yaml'?"


@pytest.mark.parametrize("ref", ["std:", "std:../proj/policykit.yaml", "std:/etc/passwd", "std:x"])
def test_std_entry_outside_the_library(proj: Path, std: Path, ref: str) -> None:
    write(proj, {"policykit.yaml": PROJECT_HEAD + f"catalogs: ['{ref}']\n"})
    _, diags = load_sources(".")
    assert findings(diags) == [
        ("PK113", f"{ref!r} is not in the standard library", "policykit.yaml", 3, 12)
    ]
    # nothing close: the entries there are
    assert diags[0].hint == (
        "expected one of: std:core/catalog.yaml, std:core/extra.yaml, std:developer/baseline.yaml"
    )


def test_std_catalog_cannot_reach_outside_the_library(proj: Path, std: Path) -> None:
    write(std.parent, {"elsewhere.yaml": "kind: Catalog\n"})
    write(std, {"core/leaky.yaml": "include: [../../elsewhere.yaml]\n"})
    write(proj, {"policykit.yaml": PROJECT_HEAD + "catalogs: [std:core/leaky.yaml]\n"})
    _, diags = load()
    assert diags == [
        (
            "PK111",
            "include '../../elsewhere.yaml' points outside the project folder",
            "std:core/leaky.yaml",  # named as the standard library entry, wherever installed
            1,
            11,
        )
    ]


def test_real_std_catalog_resolves(proj: Path) -> None:
    if not (project_module.std_root() / "core" / "catalog.yaml").is_file():
        pytest.skip("the standard library (policies/core/catalog.yaml) is not written yet")
    write(proj, {"policykit.yaml": PROJECT_HEAD + "catalogs: [std:core/catalog.yaml]\n"})
    sources, diags = load()
    assert diags == []
    assert sources.catalogs[-1].path == project_module.std_root().resolve() / "core/catalog.yaml"


def test_missing_included_file(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD
            + "catalogs: [c.yaml]\npolicies:\n  - path: policies/nope.yaml\n"
            + "    stakeholder: deployer\n",
            "c.yaml": "kind: Catalog\n",
        },
    )
    _, diags = load()
    assert diags == [
        (
            "PK100",
            "included file 'policies/nope.yaml' does not exist",
            "policykit.yaml",
            5,
            11,
        )
    ]


def test_folder_is_not_a_file(proj: Path) -> None:
    (proj / "sub").mkdir()
    write(proj, {"policykit.yaml": PROJECT_HEAD + "catalogs: [sub]\n"})
    _, diags = load()
    assert diags == [("PK100", "included file 'sub' does not exist", "policykit.yaml", 3, 12)]


def test_missing_project_file(proj: Path) -> None:
    sources, diags = load_sources(".")
    assert sources is None
    assert findings(diags) == [("PK100", "no such project file", "policykit.yaml", 0, 0)]


def test_unreadable_project_file(proj: Path) -> None:
    write(proj, {"policykit.yaml": "- a list\n"})
    sources, diags = load_sources(proj / "policykit.yaml")
    assert sources is None
    assert findings(diags) == [
        ("PK110", "the document is not a mapping of keys to values", "policykit.yaml", 1, 1)
    ]


def test_bad_included_file_is_reported_and_left_out(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD + "catalogs: [bad.yaml, good.yaml]\n",
            "bad.yaml": "a: 1\na: 2\n",
            "good.yaml": "kind: Catalog\n",
        },
    )
    sources, diags = load()
    assert diags == [("PK104", "duplicate key 'a' (first defined at line 1)", "bad.yaml", 2, 1)]
    assert [s.document.file for s in sources.catalogs] == ["good.yaml"]


def test_same_policy_file_listed_twice(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD
            + "catalogs: [c.yaml]\n"
            + "policies:\n"
            + "  - path: p.yaml\n    stakeholder: deployer\n"
            + "  - path: ./p.yaml\n    stakeholder: user\n",
            "c.yaml": "kind: Catalog\n",
            "p.yaml": "kind: Policy\n",
        },
    )
    sources, raw = load_sources(".")
    assert findings(raw) == [
        ("PK208", "policy file './p.yaml' is listed twice", "policykit.yaml", 7, 11)
    ]
    assert raw[0].related == (Related("first listed here", "policykit.yaml", 5, 11),)
    assert sources is not None
    assert [(s.document.file, s.stakeholder) for s in sources.policies] == [("p.yaml", "deployer")]


def test_policy_entry_settings_are_kept(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD
            + "catalogs: [c.yaml]\n"
            + "policies:\n"
            + "  - path: a.yaml\n    stakeholder: user\n    on_violation: drop\n"
            + "  - path: b.yaml\n    stakeholder: 7\n",
            "c.yaml": "kind: Catalog\n",
            "a.yaml": "kind: Policy\n",
            "b.yaml": "kind: Policy\n",
        },
    )
    sources, diags = load()
    assert diags == []
    assert [(s.stakeholder, s.on_violation, s.index) for s in sources.policies] == [
        ("user", "drop", 0),
        (None, None, 1),  # malformed: the schema stage reports it
    ]


def test_malformed_include_lists_are_left_to_the_schema(proj: Path) -> None:
    write(
        proj,
        {
            "policykit.yaml": PROJECT_HEAD
            + "catalogs: [5, c.yaml, {x: 1}]\n"
            + "policies: [p.yaml, {path: 3}, {stakeholder: user}]\n",
            "c.yaml": "kind: Catalog\ninclude: nope.yaml\n",
        },
    )
    sources, diags = load()
    assert diags == []
    assert [s.document.file for s in sources.catalogs] == ["c.yaml"]
    assert sources.policies == ()
