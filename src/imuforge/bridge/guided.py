"""Guided capture: ask the wearer for each activity in turn and write one labelled recording each.

For every activity of a :class:`GuidedPlan` (from a trained model's labels or a list):

1. **cue and prompt** — the :class:`ConsolePrompter` says what to do ("stand still 30 s") and
   waits for Enter (``yes=True``: no wait), and writes the activity to a cue file if asked (an
   emulated wearer can follow it: ``imuforge emulate --follow FILE``; a person just does it);
2. **countdown**, then a normal crash-safe capture of ``seconds_each`` (its own raw log
   ``DIR/raw/<activity>-<n>.rawlog``, fsync'ed as in :mod:`imuforge.bridge.capture`);
3. **check** the stretch (:func:`check_stretch`), live: a *still* activity (standing, sitting,
   lying) whose stretch moves is stopped as soon as it can no longer pass (more than 20 % of its
   planned windows moved) and re-asked, up to ``retries`` times; so is a *moving* activity (walking,
   running, stairs, jumping: :data:`MOVING_ACTIVITIES`) whose device moved in under half its windows,
   and a stretch that ended early (disconnect, time-out);
4. **write** the accepted stretch as ``DIR/<activity>.imu.parquet``, labelled with the activity,
   ready for ``imuforge calibrate --real DIR``. Rejected stretches are never deleted: their raw
   logs stay in ``DIR/raw/`` (``imuforge capture --recover`` rebuilds them) and ``DIR/guided.json``
   lists every attempt with its check figures.

The link is opened and the device checked (it must answer GET_INFO, or send CSV lines) before the
first prompt, so a device that is not there fails before anyone is asked to stand still. The link
is kept across the stretches (a BLE connection takes seconds), and reopened before the next
prompt if it dropped. When the device is lost for good (the link cannot be reopened, or the
device stops answering), the session ends: every recording written before stays, and
``guided.json`` lists the activity it was lost at and the ones never asked for as not written,
with why (``device_lost`` holds the reason).

**Stillness rule** (:class:`StillLimits`): the stretch is cut into 1 s windows; a window moves
when the rms of the bias-removed gyro vector exceeds ``max(5 · √3 · σ_gyro, 0.10 rad/s)`` or the
sd of the acceleration magnitude exceeds ``max(5 · σ_acc, 0.05 m/s²)``, where σ is the device's
white-noise sd per axis (noise density × √ENBW of its digital filter, from its profile). The 5σ
term keeps the limit clear of the sensor's own noise on noisy devices; the floors allow the
postural sway of a person standing quietly (wrist ≈ 1–4 °/s, |acc| sd ≈ noise). The stretch
moves when more than 20 % of its windows move (one fidget in 30 s is tolerated;
``imuforge calibrate --fit-profile`` uses only the still samples anyway).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from imuforge.bridge.capture import (
    MAX_CAPTURE_S,
    CaptureOptions,
    SIGTERM,
    CaptureResult,
    DeviceTimeout,
    NoDeviceAnswer,
    capture,
    probe,
    sigint_deferred,
)
from imuforge.bridge.links import Link, LinkClosed
from imuforge.errors import OutputExistsError, Terminated, ValidationError, check_range
from imuforge.recording import RECORDING_SUFFIX, Recording

#: Activities the wearer must do still; their stretches are checked for motion.
STILL_ACTIVITIES = ("standing", "sitting", "lying")
#: Activities that move any body-worn device (the whole body travels or bounces); their stretches are checked
#: for stillness: at least half the 1-s windows must move (a device left on the table while asked to walk
#: would otherwise be labelled walking). Hand tasks (typing, drinking…) are not here: a waist device keeps
#: still during them.
MOVING_ACTIVITIES = ("walking", "running", "stairs_up", "stairs_down", "jumping", "jumping_jacks",
                     "jumping_rope", "nordic_walking", "badminton")
MOVING_SHARE = 0.5

_PHRASES = {
    "standing": "stand still", "sitting": "sit still", "lying": "lie down still", "walking": "walk",
    "running": "run", "stairs_up": "walk up stairs", "stairs_down": "walk down stairs", "cycling": "cycle",
    "jumping": "jump", "jumping_jacks": "do jumping jacks", "jumping_rope": "jump rope", "waving": "wave",
    "drinking": "drink", "brushing_teeth": "brush your teeth", "typing": "type",
    "badminton": "play badminton", "nordic_walking": "walk with your Nordic-walking poles",
    "elevator_up": "ride a lift up", "elevator_down": "ride a lift down",
    "vacuum_cleaning": "vacuum the floor", "ironing": "iron some clothes",
}

#: Stillness rule, see the module docstring.
NOISE_K = 5.0
ACC_FLOOR_MPS2 = 0.05
GYRO_FLOOR_RADPS = 0.10
WINDOW_S = 1.0
MOVING_FRACTION = 0.2


def instruction(activity: str) -> str:
    """What the wearer is asked to do: ``"standing"`` → ``"stand still"``."""
    return _PHRASES.get(activity, "do " + activity.replace("_", " "))


# ---------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class GuidedPlan:
    """The activities to ask for, in order, and how."""

    activities: tuple[str, ...]
    seconds_each: float = 30.0
    countdown_s: float = 3.0
    retries: int = 2

    def __post_init__(self):
        if not self.activities:
            raise ValidationError("a guided capture needs at least one activity",
                                  allowed="--activities standing,walking,… or --model RUN")
        dup = sorted({a for a in self.activities if self.activities.count(a) > 1})
        if dup:
            raise ValidationError(f"activity listed twice: {', '.join(dup)}", allowed="each activity once")
        # the same range as a plain capture's --seconds, named as the user typed it (it had said --seconds)
        check_range("--seconds-each", self.seconds_each, 0.01, MAX_CAPTURE_S, unit="s")
        check_range("--countdown", self.countdown_s, 0, 60, unit="s")
        check_range("--retries", self.retries, 0, 20)


def parse_activities(text: str, *, allow_custom: bool = False) -> tuple[str, ...]:
    """``"stand, walk,sitting"`` → ``("standing", "walking", "sitting")`` (canonical names); every unknown
    name is said at once, each with its suggestion."""
    from imuforge.labels import canonical_label

    names, bad = [], []
    for a in (p.strip() for p in text.split(",")):
        if not a:
            continue
        try:
            names.append(canonical_label(a, allow_custom=allow_custom, source="--activities"))
        except ValidationError as exc:
            bad.append(exc)
    if len(bad) > 1 and all(e.what.startswith("unknown activity label ") for e in bad):
        # one line for all of them, the vocabulary once: 'wlak' (did you mean walking?), …
        each = [e.what.removeprefix("unknown activity label ") for e in bad]
        each = [w.replace("; did you mean ", " (did you mean ") + (")" if "did you mean" in w else "")
                for w in each]
        raise ValidationError("unknown activity labels " + ", ".join(each), source="--activities",
                              allowed=bad[0].allowed)
    if bad:
        raise bad[0]
    return tuple(names)


def activities_from_model(run: str | os.PathLike) -> tuple[str, ...]:
    """The labels of a trained model run, in its order, read as every command reads a run
    (:func:`imuforge.train.run.load_run`: a labels.json edited after training is refused, as eval and export
    refuse it; a hand-edited one had been asked for, 'flying' included)."""
    from imuforge.train.run import load_run

    return tuple(load_run(run).labels)


# ---------------------------------------------------------------------------- stillness check
@dataclass(frozen=True)
class StillLimits:
    """Per-window motion limits of a still stretch and where they come from."""

    gyro_rms_radps: float
    acc_mag_sd_mps2: float
    basis: str

    @classmethod
    def for_device(cls, profile: str | None) -> StillLimits:
        """Limits from the device profile's noise (see the module docstring); floors only if unknown."""
        from imuforge.sensors.profiles import load_profile, noise_bandwidth_hz

        sd = {}
        try:
            prof = load_profile(profile) if profile else None
        except (ValidationError, FileNotFoundError):
            prof = None
        if prof is not None:
            for kind in ("accel", "gyro"):
                s = prof.sensors.get(kind)
                if s is not None:
                    sd[kind] = s.noise_density_si * math.sqrt(noise_bandwidth_hz(s.bandwidth_hz, s.filter_order,
                                                                                   s.odr_hz))
        gyro = max(NOISE_K * math.sqrt(3.0) * sd.get("gyro", 0.0), GYRO_FLOOR_RADPS)
        acc = max(NOISE_K * sd.get("accel", 0.0), ACC_FLOOR_MPS2)
        if prof is None:
            basis = f"device noise unknown (profile {profile!r} not found): floors only"
        else:
            basis = (f"{prof.name}: noise sd acc {sd.get('accel', 0.0):.4f} m/s², gyro {sd.get('gyro', 0.0):.5f} rad/s "
                     f"per axis; limit = max({NOISE_K:g}σ, floor)")
        return cls(gyro, acc, basis)


