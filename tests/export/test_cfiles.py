"""The generated ``model.h`` / ``model.c`` are valid C99 for any values, not only the ones a test run gives."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from imuforge.errors import ValidationError
from imuforge.export.cfiles import c_float, write_c_files


@pytest.mark.parametrize("value, literal", [(50, "50.0f"), (50.0, "50.0f"), (-3.0, "-3.0f"), (0.5, "0.5f"),
                                            (1e-5, "1e-05f"), (1e20, "1e+20f"), (0.00390625, "0.00390625f")])
def test_c_float_literals_always_have_a_point_or_exponent(value, literal):
    assert c_float(value) == literal


def test_c_float_refuses_nan():
    with pytest.raises(ValidationError, match="cannot be written as a C float"):
        c_float(float("nan"))


def _write(tmp_path, **kw):
    args = dict(name="imuforge_model", labels=["walking", "standing"], channels=["acc_x", "acc_y", "acc_z"],
                window_length=4, odr_hz=50.0, input_scale=1.0, input_zero_point=-128, output_scale=0.00390625,
                output_zero_point=-128, k=np.array([1.0, 2.0, -3.0], np.float32), b=np.array([0.0, 5.0, -128.0]),
                mean=np.array([0.0, 0.0, 9.81]), std=np.array([1.0, 1.0, 2.0]), arena_bytes=1000,
                model_sha256="0" * 64)
    args.update(kw)
    return write_c_files(tmp_path, b"\x01\x02\x03", **args)


def test_header_defines_are_c_float_constants(tmp_path):
    h, _ = _write(tmp_path)
    text = h.read_text()
    assert "#define IMUFORGE_MODEL_ODR_HZ 50.0f" in text
    assert "#define IMUFORGE_MODEL_INPUT_SCALE 1.0f" in text
    assert "50f" not in text and " 1f" not in text


def test_generated_header_and_source_compile_with_the_host_gcc(tmp_path):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    _write(tmp_path)
    use = tmp_path / "use.c"
    # every float macro used where C needs a constant expression
    use.write_text('#include "model.h"\n'
                   "static const float odr = IMUFORGE_MODEL_ODR_HZ;\n"
                   "static const float in_scale = IMUFORGE_MODEL_INPUT_SCALE;\n"
                   "static const float out_scale = IMUFORGE_MODEL_OUTPUT_SCALE;\n"
                   "float use(void) { return odr + in_scale + out_scale + (float)IMUFORGE_MODEL_ARENA_BYTES; }\n")
    for src in (use, tmp_path / "model.c"):
        res = subprocess.run([gcc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", str(src),
                              "-I", str(tmp_path), "-o", str(src.with_suffix(".o"))],
                             capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr
