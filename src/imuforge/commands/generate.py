"""``imuforge generate SPEC.toml --out DIR``: a sharded synthetic corpus, deterministic and resumable."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from imuforge.progress import progress  # noqa: F401  (quiets other libraries' bars before they load)


def register(sub) -> None:
    from imuforge._shipped import shipped

    p = sub.add_parser(
        "generate", help="generate a sharded synthetic corpus from a spec (in-process, local Ray or a Ray cluster)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Examples:\n"
                    f"  imuforge generate {shipped('examples', 'corpus-small.toml')} --out corpus/\n"
                    "  imuforge generate spec.toml --out corpus/ --workers 2          (local Ray, imuforge[scale])\n"
                    "  imuforge generate spec.toml --out corpus/ --ray-address auto   (an existing Ray cluster)\n"
                    "  RAY_AUTH_MODE=token imuforge generate spec.toml --out c/ --ray-address HEAD:6379\n"
                    "Run the same command again after a kill: finished shards are verified and skipped.\n"
                    f"See {shipped('docs', 'CORPUS.md')} for the spec fields.")
    p.add_argument("spec", type=Path, help="corpus spec (TOML)")
    p.add_argument("--out", required=True, type=Path, help="output folder (a run of the same spec there resumes)")
    p.add_argument("--workers", type=int, help="start a local Ray instance with N workers (needs imuforge[scale])")
    p.add_argument("--ray-address",
                   help="use an existing Ray cluster: auto (on its head node), HOST:6379 or ray://HOST:10001 "
                        "(by address, Ray 2.60 sends the cluster's token only with RAY_AUTH_MODE=token: "
                        "~/.ray/auth_token copied from the head, or RAY_AUTH_TOKEN)")
    p.add_argument("--retries", type=int, default=2, help="retries of a failed shard (default 2)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier corpus of another spec in --out (a folder that holds other files "
                        "is never replaced)")
    p.set_defaults(func=run)


def run(args) -> int:
    from imuforge.synth.corpus import check_corpus_out, check_out_writable, make_plan
    from imuforge.synth.engine import ray_session
    from imuforge.synth.spec import load_spec

    spec = load_spec(args.spec)
    check_out_writable(args.out)  # before the plan (which a large spec takes seconds to make)
    plan = make_plan(spec, on_listing=lambda n: _say(n >= PLAN_NOTE_TAKES, f"{spec.name}: planning "
                                                     f"{n:,} recordings …"))
    # before any line is printed or file written; True: another spec's corpus there is replaced
    replacing = check_corpus_out(args.out, plan, overwrite=args.overwrite)
    _check_engine(args)
    _notes(spec, plan)
    # a cluster is connected to before the line on what is about to be made: one that cannot be used (its
    # token, its version) is refused in one line, and nothing is written (a local Ray starts after the line)
    with ray_session(None, args.ray_address) if args.ray_address is not None else contextlib.nullcontext():
        return _generate(args, spec, plan, replacing)


def _check_engine(args) -> None:
    """--workers, --retries and --ray-address checked (one line each; as ``generate_corpus`` checks them,
    named as flags), the cluster's address reached."""
    from imuforge.errors import check_range, require_extra
    from imuforge.synth.engine import check_engine

    check_engine(args.workers, args.ray_address, args.retries, flags=True)
    check_range("--retries", args.retries, 0, 10)  # the command's bound (the Python API takes any count)
    if args.workers is not None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if args.workers > cpus:  # each worker a process: more than the CPUs only share them
            print(f"note: --workers {args.workers} on a machine with {cpus} CPUs: the workers beyond {cpus} "
                  "share them and make the corpus no sooner", file=sys.stderr)
    if args.workers is not None or args.ray_address is not None:
        require_extra("ray", purpose="imuforge generate --workers / --ray-address")
    if args.ray_address is not None:  # said alone, before the line on what is about to be made
        from imuforge.synth.engine import check_ray_reachable

        check_ray_reachable(args.ray_address)