@dataclass
class StretchCheck:
    """Motion figures of one captured stretch and whether it passes as the activity asked for."""

    activity: str
    still_required: bool
    windows: int
    moving_windows: int
    gyro_rms_radps: float | None  # median over windows
    acc_mag_sd_mps2: float | None  # median over windows
    limits: StillLimits

    @property
    def moving(self) -> bool:
        return self.windows > 0 and self.moving_windows > MOVING_FRACTION * self.windows

    @property
    def motion_required(self) -> bool:
        return self.activity in MOVING_ACTIVITIES

    @property
    def too_still(self) -> bool:
        """A moving activity whose device hardly moved (under :data:`MOVING_SHARE` of its windows)."""
        return self.motion_required and (self.windows == 0
                                         or self.moving_windows < MOVING_SHARE * self.windows)

    @property
    def passed(self) -> bool:
        return not (self.still_required and (self.moving or self.windows == 0)) and not self.too_still

    def describe(self) -> str:
        """The figures, with the stillness limits where the activity asks for stillness (a walk's read as if
        it had failed them: a fresh user's run, session 61)."""
        def limit(value: float) -> str:
            return f" (limit {value:.3f})" if self.still_required else ""
        figs = []
        if self.gyro_rms_radps is not None:
            figs.append(f"gyro rms {self.gyro_rms_radps:.3f} rad/s{limit(self.limits.gyro_rms_radps)}")
        if self.acc_mag_sd_mps2 is not None:
            figs.append(f"|acc| sd {self.acc_mag_sd_mps2:.3f} m/s²{limit(self.limits.acc_mag_sd_mps2)}")
        return f"{self.moving_windows} of {self.windows} 1-s windows moving; median " + ", ".join(figs)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "moving": self.moving, "too_still": self.too_still, "passed": self.passed}


