"""One seed range (errors.SEED_MIN … SEED_MAX) for every command with --seed, checked before any work."""

from __future__ import annotations

import pytest

from imuforge.cli import build_parser, main
from imuforge.errors import SEED_MAX, ValidationError, check_seed

ARGS = {
    "calibrate": ["--synthetic", "{t}/s", "--real", "{t}/r", "--out", "{t}/o"],
    "simulate": ["--motion", "{t}/m", "--profile", "metamotions", "--out", "{t}/o"],
    "demo": ["--out", "{t}/o"],
    "emulate": [],
    "motion": ["walking", "--out", "{t}/o"],
    "train": ["--data", "{t}/d", "--out", "{t}/o"],
}


def test_every_command_with_a_seed_is_covered():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    with_seed = {name for name, p in sub.choices.items() if "--seed" in p._option_string_actions}
    assert with_seed == set(ARGS)


@pytest.mark.parametrize("seed", ["-1", "99999999999999999999", str(SEED_MAX + 1)])
@pytest.mark.parametrize("command", sorted(ARGS))
def test_a_seed_out_of_range_is_one_line(tmp_path, capsys, command, seed):
    args = [a.format(t=tmp_path) for a in ARGS[command]]
    assert main([command, *args, "--seed", seed]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"--seed = {seed[:20]}" in err and "allowed: an integer 0 … 2147483647" in err
    assert list(tmp_path.iterdir()) == []


def test_check_seed_and_the_library():
    assert check_seed(SEED_MAX) == SEED_MAX and check_seed(0) == 0
    for bad in (-1, 2**31, 1.5, True, "3"):
        with pytest.raises(ValidationError):
            check_seed(bad)
    from imuforge.train.trainer import TrainConfig

    with pytest.raises(ValidationError, match="--seed = -1"):
        TrainConfig(data=["x"], seed=-1).check()


def test_a_spec_seed_uses_the_same_range():
    from imuforge.synth.spec import CorpusSpec

    CorpusSpec.from_dict({"name": "c", "seed": SEED_MAX, "activities": ["walking"],
                          "profiles": ["metamotions"]})
    with pytest.raises(ValidationError, match="2147483647"):
        CorpusSpec.from_dict({"name": "c", "seed": SEED_MAX + 1, "activities": ["walking"]})
