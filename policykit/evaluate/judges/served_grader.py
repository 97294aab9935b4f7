"""The ``model`` judge with a served grader: ``--judge-model openai:NAME@URL``.

The same rubric, the same per-response shuffle of lettered options and the same
"none of these" option as the local grader (:mod:`policykit.evaluate.judges.grader`),
sent as chat messages to an OpenAI-compatible server, so that a strong served model
can grade a small one. The grader's answer is read in one of two ways, the first the
server allows:

- ``logprobs``: one token at temperature 0 with its top 20 alternatives; each option's
  probability is that of its letter, renormalized over the letters (a letter not among
  the alternatives gets none). vLLM, SGLang, llama.cpp and OpenAI give them.
- ``text``: a server that refuses or ignores ``logprobs`` (``transformers serve``
  ignores them) is asked
  for a few tokens at temperature 0, and the first option letter of the reply is the
  verdict, with confidence 1; a reply with no letter is ``unclassified``.
"""

from __future__ import annotations

import string
import time
from collections.abc import Sequence

import numpy as np

from policykit.evaluate.errors import EvalError
from policykit.evaluate.http import Counters, Endpoint, Reply, Request, RequestFailed, run_requests
from policykit.evaluate.judges.base import UNCLASSIFIED, JudgeOptions, Question
from policykit.evaluate.judges.grader import SYSTEM, GraderJudge, rubric

TOP_LOGPROBS = 20


class ServedGrader(GraderJudge):
    def __init__(self, endpoint: Endpoint, *, seed: int = 0) -> None:
        self.endpoint = endpoint
        self.model_name = f"{endpoint.model} at {endpoint.base_url}"
        self.seed = seed
        self.batch_size = max(64, endpoint.concurrency)
        self.counters = Counters()
        self.mode = "logprobs"
        self._seconds = 0.0

    def describe(self) -> dict[str, str | int | float | bool | None]:
        return {"grader": self.model_name, "seed": self.seed, "read_by": self.mode}

    def _request(self, question: Question, order: Sequence[str]) -> Request:
        messages = (("system", SYSTEM), ("user", rubric(question, order)))
        if self.mode == "logprobs":
            params = {
                "max_tokens": 1,
                "temperature": 0.0,
                "logprobs": True,
                "top_logprobs": TOP_LOGPROBS,
            }
        else:
            params = {"max_tokens": 4, "temperature": 0.0}
        return Request(messages, params)

    def _send(self, requests: list[Request]) -> list[Reply | RequestFailed | None]:
        replies: list[Reply | RequestFailed | None] = [None] * len(requests)

        def keep(index: int, reply: Reply | RequestFailed | None) -> None:
            replies[index] = reply

        started = time.perf_counter()
        try:
            run_requests(self.endpoint, requests, keep, self.counters)
        finally:
            self._seconds += time.perf_counter() - started
        return replies

    def option_logprobs(
        self, items: Sequence[Question], orders: Sequence[Sequence[str]]
    ) -> np.ndarray:
        size = len(orders[0])
        letters = string.ascii_uppercase[:size]
        replies = self._send([self._request(q, o) for q, o in zip(items, orders, strict=True)])
        if self.mode == "logprobs" and any(
            (isinstance(r, RequestFailed) and r.fatal)
            or (isinstance(r, Reply) and not r.top_logprobs)
            for r in replies
        ):
            # the server refuses logprobs (an error about the request, not the server),
            # or ignores them
            self.mode = "text"
            replies = self._send([self._request(q, o) for q, o in zip(items, orders, strict=True)])
        rows = np.full((len(items), size), -np.inf)
        for row, (reply, order) in enumerate(zip(replies, orders, strict=True)):
            if not isinstance(reply, Reply):
                why = reply if reply is not None else "not sent: the server went away"
                raise EvalError(f"the served grader got no answer: {why}")
            if reply.top_logprobs:
                for token, logprob in reply.top_logprobs.items():
                    letter = token.strip()
                    if len(letter) == 1 and letter in letters:
                        k = letters.index(letter)
                        rows[row, k] = np.logaddexp(rows[row, k], logprob)
            else:
                first = next((ch for ch in reply.text.strip() if ch in letters), None)
                if first is not None:
                    rows[row, letters.index(first)] = 0.0
            if np.all(np.isneginf(rows[row])):
                rows[row, list(order).index(UNCLASSIFIED)] = 0.0
            rows[row] -= np.logaddexp.reduce(rows[row])
        return rows


def create_served(options: JudgeOptions) -> ServedGrader:
    from policykit.evaluate.http import parse_served, require_openai

    assert options.model is not None
    name, url = parse_served(options.model)
    require_openai()
    endpoint = Endpoint(
        base_url=url.rstrip("/"),
        model=name,
        api_key_env=options.api_key_env,
        concurrency=options.concurrency,
    )
    return ServedGrader(endpoint, seed=options.seed)