def check_stretch(rec: Recording, activity: str, limits: StillLimits | None = None) -> StretchCheck:
    """Window motion figures of ``rec`` against the stillness rule (vectorised over 1 s windows)."""
    limits = limits or StillLimits.for_device(rec.profile)
    n = max(2, int(round(WINDOW_S * rec.rate_hz)))
    m = len(rec) // n
    moving = np.zeros(m, dtype=bool)
    g_med = a_med = None
    if m and rec.gyro is not None:
        g = rec.gyro[: m * n]
        g = g - np.median(g, axis=0)  # the gyro bias is not motion
        rms = np.sqrt(np.sum(g * g, axis=1).reshape(m, n).mean(axis=1))
        moving |= rms > limits.gyro_rms_radps
        g_med = float(np.median(rms))
    if m and rec.acc is not None:
        mag = np.linalg.norm(rec.acc[: m * n], axis=1).reshape(m, n)
        sd = mag.std(axis=1)
        moving |= sd > limits.acc_mag_sd_mps2
        a_med = float(np.median(sd))
    return StretchCheck(activity, activity in STILL_ACTIVITIES, m, int(moving.sum()), g_med, a_med, limits)


# ---------------------------------------------------------------------------- prompts
class ConsolePrompter:
    """Prompts on ``output``, answers from ``input`` (a terminal or a script: one line per prompt).

    At each prompt: Enter (or ``go``) starts, ``s``/``skip`` skips the activity, ``q``/``quit`` ends
    the session. ``yes=True`` never reads (countdown only). ``cue_file``: the current activity is
    written there at each prompt (atomically), for whatever plays the wearer.
    """

    def __init__(self, *, yes: bool = False, input: TextIO | None = None, output: TextIO | None = None,
                 cue_file: str | os.PathLike | None = None, sleep: Callable[[float], None] = time.sleep):
        self.yes = yes
        self.input = input if input is not None else sys.stdin
        self.output = output if output is not None else sys.stdout
        self.cue_file = Path(cue_file) if cue_file else None
        self.sleep = sleep
        self.answered = False  # whether a prompt was answered (stdin closing after one ends the session)

    def say(self, text: str) -> None:
        print(text, file=self.output, flush=True)

    def cue(self, activity: str, attempt: int) -> None:
        if self.cue_file is not None:
            tmp = self.cue_file.with_name(self.cue_file.name + ".tmp")
            tmp.write_text(activity + "\n")
            os.replace(tmp, self.cue_file)

    def ask(self, activity: str, attempt: int, plan: GuidedPlan) -> str:
        again = " again" if attempt > 1 else ""
        self.say(f"next: {instruction(activity)} for {plan.seconds_each:g} s{again} "
                 f"[{activity}, attempt {attempt} of {plan.retries + 1}]")
        if self.yes:
            return "go"
        answers = {"": "go", "go": "go", "s": "skip", "skip": "skip", "q": "quit", "quit": "quit"}
        while True:
            self.output.write("press Enter to start (s = skip, q = quit): ")
            self.output.flush()
            line = self.input.readline()
            if not line and self.answered:  # a script's answers ran out: the session ends, what it wrote kept
                self.output.write("\n")
                self.say(f"{activity}: stdin closed at its prompt; ending the session")
                return "eof"
            if not line:  # stdin closed before any answer: nobody can answer
                raise ValidationError(f"stdin closed at the prompt for {activity}",
                                      allowed="Enter / s / q per prompt, or --yes to run without prompts")
            self.answered = True
            if not _is_tty(self.input):  # a script's answer is not echoed: end the prompt's line, show it
                self.output.write(f"{line.strip()}\n" if line.strip() else "\n")
            if line.strip().lower() in answers:
                if answers[line.strip().lower()] == "skip":
                    self.say(f"{activity}: skipped")
                return answers[line.strip().lower()]
            self.say(f"unknown answer {line.strip()!r}")

    def countdown(self, seconds: float, activity: str) -> None:
        whole = int(math.ceil(seconds))
        for k in range(whole, 0, -1):
            self.output.write(f"{k}… ")
            self.output.flush()
            self.sleep(seconds - (whole - 1) if k == whole else 1.0)
        self.say(f"go: {instruction(activity)}")


