"""Generated C (compiled here with gcc) vs the TFLM Python interpreter: byte for byte, two implementations.

For tiny_cnn, ds_cnn and res_cnn: every window of the export's reference set, a property test
on random int8 windows (hypothesis), and a "kitchen sink" Keras model with the ops and options the
zoo does not use (average pooling, VALID padding, strides, depth multiplier, RELU6, per-tensor
weights). A deliberately broken kernel must be caught, so the comparison can fail.

Each zoo check runs three builds of the generated C: plain C; ``-DIFM_DSP`` (on the host the DSP
instructions SXTB16/SXTAB16/SMLAD/SMLABB/SMLATT/SSUB8+SEL are the kernels' portable C versions, so the
SMLAD path's data layouts and loops are checked here; the real instructions run in QEMU,
test_cgen_qemu.py); and ``-DIFM_DSP`` with the convolution weights kept int8 (``wide_max_bytes=0``:
unpacked with SXTB16 in the loop instead of stored as 16-bit pairs).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from .conftest import ZOO_KWARGS, need_gcc

pytest.importorskip("tensorflow")
pytest.importorskip("tflite_micro")

_HOST: dict = {}


#: build variants: (defines, int8 convolution weights)
VARIANTS = {"plain": ((), False), "dsp": (("IFM_DSP",), False), "dsp_int8_weights": (("IFM_DSP",), True)}


def _pair(export_dir, *, source=None, variant: str = "plain", tmp=None):
    """(generated C on the host, TFLM interpreter) for an export folder; built once per folder and variant."""
    from imuforge.export import TflmModel
    from imuforge.export.cgen import generate_c
    from imuforge.export.cgen.build import HostModel

    key = (str(export_dir), str(source), variant)
    if key not in _HOST:
        need_gcc()
        defines, int8_weights = VARIANTS[variant]
        h = (export_dir / "c" / "imuforge_model.h").read_text()
        nin = int(h.split("IMUFORGE_MODEL_INPUT_BYTES ")[1].split()[0])
        nout = int(h.split("IMUFORGE_MODEL_OUTPUT_BYTES ")[1].split()[0])
        src = source or export_dir / "c" / "imuforge_model.c"
        if int8_weights:
            src = generate_c((export_dir / "model.tflite").read_bytes(), tmp, wide_max_bytes=0).source
            convs = [ln for ln in src.read_text().splitlines() if ln.startswith("static const ifm_conv_t p")]
            assert convs and all(ln.rstrip("};").split(",")[-2].strip() == "0" for ln in convs)  # w16 = 0
        _HOST[key] = (HostModel(src, input_bytes=nin, output_bytes=nout, strict=True, defines=defines),
                      TflmModel((export_dir / "model.tflite").read_bytes()))
    return _HOST[key]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(ZOO_KWARGS))
def test_every_reference_window_is_bit_exact(zoo_exports, name, variant, tmp_path_factory):
    host, tflm = _pair(zoo_exports[name], variant=variant, tmp=tmp_path_factory.mktemp(f"{name}_{variant}"))
    ref = np.load(zoo_exports[name] / "reference.npz")
    q, expected = ref["q"], ref["tflm_out"].reshape(len(ref["q"]), -1)
    assert len(q) >= 20
    got = host.run(q)
    assert np.array_equal(got, expected), f"{int(np.any(got != expected, axis=1).sum())} of {len(q)} windows differ"
    # and the interpreter run now agrees with the one stored at export time
    assert np.array_equal(tflm.run(q).reshape(len(q), -1), expected)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(ZOO_KWARGS))
def test_random_int8_windows_are_bit_exact(zoo_exports, name, variant, tmp_path_factory):
    host, tflm = _pair(zoo_exports[name], variant=variant, tmp=tmp_path_factory.mktemp(f"{name}_{variant}_r"))
    shape = tuple(np.load(zoo_exports[name] / "reference.npz")["q"].shape[1:])

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(arrays(np.int8, shape, elements=st.integers(-128, 127)))
    def prop(q):
        assert np.array_equal(host.invoke(q), tflm.invoke(q[None]).reshape(-1))

    prop()


@pytest.mark.parametrize("name", list(ZOO_KWARGS))
def test_export_card_reports_the_comparison_and_sizes(zoo_exports, name):
    card = json.loads((zoo_exports[name] / "card.json").read_text())
    chk = card["checks"]["generated_c_equals_tflm"]
    assert chk["compared"] and chk["identical"] and chk["mismatches"] == 0
    assert chk["windows"] > 0 and chk["random_windows"] == 256
    g = card["size"]["generated_c"]
    assert 0 < g["peak_live_bytes"] <= g["arena_bytes"]
    assert g["ram_with_io_bytes"] < card["size"]["arena_bytes_tflm"]
    md = (zoo_exports[name] / "card.md").read_text()
    assert "Generated C (host build) output == TFLM output, byte for byte: **pass**" in md
    assert "Generated C on Cortex-M4" in md


def test_a_broken_kernel_is_caught(zoo_exports, tmp_path):
    """One LSB off in the softmax output offset: the comparison must see it."""
    src = (zoo_exports["tiny_cnn"] / "c" / "imuforge_model.c").read_text()
    bad = src.replace("bits_over_unit + 31 - 8) - 128;", "bits_over_unit + 31 - 8) - 127;")
    assert bad != src
    (tmp_path / "imuforge_model.h").write_text((zoo_exports["tiny_cnn"] / "c" / "imuforge_model.h").read_text())
    (tmp_path / "imuforge_model.c").write_text(bad)
    host, tflm = _pair(zoo_exports["tiny_cnn"], source=tmp_path / "imuforge_model.c")
    q = np.load(zoo_exports["tiny_cnn"] / "reference.npz")["q"]
    assert not np.array_equal(host.run(q), tflm.run(q).reshape(len(q), -1))


@pytest.mark.parametrize("variant, swaps", [
    ("dsp", [("ifm_smlad(w[1], x13, ifm_smlad(w[0], x02, a[0]))", "ifm_smlad(w[1], x02, ifm_smlad(w[0], x13, a[0]))")]),
    ("plain", [("(w[2 * (j)] & 0xFFFFu) * x0;", "(w[2 * (j)] & 0xFFFFu) * @;"),
               ("(w[2 * (j)] >> 16) * x2;", "(w[2 * (j)] >> 16) * x0;"), ("* @;", "* x2;")]),
])
def test_a_wrong_lane_in_the_convolution_is_caught(zoo_exports, tmp_path, variant, swaps):
    """The 16-bit weight pairs read against the wrong input lanes, in the SMLAD path or the plain C."""
    src = bad = (zoo_exports["tiny_cnn"] / "c" / "imuforge_model.c").read_text()
    for good, wrong in swaps:
        assert good in bad
        bad = bad.replace(good, wrong)
    assert bad != src
    (tmp_path / "imuforge_model.h").write_text((zoo_exports["tiny_cnn"] / "c" / "imuforge_model.h").read_text())
    (tmp_path / "imuforge_model.c").write_text(bad)
    host, tflm = _pair(zoo_exports["tiny_cnn"], source=tmp_path / "imuforge_model.c", variant=variant)
    q = np.load(zoo_exports["tiny_cnn"] / "reference.npz")["q"]
    assert not np.array_equal(host.run(q), tflm.run(q).reshape(len(q), -1))
