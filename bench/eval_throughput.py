"""Evaluator throughput, each measured against a baseline in the same run.

``--mode likelihood`` (default): policykit vs a naive loop vs lm-evaluation-harness.
``--mode generate``: generate-mode tokens/s, policykit's batched sampling (cases
left-padded into one ``generate`` call, each prompt prefilled once for all its samples)
against plain ``model.generate`` called once per case with ``num_return_sequences``, on
the same prompts with the same decoding settings, taking turns.
``--mode judge``: responses/s of each built-in offline judge on the labelled test split.
``--mode ray``: cases/s of ``--backend`` (likelihood or generate) sharded over 1 and 2
Ray actors of a local cluster (``--ray local``), taking turns, each actor set started
and its model loaded before the clock starts; the estimates of both are checked equal.
``--mode served``: requests/s of the openai backend at ``--concurrency`` 1 and 8 against
``transformers serve`` on a loopback port (started here on ``--model``'s folder, or the
bundled model's converted checkpoint), each run with an empty response cache.
``--mode all``: likelihood, generate and judge in turn.

Likelihood mode:

All three score the same continuations (every exemplar of every outcome) of the same
cases with the same model, one after the other in this process:

- policykit: ``LikelihoodBackend.estimate`` (tokenization, batching, the prompt computed
  once per case and its key/value cache reused, P_model per case);
- naive: one forward pass per continuation over prompt + continuation, batch size 1;
- lm-eval: ``HFLM._loglikelihood_tokens`` on the very same token ids (so lm-eval's own
  tokenization is not even timed), at the same batch size.

The methods take turns on slices of the cases, so that a change in the machine's load
during the run weighs on all three alike.

It prints cases per second for each, the ratios, policykit's own overhead (its wall time
outside model calls, as a share of the model's time), and the largest difference between
the three methods' log-likelihoods.

    python bench/eval_throughput.py                 # bundled SmolLM2, 12 cases
    python bench/eval_throughput.py --cases 24 --batch-size 8 --model path/to/model
    python bench/eval_throughput.py --mode generate --cases 16 --samples 8
    python bench/eval_throughput.py --mode judge
    python bench/eval_throughput.py --mode ray --backend likelihood --cases 48
    python bench/eval_throughput.py --mode ray --backend generate --cases 16 --samples 4
    python bench/eval_throughput.py --mode served --cases 16 --samples 2 --max-new-tokens 32
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def naive_scores(model: Any, encoded: list[Any]) -> list[float]:
    import torch

    out = []
    with torch.inference_mode():
        for enc in encoded:
            for cont in enc.continuations:
                ids = torch.tensor([list(enc.prompt) + list(cont)])
                logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
                start = len(enc.prompt)
                targets = torch.tensor(cont)
                positions = torch.arange(start - 1, start - 1 + len(cont))
                out.append(float(logprobs[positions, targets].sum()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model folder, .gguf, or hub id")
    parser.add_argument("--project", default=str(REPO / "examples" / "health_assistant"))
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="turns the methods take")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-lm-eval", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--mode",
        choices=["likelihood", "generate", "judge", "ray", "served", "all"],
        default="likelihood",
    )
    parser.add_argument(
        "--backend", choices=["likelihood", "generate"], default="likelihood", help="ray mode"
    )
    parser.add_argument("--samples", type=int, default=8, help="generate: samples per case")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument(
        "--judges", nargs="+", default=["stance", "nearest"], help="judge: which judges"
    )
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {}
    if args.mode in ("generate", "all"):
        figures["generate"] = generate_mode(args)
    if args.mode in ("judge", "all"):
        figures["judge"] = judge_mode(args)
    if args.mode in ("likelihood", "all"):
        figures["likelihood"] = likelihood_mode(args)
    if args.mode == "ray":
        figures["ray"] = ray_mode(args)
    if args.mode == "served":
        figures["served"] = served_mode(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def generate_mode(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from policykit.evaluate.cases import load_cases
    from policykit.evaluate.generate import GenerateBackend
    from policykit.evaluate.judges.embed import Embedder
    from policykit.evaluate.judges.nearest import NearestJudge
    from policykit.evaluate.models import load_causal_lm, resolve_model
    from policykit.evaluate.types import EvalOptions
    from policykit.pipeline import compile_project

    spec = compile_project(args.project).spec
    assert spec is not None, "the project does not compile"
    cases = list(load_cases(spec, limit=args.cases))
    loaded = load_causal_lm(resolve_model(args.model), "cpu")
    model, tok = loaded.model, loaded.tokenizer
    options = EvalOptions(
        batch_size=args.batch_size, samples=args.samples, max_new_tokens=args.max_new_tokens
    )
    # only sampling is timed here: the judge is never called (judge mode measures it)
    unused = NearestJudge(Embedder(lambda texts: np.zeros((len(texts), 1)), "unused"))
    backend = GenerateBackend(
        model, tok, unused, model_name=loaded.name, device="cpu", options=options
    )
    d = backend.decoding
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    print(
        f"generate: {len(cases)} cases x {d.samples} samples, at most {d.max_new_tokens} new "
        f"tokens, temperature {d.temperature}, top-p {d.top_p}; batch {args.batch_size} "
        f"cases; {loaded.name}; {torch.get_num_threads()} threads"
    )

    def plain(part: list[Any]) -> int:
        tokens = 0
        for case in part:
            enc = tok([backend.prompt_text(case)], return_tensors="pt", add_special_tokens=False)
            with torch.inference_mode():
                out = model.generate(
                    **enc,
                    do_sample=True,
                    temperature=d.temperature,
                    top_p=d.top_p,
                    top_k=0,
                    max_new_tokens=d.max_new_tokens,
                    num_return_sequences=d.samples,
                    pad_token_id=pad,
                )
            tokens += int((out[:, enc["input_ids"].shape[1] :] != pad).sum())
        return tokens

    seconds = {"policykit": 0.0, "plain": 0.0}
    tokens = {"policykit": 0, "plain": 0}
    step = max(args.batch_size, -(-len(cases) // args.rounds))
    for index, start in enumerate(range(0, len(cases), step)):
        part = cases[start : start + step]
        before = backend.generated_tokens
        started = time.perf_counter()
        for k in range(0, len(part), args.batch_size):
            backend.sample(part[k : k + args.batch_size], index * 1000 + k)
        seconds["policykit"] += time.perf_counter() - started
        tokens["policykit"] += backend.generated_tokens - before
        started = time.perf_counter()
        tokens["plain"] += plain(part)
        seconds["plain"] += time.perf_counter() - started
    rate = {k: tokens[k] / seconds[k] for k in seconds}
    for k in ("policykit", "plain"):
        print(f"{k:10s} {seconds[k]:8.1f} s  {tokens[k]:7d} tokens  {rate[k]:8.1f} tokens/s")
    print(f"policykit / plain model.generate: {rate['policykit'] / rate['plain']:.2f}x tokens/s")
    return {
        "cases": len(cases),
        "samples": d.samples,
        "seconds": seconds,
        "tokens": tokens,
        "tokens_per_s": rate,
        "ratio": rate["policykit"] / rate["plain"],
    }


def judge_mode(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from policykit.evaluate.judges import JudgeOptions, get_judge
    from policykit.evaluate.judges.check import catalog_outcomes, read_labels

    labels = REPO / "policykit" / "evaluate" / "labels" / "test.jsonl"
    gold = read_labels(labels, catalog_outcomes("std:core/catalog.yaml"))
    questions = [g.question for g in gold]
    out: dict[str, Any] = {"responses": len(questions)}
    print(f"judge: {len(questions)} labelled responses; {torch.get_num_threads()} threads")
    for name in args.judges:
        judge = get_judge(name)(JudgeOptions())
        judge.judge(questions[:8])  # warm-up: load, allocate, first behaviors' references
        started = time.perf_counter()
        judge.judge(questions)
        wall = time.perf_counter() - started
        out[name] = {"seconds": wall, "responses_per_s": len(questions) / wall}
        print(f"{name:10s} {wall:8.2f} s  {len(questions) / wall:8.1f} responses/s")
    return out


def likelihood_mode(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from policykit.evaluate.cases import load_cases
    from policykit.evaluate.likelihood import LikelihoodBackend, LikelihoodScorer
    from policykit.evaluate.models import load_causal_lm, resolve_model
    from policykit.pipeline import compile_project

    spec = compile_project(args.project).spec
    assert spec is not None, "the project does not compile"
    cases = list(load_cases(spec, limit=args.cases))
    loaded = load_causal_lm(resolve_model(args.model), "cpu")
    model, tokenizer = loaded.model, loaded.tokenizer
    scorer = LikelihoodScorer(model, tokenizer, batch_size=args.batch_size)
    encoded = [scorer.encode(c) for c in cases]
    continuations = sum(len(e.continuations) for e in encoded)
    prompt_tokens = sum(len(e.prompt) for e in encoded) / len(encoded)
    cont_tokens = sum(len(c) for e in encoded for c in e.continuations) / continuations
    print(
        f"{len(cases)} cases, {continuations} continuations; mean prompt {prompt_tokens:.0f} "
        f"tokens, mean continuation {cont_tokens:.1f} tokens; model {loaded.name}; "
        f"batch size {args.batch_size}; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}"
    )
    with torch.inference_mode():  # warm-up: first calls allocate
        model(input_ids=torch.tensor([list(encoded[0].prompt)]))

    # The three methods take turns on slices of the cases (policykit, naive, lm-eval,
    # then the next slice), so a change in the machine's load during the run falls on
    # all three alike.
    hflm = None
    if not args.skip_lm_eval:
        from lm_eval.models.huggingface import HFLM

        hflm = HFLM(
            pretrained=model,
            tokenizer=tokenizer,
            batch_size=args.batch_size,
            device="cpu",
            add_bos_token=False,
        )
    backend = LikelihoodBackend(scorer, model_name=loaded.name, device="cpu")
    seconds = {"policykit": 0.0, "naive": 0.0, "lm_eval": 0.0}
    scores: dict[str, list[float]] = {"policykit": [], "naive": [], "lm_eval": []}
    model_seconds = 0.0
    step = max(args.batch_size, -(-len(cases) // args.rounds))
    for start in range(0, len(cases), step):
        part = cases[start : start + step]
        part_encoded = encoded[start : start + step]
        before = scorer.model_seconds
        started = time.perf_counter()
        estimates = backend.estimate(part, lambda n: None)
        seconds["policykit"] += time.perf_counter() - started
        model_seconds += scorer.model_seconds - before
        # in encode()'s order: outcomes in case order, each outcome's exemplars in order
        scores["policykit"] += [
            s.logprob
            for est, case in zip(estimates, part, strict=True)
            for o in case.outcome_ids
            for s in (est.exemplars or {})[o]
        ]
        if not args.skip_naive:
            started = time.perf_counter()
            scores["naive"] += naive_scores(model, part_encoded)
            seconds["naive"] += time.perf_counter() - started
        if hflm is not None:
            requests = [
                (("", ""), list(e.prompt), list(c)) for e in part_encoded for c in e.continuations
            ]
            started = time.perf_counter()
            scores["lm_eval"] += [
                ll for ll, _ in hflm._loglikelihood_tokens(requests, disable_tqdm=True)
            ]
            seconds["lm_eval"] += time.perf_counter() - started

    ours_wall = seconds["policykit"]
    figures: dict[str, Any] = {
        "cases": len(cases),
        "continuations": continuations,
        "policykit": {
            "seconds": ours_wall,
            "cases_per_s": len(cases) / ours_wall,
            "model_seconds": model_seconds,
            "overhead": (ours_wall - model_seconds) / model_seconds,
        },
    }
    print(
        f"policykit   {ours_wall:8.1f} s  {len(cases) / ours_wall:7.3f} cases/s  "
        f"(model {model_seconds:.1f} s; policykit overhead {figures['policykit']['overhead']:.1%})"
    )
    for name, label, skipped in (
        ("naive", "naive      ", args.skip_naive),
        ("lm_eval", "lm-eval    ", args.skip_lm_eval),
    ):
        if skipped:
            continue
        wall = seconds[name]
        diff = max(abs(a - b) for a, b in zip(scores["policykit"], scores[name], strict=True))
        figures[name] = {
            "seconds": wall,
            "cases_per_s": len(cases) / wall,
            "speedup": wall / ours_wall,
            "max_abs_diff": diff,
        }
        print(
            f"{label} {wall:8.1f} s  {len(cases) / wall:7.3f} cases/s  "
            f"-> policykit is {wall / ours_wall:.2f}x  (max |Δ loglik| {diff:.1e})"
        )
    return figures


def _bench_cases(args: argparse.Namespace) -> list[Any]:
    from policykit.evaluate.cases import load_cases
    from policykit.pipeline import compile_project

    spec = compile_project(args.project).spec
    assert spec is not None, "the project does not compile"
    return list(load_cases(spec, limit=args.cases))


def ray_mode(args: argparse.Namespace) -> dict[str, Any]:
    import ray

    from policykit.evaluate.distributed import RayCluster, ray_backend
    from policykit.evaluate.types import EvalOptions

    cases = _bench_cases(args)
    options = EvalOptions(
        model=args.model,
        device="cpu",
        batch_size=args.batch_size,
        samples=args.samples,
        max_new_tokens=args.max_new_tokens,
        judge="nearest",
    )
    print(
        f"ray: {args.backend}, {len(cases)} cases, batch {args.batch_size}"
        + (f", {args.samples} samples" if args.backend == "generate" else "")
        + "; a local cluster of 2 CPUs, one CPU (one torch thread) per actor"
    )
    seconds = {1: 0.0, 2: 0.0}
    results: dict[int, list[Any]] = {}
    for _ in range(args.rounds):
        for workers in (2, 1):
            backend = ray_backend(args.backend, options, RayCluster("local", workers))
            backend.estimate(cases[: args.batch_size], lambda n: None)  # warm-up
            started = time.perf_counter()
            results[workers] = backend.estimate(cases, lambda n: None)
            seconds[workers] += time.perf_counter() - started
            for actor in backend.actors:
                ray.kill(actor)
    ray.shutdown()
    same = [e.model for e in results[1]] == [e.model for e in results[2]]
    rate = {w: len(cases) * args.rounds / seconds[w] for w in seconds}
    for w in (1, 2):
        print(f"{w} worker{'s' * (w > 1)}  {seconds[w]:8.1f} s  {rate[w]:8.2f} cases/s")
    print(f"2 workers / 1 worker: {rate[2] / rate[1]:.2f}x cases/s; estimates equal: {same}")
    return {
        "backend": args.backend,
        "cases": len(cases),
        "rounds": args.rounds,
        "seconds": seconds,
        "cases_per_s": rate,
        "ratio": rate[2] / rate[1],
        "equal": same,
    }


def served_mode(args: argparse.Namespace) -> dict[str, Any]:
    import socket
    import subprocess
    import tempfile

    import httpx

    from policykit.evaluate.models import load_causal_lm, resolve_model
    from policykit.evaluate.served import create
    from policykit.evaluate.types import EvalOptions

    ref = resolve_model(args.model)
    folder = ref.location
    if ref.kind == "gguf":
        from policykit.evaluate.models import _gguf_cache_dir

        load_causal_lm(ref, "cpu")  # converts and caches the checkpoint once
        folder = str(_gguf_cache_dir(Path(ref.location)))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cli = Path(sys.executable).parent / "transformers"
    server = subprocess.Popen(
        [str(cli), "serve", folder, "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        cases = _bench_cases(args)
        requests = len(cases) * args.samples
        print(
            f"served: transformers serve {folder} on {url}; {len(cases)} cases x "
            f"{args.samples} samples, at most {args.max_new_tokens} new tokens, temperature 0"
        )
        seconds: dict[int, float] = {1: 0.0, 8: 0.0}
        tokens: dict[int, int] = {1: 0, 8: 0}
        for _ in range(args.rounds):
            for concurrency in (1, 8):
                with tempfile.TemporaryDirectory() as cache:
                    backend = create(
                        EvalOptions(
                            model=folder,
                            base_url=url,
                            samples=args.samples,
                            max_new_tokens=args.max_new_tokens,
                            temperature=0.0,
                            concurrency=concurrency,
                            judge="nearest",
                            cache_dir=Path(cache),
                        )
                    )
                    backend.estimate(cases, lambda n: None)
                    # the requests alone: the judge's time is not the server's
                    seconds[concurrency] += backend.request_seconds
                    tokens[concurrency] += backend.counters.tokens.get("completion_tokens", 0)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rate = {c: requests * args.rounds / seconds[c] for c in seconds}
    for c in (1, 8):
        print(
            f"concurrency {c}  {seconds[c]:8.1f} s  {rate[c]:8.2f} requests/s  "
            f"{tokens[c] / seconds[c]:8.1f} tokens/s"
        )
    print(f"concurrency 8 / 1: {rate[8] / rate[1]:.2f}x requests/s")
    return {"requests": requests, "seconds": seconds, "requests_per_s": rate}


if __name__ == "__main__":
    sys.exit(main())