def _is_tty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or file-less stream
        return False


# ---------------------------------------------------------------------------- results
@dataclass
class Attempt:
    """One captured stretch."""

    activity: str
    number: int
    raw_log: str
    samples: int
    missing_samples: int
    complete: bool
    check: StretchCheck | None
    accepted: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["check"] = self.check.to_dict() if self.check is not None else None
        return d


@dataclass
class GuidedResult:
    """What a guided capture wrote (``written``: activity → recording) and every attempt."""

    out_dir: Path
    plan: GuidedPlan
    written: dict[str, Path] = field(default_factory=dict)
    not_written: dict[str, str] = field(default_factory=dict)  # activity → why
    attempts: list[Attempt] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    device_lost: str | None = None  # why the session ended without the device, if it did
    interrupted: str = ""  # "Ctrl-C" or "SIGTERM" when the session was ended so
    earlier_sessions: list[dict[str, Any]] = field(default_factory=list)  # OUT/guided.json's before this one

    @property
    def complete(self) -> bool:
        return set(self.written) == set(self.plan.activities)

    def warn(self, activity: str, warnings: list[str]) -> None:
        """Add an activity's capture ``warnings``; one its earlier activities had already (the device
        contradicting --profile is said of every stretch) is said once, naming each activity it holds for."""
        for w in warnings:
            for i, old in enumerate(self.warnings):
                names, _, said = old.partition(": ")  # activity names hold no ": "
                if said == w:
                    self.warnings[i] = f"{names}, {activity}: {w}"
                    break
            else:
                self.warnings.append(f"{activity}: {w}")

    def lose_device(self, activity: str, why: str) -> None:
        """The device went away while ``activity`` was asked for: it and every later one are not written."""
        self.device_lost = f"during {activity}: {why}"
        self.not_written[activity] = f"device lost: {why}"
        for rest in self.plan.activities[self.plan.activities.index(activity) + 1:]:
            self.not_written.setdefault(rest, f"not asked: the device was lost during {activity}")

    def to_json(self) -> dict[str, Any]:
        return {"plan": asdict(self.plan), "written": {k: str(v) for k, v in self.written.items()},
                "not_written": self.not_written, "attempts": [a.to_dict() for a in self.attempts],
                "warnings": self.warnings, "device_lost": self.device_lost,
                "interrupted": self.interrupted or None, "complete": self.complete,
                "earlier_sessions": self.earlier_sessions}

    def keep_earlier(self) -> None:
        """Carry an earlier session's ``guided.json`` in this folder into this one (``earlier_sessions``,
        oldest first): a second session into the same folder had replaced the record of the first one's
        attempts, whose recordings stay. One that cannot be read is kept as what it says of itself."""
        path = self.out_dir / "guided.json"
        if not path.is_file():
            return
        try:
            old = json.loads(path.read_text())
            if not isinstance(old, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            self.earlier_sessions = [{"unreadable": f"{path.name}: {str(exc)[:200]}"}]
            return
        earlier = old.pop("earlier_sessions", [])
        self.earlier_sessions = [*(earlier if isinstance(earlier, list) else []), old]

    def save(self) -> Path:
        path = self.out_dir / "guided.json"
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.to_json(), indent=1))
            os.replace(tmp, path)
        except BaseException:  # a full disk: no half-written .tmp left beside the recordings
            tmp.unlink(missing_ok=True)
            raise
        return path


