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
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from imuforge.errors import ValidationError, require_extra
from imuforge.synth.corpus import Plan, ShardFailure, ShardResult, make_shard

#: tasks in flight per worker (bounds the shard bytes held in Ray's object store)
IN_FLIGHT_PER_WORKER = 2
#: object store of a local Ray instance: shards are a few MB each
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024


def run_shards(plan: Plan, todo: Sequence[int], *, workers: int | None, address: str | None, retries: int,
               on_result: Callable[[ShardResult], None]) -> list[ShardFailure]:
    """Make the shards ``todo`` of ``plan`` on the engine chosen by ``workers`` / ``address``."""
    check_engine(workers, address, retries)
    if workers is None and address is None:
        return _run_here(plan, todo, retries, on_result)
    return _run_ray(plan, todo, workers, address, retries, on_result)


#: how the engine's parameters are named in Python (:func:`generate_corpus`) and on the command line
ENGINE_NAMES = {False: ("workers", "ray_address", "retries"),
                True: ("--workers", "--ray-address", "--retries")}


def check_engine(workers: int | None, address: str | None, retries: int, *, flags: bool = False) -> None:
    """Refuse an engine choice that cannot run (before any file of the corpus is written); ``flags``: named
    as the command's flags (``--workers``), not as the parameters (``workers``)."""
    w, a, r = ENGINE_NAMES[flags]
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or not 1 <= workers <= 1024):
        raise ValidationError(f"{w} {workers!r} is out of range", allowed="an integer 1 … 1024"
                              + ("" if flags else ", or None (in this process)"))
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValidationError(f"{r} {retries!r} is not a count", allowed="an integer >= 0")
    if workers is not None and address is not None:
        raise ValidationError(f"{w} and {a} exclude each other",
                              allowed=f"{w} N (a local Ray) or {a} ADDR (a cluster)")


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
RAY_ALLOWED = ("--ray-address auto on a cluster's head node, HOST:PORT of a running cluster (with "
               "RAY_AUTH_MODE=token and its token), ray://HOST:10001 (its Ray Client server), or --workers N")


def check_ray_reachable(address: str) -> None:
    """Refuse, in one line, a ``--ray-address`` at which no Ray cluster answers: ``ray.init`` would retry
    for many minutes, printing Ray's own warnings. ``auto`` is resolved as Ray resolves it (``RAY_ADDRESS``,
    then the cluster this machine last started, then any running on it): none is the refusal, and so is an
    address Ray does not read (``garbage``); the resolved GCS port, or a ``ray://`` (Ray Client) address's
    port, must accept a TCP connection within :data:`RAY_REACH_S`."""
    require_extra("ray", purpose="imuforge generate --workers / --ray-address")
    env = os.environ.get("RAY_ADDRESS", "")
    if address == "auto" and "://" in env:  # ray.init puts RAY_ADDRESS in for auto; a "://" is Ray Client's
        if env.startswith("ray://"):  # another scheme (a Ray Client module's): ray.init decides
            _check_client(f"auto (RAY_ADDRESS={env})", env)
        return
    if address.startswith("ray://"):
        _check_client(address, address)
        return
    try:
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:  # a Ray without it: ray.init decides
        return
    try:
        resolved = canonicalize_bootstrap_address(address)
    except ConnectionError:  # "auto" (or RAY_ADDRESS=auto) and no cluster on this machine
        resolved = None
    except ValueError as exc:  # Ray 2.60: "Invalid address format: garbage"
        env = os.environ.get("RAY_ADDRESS")
        said = f" (RAY_ADDRESS={env})" if address == "auto" and env else ""
        raise ValidationError(f"--ray-address {address}{said} is not an address Ray reads "
                              f"({' '.join(str(exc).split())[:120]})", allowed=RAY_ALLOWED) from None
    except OSError as exc:  # a host name that does not resolve
        raise ValidationError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}",
                              allowed=RAY_ALLOWED) from None
    if resolved is None:
        raise ValidationError(f"--ray-address {address}: no Ray cluster is running on this machine "
                              "(ray start --head starts one)", allowed=RAY_ALLOWED)
    _check_listening(address, resolved)
    _check_token(address, resolved)


def sends_token(address: str, mode: str | None, env_address: str | None, source: str | None) -> bool:
    """Whether ``ray.init(address)`` sends this machine's token (Ray 2.60, ``_private/worker.py``): with
    ``RAY_AUTH_MODE=token``; or, the mode unset, for a cluster found automatically — ``auto`` not replaced by
    a ``RAY_ADDRESS`` that names one (an explicit address never turns it on) — when a token is found
    (``source``)."""
    if (mode or "").lower() == "token":
        return True
    found = address == "auto" and (env_address or "auto").strip() in ("", "auto")
    return mode is None and found and source is not None


