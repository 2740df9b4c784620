"""Speed of the procedural motion library (× real time per core) and of its FK vs a scipy-Rotation FK.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_motion.py (writes benchmarks/results/motion.targets.json)
Peer measured in the same run: forward kinematics written with scipy.spatial.transform.Rotation
(composition and apply per joint — the obvious vectorised implementation).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from _targets import Target, command_line, status, write_targets  # noqa: E402
from _timing import best_time  # noqa: E402
from scipy.spatial.transform import Rotation  # noqa: E402

from imuforge.motion.kinematics import forward_kinematics  # noqa: E402
from imuforge.motion.library import ACTIVITIES, generate, schedule  # noqa: E402
from imuforge.motion.skeleton import HUMANML3D_22, rest_offsets  # noqa: E402


def scipy_fk(local, root, offsets):
    T, J = local.shape[:2]
    rots = [Rotation.from_quat(local[:, 0])]
    pos = np.zeros((T, J, 3))
    pos[:, 0] = root
    for j in range(1, J):
        p = HUMANML3D_22.parents[j]
        pos[:, j] = pos[:, p] + rots[p].apply(offsets[j])
        rots.append(rots[p] * Rotation.from_quat(local[:, j]))
    return pos, np.stack([r.as_quat() for r in rots], 1)




def library_speed(fps: float, dur: float) -> dict[str, float]:
    """× real time of each library activity (transitions at their own length), printed as it goes."""
    print(f"procedural library, {dur:.0f} s per activity at {fps:g} fps, one core (best of 3)")
    speeds = {}
    total_s = total_t = 0.0
    for name, act in ACTIVITIES.items():
        d = None if act.kind == "transition" else dur
        m = generate(name, d, fps=fps, rng=1)
        t = best_time(lambda name=name, d=d: generate(name, d, fps=fps, rng=1))
        speeds[name] = m.duration_s / t
        total_s += m.duration_s
        total_t += t
        print(f"  {name:15s} {m.duration_s:7.1f} s motion in {t * 1e3:7.1f} ms  = {speeds[name]:8.0f}× real time")
    speeds["all"] = total_s / total_t
    return speeds


def fk_ratio() -> float:
    """How many times faster imuforge's FK is than the scipy-Rotation FK (same input, same run)."""
    rng = np.random.default_rng(0)
    T = 100_000
    local = Rotation.random(T * 22, random_state=1).as_quat().reshape(T, 22, 4)
    root = rng.normal(size=(T, 3))
    off = rest_offsets(1.75)
    t_ours = best_time(lambda: forward_kinematics(local, root, off))
    t_peer = best_time(lambda: scipy_fk(local, root, off))
    p1, _ = forward_kinematics(local, root, off)
    p2, _ = scipy_fk(local, root, off)
    print(f"FK of {T} frames: imuforge {t_ours * 1e3:.1f} ms, scipy Rotation FK {t_peer * 1e3:.1f} ms "
          f"→ ratio {t_peer / t_ours:.2f}× (max |Δp| {np.abs(p1 - p2).max():.1e} m)")
    return t_peer / t_ours


def target_rows(speeds: dict[str, float], sched: float, fk: float) -> list[Target]:
    per_activity = {k: v for k, v in speeds.items() if k != "all"}
    slow = {k: v for k, v in per_activity.items() if v < 1000}
    slow_kinds = {ACTIVITIES[k].kind for k in slow}
    if not slow:
        note = ""
    elif slow_kinds == {"transition"}:
        note = f"single short transitions below 1000× (a fixed per-call cost): {', '.join(slow)}"
    else:
        note = f"{len(slow)} of {len(per_activity)} activities below 1000×"
    verdict = status(speeds["all"], at_least=1000, unit="×", note=note)
    return [Target(
        issue="3 motion", target="≥ 1000× real time per core",
        measured=f"{speeds['all']:.0f}× all activities (walking {speeds['walking']:.0f}×, running "
                 f"{speeds['running']:.0f}×, slowest {min(per_activity, key=per_activity.get)} "
                 f"{min(per_activity.values()):.0f}×); schedule stand → walk → sit {sched:.0f}×",
        peer=f"scipy-Rotation FK: {fk:.1f}× slower than imuforge's FK", status=verdict,
        values={"all_x": speeds["all"], "schedule_x": sched, "fk_ratio": fk, **per_activity})]


def main() -> None:
    fps, dur = 100.0, 120.0
    speeds = library_speed(fps, dur)
    slowest = min((k for k in speeds if k != "all"), key=speeds.get)
    print(f"all activities: {speeds['all']:.0f}× real time (slowest: {slowest} {speeds[slowest]:.0f}×)")
    items = [("standing", 30), ("walking", 120), ("stand_to_sit", None), ("sitting", 60)]
    t = best_time(lambda: schedule(items, fps=fps, rng=1))
    m = schedule(items, fps=fps, rng=1)
    sched = m.duration_s / t
    print(f"schedule stand 30 s → walk 120 s → sit down → sit 60 s: {sched:.0f}× real time")
    write_targets("motion", target_rows(speeds, sched, fk_ratio()),
                  command="OMP_NUM_THREADS=1 " + command_line())


if __name__ == "__main__":
    main()
