"""Subsets of a data set: some people, some labels, the first seconds of each activity.

What a user needs to try the sim-to-real protocol on their own data (docs/TRAINING.md): the capture
of *one* person (at most a minute of each activity, as ``imuforge capture --guided`` records it) to
calibrate synthetic data with, and the *other* people to test on. ``imuforge dataset select`` is the
command; ``benchmarks/bench_sim2real.py`` cuts its captures with the same function.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from imuforge.errors import ValidationError, shorten
from imuforge.recording import Recording


@dataclass(frozen=True)
class Selection:
    """The recordings (or parts of them) chosen, and the rest of the ones whose people were chosen."""

    selected: list[Recording] = field(default_factory=list)
    #: what the chosen people's recordings hold beyond the first seconds of each label (empty without
    #: ``first_seconds``); the people left out are not in it
    rest: list[Recording] = field(default_factory=list)
    #: the pieces beyond the first seconds shorter than :data:`MIN_REST_S` (the ends of stretches, short
    #: stretches), left out of :attr:`rest`: how many
    rest_left_out: int = 0

    def seconds_per_label(self, part: str = "selected") -> dict[str, float]:
        out: dict[str, float] = {}
        for r in getattr(self, part):
            for label, s in r.duration_per_label().items():
                out[label] = out.get(label, 0.0) + s
        return dict(sorted(out.items()))


def restrict_labels(recording: Recording, labels: Iterable[str]) -> Recording | None:
    """``recording`` with only the label segments of ``labels`` (the rest unlabelled; None when none is
    left)."""
    keep = set(labels)
    segs = [(s.start_s, s.end_s, s.label) for s in recording.labels if s.label in keep]
    return recording.replace(labels=segs) if segs else None


def check_seconds(seconds: object, name: str = "seconds") -> float:
    """``seconds`` (how much of each label :func:`first_seconds` takes) as a float if it is a finite number
    > 0, else :class:`ValidationError` naming ``name``: the parameter, or the command's option."""
    number = isinstance(seconds, numbers.Real) and not isinstance(seconds, bool)
    if not (number and 0 < seconds < math.inf):  # inf is no crop; nan compares False
        raise ValidationError(f"{name} = {f'{seconds:g}' if number else shorten(seconds)} is out of range",
                              allowed="a finite number of seconds > 0")
    return float(seconds)


#: the shortest piece (s) beyond the first seconds that :func:`select` keeps in the rest — under any window a
#: model of the zoo takes (1.28–2.56 s by default): a stretch a sample or two longer than the seconds taken
#: left "standing 0.0 s" pieces of 1–2 samples
MIN_REST_S = 1.0


def first_seconds(recordings: Sequence[Recording], labels: Iterable[str] | None, seconds: float, *,
                  per_subject: bool = True) -> tuple[list[Recording], list[Recording]]:
    """(capture, rest): each person's first ``seconds`` of each label, taken in recording order and time
    order within a recording (a label's stretches are taken one after another until its seconds of samples
    are used up: a gap in a stretch does not count), and what is left of those labelled stretches.
    ``labels`` None: every label; ``per_subject`` False: the first seconds of each label over all the
    recordings together. Each part is a crop of its recording carrying only the one label segment it was
    cut for."""
    seconds = check_seconds(seconds)
    want = None if labels is None else set(labels)
    used: dict[tuple[str, str], float] = {}
    capture, rest = [], []
    for i, r in enumerate(recordings):
        segs = sorted((s for s in r.labels if want is None or s.label in want), key=lambda s: s.start_s)
        if any(b.start_s < a.end_s for a, b in zip(segs, segs[1:])):
            raise ValidationError(f"recording {i} (subject {r.subject}) has overlapping label segments",
                                  allowed="one label at a time where the first seconds are cut")
        # each person's own budget; a recording without a subject is a person of its own (as training takes it)
        who = (str(r.subject) if r.subject is not None else f"recording {i}") if per_subject else ""
        for seg in segs:
            key = (who, seg.label)
            left = max(0.0, seconds - used.get(key, 0.0))
            t = r.timestamps[(r.timestamps >= seg.start_s) & (r.timestamps < seg.end_s)]
            k = min(len(t), int(round(left * r.rate_hz)))  # the samples there are: a gap does not count
            cut = float(t[k]) if k < len(t) else seg.end_s
            used[key] = used.get(key, 0.0) + k / r.rate_hz
            for (lo, hi), into in (((seg.start_s, cut), capture), ((cut, seg.end_s), rest)):
                part = r.crop(lo, hi)
                if len(part):
                    into.append(part.replace(labels=[(lo, hi, seg.label)]))
    return capture, rest


def select(recordings: Iterable[Recording], *, subjects: Sequence[str] | None = None,
           exclude_subjects: Sequence[str] | None = None, labels: Sequence[str] | None = None,
           first_seconds_per_label: float | None = None,
           placements: Sequence[str] | None = None) -> Selection:
    """The recordings of ``subjects`` (default all) but ``exclude_subjects``, worn at ``placements``
    (default all: a set of several body positions, RealWorld's, is one device at a time), with only the
    segments of
    ``labels`` (default all; a recording left with none is dropped), and with ``first_seconds_per_label``
    only each person's first that many seconds of each label (the remainder in :attr:`Selection.rest`, but
    for pieces under :data:`MIN_REST_S`, counted in :attr:`Selection.rest_left_out`).

    A subject or label named but not in the data is refused (naming the ones that are): a typo must not
    silently give an empty capture.
    """
    if first_seconds_per_label is not None:  # before the recordings are read
        first_seconds_per_label = check_seconds(first_seconds_per_label, "first_seconds_per_label")
    recs = list(recordings)
    known_subjects = sorted({str(r.subject) for r in recs})
    known_labels = sorted({s.label for r in recs for s in r.labels})
    known_placements = sorted({str(r.placement) for r in recs if r.placement is not None})
    checks = (("subject", subjects, known_subjects), ("subject", exclude_subjects, known_subjects),
              ("label", labels, known_labels), ("placement", placements, known_placements))
    for name, given, known in checks:
        missing = sorted(set(given or ()) - set(known))
        if missing:
            raise ValidationError(f"no {name} {', '.join(missing)} in the data",
                                  allowed=", ".join(known) or "none")
    chosen = [r for r in recs if (subjects is None or str(r.subject) in subjects)
              and str(r.subject) not in set(exclude_subjects or ())
              and (placements is None or str(r.placement) in placements)]
    if labels is not None:
        chosen = [x for r in chosen if (x := restrict_labels(r, labels)) is not None]
    if first_seconds_per_label is None:
        return Selection(chosen, [])
    capture, rest = first_seconds(chosen, labels, first_seconds_per_label)
    kept = [r for r in rest if r.duration_s >= MIN_REST_S]
    return Selection(capture, kept, len(rest) - len(kept))


__all__ = ["Selection", "check_seconds", "first_seconds", "restrict_labels", "select"]