def _check_client(address: str, url: str) -> None:
    """Refuse, in one line, a Ray Client ``url`` (``ray://HOST:PORT``; ``address``: as the user gave it)
    whose server does not answer, or turns this driver's token away."""
    where = url[len("ray://"):].split("/", 1)[0]
    _check_listening(address, where, client=True)
    _check_token(address, where, client=True)


#: what a cluster of token authentication (Ray 2.60's default) needs of a driver given its address
RAY_TOKEN_HOW = ("RAY_AUTH_MODE=token and the head node's token (its ~/.ray/auth_token copied to this "
                 "machine's ~/.ray/auth_token, or RAY_AUTH_TOKEN / RAY_AUTH_TOKEN_PATH)")


def _token_source() -> str | None:
    """Where Ray reads this machine's cluster token from (None: nowhere)."""
    from pathlib import Path

    for var in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        if os.environ.get(var):
            return var
    default = Path.home() / ".ray" / "auth_token"
    return str(default) if default.is_file() else None


def _check_token(address: str, resolved: str, client: bool = False) -> None:
    """Refuse, in one line naming the token and the fix, a cluster whose GCS turns this driver's token away:
    ``ray.init`` would print Ray's C++ warning (``InvalidAuthToken``) every second for ≈ 20 s and then fail
    with a bare ``ConnectionError`` (a ``ray://`` address: a bare timeout after ≈ 30 s). Ray sends a token
    when ``RAY_AUTH_MODE=token``, or for ``auto`` when the mode is unset and a token is found. The GCS is
    asked as ``ray.init`` first asks it (``GetClusterId``; a Ray Client server: its ping), within
    :data:`RAY_REACH_S`. Any other answer is left to ``ray.init`` (a TLS cluster is not asked)."""
    try:
        import grpc
        from ray.core.generated import (gcs_service_pb2, gcs_service_pb2_grpc, ray_client_pb2,
                                        ray_client_pb2_grpc)
    except ImportError:  # a Ray without them: ray.init decides
        return
    if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
        return
    source = _token_source()
    sends = sends_token(address, os.environ.get("RAY_AUTH_MODE"), os.environ.get("RAY_ADDRESS"), source)
    metadata: tuple = ()
    if sends and source is not None:
        with contextlib.suppress(Exception):  # the token as Ray sends it (its loader reads every source)
            from ray._raylet import AuthenticationTokenLoader

            header = AuthenticationTokenLoader.instance().get_token_for_http_header(ignore_auth_mode=True)
            metadata = tuple(header.items())
    try:
        with grpc.insecure_channel(resolved) as channel:
            if client:  # a Ray Client server: its ping
                ray_client_pb2_grpc.RayletDriverStub(channel).ClusterInfo(
                    ray_client_pb2.ClusterInfoRequest(type=ray_client_pb2.ClusterInfoType.PING),
                    timeout=RAY_REACH_S, metadata=metadata)
            else:
                gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel).GetClusterId(
                    gcs_service_pb2.GetClusterIdRequest(), timeout=RAY_REACH_S, metadata=metadata)
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.UNAUTHENTICATED:
            return
        why = ("it takes a token; this driver sends none" if not sends else
               "RAY_AUTH_MODE=token, but this machine has no token" if not metadata else
               f"it refuses this machine's token (from {source}): not the head node's")
        raise ValidationError(f"the Ray cluster at {address} uses token authentication: {why}",
                              allowed=RAY_TOKEN_HOW) from None
    except Exception:  # noqa: BLE001 - a probe only: ray.init decides
        return


def _check_listening(address: str, resolved: str, client: bool = False) -> None:
    """Refuse ``address`` unless ``resolved`` (``HOST:PORT``) accepts a TCP connection within
    :data:`RAY_REACH_S`."""
    import socket

    host, _, port = resolved.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=RAY_REACH_S):
            pass
    except (OSError, ValueError) as exc:
        said = f" (which Ray resolves to {resolved})" if resolved != address and not client else ""
        why = ("nothing listens there (connection refused)" if isinstance(exc, ConnectionRefusedError) else
               f"nothing answered within {RAY_REACH_S:g} s" if isinstance(exc, TimeoutError) else
               "no port given (ray://HOST:10001)" if isinstance(exc, ValueError) else
               f"{getattr(exc, 'strerror', None) or exc}")
        raise ValidationError(f"cannot reach the Ray cluster at {address}{said}: {why}",
                              allowed=RAY_ALLOWED) from None


@contextlib.contextmanager
def ray_session(workers: int | None, address: str | None) -> Iterator[Any]:
    """Ray connected for the engine ``workers`` / ``address`` chose (None: this process, nothing started),
    and shut down at the end when this call started it. Entered before the corpus folder is made: an address
    that cannot be used leaves nothing behind (it had left ``.progress/spec.json``, session 69)."""
    if workers is None and address is None:
        yield None
        return
    ray, started = _start_ray(workers, address)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


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
    with ray_session(workers, address) as ray:  # connected already when the caller entered one
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
