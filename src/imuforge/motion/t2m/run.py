"""``imuforge motion TEXT --backend t2m-gpt --weights DIR [--clip DIR]``: the command's side of the backend."""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

from imuforge.errors import ValidationError, require_extra, shorten

BACKENDS = ("library", "t2m-gpt")


def _sampling(seconds: float | None, frames_per_token: int, block: int, fps: float | None,
              said: str = "--seconds"):
    """Token counts for ``seconds`` (None: the model's choice, at least as many as make
    :data:`~imuforge.motion.motion.MIN_FRAMES` frames at ``fps``), refused before the model loads when it
    cannot make them. A motion of S s has S × 20 + 1 frames at 20 fps (the library's count: 2 s had been
    40 frames, 1.95 s), so the longest one is (tokens × frames per token − 1) / 20 s."""
    from imuforge.motion.motion import MIN_FRAMES, MIN_FRAMES_ALLOWED
    from imuforge.motion.t2m.features import FPS
    from imuforge.motion.t2m.generate import Sampling

    rate = FPS if fps is None else float(fps)
    most = (block * frames_per_token - 1) / FPS
    made = f"{block} tokens of {frames_per_token} frames at 20 fps"
    if seconds is not None and seconds > most + 1e-9:
        what = f"--seconds {seconds:g} is" if said == "--seconds" else f"{said} lasts {seconds:g} s,"
        raise ValidationError(f"{what} longer than T2M-GPT makes in one sample",
                              allowed=f"up to {most:g} s ({made}); --backend library makes longer motions")
    shortest = (MIN_FRAMES - 1) / rate  # the fewest seconds that hold MIN_FRAMES frames at --fps
    if seconds is not None and frames_at(seconds, rate) < MIN_FRAMES:
        raise ValidationError(f"--seconds {seconds:g} at --fps {rate:g} is {frames_at(seconds, rate)} frames",
                              allowed=f"{MIN_FRAMES_ALLOWED}: --seconds × --fps ≥ {MIN_FRAMES - 1}")
    if shortest > most + 1e-9:
        raise ValidationError(f"T2M-GPT's longest motion ({most:g} s, {made}) is {frames_at(most, rate)} "
                              f"frames at --fps {rate:g}",
                              allowed=f"{MIN_FRAMES_ALLOWED}: --fps ≥ {(MIN_FRAMES - 1) / most:.3g}")
    need = frames_at(shortest if seconds is None else max(seconds, shortest), FPS, up=True)
    tokens = min(block, max(2, math.ceil(need / frames_per_token)))
    return Sampling(min_tokens=tokens) if seconds is None else Sampling(min_tokens=tokens, max_tokens=tokens)


def frames_at(seconds: float, fps: float, *, up: bool = False) -> int:
    """Frames of a motion of ``seconds`` at ``fps`` (first and last included; ``up``: at least that long)."""
    steps = seconds * fps
    return (math.ceil(steps - 1e-9) if up else math.floor(steps + 1e-9)) + 1


def _diversified(args, expected: str | None) -> list[str]:
    """``--diversify``: N varied descriptions of the matched activity (grammar or ``--llm-url``) that map back to it."""
    from imuforge.motion.t2m.generate import expected_activity
    from imuforge.motion.text import diversify, llm_descriptions

    if expected is None:
        raise ValidationError("--diversify needs a description that maps to a library activity",
                              allowed="drop --diversify to generate from the description as given")
    texts = (llm_descriptions(args.llm_url, expected, args.n, model=args.llm_model) if args.llm_url
             else diversify(expected, args.n, seed=args.seed))
    kept = []
    for t in texts:
        got, _ = expected_activity(t, args.matcher)
        if got == expected:
            kept.append(t)
        else:
            print(f"  dropped ({'no match' if got is None else 'maps to ' + got}): {shorten(t)}")
    if not kept:
        raise ValidationError(f"none of the {len(texts)} diversified descriptions maps to {expected}")
    return kept