def _generate(args, spec, plan, replacing: bool) -> int:
    """The plan's line, the run, and what it made (or why not); ``replacing``: --out holds another spec's
    corpus, which --overwrite replaces (its shards are not verified)."""
    from imuforge.errors import Terminated, ValidationError
    from imuforge.synth.corpus import PROGRESS, data_text, estimate, generate_corpus

    engine = (f"Ray cluster {args.ray_address}" if args.ray_address is not None else
              f"local Ray, {args.workers} worker(s)" if args.workers else "in-process")
    size = estimate(plan)
    changes = sum(s.duration_s is None for s in plan.sources)  # as long as the movement takes, not --seconds
    natural = "its natural length" if spec.recordings == 1 else "their natural length"
    each = (f"{spec.seconds:g} s" if not changes else natural if changes == len(plan.sources)
            else f"{spec.seconds:g} s (changes of posture: their natural length)")
    print(f"{spec.name}: {_count(spec.recordings, 'recording')} × {each} in shards of "
          f"{spec.shard_size} ({engine}): {size.line()}", file=sys.stderr)
    _warn_disk(args.out, size.disk_bytes)

    if not replacing:  # the shards made before of this spec: each read and hashed before any is made
        made = sum(1 for _ in Path(args.out).glob("shard-*.parquet"))
        _say(made >= VERIFY_NOTE_SHARDS, f"verifying the {made} shard(s) made before (sha256) …")

    def resumed(skipped: int) -> None:  # before the progress bar, which starts at the shards done
        if skipped:
            print(f"resumed: {skipped} shard(s) already done (sha256 verified) are skipped", file=sys.stderr)

    try:
        res = generate_corpus(spec, args.out, workers=args.workers, ray_address=args.ray_address,
                              overwrite=args.overwrite, retries=args.retries, on_start=resumed, plan=plan)
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (Terminated)
        done = len(list((Path(args.out) / PROGRESS).glob("shard-*.json")))
        sigterm = isinstance(stop, Terminated) or Terminated.received  # Ray's waits raise a plain one
        print(f"imuforge generate: {'terminated (SIGTERM)' if sigterm else 'interrupted'} with {done} of "
              f"{plan.n_shards} shard(s) made; run the same command to resume (the shards made are kept)",
              file=sys.stderr)
        return 143 if sigterm else 130
    reasons = {(f.refused, f.reason) for f in res.failures}
    if res.failures and not res.made and len(reasons) == 1 and all(f.refused for f in res.failures):
        # every shard refused for one reason: bad input, not a passing fault (one line, exit 2)
        raise ValidationError(res.failures[0].reason)
    for f in res.failures:
        print(f"shard {f.index} {'was refused' if f.refused else f'failed after {args.retries} retries'}: "
              f"{f.reason}", file=sys.stderr)
    if not res.complete:
        print(f"imuforge generate: {len(res.failures)} shard(s) failed; run the same command again to make them "
              "(done shards are kept; a shard that fails again for the same reason is not a passing fault: "
              "report it with the reason above)", file=sys.stderr)
        return 1
    pace = f"{res.rate:.1f} rec/s, {res.made_duration_s / max(res.seconds, 1e-9):.0f}× real time"
    made = (f"this run made {_count(res.made_recordings, 'recording')} in {res.seconds:.1f} s ({pace})"
            if res.made else "this run made nothing (all shards were done)")
    print(f"wrote corpus {args.out}: {_count(res.recordings, 'recording')} in "
          f"{_count(res.made + res.skipped, 'shard')}, {data_text(res.duration_s)} of data; {made}")
    from imuforge.motion.plausibility import implausible_note

    for (prof, listed, worn), n in res.moved.items():  # as `imuforge motion` says it
        keep = f"name {listed} in placements" if spec.default_wear else "a wear_variation without side"
        print(f"note: {n} of the {spec.people} people wear {prof} at {worn}, not {listed} (wear variation: "
              f"the other side; their recordings are named for it); {keep} keeps it there", file=sys.stderr)
    flagged = implausible_note(res.implausible, res.recordings, "recordings' motions")
    if flagged:
        print(flagged, file=sys.stderr)
    return 0


#: takes from which the plan's listing is said before it starts (≈ 2.5 s per million; a bar shows after 1 s
#: on a terminal, but a log gets its first line after 10 s) and shards made before from which their check is
PLAN_NOTE_TAKES, VERIFY_NOTE_SHARDS = 500_000, 200


def _say(when: bool, line: str) -> None:
    """``line`` on stderr, ``when`` true: what a step that takes seconds is doing."""
    if when:
        print(line, file=sys.stderr, flush=True)


def _count(n: int, what: str) -> str:
    """``1 recording``, ``2 recordings``."""
    return f"{n} {what}{'' if n == 1 else 's'}"


def _warn_disk(out: Path, needed: float) -> None:
    """A warning (stderr) when the disk that will hold ``out`` has less free space than the corpus still needs
    (its shards already in ``out`` counted as made); nothing where the disk cannot be asked."""
    import shutil

    from imuforge.synth.corpus import size_text

    try:
        where = next((p for p in (out, *out.absolute().parents) if p.exists()), None)
        if where is None:
            return
        free = shutil.disk_usage(where).free
        needed -= sum(p.stat().st_size for p in out.glob("shard-*.parquet")) if out.is_dir() else 0
    except OSError:  # a folder that cannot be read: the run itself will say so
        return
    if needed > free:
        print(f"warning: the corpus needs ≈ {size_text(needed)}, the disk at {where} has {size_text(free)} "
              "free: generation stops when it is full (finished shards are kept; free space, then run the "
              "same command again)", file=sys.stderr)


def _notes(spec, plan) -> None:
    """Notes (stderr) on what the spec's texts were read as, and on devices on an arm that key frames keep
    still."""
    first_text = len(spec.activities)
    for i, text in enumerate(spec.texts):
        src = plan.sources[first_text + i]
        print(f"note: texts[{i}] {text!r} → {src.activity} (score {src.score:.2f})", file=sys.stderr)
    by_cell: dict[tuple[str, str], list[str]] = {}
    for label, prof, pl in plan.still_arm_cells():
        by_cell.setdefault((prof, pl), []).append(label)
    for (prof, pl), labels in by_cell.items():
        other = pl[:-5] + "_right" if pl.endswith("_left") else pl[:-6] + "_left"
        print(f"note: {prof} at {pl} is on the arm that {', '.join(labels)} keep(s) still: it records an "
              f"arm at rest; list {other} in placements to record the moving arm", file=sys.stderr)
