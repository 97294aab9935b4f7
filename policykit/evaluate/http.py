"""Chat completions from an OpenAI-compatible server, many at a time on one event loop.

Shared by the ``openai`` backend and the served grader (``--judge-model
openai:NAME@URL``). The official ``openai`` client does the HTTP: every request has a
timeout, and 408, 409, 429 and 5xx answers and lost connections are retried with
jittered exponential backoff (0.5 s doubling to 8 s, less up to a quarter), honouring
``Retry-After``. policykit adds the concurrency limit (an ``asyncio.Semaphore``), counts
what happened for the progress bar, and stops sending once the server is gone: after a
request exhausted its retries on a lost connection, the requests not yet sent are
reported as not sent, to be resumed by the next run.

The API key is read from an environment variable, sent only in the request's header,
and blanked out of every message policykit shows.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policykit.evaluate.errors import EvalError, MissingDependency

SERVE_EXTRA = "pip install 'policykit[serve]'"
NO_KEY = "no-key"
"""Sent when the key's variable is unset: local servers (vLLM, Ollama, transformers
serve) want no key, and the client refuses to send none."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    base_url: str
    """The server's API root, e.g. ``http://127.0.0.1:8000/v1``."""
    model: str
    """The model name the server knows."""
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    timeout: float = 120.0
    """Seconds for one request, connecting included."""
    max_retries: int = 5

    def api_key(self) -> str:
        return os.environ.get(self.api_key_env) or NO_KEY

    def scrub(self, text: str) -> str:
        """``text`` without the API key in it."""
        key = os.environ.get(self.api_key_env)
        return text.replace(key, "***") if key else text


@dataclass(frozen=True, slots=True)
class Request:
    messages: tuple[tuple[str, str], ...]
    params: Mapping[str, Any]
    """Chat completion parameters: max_tokens, temperature, top_p, seed, logprobs..."""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    finish_reason: str | None
    usage: Mapping[str, int]
    """prompt_tokens, completion_tokens, total_tokens, as the server counted them."""
    top_logprobs: Mapping[str, float] | None = None
    """The first token's top alternatives, where logprobs were asked for and given."""


@dataclass(slots=True)
class Counters:
    """What the requests of one run did so far."""

    sent: int = 0
    """Requests answered."""
    retries: int = 0
    errors: int = 0
    """Requests that failed after their retries."""
    cached: int = 0
    """Answers taken from the cache instead of the server (backend)."""
    tokens: dict[str, int] = field(default_factory=dict)

    def add_usage(self, usage: Mapping[str, int]) -> None:
        for k, v in usage.items():
            self.tokens[k] = self.tokens.get(k, 0) + v


class RequestFailed(Exception):
    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal
        """The server refused the request itself (bad model, bad key): retrying the run
        will not help."""


def require_openai() -> Any:
    try:
        import openai
    except ImportError:
        raise MissingDependency(
            f"the openai backend needs the openai package (not installed): {SERVE_EXTRA}"
        ) from None
    return openai


def run_requests(
    endpoint: Endpoint,
    requests: Sequence[Request],
    on_reply: Callable[[int, Reply | RequestFailed | None], None],
    counters: Counters,
    on_change: Callable[[], None] = lambda: None,
) -> None:
    """Send ``requests``, ``endpoint.concurrency`` at a time, and call ``on_reply`` with
    each one's index and its reply, its failure, or None when it was not sent (the
    server went away first). ``on_reply`` runs on the event loop's thread, as each
    answer arrives."""
    if requests:
        asyncio.run(_run(endpoint, requests, on_reply, counters, on_change))


async def _run(
    endpoint: Endpoint,
    requests: Sequence[Request],
    on_reply: Callable[[int, Reply | RequestFailed | None], None],
    counters: Counters,
    on_change: Callable[[], None],
) -> None:
    openai = require_openai()
    attempts = 0

    async def count_attempt(request: Any) -> None:
        nonlocal attempts
        attempts += 1

    http = openai.DefaultAsyncHttpxClient(event_hooks={"request": [count_attempt]})
    client = openai.AsyncOpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key(),
        timeout=endpoint.timeout,
        max_retries=endpoint.max_retries,
        http_client=http,
    )
    gate = asyncio.Semaphore(max(1, endpoint.concurrency))
    gone = asyncio.Event()
    started = 0

    async def one(index: int, request: Request) -> None:
        nonlocal started
        async with gate:
            if gone.is_set():
                on_reply(index, None)
                return
            started += 1
            try:
                reply: Reply | RequestFailed = await _complete(client, endpoint, request)
            except RequestFailed as exc:
                reply = exc
            counters.retries = max(counters.retries, attempts - started)
            if isinstance(reply, RequestFailed):
                counters.errors += 1
                gone.set()
            else:
                counters.sent += 1
                counters.add_usage(reply.usage)
            on_reply(index, reply)
            on_change()

    try:
        await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    finally:
        await client.close()


async def _complete(client: Any, endpoint: Endpoint, request: Request) -> Reply:
    openai = require_openai()
    try:
        completion = await client.chat.completions.create(
            model=endpoint.model,
            messages=[{"role": r, "content": c} for r, c in request.messages],
            **request.params,
        )
    except (openai.APIConnectionError, openai.APITimeoutError) as exc:
        raise RequestFailed(
            endpoint.scrub(f"{endpoint.base_url}: {exc} (after {endpoint.max_retries} retries)"),
            fatal=False,
        ) from None
    except openai.APIStatusError as exc:
        retryable = exc.status_code in (408, 409, 429) or exc.status_code >= 500
        raise RequestFailed(
            endpoint.scrub(f"{endpoint.base_url}: HTTP {exc.status_code}: {_first_line(exc)}"),
            fatal=not retryable,
        ) from None
    if not completion.choices:
        raise RequestFailed(f"{endpoint.base_url}: the server returned no choice", fatal=True)
    choice = completion.choices[0]
    usage = completion.usage
    counted = (
        {
            "prompt_tokens": int(usage.prompt_tokens or 0),
            "completion_tokens": int(usage.completion_tokens or 0),
            "total_tokens": int(usage.total_tokens or 0),
        }
        if usage is not None
        else {}
    )
    top = None
    logprobs = getattr(choice, "logprobs", None)
    if logprobs is not None and logprobs.content:
        top = {t.token: float(t.logprob) for t in logprobs.content[0].top_logprobs or ()}
    return Reply(
        text=choice.message.content or "",
        finish_reason=choice.finish_reason,
        usage=counted,
        top_logprobs=top,
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parse_served(spec: str) -> tuple[str, str]:
    """``openai:NAME@URL`` -> (NAME, URL); EvalError when it is not of that shape."""
    body = spec.removeprefix("openai:")
    name, at, url = body.rpartition("@")
    if not spec.startswith("openai:") or not at or not name or "://" not in url:
        raise EvalError(
            f"{spec!r}: a served grader is written openai:NAME@URL, "
            "e.g. openai:Qwen2.5-72B-Instruct@http://127.0.0.1:8000/v1"
        )
    return name, url
