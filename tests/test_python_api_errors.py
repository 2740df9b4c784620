"""The library called from Python: bad input raises an ImuforgeError naming what is wrong and what is
allowed, never a KeyError / TypeError / NumPy error from deep inside (a fresh user's Python session, 65)."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge import Dataset, ImuforgeError, OutputExistsError, Recording, ValidationError, read_csv
from imuforge.motion.library import generate

CH3 = ("acc_x", "acc_y", "acc_z")


def _rec(**kw) -> Recording:
    return Recording(np.arange(20) / 10.0, np.tile([0.0, 0.0, 9.81], (20, 1)), CH3, 10.0, **kw)


@pytest.mark.parametrize("call, message", [
    (lambda: generate("walking", 5, rng=-1), r"rng = -1 is out of range \(allowed: an integer 0 … "),
    (lambda: generate("walking", 5, rng=1.5), r"rng = 1.5 is out of range"),
    (lambda: generate("walking", "5", rng=1),
     r"^walking: duration must be a number of seconds > 0, got '5'"),
    # not "schedule item 0: …" (generate makes no schedule)
    (lambda: generate("nope", 5, rng=1), r"^unknown activity 'nope' \(allowed: walking"),
    (lambda: generate("walking", 1e9, rng=1), r"more frames than a motion holds in memory \(allowed: seconds "
                                              r"× fps up to 360,000"),
])
def test_motion_library_arguments(call, message):
    with pytest.raises(ValidationError, match=message):
        call()


def test_a_list_of_seeds_is_a_seed():
    a, b = (generate("walking", 2, fps=20, rng=[3, 1]) for _ in range(2))
    assert np.array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions, generate("walking", 2, fps=20, rng=[3, 2]).positions)


def test_simulate_without_a_profile():
    from imuforge.sensors import simulate

    with pytest.raises(ValidationError, match=r"profile None is neither a name nor a path"):
        simulate(generate("walking", 2, fps=20, rng=1), None, "wrist_left")


def test_calibrate_with_a_negative_seed(tmp_path):
    from imuforge.calibrate.pipeline import calibrate

    with pytest.raises(ValidationError, match=r"seed = -3 is out of range"):
        calibrate(tmp_path / "syn", tmp_path / "real", tmp_path / "out", seed=-3)
    assert not (tmp_path / "out").exists()


def test_a_dataset_by_index_and_what_it_adds(tmp_path):
    ds = Dataset.create(tmp_path / "d")
    ds.add(_rec(), name="r0")
    assert ds[0] == ds.read(0) == ds[-1]
    said = r"no recording 5 in .*: it holds 1 \(allowed: an index 0 … 0\)"
    with pytest.raises(ValidationError, match=said):
        ds.read(5)
    with pytest.raises(ValidationError, match=r"Dataset.add takes a Recording, got str 'foo'"):
        ds.add("foo")


def test_a_provenance_json_cannot_hold_and_a_read_csv_keyword_typo(tmp_path):
    with pytest.raises(ValidationError, match=r"provenance\['x'\] cannot be written"):
        _rec(provenance={"x": object()}).save(tmp_path / "r.imu.parquet")
    assert not list(tmp_path.iterdir())
    _rec().to_csv(tmp_path / "r.csv")
    said = r"read_csv takes no placment \(allowed: rate_hz, profile, placement"
    with pytest.raises(ValidationError, match=said):
        read_csv(tmp_path / "r.csv", placment="wrist_left")


def test_an_existing_output_is_an_imuforge_error_and_a_file_exists_error(tmp_path):
    """`except ImuforgeError` catches every refusal of the library, an existing output too (it was a bare
    FileExistsError); a motion file is replaced only when asked, as a recording is."""
    m = generate("standing", 2.0, fps=20, rng=0)
    m.save(tmp_path / "m.motion.npz")
    Dataset.create(tmp_path / "d")
    _rec().save(tmp_path / "r.imu.parquet")
    for call in (lambda: m.save(tmp_path / "m.motion.npz"), lambda: Dataset.create(tmp_path / "d"),
                 lambda: _rec().save(tmp_path / "r.imu.parquet")):
        with pytest.raises(ImuforgeError) as exc:
            call()
        assert isinstance(exc.value, OutputExistsError) and isinstance(exc.value, FileExistsError)
    assert m.save(tmp_path / "m.motion.npz", overwrite=True).is_file()
