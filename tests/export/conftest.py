"""Trained and exported zoo models (small widths, few epochs) shared by the generated-C tests."""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("IMUFORGE_PROGRESS", "0")

ZOO_KWARGS = {"tiny_cnn": {"width": 8}, "ds_cnn": {"width": 8}, "res_cnn": {"width": 8}}


def need_gcc() -> str:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no host C compiler")
    return gcc


@pytest.fixture(scope="session")
def cgen_data(tmp_path_factory):
    from tests.synthetic_har import make_dataset

    root = tmp_path_factory.mktemp("cgen_data")
    make_dataset(root / "a", subjects=("s1", "s2", "s3"), seed=0)
    make_dataset(root / "b", subjects=("s4", "s5"), seed=10)
    return root


@pytest.fixture(scope="session")
def zoo_exports(cgen_data, tmp_path_factory):
    """{model name: export folder} for tiny_cnn, ds_cnn and res_cnn (3 epochs each)."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("tflite_micro")
    from imuforge.export import export_run
    from imuforge.train import TrainConfig, train

    base = tmp_path_factory.mktemp("cgen_zoo")
    out = {}
    for name, kw in ZOO_KWARGS.items():
        cfg = TrainConfig(data=[str(cgen_data)], model=name, window_s=1.28, stride_s=0.64, rate_hz=25.0, epochs=3,
                          seed=3, batch_size=16, model_kwargs=kw)
        train(cfg, base / f"run_{name}")
        export_run(base / f"run_{name}", base / f"exp_{name}")
        out[name] = base / f"exp_{name}"
    return out
