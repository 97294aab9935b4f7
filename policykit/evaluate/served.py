"""The ``openai`` backend: sample answers from an OpenAI-compatible server and judge them.

``policykit eval SPEC --backend openai --base-url URL --model NAME`` sends each case's
messages to ``URL/chat/completions`` ``--samples`` times (vLLM, SGLang, TGI, llama.cpp,
Ollama, ``transformers serve``, hosted APIs), ``--concurrency`` requests at a time on
one event loop (:mod:`policykit.evaluate.http`), and labels the answers with the judge,
as the ``generate`` backend does with a local model.

Decoding: ``--temperature`` and ``--top-p`` are sent where given; otherwise the
server's own defaults apply (vLLM's are the model's generation config) and results.json
says so. Each sample carries a seed derived from ``--seed``, the case and the sample's
number, which servers that honour per-request seeds (vLLM, OpenAI) use to make a run
repeatable.

Every answer is appended to ``OUT/responses.cache.jsonl`` as it arrives
(:mod:`policykit.evaluate.cache`); a rerun of the same command asks only for what is
missing. When requests fail after their retries, or the server goes away, the run stops
with an error that says how many answers are kept, and the same command resumes it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from policykit.evaluate.cache import CACHE_NAME, ResponseCache, cache_key
from policykit.evaluate.cases import Case
from policykit.evaluate.errors import EvalError
from policykit.evaluate.http import Counters, Endpoint, Reply, Request, RequestFailed, run_requests
from policykit.evaluate.judges import Judge
from policykit.evaluate.responses import ResponsesBackend
from policykit.evaluate.types import Estimate, EvalOptions, Progress, judge_for


def sample_seed(seed: int, case_id: str, sample: int) -> int:
    digest = hashlib.sha256(f"{seed}\0{case_id}\0{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


class ServedBackend:
    name = "openai"
    device = "remote"

    def __init__(
        self, endpoint: Endpoint, judge: Judge, *, options: EvalOptions, cache_path: Path
    ) -> None:
        if options.samples < 1:
            raise EvalError("must be at least 1", subject="samples")
        self.endpoint = endpoint
        self.judge = judge
        self.options = options
        self.cache_path = cache_path
        self.model_name = f"{endpoint.model} at {endpoint.base_url}"
        self.counters = Counters()
        self._last_error: str | None = None
        self.request_seconds = 0.0
        self.usage: dict[str, int] = {}
        """Tokens of every answer the results use, cached ones included, as the server
        counted them when it answered."""

    @property
    def model_seconds(self) -> float:
        return self.request_seconds + self.judge.model_seconds

    def decoding(self) -> dict[str, Any]:
        """The sampling parameters every request carries (the cache keys on them)."""
        sent: dict[str, Any] = {"max_tokens": self.options.max_new_tokens}
        if self.options.temperature is not None:
            sent["temperature"] = self.options.temperature
        if self.options.top_p is not None:
            sent["top_p"] = self.options.top_p
        return sent

    def settings(self) -> dict[str, str | int | float | bool | None]:
        given = self.options.temperature is not None or self.options.top_p is not None
        return {
            "base_url": self.endpoint.base_url,
            "temperature": self.options.temperature,
            "top_p": self.options.top_p,
            "max_new_tokens": self.options.max_new_tokens,
            "samples": self.options.samples,
            "decoding_source": "options+server" if given else "server",
            "judge": self.judge.name,
            **{f"judge_{k}": v for k, v in self.judge.describe().items()},
        }

    def _requests(self, cases: Sequence[Case]) -> list[tuple[str, Case, int, Request]]:
        decoding = self.decoding()
        out = []
        for case in cases:
            for k in range(self.options.samples):
                key = cache_key(case.id, case.messages, k, self.endpoint.model, decoding)
                params = {**decoding, "seed": sample_seed(self.options.seed, case.id, k)}
                out.append((key, case, k, Request(case.messages, params)))
        return out

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        planned = self._requests(cases)
        with ResponseCache(self.cache_path) as cache:
            try:
                self._fetch(planned, cache, progress)
            except KeyboardInterrupt:
                kept = sum(cache.get(key) is not None for key, _, _, _ in planned)
                raise EvalError(
                    f"interrupted; the {kept} answers received are kept in {self.cache_path}: "
                    "run the same command again to resume"
                ) from None
            answers = {key: cache.get(key) for key, _, _, _ in planned}
        missing = [key for key, answer in answers.items() if answer is None]
        if missing:
            kept = len(planned) - len(missing)
            last = self._last_error or "not sent: the server went away first"
            raise EvalError(
                f"{len(missing)} of {len(planned)} requests to {self.endpoint.base_url} got "
                f"no answer (last: {last}); the {kept} answers received are kept in "
                f"{self.cache_path}: run the same command again to resume"
            )
        by_case: dict[str, list[dict[str, Any]]] = {}
        for key, case, _, _ in planned:
            record = answers[key]
            assert record is not None
            by_case.setdefault(case.id, []).append(record)
        self.usage = {}
        for records in by_case.values():
            for record in records:
                for k, v in (record.get("usage") or {}).items():
                    self.usage[k] = self.usage.get(k, 0) + int(v)
        texts = {
            case_id: [str(r["response"]).strip() for r in records]
            for case_id, records in by_case.items()
        }
        judged = ResponsesBackend(texts, self.judge, source=self.model_name, seed=self.options.seed)
        return judged.estimate(cases, lambda n: None)

    def _fetch(
        self,
        planned: Sequence[tuple[str, Case, int, Request]],
        cache: ResponseCache,
        progress: Progress,
    ) -> None:
        """Ask the server for every planned answer the cache lacks; progress counts a
        case once all its samples are in."""
        left: dict[str, int] = {}
        for key, case, _, _ in planned:
            if cache.get(key) is None:
                left[case.id] = left.get(case.id, 0) + 1
            else:
                self.counters.cached += 1
        done_already = len({c.id for _, c, _, _ in planned} - set(left))
        progress(done_already)
        todo = [p for p in planned if cache.get(p[0]) is None]

        def on_reply(index: int, reply: Reply | RequestFailed | None) -> None:
            key, case, sample, _ = todo[index]
            if isinstance(reply, RequestFailed):
                self._last_error = str(reply)
                return
            if reply is None:
                return
            cache.add(
                key,
                {
                    "id": case.id,
                    "sample": sample,
                    "model": self.endpoint.model,
                    "response": reply.text,
                    "finish_reason": reply.finish_reason,
                    "usage": dict(reply.usage),
                },
            )
            left[case.id] -= 1
            progress(1 if left[case.id] == 0 else 0)

        started = time.perf_counter()
        try:
            run_requests(
                self.endpoint,
                [r for _, _, _, r in todo],
                on_reply,
                self.counters,
                on_change=lambda: progress(0),
            )
        finally:
            self.request_seconds += time.perf_counter() - started


def endpoint_for(options: EvalOptions) -> Endpoint:
    if not options.base_url:
        raise EvalError(
            "the openai backend needs the server's URL (e.g. http://127.0.0.1:8000/v1)",
            subject="base-url",
        )
    if not options.model:
        raise EvalError(
            "the openai backend needs the model's name (the name the server knows)",
            subject="model",
        )
    if "://" not in options.base_url:
        raise EvalError(
            f"{options.base_url!r} is not a URL; give one like http://host:8000/v1",
            subject="base-url",
        )
    return Endpoint(
        base_url=options.base_url.rstrip("/"),
        model=options.model,
        api_key_env=options.api_key_env,
        concurrency=options.concurrency,
        timeout=options.request_timeout,
        max_retries=options.max_retries,
    )


def create(options: EvalOptions) -> ServedBackend:
    from policykit.evaluate.http import require_openai

    endpoint = endpoint_for(options)
    require_openai()  # a missing client is reported before anything is loaded
    if options.cache_dir is None:
        raise EvalError("the openai backend needs an output folder for its response cache")
    return ServedBackend(
        endpoint,
        judge_for(options, "cpu" if options.device == "auto" else options.device),
        options=options,
        cache_path=options.cache_dir / CACHE_NAME,
    )
