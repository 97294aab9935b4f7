"""The openai backend against a real OpenAI-compatible server: ``transformers serve``
on a loopback port with the tiny random model, killed mid-run and restarted."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policykit.cli import main
from policykit.evaluate.cache import CACHE_NAME
from policykit.spec.artifact import TargetBehaviorSpec, dumps
from policykit.util.output import write_atomic

pytest.importorskip("openai")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

SECRET = "sk-policykit-test-0123456789"
CASES, SAMPLES = 10, 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``transformers serve MODEL`` on 127.0.0.1:port, started and stopped by the test."""

    def __init__(self, model: Path, port: int, log: Path) -> None:
        self.model, self.port, self.log = model, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        cli = Path(sys.executable).parent / "transformers"
        with self.log.open("ab") as log:
            command = [str(cli), "serve", str(self.model), "--host", "127.0.0.1"]
            command += ["--port", str(self.port), "--device", "cpu", "--log-level", "warning"]
            self.proc = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"},
            )
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"transformers serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/models", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("transformers serve did not start in 120 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory, spec: TargetBehaviorSpec) -> Path:
    path = tmp_path_factory.mktemp("spec") / "health.spec.json"
    write_atomic(path, dumps(spec))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    srv = Server(tiny_dir, _free_port(), folder / "serve.log")
    srv.start()
    yield srv
    srv.kill()


def _args(spec_file: Path, out: Path, server: Server, *extra: str) -> list[str]:
    return [
        "eval",
        str(spec_file),
        "-o",
        str(out),
        "--backend",
        "openai",
        "--base-url",
        server.url,
        "--model",
        str(server.model),
        "--limit",
        str(CASES),
        "--samples",
        str(SAMPLES),
        "--max-new-tokens",
        "8",
        "--temperature",
        "0",
        *extra,
    ]


def _comparable(out: Path) -> dict[str, Any]:
    """results.json less what differs between any two runs (times, this run's requests)."""
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for key in ("seconds", "started", "requests"):
        data["run"].pop(key)
    return dict(data)


def _cache_lines(out: Path) -> list[dict[str, Any]]:
    text = (out / CACHE_NAME).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def uninterrupted(
    tmp_path_factory: pytest.TempPathFactory, spec_file: Path, server: Server
) -> Path:
    out = tmp_path_factory.mktemp("served")
    os.environ["OPENAI_API_KEY"] = SECRET
    try:
        assert main(_args(spec_file, out, server, "--concurrency", "4")) == 0
    finally:
        del os.environ["OPENAI_API_KEY"]
    return out


def test_eval_against_a_served_model(uninterrupted: Path) -> None:
    results = json.loads((uninterrupted / "results.json").read_text(encoding="utf-8"))
    lines = _cache_lines(uninterrupted)
    assert len(lines) == CASES * SAMPLES == len({line["key"] for line in lines})
    assert results["run"]["backend"] == "openai"
    assert results["run"]["requests"] == {
        "sent": CASES * SAMPLES,
        "cached": 0,
        "errors": 0,
        "retries": 0,
    }
    totals = {
        k: sum(line["usage"][k] for line in lines)
        for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    }
    assert results["run"]["usage"] == totals
    assert totals["completion_tokens"] > 0
    assert len(results["cases"]) == CASES
    assert all(sum(c["sample"]["counts"].values()) == SAMPLES for c in results["cases"])
    # the answers in the results are the server's, as cached
    by_case = {}
    for line in lines:
        by_case.setdefault(line["id"], []).append(line["response"].strip())
    for case in results["cases"]:
        assert sorted(r["text"] for r in case["sample"]["responses"]) == sorted(by_case[case["id"]])


def test_the_api_key_is_never_written(uninterrupted: Path) -> None:
    for path in uninterrupted.iterdir():
        assert SECRET not in path.read_text(encoding="utf-8"), path.name


def test_a_rerun_asks_the_server_nothing(
    tmp_path: Path, spec_file: Path, server: Server, uninterrupted: Path
) -> None:
    out = tmp_path / "again"
    out.mkdir()
    (out / CACHE_NAME).write_bytes((uninterrupted / CACHE_NAME).read_bytes())
    assert main(_args(spec_file, out, server)) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["requests"]["sent"] == 0
    assert results["run"]["requests"]["cached"] == CASES * SAMPLES
    assert _comparable(out) == _comparable(uninterrupted)


def test_a_cache_line_cut_off_by_a_crash_is_asked_again(
    tmp_path: Path, spec_file: Path, server: Server, uninterrupted: Path
) -> None:
    out = tmp_path / "torn"
    out.mkdir()
    data = (uninterrupted / CACHE_NAME).read_bytes()
    (out / CACHE_NAME).write_bytes(data[: len(data) - 40])
    assert main(_args(spec_file, out, server)) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["requests"]["sent"] == 1
    assert _comparable(out) == _comparable(uninterrupted)
    assert (out / CACHE_NAME).read_bytes() == data


def test_the_server_killed_mid_run_then_restarted(
    tmp_path: Path, spec_file: Path, server: Server, uninterrupted: Path
) -> None:
    """The fault test: the server dies under a running eval, the eval stops with the
    answers it got kept, the server comes back, and the same command finishes with the
    results of an uninterrupted run and no sample twice."""
    out = tmp_path / "fault"
    command = [sys.executable, "-m", "policykit", *_args(spec_file, out, server)]
    command += ["--concurrency", "1", "--max-retries", "1", "--request-timeout", "10"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cache = out / CACHE_NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        if cache.exists() and cache.read_text(encoding="utf-8").count("\n") >= 3:
            break
        time.sleep(0.01)
    server.kill()
    _, stderr = run.communicate(timeout=120)
    kept = len(_cache_lines(out))
    try:
        assert run.returncode == 1, stderr
        assert 3 <= kept < CASES * SAMPLES
        assert "run the same command again to resume" in " ".join(stderr.split())
        assert not (out / "results.json").exists()
    finally:
        server.start()
    assert main(_args(spec_file, out, server)) == 0
    lines = _cache_lines(out)
    assert len(lines) == CASES * SAMPLES == len({line["key"] for line in lines})
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["requests"]["cached"] == kept
    assert results["run"]["requests"]["sent"] == CASES * SAMPLES - kept
    assert _comparable(out) == _comparable(uninterrupted)


def test_a_served_grader_grades_through_the_same_client(
    tmp_path: Path, spec_file: Path, server: Server, uninterrupted: Path
) -> None:
    out = tmp_path / "graded"
    code = main(
        [
            "eval",
            str(spec_file),
            "-o",
            str(out),
            "--responses",
            str(uninterrupted / CACHE_NAME),
            "--limit",
            str(CASES),
            "--judge",
            "model",
            "--judge-model",
            f"openai:{server.model}@{server.url}",
        ]
    )
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    options = results["run"]["options"]
    assert options["judge"] == "model"
    assert options["judge_grader"] == f"{server.model} at {server.url}"
    # transformers serve ignores logprobs: the grader's reply is read as text
    assert options["judge_read_by"] == "text"
    assert sum(sum(c["sample"]["counts"].values()) for c in results["cases"]) == CASES * SAMPLES


def test_a_server_that_is_not_there(
    tmp_path: Path, spec_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = Server(Path("tiny"), _free_port(), tmp_path / "log")
    code = main(_args(spec_file, tmp_path / "out", gone, "--max-retries", "0"))
    assert code == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"{CASES * SAMPLES} of {CASES * SAMPLES} requests to {gone.url} got no answer" in err
    assert "the 0 answers received are kept" in err


def test_the_backend_needs_a_url_and_a_model(
    tmp_path: Path, spec_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", str(spec_file), "-o", str(tmp_path), "--backend", "openai", "--limit", "1"]
    assert main(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Invalid value for --base-url: the openai backend needs the server's URL" in err
    assert main([*args, "--base-url", "http://127.0.0.1:9/v1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Invalid value for --model: the openai backend needs the model's name" in err