def motions_from_args(args) -> list:
    """(name, Motion, seed key) triples for the command: generate until ``--n`` pass the quality gate."""
    require_extra("torch", purpose="imuforge motion --backend t2m-gpt")  # one line naming the extra
    from imuforge.motion.t2m.checkpoint import find_weights
    from imuforge.motion.t2m.generate import T2MGPT, expected_activity, generate_accepted

    if args.source is not None or args.schedule is not None:
        raise ValidationError("--backend t2m-gpt makes motion from a description, not --from / --schedule")
    if not args.text:
        raise ValidationError("--backend t2m-gpt needs a description", allowed='imuforge motion "a person waves" '
                              "--backend t2m-gpt --weights DIR --out OUT")
    if args.weights is None:
        raise ValidationError("--backend t2m-gpt needs --weights DIR",
                              allowed="the folder of the T2M-GPT checkpoints (docs/MOTION.md, 'T2M-GPT backend')")
    c = find_weights(Path(args.weights)).config  # files and sizes checked before anything loads
    seconds, said, notes = _seconds(args)
    sampling = _sampling(seconds, c.vq.frames_per_token, c.gpt.max_tokens, args.fps, said)
    for line in notes:  # (after the refusals: an error is one line)
        print(f"note: {line}", file=sys.stderr)
    expected, note = expected_activity(args.text, args.matcher)
    label = _label(args, expected)  # a refused --label before the model loads
    model = T2MGPT.from_folder(Path(args.weights), args.clip)
    print(f"{shorten(args.text)} → T2M-GPT ({model.device.type}); {note}")
    texts = _diversified(args, expected) if args.diversify else [args.text]
    accepted, rejected = generate_accepted(model, texts, args.n, seed=args.seed, fps=args.fps,
                                           expected=expected, sampling=sampling, label=label,
                                           seconds=seconds)
    for a in rejected:
        print(f"  rejected sample {a.generated.index}: {'; '.join(a.report.reasons)}")
    if len(accepted) < args.n:
        reasons = sorted({_kind(r) for a in rejected for r in a.report.reasons})
        raise ValidationError(f"only {len(accepted)} of {args.n} T2M-GPT motions passed the quality gate in "
                              f"{len(accepted) + len(rejected)} samples (rejected for: {', '.join(reasons)})",
                              allowed="another --seed, a plainer description, or a smaller --n")
    out, previous = [], -1
    for i, a in enumerate(accepted):
        idx = a.generated.index
        before = [{"index": r.generated.index, "reasons": r.report.reasons} for r in rejected
                  if previous < r.generated.index < idx]
        previous = idx
        a.motion.meta["spec"] = {"backend": "t2m-gpt", "text": a.generated.text, "seed": args.seed, "index": idx,
                                 "n_tokens": len(a.generated.tokens), "quality": a.report.to_json(),
                                 "rejected_before": before, **model.provenance}
        name = f"t2m_{label or expected or 'motion'}_{i:03d}"
        out.append((name, a.motion, name))
    return out


def _seconds(args) -> tuple[float | None, str, list[str]]:
    """The motions' length (s, or None: the model's choice), who said it (``--seconds`` or the text) and
    notes: a duration the description names (read, or refused, as the library backend reads it) is asked
    of the model, else ``--seconds``. T2M-GPT reads no numbers of seconds or metres per second in a text:
    they had been dropped without a word ("stands still for 45 seconds" made 1.96 s; "for 3 weeks" was
    taken), and a speed outside the library's had left the text unmatched ("walking at 9 m/s")."""
    from imuforge.motion.text import duration_from_text, split_sequence, stated_speeds

    owns = [d for d in (duration_from_text(p) for p in split_sequence(args.text)) if d]
    speeds = stated_speeds(args.text)
    notes = [f"T2M-GPT does not follow a speed in the text ({', '.join(speeds)}): the model picks the pace "
             "from the words (--backend library makes a set speed)"] if speeds else []
    if not owns:
        return args.seconds, "--seconds", notes
    own = sum(owns)
    unused = f"; --seconds {args.seconds:g} is not used" if args.seconds not in (None, own) else ""
    notes.append(f"T2M-GPT does not read a duration in the text: its {own:g} s is asked of the model as "
                 f"--seconds {own:g} would{unused}")
    return own, shorten(args.text), notes


def _label(args, expected: str | None) -> str | None:
    """The motions' label: ``--label`` (an activity the library lacks: with ``--custom-label``), else the
    library activity the description maps to; None (and a note) for neither — they had been written
    unlabelled without a word, and ``--label`` refused."""
    from imuforge.labels import canonical_label

    label = None if args.label is None else canonical_label(args.label, allow_custom=args.custom_label,
                                                            source="--label")
    if label is None and expected is None:
        print("note: the description maps to no library activity: the motions are not labelled (--label NAME "
              "--custom-label names their activity)", file=sys.stderr)
    elif label is not None and expected is not None and label != expected:
        print(f"warning: --label {label} on a description read as {expected}: the quality gate checks that "
              f"they look like {expected}, and they are labelled {label}", file=sys.stderr)
    return label


#: what an "invalid joints: …" rejection says, in short (features.py, kinematics.inverse_kinematics)
_INVALID = (("non-finite", "non-finite values"), ("coincides with its parent", "a zero-length bone"))


def _kind(reason: str) -> str:
    """What a quality-gate reason is about, without its figures: "foot sliding 0.3 m > 0.1 m" → "foot
    sliding", "looks like walking, running, not waving" → "looks like another activity than the
    description's" (the summary had cut every reason to its first two words)."""
    if reason.startswith("looks like"):
        return "looks like another activity than the description's"
    if reason.startswith("invalid joints"):  # its figures sit mid-phrase: "invalid joints: features holds"
        what = next((short for key, short in _INVALID if key in reason), None)
        return f"invalid joints ({what})" if what else "invalid joints"
    return re.split(r"\s(?=[\d<>(])", reason, maxsplit=1)[0]
