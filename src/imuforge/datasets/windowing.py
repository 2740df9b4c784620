"""Windowing: Recordings → fixed-length windows at a target rate, with a label policy.

Resampling happens per contiguous stretch of a Recording (a gap longer than ``max_gap_periods``
sample periods splits it; shorter gaps are bridged by linear interpolation). Rate changes use a
polyphase FIR (:func:`scipy.signal.resample_poly`), which low-pass filters before decimating so
that downsampling does not alias.

Every window that is not kept is counted in :attr:`Windows.dropped` with its reason; nothing is
dropped silently.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from imuforge.errors import MissingChannelsError, ValidationError
from imuforge.recording import Recording
from imuforge.resample import resample_stretches

#: Default model input: accelerometer then gyroscope, x/y/z.
DEFAULT_CHANNELS: tuple[str, ...] = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")

#: Label policies for windows that straddle label segments.
LABEL_POLICIES: tuple[str, ...] = ("majority", "pure", "center")


@dataclass
class Windows:
    """A stack of fixed-length windows with their labels and origins.

    Attributes
    ----------
    X : float32 array, shape (n, window, channels)
        Window samples in SI units (acc m/s², gyro rad/s, mag µT), not normalised.
    labels : object array, shape (n,)
        Label of each window.
    groups : object array, shape (n,)
        Subject of each window (``"subject:<id>"``), or ``"recording:<source>#<i>"`` when the
        recording has no subject: the unit that subject-wise splits keep together.
    sources : object array, shape (n,)
        Where each window came from (dataset path and recording file, or the index).
    channels, rate_hz, window_s, stride_s
        The layout the windows were made with.
    dropped : Counter
        Windows not kept, by reason (``unlabelled``, ``mixed_labels``, ``excluded_label``).
    starts_s : float array, shape (n,), optional
        Start of each window in its recording's time base (s); ``None`` for windows made elsewhere.
    """

    X: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    sources: np.ndarray
    channels: tuple[str, ...]
    rate_hz: float
    window_s: float
    stride_s: float
    dropped: Counter = field(default_factory=Counter)
    starts_s: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def length(self) -> int:
        """Samples per window."""
        return window_length(self.window_s, self.rate_hz)

    def subset(self, mask) -> Windows:
        """The windows selected by a boolean mask or an index array."""
        return Windows(self.X[mask], self.labels[mask], self.groups[mask], self.sources[mask], self.channels,
                       self.rate_hz, self.window_s, self.stride_s, Counter(self.dropped),
                       None if self.starts_s is None else self.starts_s[mask])

    def counts(self) -> dict[str, int]:
        """Windows per label, sorted by label."""
        return dict(sorted(Counter(self.labels.tolist()).items()))

    @staticmethod
    def concat(parts: Sequence[Windows]) -> Windows:
        """Stack windows made with the same layout."""
        if not parts:
            raise ValidationError("no windows to concatenate")
        first = parts[0]
        for p in parts[1:]:
            if (p.channels, p.rate_hz, p.X.shape[1]) != (first.channels, first.rate_hz, first.X.shape[1]):
                raise ValidationError("cannot concatenate windows of different layouts",
                                      allowed=f"channels={first.channels}, rate={first.rate_hz} Hz, "
                                              f"length={first.X.shape[1]}")
        dropped: Counter = Counter()
        for p in parts:
            dropped.update(p.dropped)
        starts = (None if any(p.starts_s is None for p in parts)
                  else np.concatenate([np.asarray(p.starts_s, float) for p in parts]))
        return Windows(np.concatenate([p.X for p in parts]), np.concatenate([p.labels for p in parts]),
                       np.concatenate([p.groups for p in parts]), np.concatenate([p.sources for p in parts]),
                       first.channels, first.rate_hz, first.window_s, first.stride_s, dropped, starts)


def window_length(window_s: float, rate_hz: float) -> int:
    """Samples in a window of ``window_s`` seconds at ``rate_hz`` (rounded; at least 2)."""
    if not (window_s > 0 and math.isfinite(window_s)):
        raise ValidationError(f"window length must be > 0 s, got {window_s!r}")
    if not (rate_hz > 0 and math.isfinite(rate_hz)):
        raise ValidationError(f"rate must be > 0 Hz, got {rate_hz!r}")
    n = int(round(window_s * rate_hz))
    if n < 2:
        raise ValidationError(f"a {window_s} s window at {rate_hz} Hz holds {n} samples",
                              allowed="window_s * rate_hz >= 2")
    return n


def _labels_at(recording: Recording, times: np.ndarray) -> np.ndarray:
    out = np.full(times.size, "", dtype=object)
    for seg in recording.labels:
        out[(times >= seg.start_s) & (times < seg.end_s)] = seg.label
    return out


def no_subject_message(n: int) -> str:
    """What ``n`` recordings without a subject id mean for a subject-wise split, and how to set one."""
    return (f"{n} recording(s) have no subject id: each is treated as its own subject, so several captures "
            "of one wearer could land on both sides of a subject-wise split; set the subject (imuforge "
            "capture --subject, imuforge simulate --subject, Recording(subject=...))")


def make_windows(recordings: Iterable[Recording] | Recording, *, window_s: float, stride_s: float,
                 rate_hz: float, channels: Sequence[str] = DEFAULT_CHANNELS, label_policy: str = "majority",
                 min_fraction: float = 0.5, label_map: dict[str, str] | None = None,
                 keep_labels: Sequence[str] | None = None, source_names: Sequence[str] | None = None,
                 max_gap_periods: float = 3.0) -> Windows:
    """Cut recordings into windows of ``window_s`` seconds every ``stride_s`` seconds at ``rate_hz``.

    Parameters
    ----------
    window_s, stride_s : float
        Window length and hop (s).
    rate_hz : float
        Target rate (Hz); recordings at other rates are resampled.
    channels : sequence of str
        Channel order of the windows; every recording must have them.
    label_policy : {"majority", "pure", "center"}
        ``majority``: the most frequent label, kept if it covers ≥ ``min_fraction`` of the window;
        ``pure``: only windows inside a single label segment; ``center``: the label at the centre.
        Windows whose label is unlabelled are dropped (counted as ``unlabelled``).
    label_map : dict, optional
        Renames labels before windowing (e.g. merge ``walking_left`` into ``walking``).
    keep_labels : sequence, optional
        Only these labels are kept; the others are counted as ``excluded_label:<name>``.
    source_names : sequence of str, optional
        A name per recording for :attr:`Windows.sources` (default: its index).
    """
    if label_policy not in LABEL_POLICIES:
        raise ValidationError(f"unknown label policy {label_policy!r}", allowed=", ".join(LABEL_POLICIES))
    if not 0.0 < min_fraction <= 1.0:
        raise ValidationError(f"min_fraction must be in (0, 1], got {min_fraction}")
    if not (stride_s > 0 and math.isfinite(stride_s)):
        raise ValidationError(f"stride must be > 0 s, got {stride_s!r}")
    n_win = window_length(window_s, rate_hz)
    hop = max(1, int(round(stride_s * rate_hz)))
    channels = tuple(channels)
    if isinstance(recordings, Recording):
        recordings = [recordings]
    keep = None if keep_labels is None else set(keep_labels)
    xs, ys, gs, ss, ts = [], [], [], [], []
    dropped: Counter = Counter()
    no_subject = 0
    for i, rec in enumerate(recordings):
        name = str(source_names[i]) if source_names is not None else str(i)
        missing = [c for c in channels if c not in rec.channels]
        if missing:
            raise MissingChannelsError(f"recording {name} lacks channel(s) {', '.join(missing)}",
                                       missing=missing, held=rec.channels)
        group = f"subject:{rec.subject}" if rec.subject is not None else f"recording:{name}"
        if rec.subject is None:
            no_subject += 1
        for times, data in resample_stretches(rec, rate_hz, channels, max_gap_periods=max_gap_periods):
            if times.size < n_win:
                continue
            starts = np.arange(0, times.size - n_win + 1, hop)
            idx = starts[:, None] + np.arange(n_win)[None, :]
            win_label, ok = _window_labels(_labels_at(rec, times), idx, label_policy, min_fraction, label_map,
                                           keep, dropped)
            if not ok.any():
                continue
            xs.append(data[idx[ok]].astype(np.float32))
            ys.append(win_label[ok].astype(object))
            gs.append(np.full(int(ok.sum()), group, dtype=object))
            ss.append(np.full(int(ok.sum()), name, dtype=object))
            ts.append(times[starts[ok]].astype(float))
    dropped = Counter({k: v for k, v in dropped.items() if v})
    if no_subject:
        warnings.warn(no_subject_message(no_subject), stacklevel=2)
    if not xs:
        return Windows(np.zeros((0, n_win, len(channels)), np.float32), np.zeros(0, object), np.zeros(0, object),
                       np.zeros(0, object), channels, float(rate_hz), float(window_s), float(stride_s), dropped,
                       np.zeros(0))
    return Windows(np.concatenate(xs), np.concatenate(ys), np.concatenate(gs), np.concatenate(ss), channels,
                   float(rate_hz), float(window_s), float(stride_s), dropped, np.concatenate(ts))


def _window_labels(lab: np.ndarray, idx: np.ndarray, policy: str, min_fraction: float,
                   label_map: dict[str, str] | None, keep: set[str] | None,
                   dropped: Counter) -> tuple[np.ndarray, np.ndarray]:
    """Each window's label under ``policy`` (rows of ``idx`` index the per-sample labels ``lab``) and which
    windows are kept: not mixed beyond ``min_fraction``, labelled, and among ``keep``; what is left out is
    counted in ``dropped``."""
    vocab, codes = np.unique(lab.astype(str), return_inverse=True)
    if label_map:  # renamed once per distinct label; merged names collapse to one code
        vocab, merged = np.unique(np.array([label_map.get(v, v) for v in vocab.tolist()], dtype=str),
                                  return_inverse=True)
        codes = merged[codes]
    wcodes = codes[idx]
    n_win = idx.shape[1]
    if policy == "center":
        win_code = wcodes[:, n_win // 2]
        ok = np.ones(len(idx), bool)
    else:
        counts = np.stack([(wcodes == k).sum(axis=1) for k in range(vocab.size)], axis=1)
        win_code = counts.argmax(axis=1)
        ok = counts.max(axis=1) / n_win >= (1.0 if policy == "pure" else min_fraction)
        dropped["mixed_labels"] += int((~ok).sum())
    win_label = vocab[win_code]
    unl = ok & (win_label == "")
    dropped["unlabelled"] += int(unl.sum())
    ok &= ~unl
    if keep is not None:
        excl = ok & ~np.isin(win_label, list(keep))
        for lbl, c in Counter(win_label[excl].tolist()).items():
            dropped[f"excluded_label:{lbl}"] += c
        ok &= ~excl
    return win_label, ok


# ------------------------------------------------------------------------------ splits
def subject_split(windows: Windows, val_fraction: float = 0.2, *, seed: int = 0,
                  candidates: np.ndarray | None = None, tries: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Split windows by group (subject) so no subject is on both sides.

    ``val_fraction`` of the groups (at least one) go to validation. Among ``tries`` seeded
    shuffles the one whose training side covers the most classes is kept, then the one whose
    validation side does (ties: the first): a class only some subjects hold stays in training when
    it can, and rare classes are not missing from validation when avoidable. When no such choice
    gives every class a validation subject (subjects whose classes do not overlap), more groups go to
    validation, up to half of them, as long as that covers more classes. ``candidates``
    (boolean mask) restricts which windows' groups may go to validation.

    Returns boolean masks ``(train, val)``; raises if there are fewer than two groups.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValidationError(f"val_fraction must be in (0, 1), got {val_fraction}")
    pool_mask = np.ones(len(windows), bool) if candidates is None else np.asarray(candidates, bool)
    groups_all = np.unique(windows.groups.astype(str))
    pool = np.unique(windows.groups[pool_mask].astype(str))
    if groups_all.size < 2 or pool.size < 1:
        raise ValidationError(
            f"a subject-wise split needs at least 2 subjects/recordings, found {groups_all.size}",
            allowed="more recordings, or recordings with different subject ids")
    n_val = max(1, int(round(val_fraction * pool.size)))
    if n_val >= groups_all.size:
        n_val = groups_all.size - 1
    rng = np.random.default_rng(seed)
    labels = windows.labels.astype(str)
    groups = windows.groups.astype(str)
    reachable = np.unique(labels[np.isin(groups, pool)]).size  # the classes validation could hold
    best = None
    for k in range(n_val, max(n_val, pool.size // 2) + 1):  # a larger k only where it covers more classes
        for _ in range(max(1, tries)):
            chosen = rng.permutation(pool)[:k]
            val = np.isin(groups, chosen)
            score = (np.unique(labels[~val]).size, np.unique(labels[val]).size)
            if best is None or score > best[0]:
                best = (score, val)
        if best[0][1] >= reachable:
            break
    val = best[1]
    return ~val, val


def time_split(windows: Windows, val_fraction: float = 0.2, *,
               candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hold out the last ``val_fraction`` of each recording's stretch of each label, in time.

    For data of a single subject a subject-wise split is impossible; this is the honest
    alternative: validation windows come *after* the training windows of the same recording and
    label, and training windows that overlap a validation window in time are left out of both
    sides (windows overlap when the stride is shorter than the window), so no sample is seen by
    both. ``candidates`` (boolean mask) restricts which windows may go to validation; the others
    all train. Returns boolean masks ``(train, val)``.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValidationError(f"val_fraction must be in (0, 1), got {val_fraction}")
    if windows.starts_s is None:
        raise ValidationError("a time split needs the windows' start times (make_windows records them)")
    n = len(windows)
    pool = np.ones(n, bool) if candidates is None else np.asarray(candidates, bool)
    starts = np.asarray(windows.starts_s, float)
    key = np.char.add(np.char.add(windows.sources.astype(str), "\x1f"), windows.labels.astype(str))
    val = np.zeros(n, bool)
    blocked = np.zeros(n, bool)
    for k in np.unique(key[pool]):
        members = np.flatnonzero(pool & (key == k))
        if members.size < 2:
            continue
        order = members[np.argsort(starts[members], kind="stable")]
        n_val = max(1, int(round(val_fraction * order.size)))
        held = order[-n_val:]
        val[held] = True
        first = starts[held].min()
        same_source = windows.sources.astype(str) == windows.sources[held[0]]
        # a training window [s, s + w) overlaps the held-out stretch [first, …) when s + w > first
        blocked |= same_source & ~val & (starts + windows.window_s > first) & (starts < starts[held].max()
                                                                               + windows.window_s)
    if not val.any():
        raise ValidationError("too few windows to hold out a validation stretch",
                              allowed="at least 2 windows per label and recording")
    return ~val & ~blocked, val


def loso_splits(windows: Windows) -> Iterable[tuple[str, np.ndarray, np.ndarray]]:
    """Leave-one-subject-out: yields ``(group, train_mask, test_mask)`` for each group."""
    groups = windows.groups.astype(str)
    for g in np.unique(groups):
        test = groups == g
        yield g, ~test, test


def balanced_sample(labels: np.ndarray, n: int, *, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` items drawn class-balanced (equal per label) and shuffled.

    Classes with fewer items than their share are drawn without replacement as far as they go,
    then with replacement, so every class is equally represented.
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels).astype(str)
    classes = np.unique(labels)
    if classes.size == 0 or n <= 0:
        return np.zeros(0, int)
    per = int(math.ceil(n / classes.size))
    picks = []
    for c in classes:
        idx = np.flatnonzero(labels == c)
        if idx.size >= per:
            picks.append(rng.choice(idx, per, replace=False))
        else:
            picks.append(np.concatenate([rng.permutation(idx), rng.choice(idx, per - idx.size, replace=True)]))
    out = np.concatenate(picks)
    return rng.permutation(out)[:n]
