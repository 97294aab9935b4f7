"""``--ray``: the cases of a local backend sharded over Ray actors.

Each actor builds the backend once (so loads the model once, on the GPUs it reserved
with ``--ray-gpus-per-worker``) and runs whole batches of the backend's own plan
(:class:`~policykit.evaluate.types.Batched`): the first actor plans, the batches are
dealt out in turn, and the estimates are gathered back in case order. A batch is
computed exactly as in one process (the same cases together, the same padding, the
generate backend's sampling seeded by the batch's place in the plan), so the results
are byte for byte those of a single-process run with the same seed and as many torch
threads as a worker has CPUs (``--ray-cpus-per-worker``, default 1; one process with
``OMP_NUM_THREADS=1``): float32 sums in another order can differ in their last bits.

``--ray local`` starts a cluster on this machine with the workers' CPUs; ``--ray``
joins the cluster this machine belongs to (``ray start``), ``--ray ray://HOST:10001`` a
remote one, whose nodes need policykit, the model and the inputs at the same paths.
HTTP backends do not shard: their scaling axis is ``--concurrency``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from policykit.evaluate.cases import Case
from policykit.evaluate.errors import EvalError, MissingDependency
from policykit.evaluate.types import Batch, Batched, Estimate, EvalOptions, Progress

RAY_EXTRA = "pip install 'policykit[ray]'"
LOCAL_OBJECT_STORE = 256 * 1024 * 1024
"""Bytes of shared memory a local cluster reserves: cases and estimates are small."""


@dataclass(frozen=True, slots=True)
class RayCluster:
    address: str
    """``local``, ``auto`` or a ``ray://`` address."""
    workers: int = 2
    gpus_per_worker: float = 0.0
    cpus_per_worker: int = 1
    """CPUs each actor reserves; Ray runs it with as many threads (``OMP_NUM_THREADS``),
    and torch's sums, so the last bits of float32 scores, depend on that count."""


def require_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependency(
            f"evaluating on Ray needs Ray (not installed): {RAY_EXTRA}"
        ) from None
    return ray


class ShardWorker:
    """What runs in each actor: one backend, built once."""

    def __init__(self, backend: str, options: EvalOptions) -> None:
        from policykit.evaluate.registry import get_backend

        self.backend = get_backend(backend)(options)
        if not isinstance(self.backend, Batched):
            raise EvalError(f"backend {backend!r} cannot be sharded (it has no plan of batches)")

    def describe(self) -> dict[str, Any]:
        settings = getattr(self.backend, "settings", None)
        return {
            "model_name": self.backend.model_name,
            "device": self.backend.device,
            "settings": settings() if callable(settings) else {},
            "load_seconds": float(getattr(self.backend, "load_seconds", 0.0) or 0.0),
        }

    def plan(self, cases: Sequence[Case]) -> list[Batch]:
        assert isinstance(self.backend, Batched)
        return self.backend.plan(cases)

    def run(self, cases: Sequence[Case], batch: Batch) -> list[Estimate]:
        assert isinstance(self.backend, Batched)
        return self.backend.estimate_batch(cases, batch)

    def model_seconds(self) -> float:
        return self.backend.model_seconds

    def generated_tokens(self) -> int | None:
        tokens = getattr(self.backend, "generated_tokens", None)
        return tokens if isinstance(tokens, int) else None


class RayBackend:
    def __init__(self, name: str, actors: list[Any], ray: Any) -> None:
        self.name = name
        self.actors = actors
        self.ray = ray
        first = ray.get(actors[0].describe.remote())
        self.model_name = str(first["model_name"])
        self.device = str(first["device"])
        self._settings: dict[str, Any] = dict(first["settings"])
        self.load_seconds = max(
            float(d["load_seconds"]) for d in ray.get([a.describe.remote() for a in actors])
        )

    def settings(self) -> dict[str, Any]:
        return self._settings

    @property
    def model_seconds(self) -> float:
        return float(sum(self.ray.get([a.model_seconds.remote() for a in self.actors])))

    @property
    def generated_tokens(self) -> int | None:
        counts = self.ray.get([a.generated_tokens.remote() for a in self.actors])
        return None if None in counts else int(sum(counts))

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        ray = self.ray
        shared = ray.put(list(cases))
        plan: list[Batch] = ray.get(self.actors[0].plan.remote(shared))
        progress(len(cases) - sum(len(b.members) for b in plan))
        pending = {
            self.actors[k % len(self.actors)].run.remote(shared, batch): batch
            for k, batch in enumerate(plan)
        }
        done: dict[int, list[Estimate]] = {}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                batch = pending.pop(ref)
                done[batch.index] = ray.get(ref)
                progress(len(batch.members))
        position = {c.id: i for i, c in enumerate(cases)}
        estimates = [e for b in plan for e in done[b.index]]
        return sorted(estimates, key=lambda e: position[e.case])


def ray_backend(name: str, options: EvalOptions, cluster: RayCluster) -> RayBackend:
    """The backend ``name`` on ``cluster.workers`` actors (a cluster is started or
    joined on first use)."""
    ray = require_ray()
    if not ray.is_initialized():
        if cluster.address == "local":
            ray.init(
                num_cpus=cluster.workers * cluster.cpus_per_worker,
                num_gpus=None,
                include_dashboard=False,
                object_store_memory=LOCAL_OBJECT_STORE,
                log_to_driver=False,
                configure_logging=False,
            )
        else:
            try:
                ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise EvalError(f"cannot join the Ray cluster at {cluster.address}: {exc}") from exc
    remote = ray.remote(num_cpus=cluster.cpus_per_worker, num_gpus=cluster.gpus_per_worker)(
        ShardWorker
    )
    actors = [remote.remote(name, options) for _ in range(cluster.workers)]
    try:
        return RayBackend(name, actors, ray)
    except ray.exceptions.RayActorError as exc:
        cause = getattr(exc, "cause", None) or exc
        raise EvalError(f"a Ray worker could not build the {name} backend: {cause}") from None
