"""The HTTP client's retries and counters, against a loopback server that answers
429 and 503 before it answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from policykit.evaluate.errors import EvalError
from policykit.evaluate.http import (
    Counters,
    Endpoint,
    Reply,
    Request,
    RequestFailed,
    parse_served,
    run_requests,
)

pytest.importorskip("openai")

COMPLETION = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


class Flaky(BaseHTTPRequestHandler):
    """Each request's first answer is 429 (Retry-After: 0), the second 503, then 200."""

    seen: ClassVar[dict[str, int]] = {}
    headers_seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = body["messages"][0]["content"]
        Flaky.headers_seen.append(self.headers.get("Authorization", ""))
        n = Flaky.seen[key] = Flaky.seen.get(key, 0) + 1
        if n == 1:
            self._send(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
        elif n == 2:
            self._send(503, {"error": {"message": "busy"}}, {"Retry-After": "0"})
        elif key == "refused":
            self._send(400, {"error": {"message": "bad request"}}, {})
        else:
            self._send(200, COMPLETION, {})

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def flaky() -> Iterator[str]:
    Flaky.seen, Flaky.headers_seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_429_and_503_are_retried_and_counted(flaky: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PK_TEST_KEY", "sk-secret")
    endpoint = Endpoint(flaky, "m", api_key_env="PK_TEST_KEY", concurrency=2, max_retries=3)
    got: dict[int, Reply | RequestFailed | None] = {}
    counters = Counters()
    requests = [Request((("user", f"q{i}"),), {"max_tokens": 4}) for i in range(3)]
    run_requests(endpoint, requests, got.__setitem__, counters)
    assert all(isinstance(r, Reply) and r.text == "hi" for r in got.values())
    assert counters.sent == 3 and counters.errors == 0 and counters.retries == 6
    assert counters.tokens == {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}
    assert set(Flaky.headers_seen) == {"Bearer sk-secret"}


def test_a_refused_request_is_fatal_and_stops_the_rest(flaky: str) -> None:
    endpoint = Endpoint(flaky, "m", concurrency=1, max_retries=3)
    got: dict[int, Reply | RequestFailed | None] = {}
    requests = [Request((("user", q),), {}) for q in ("refused", "later")]
    run_requests(endpoint, requests, got.__setitem__, Counters())
    assert isinstance(got[0], RequestFailed) and got[0].fatal
    assert "HTTP 400" in str(got[0])
    assert got[1] is None


def test_the_key_is_scrubbed_from_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PK_TEST_KEY", "sk-secret")
    endpoint = Endpoint("http://x/v1", "m", api_key_env="PK_TEST_KEY")
    assert endpoint.scrub("bad key sk-secret given") == "bad key *** given"


def test_a_served_grader_is_written_name_at_url() -> None:
    assert parse_served("openai:Qwen/Qwen3-8B@http://gpu:8000/v1") == (
        "Qwen/Qwen3-8B",
        "http://gpu:8000/v1",
    )
    with pytest.raises(EvalError, match="openai:NAME@URL"):
        parse_served("openai:no-url")


def test_ctrl_c_keeps_the_answers_that_arrived(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, cases: Any
) -> None:
    from policykit.evaluate import served
    from policykit.evaluate.cache import CACHE_NAME
    from policykit.evaluate.types import EvalOptions

    def interrupted(endpoint: Any, requests: Any, on_reply: Any, *args: Any, **kw: Any) -> None:
        on_reply(0, Reply("an answer", "stop", {"prompt_tokens": 1}))
        raise KeyboardInterrupt

    monkeypatch.setattr(served, "run_requests", interrupted)
    options = EvalOptions(
        base_url="http://127.0.0.1:9/v1", model="m", samples=2, cache_dir=tmp_path, judge="nearest"
    )
    backend = served.create(options)
    with pytest.raises(EvalError, match="interrupted; the 1 answers received are kept"):
        backend.estimate(cases[:2], lambda n: None)
    [line] = (tmp_path / CACHE_NAME).read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["response"] == "an answer"
