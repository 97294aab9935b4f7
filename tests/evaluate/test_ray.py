"""``--ray local --ray-workers 2``: the same results as one process, byte for byte but
for the run's times."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policykit.cli import main
from policykit.spec.artifact import TargetBehaviorSpec, dumps
from policykit.util.output import write_atomic

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory, spec: TargetBehaviorSpec) -> Path:
    path = tmp_path_factory.mktemp("spec") / "health.spec.json"
    write_atomic(path, dumps(spec))
    return path


@pytest.fixture(scope="module", autouse=True)
def _cluster() -> Iterator[None]:
    yield
    if ray.is_initialized():
        ray.shutdown()


def _without_times(out: Path) -> dict[str, Any]:
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    del data["run"]["seconds"], data["run"]["started"]
    return dict(data)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    [
        ["--backend", "likelihood"],
        ["--backend", "generate", "--samples", "3", "--max-new-tokens", "8"],
    ],
    ids=["likelihood", "generate"],
)
def test_ray_workers_give_the_one_process_results(
    tmp_path: Path, spec_file: Path, tiny_dir: Path, backend: list[str]
) -> None:
    import torch

    common = ["eval", str(spec_file), "--model", str(tiny_dir), "--limit", "14"]
    common += ["--batch-size", "3", "--device", "cpu", *backend]
    # one thread, as each worker has (--ray-cpus-per-worker 1): the same float32 sums
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main([*common, "-o", str(tmp_path / "one")]) == 0
    finally:
        torch.set_num_threads(threads)
    sharded = [*common, "-o", str(tmp_path / "ray"), "--ray", "local", "--ray-workers", "2"]
    assert main(sharded) == 0
    one, two = _without_times(tmp_path / "one"), _without_times(tmp_path / "ray")
    assert len(one["cases"]) == 14
    assert one == two


def test_ray_does_not_shard_an_http_backend(
    tmp_path: Path, spec_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", str(spec_file), "-o", str(tmp_path), "--backend", "openai"]
    args += ["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--ray", "local"]
    assert main(args) == 2
    assert "an HTTP backend scales with --concurrency, not --ray" in capsys.readouterr().err
