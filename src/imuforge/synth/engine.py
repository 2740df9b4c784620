"""Engines that make shards: this process (default), a local Ray instance, or an existing Ray cluster.

Each engine runs :func:`imuforge.synth.corpus.make_shard` on shard indices and hands every result to
``on_result`` in the calling process, which writes it (so workers need no shared file system). A shard
whose task raises or whose worker dies is retried ``retries`` times; what still fails is returned as
``(index, reason)`` pairs for the caller to report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from imuforge.errors import ValidationError, require_extra
from imuforge.synth.corpus import Plan, ShardResult, make_shard

#: tasks in flight per worker (bounds the shard bytes held in Ray's object store)
IN_FLIGHT_PER_WORKER = 2
#: object store of a local Ray instance: shards are a few MB each
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024


def run_shards(plan: Plan, todo: Sequence[int], *, workers: int | None, address: str | None, retries: int,
               on_result: Callable[[ShardResult], None]) -> list[tuple[int, str]]:
    """Make the shards ``todo`` of ``plan`` on the engine chosen by ``workers`` / ``address``."""
    if workers is not None and not 1 <= workers <= 1024:
        raise ValidationError(f"--workers {workers} is out of range", allowed="1 … 1024")
    if retries < 0:
        raise ValidationError(f"retries must be >= 0, got {retries}")
    if workers is None and address is None:
        return _run_here(plan, todo, retries, on_result)
    return _run_ray(plan, todo, workers, address, retries, on_result)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def _run_here(plan: Plan, todo: Sequence[int], retries: int,
              on_result: Callable[[ShardResult], None]) -> list[tuple[int, str]]:
    failures = []
    for i in todo:
        for attempt in range(retries + 1):
            try:
                result = make_shard(plan, i)
            except Exception as exc:  # reported with the shard; the other shards go on
                if attempt == retries:
                    failures.append((i, _reason(exc)))
                continue
            on_result(result)
            break
    return failures


def _start_ray(workers: int | None, address: str | None):
    """ray, connected (to ``address``, or a new local instance of ``workers`` CPUs); and whether we started it."""
    ray = require_extra("ray", purpose="imuforge generate --workers / --ray-address")
    if ray.is_initialized():
        return ray, False
    common = dict(logging_level=logging.ERROR, log_to_driver=False, configure_logging=True)
    try:
        if address is not None:
            ray.init(address=address, **common)
        else:
            ray.init(address="local", num_cpus=workers, include_dashboard=False,
                     object_store_memory=LOCAL_OBJECT_STORE_BYTES, **common)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError … for a cluster it cannot use
        where = f"the Ray cluster at {address}" if address is not None else "a local Ray instance"
        raise ValidationError(f"cannot start or reach {where}: {_reason(exc)}",
                              allowed="--ray-address auto on a cluster's head node, HOST:PORT of a running "
                                      "cluster, or --workers N") from None
    return ray, True


def _run_ray(plan: Plan, todo: Sequence[int], workers: int | None, address: str | None, retries: int,
             on_result: Callable[[ShardResult], None]) -> list[tuple[int, str]]:
    ray, started = _start_ray(workers, address)
    try:
        task = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=True)(make_shard)
        plan_ref = ray.put(plan)
        slots = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        queue = list(todo)
        pending: dict = {}
        failures: list[tuple[int, str]] = []
        while queue or pending:
            while queue and len(pending) < IN_FLIGHT_PER_WORKER * slots:
                i = queue.pop(0)
                pending[task.remote(plan_ref, i)] = i
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as exc:  # raised or died after its retries
                    failures.append((i, _reason(getattr(exc, "cause", None) or exc)))
                    continue
                on_result(result)
        return failures
    finally:
        if started:
            ray.shutdown()
