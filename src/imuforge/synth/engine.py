"""Engines that make shards: this process (default), a local Ray instance, or an existing Ray cluster.

Each engine runs :func:`imuforge.synth.corpus.make_shard` on shard indices and hands every result to
``on_result`` in the calling process, which writes it (so workers need no shared file system). A shard
whose task raises or whose worker dies is retried ``retries`` times, one refused as bad input (a
``ValidationError``, the same on every try) is not; what still fails is returned as
:class:`~imuforge.synth.corpus.ShardFailure` records for the caller to report.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Sequence

from imuforge.errors import ValidationError, require_extra
from imuforge.synth.corpus import Plan, ShardFailure, ShardResult, make_shard

#: tasks in flight per worker (bounds the shard bytes held in Ray's object store)
IN_FLIGHT_PER_WORKER = 2
#: object store of a local Ray instance: shards are a few MB each
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024


def run_shards(plan: Plan, todo: Sequence[int], *, workers: int | None, address: str | None, retries: int,
               on_result: Callable[[ShardResult], None]) -> list[ShardFailure]:
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


def make_or_refuse(plan: Plan, index: int) -> ShardResult | ShardFailure:
    """:func:`make_shard`, or the :class:`ShardFailure` of a shard refused as bad input: returned, not raised,
    so that no engine retries it (Ray retries what a task raises)."""
    try:
        return make_shard(plan, index)
    except ValidationError as exc:  # its own words, what is allowed included (not its class's name)
        return ShardFailure(index, " ".join(str(exc).split()), refused=True)


def _run_here(plan: Plan, todo: Sequence[int], retries: int,
              on_result: Callable[[ShardResult], None]) -> list[ShardFailure]:
    failures = []
    for i in todo:
        for attempt in range(retries + 1):
            try:
                result = make_or_refuse(plan, i)
            except Exception as exc:  # reported with the shard; the other shards go on
                if attempt == retries:
                    failures.append(ShardFailure(i, _reason(exc)))
                continue
            if isinstance(result, ShardFailure):
                failures.append(result)
            else:
                on_result(result)
            break
    return failures


#: seconds a cluster's GCS has to accept a connection before ``--ray-address`` is refused
#: (:func:`check_ray_reachable`)
RAY_REACH_S = 5.0
RAY_ALLOWED = "--ray-address auto on a cluster's head node, HOST:PORT of a running cluster, or --workers N"


def check_ray_reachable(address: str) -> None:
    """Refuse, in one line, a ``--ray-address`` at which no Ray cluster answers: ``ray.init`` would retry
    for many minutes, printing Ray's own warnings. ``auto`` is resolved as Ray resolves it (``RAY_ADDRESS``,
    then the cluster this machine last started); its GCS port must accept a TCP connection within
    :data:`RAY_REACH_S`. A ``ray://`` (Ray Client) address, or one this Ray cannot resolve, is left to
    ``ray.init``, which gives up by itself."""
    import socket

    require_extra("ray", purpose="imuforge generate --workers / --ray-address")
    if address.startswith("ray://"):
        return
    try:
        from ray._private.services import canonicalize_bootstrap_address

        resolved = canonicalize_bootstrap_address(address)
    except Exception:  # noqa: BLE001 - a Ray without it, or an address it does not read: ray.init decides
        return
    if resolved is None:
        raise ValidationError(f"--ray-address {address}: no Ray cluster is running on this machine "
                              "(ray start --head starts one)", allowed=RAY_ALLOWED)
    host, _, port = resolved.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=RAY_REACH_S):
            pass
    except (OSError, ValueError) as exc:
        said = f" (which Ray resolves to {resolved})" if resolved != address else ""
        why = ("nothing listens there (connection refused)" if isinstance(exc, ConnectionRefusedError) else
               f"nothing answered within {RAY_REACH_S:g} s" if isinstance(exc, TimeoutError) else
               f"{getattr(exc, 'strerror', None) or exc}")
        raise ValidationError(f"cannot reach the Ray cluster at {address}{said}: {why}",
                              allowed=RAY_ALLOWED) from None


def _start_ray(workers: int | None, address: str | None):
    """ray, connected (to ``address``, or a new local instance of ``workers`` CPUs); and whether we started it."""
    ray = require_extra("ray", purpose="imuforge generate --workers / --ray-address")
    if ray.is_initialized():
        return ray, False
    common = dict(logging_level=logging.ERROR, log_to_driver=False, configure_logging=True)
    # ray.init puts its own SIGTERM handler in (a bare exit 15) as it starts: a handler of the caller's (the
    # command's: exit 143, its line, the shards made kept and said) is put back; a SIGTERM while Ray starts
    # is that handler's too
    main = threading.current_thread() is threading.main_thread()
    own = signal.getsignal(signal.SIGTERM) if main else None
    try:
        if address is not None:
            ray.init(address=address, **common)
        else:
            ray.init(address="local", num_cpus=workers, include_dashboard=False,
                     object_store_memory=LOCAL_OBJECT_STORE_BYTES, **common)
    except SystemExit as exc:
        if exc.code != signal.SIGTERM or not callable(own):
            raise
        with contextlib.suppress(Exception):  # what Ray had started before the signal
            ray.shutdown()
        own(signal.SIGTERM, None)  # the caller's handler decides (the command's raises Terminated)
        raise
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError … for a cluster it cannot use
        where = f"the Ray cluster at {address}" if address is not None else "a local Ray instance"
        raise ValidationError(f"cannot start or reach {where}: {_reason(exc)}", allowed=RAY_ALLOWED) from None
    finally:
        if callable(own) or own is signal.SIG_IGN:  # the default (none) is left as Ray's: it unwinds
            signal.signal(signal.SIGTERM, own)
    return ray, True


def _run_ray(plan: Plan, todo: Sequence[int], workers: int | None, address: str | None, retries: int,
             on_result: Callable[[ShardResult], None]) -> list[ShardFailure]:
    ray, started = _start_ray(workers, address)
    try:
        task = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=True)(make_or_refuse)
        plan_ref = ray.put(plan)
        slots = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        queue = list(todo)
        pending: dict = {}
        failures: list[ShardFailure] = []
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
                    failures.append(ShardFailure(i, _reason(getattr(exc, "cause", None) or exc)))
                    continue
                if isinstance(result, ShardFailure):
                    failures.append(result)
                else:
                    on_result(result)
        return failures
    finally:
        if started:
            ray.shutdown()