# ---------------------------------------------------------------------------- link kept open
class KeptLink:
    """One link kept open across several captures; reopened when it dropped."""

    def __init__(self, open_link: Callable[[], Link]):
        self._open = open_link
        self.link: Link | None = None

    def ensure(self) -> Link:
        """The kept link, opened if needed (:class:`LinkClosed` when it cannot be)."""
        if self.link is None:
            self.link = self._open()
        return self.link

    def borrow(self) -> Link:
        """The ``open_link`` for one capture: the kept link (opened if needed), whose ``close`` is a no-op."""
        self.ensure()
        return _Borrowed(self)

    def dropped(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None

    def close(self) -> None:
        self.dropped()


class _Borrowed:
    def __init__(self, keeper: KeptLink):
        self._k = keeper
        self.description = keeper.link.description

    def _live(self) -> Link:
        if self._k.link is None:
            raise LinkClosed(f"{self.description}: disconnected")
        return self._k.link

    def read(self, timeout: float) -> bytes:
        try:
            return self._live().read(timeout)
        except LinkClosed:
            self._k.dropped()
            raise

    def write(self, data: bytes) -> None:
        try:
            self._live().write(data)
        except LinkClosed:
            self._k.dropped()
            raise

    def close(self) -> None:  # the guided capture closes the kept link at its end
        pass


# ---------------------------------------------------------------------------- the session
class _DeviceLost(Exception):
    """The device cannot be reached any more (internal: ends the session, see :func:`guided_capture`)."""


def recording_path(out_dir: Path, activity: str) -> Path:
    return out_dir / f"{activity}{RECORDING_SUFFIX}"


def _free_log(raw_dir: Path, activity: str) -> Path:
    """``raw/<activity>-<n>.rawlog`` with the first n not taken: earlier raw logs are never replaced."""
    n = 1
    while (raw_dir / f"{activity}-{n}.rawlog").exists():
        n += 1
    return raw_dir / f"{activity}-{n}.rawlog"


def check_out(out: Path, plan: GuidedPlan, overwrite: bool) -> None:
    """Refuse an ``out`` that holds a recording of the plan's activities already, unless ``overwrite``."""
    taken = [recording_path(out, a) for a in plan.activities if recording_path(out, a).exists()]
    if taken and not overwrite:
        raise OutputExistsError(f"{', '.join(map(str, taken))} exist(s); pass --overwrite or choose another "
                              "--out")


def guided_capture(open_link: Callable[[], Link], out_dir: str | os.PathLike, plan: GuidedPlan,
                   options: CaptureOptions, prompter: ConsolePrompter, *, overwrite: bool = False,
                   limits: StillLimits | None = None,
                   on_status: Callable[[dict[str, Any]], None] | None = None,
                   on_ready: Callable[[], None] | None = None) -> GuidedResult:
    """Run the guided capture (see module doc). ``options`` is the template of every stretch
    (ODR, ranges, channels, placement, subject …); its ``seconds`` and ``label`` are replaced. ``on_ready`` is
    called once the device has answered, before the first prompt (a session that cannot start says nothing
    but why)."""
    out = Path(out_dir)
    check_out(out, plan, overwrite)
    keeper = KeptLink(open_link)
    try:  # the device answers before anyone is asked to do anything (nothing on disk yet)
        probe(keeper.ensure(), options)
    except BaseException:
        keeper.close()
        raise
    if on_ready is not None:
        on_ready()
    raw_dir = out / "raw"
    made = [d for d in (out, raw_dir) if not d.exists()]
    raw_dir.mkdir(parents=True, exist_ok=True)
    result = GuidedResult(out, plan)
    result.keep_earlier()
    try:
        for i, activity in enumerate(plan.activities):
            try:
                outcome = _capture_activity(activity, keeper, raw_dir, plan, options, prompter, result,
                                            limits, on_status)
            except _DeviceLost as lost:
                result.lose_device(activity, str(lost))
                prompter.say(f"{activity}: the device was lost; ending the session")
                break
            except KeyboardInterrupt as exc:  # at a prompt, the countdown or between stretches: the end
                result.interrupted = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
                if activity not in result.written:
                    result.not_written.setdefault(activity, f"interrupted ({result.interrupted})")
                prompter.say(f"{activity}: interrupted ({result.interrupted}); ending the session")
                outcome = "interrupted"
            result.save()
            if outcome in ("quit", "eof", "interrupted") or SIGTERM.received:  # SIGTERM after a stretch: kept
                if SIGTERM.received:
                    result.interrupted = result.interrupted or "SIGTERM"
                why = ("SIGTERM" if SIGTERM.received else result.interrupted or
                       ("stdin closed" if outcome == "eof" else "quit"))
                for rest in (a for a in plan.activities[i:] if a not in result.written):
                    result.not_written.setdefault(rest, f"session ended ({why})")
                break
    finally:
        keeper.close()
        for a in result.not_written:  # an earlier session's recording of it stays (calibrate reads it)
            if recording_path(out, a).exists() and "earlier recording" not in result.not_written[a]:
                result.not_written[a] += f"; the earlier recording {recording_path(out, a).name} stays"
        if result.attempts or result.written or result.device_lost or any(raw_dir.iterdir()):
            result.save()
        else:  # nothing arrived and nothing was asked: leave no empty folders behind
            for d in reversed(made):
                if not any(d.iterdir()):
                    d.rmdir()
    return result


def _capture_activity(activity: str, keeper: KeptLink, raw_dir: Path, plan: GuidedPlan, options: CaptureOptions,
                      prompter: ConsolePrompter, result: GuidedResult, limits: StillLimits | None,
                      on_status) -> str:
    """Ask for one activity until a stretch passes or the retries are used; returns done / skip / quit / eof
    (stdin closed at a prompt) / failed."""
    opts = CaptureOptions(**{**vars(options), "seconds": plan.seconds_each, "label": activity, "stop_first": True})
    for number in range(1, plan.retries + 2):
        try:  # a link that dropped is reopened before the wearer is asked again
            keeper.ensure()
        except LinkClosed as exc:  # the port worked before: the hint for a mistyped one does not apply
            why = str(exc).split(" (allowed: ")[0]
            raise _DeviceLost(f"the link could not be reopened ({why})") from None
        prompter.cue(activity, number)
        choice = prompter.ask(activity, number, plan)
        if choice != "go":
            result.not_written[activity] = {"skip": "skipped", "eof": "session ended (stdin closed at its "
                                            "prompt)"}.get(choice, "session ended (quit)")
            return choice
        prompter.countdown(plan.countdown_s, activity)
        live = _live_check(activity, plan, limits) if activity in STILL_ACTIVITIES else None
        log = _free_log(raw_dir, activity)
        try:
            res = capture(keeper.borrow, log, opts, on_status=on_status, stop_check=live)
        except (LinkClosed, NoDeviceAnswer, DeviceTimeout) as exc:
            keeper.dropped()
            kept = str(log) if log.exists() else ""  # a log that received nothing was removed
            result.attempts.append(Attempt(activity, number, kept, 0, 0, False, None, False,
                                           f"device lost: {exc}"))
            raise _DeviceLost(str(exc)) from None
        attempt = _judge(activity, number, res, limits)
        result.attempts.append(attempt)
        if res.interrupted:
            result.interrupted = res.interrupted_by
            result.not_written[activity] = f"interrupted ({res.interrupted_by})"
            prompter.say(f"{activity}: interrupted; what arrived is in {res.log_path}")
            return "interrupted"
        if attempt.accepted:  # written whole: a Ctrl-C now ends the session after the write
            with sigint_deferred():
                _accept(activity, res, attempt, result, prompter)
        if res.ctrl_c_after:  # pressed as the stretch was built: the session ends (it is kept if accepted)
            raise KeyboardInterrupt
        if attempt.accepted:
            return "done"
        left = plan.retries + 1 - number
        if res.disconnected and left:  # the device answers before the wearer is asked again
            _check_device(keeper, options, attempt.reason)
        again = ("reaching the device again to ask once more" if res.disconnected else "asking again")
        prompter.say(f"{activity}: {attempt.reason}; " + (f"{again} ({left} more attempt(s))" if left else
                                                          "no attempts left"))
    result.not_written[activity] = f"not accepted after {plan.retries + 1} attempt(s): {result.attempts[-1].reason}"
    return "failed"


def _check_device(keeper: KeptLink, options: CaptureOptions, why: str) -> None:
    """After a stretch the device dropped or went silent in: :class:`_DeviceLost` unless it answers now (a
    hung device had been asked for the stretch again, the wearer counted down, and only then found lost)."""
    try:
        probe(keeper.ensure(), options)
    except (LinkClosed, NoDeviceAnswer, DeviceTimeout) as exc:
        keeper.dropped()
        said = str(exc).split(" (allowed: ")[0]
        raise _DeviceLost(f"{why}; then it did not answer ({said})") from None


def _accept(activity: str, res: CaptureResult, attempt: Attempt, result: GuidedResult,
            prompter: ConsolePrompter) -> None:
    """Write an accepted stretch's recording and say so."""
    path = recording_path(result.out_dir, activity)
    # where the raw log is from the recording's folder (raw/…: the capture names it, not its folder)
    res.recording.provenance["raw_log"] = Path(os.path.relpath(res.log_path, path.parent)).as_posix()
    path = _write(res.recording, path)
    result.written[activity] = path
    result.not_written.pop(activity, None)
    result.warn(activity, res.warnings)
    prompter.say(f"{activity}: ok ({attempt.reason}) → {path}")


def _live_check(activity: str, plan: GuidedPlan, limits: StillLimits | None):
    """``stop_check`` for a still activity: once more than 20 % of the stretch's planned windows
    moved it cannot pass any more, so it stops at once and the wearer is asked again."""
    planned = max(1, int(plan.seconds_each / WINDOW_S))

    def check(session) -> str | None:
        rec = session.build()
        if len(rec) < rec.rate_hz * WINDOW_S:
            return None
        c = check_stretch(rec, activity, limits)
        if c.moving_windows > MOVING_FRACTION * planned:
            return (f"moved while asked to keep still — {c.moving_windows} of the {planned} planned 1-s windows "
                    f"moved after {len(rec) / rec.rate_hz:.0f} s; median " + c.describe().split("median ", 1)[1])
        return None

    return check


def _judge(activity: str, number: int, res: CaptureResult, limits: StillLimits | None) -> Attempt:
    rec = res.recording
    if rec is None:
        return Attempt(activity, number, str(res.log_path), 0, 0, False, None, False,
                       "nothing arrived" + (f" ({res.messages[-1]})" if res.messages else ""))
    check = check_stretch(rec, activity, limits)
    missing = res.missing_samples + res.lost_at_end  # the one count the capture's summary gives
    if res.stopped:
        return Attempt(activity, number, str(res.log_path), len(rec), missing, False, check, False,
                       res.stopped)
    if not res.complete:
        # why it ended (the disconnect's or stall's own line), not the reconnection's last word
        why = next((m for m in res.messages if m.startswith(("device disconnected", "timed out"))),
                   res.messages[-1] if res.messages else "")
        reason = "the stretch ended early" + (f" ({why})" if why else "")
        return Attempt(activity, number, str(res.log_path), len(rec), missing, False, check, False, reason)
    if check.too_still:
        reason = f"hardly moved while asked to {instruction(activity)} — {check.describe()}"
    elif not check.passed:
        reason = f"moved while asked to keep still — {check.describe()}"
    elif check.still_required:
        reason = f"still — {check.describe()}"
    else:
        reason = f"{len(rec)} samples; {check.describe()}"
    return Attempt(activity, number, str(res.log_path), len(rec), missing, True, check, check.passed, reason)


def _write(rec: Recording, path: Path) -> Path:
    """Write next to the target and rename into place: a recording is there whole or not at all."""
    tmp = path.with_name("." + path.name.removesuffix(RECORDING_SUFFIX) + ".partial" + RECORDING_SUFFIX)
    rec.save(tmp, overwrite=True)
    os.replace(tmp, path)
    return path
