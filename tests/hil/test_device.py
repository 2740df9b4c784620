"""The emulated device's HIL handler, driven in-process (no transport): replies, errors, faults."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from imuforge.bridge import protocol as P
from imuforge.errors import ValidationError
from imuforge.hil import messages as M
from imuforge.hil.device import HilDevice, HilFaults, make_emulated_device


class Host:
    """Send frames to an EmulatedDevice and decode what it answers."""

    def __init__(self, device):
        self.device = device
        self.decoder = P.FrameDecoder()
        self.seq = 0

    def send(self, *msgs) -> list:
        for m in msgs:
            self.device.receive(P.encode_frame(m, self.seq))
            self.seq += 1
        return [f.message() for f in self.decoder.feed(self.device.take_output())]


@pytest.fixture
def setup(tiny_model):
    dev = make_emulated_device("nano33-ble-sense-rev2")
    hil = HilDevice.from_export(tiny_model).attach(dev)
    return Host(dev), hil


def _window(hil, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, hil.identity().input_bytes, dtype=np.int8).tobytes()


def test_identity_matches_export(setup, tiny_model):
    import hashlib

    host, hil = setup
    (m,) = host.send(M.HilGetModel())
    data = (tiny_model / "model.tflite").read_bytes()
    assert isinstance(m, M.HilModel)
    assert m.sha256 == hashlib.sha256(data).digest() and m.size == len(data)
    assert m.input_dtype == 1 and m.output_dtype == 1  # int8 in and out
    assert 0 < m.arena_used <= m.arena_size


def test_infer_equals_host_tflm(setup, tiny_model):
    from imuforge.export import TflmModel

    host, hil = setup
    x = _window(hil, 1)
    c = hil.max_chunk
    msgs = [M.HilLoad(9, len(x), zlib.crc32(x))] + [M.HilChunk(9, o, x[o:o + c]) for o in range(0, len(x), c)]
    (r,) = host.send(*msgs, M.HilInfer(9, runs=5, warmup=1))
    assert isinstance(r, M.HilResult) and r.window == 9 and r.runs == 5
    assert r.min_us <= r.mean_us <= r.max_us
    ref = TflmModel((tiny_model / "model.tflite").read_bytes()).invoke(np.frombuffer(x, np.int8))
    assert np.frombuffer(r.output, np.int8).tolist() == ref.reshape(-1).tolist()


def test_chunks_out_of_order_and_small(setup):
    host, hil = setup
    x = _window(hil, 2)
    chunks = [M.HilChunk(1, o, x[o:o + 17]) for o in range(0, len(x), 17)][::-1]
    (r,) = host.send(M.HilLoad(1, len(x), zlib.crc32(x)), *chunks, M.HilInfer(1))
    assert isinstance(r, M.HilResult)


def test_crc_mismatch_missing_bytes_bad_length(setup):
    host, hil = setup
    x = _window(hil, 3)
    (e,) = host.send(M.HilLoad(1, len(x), zlib.crc32(x) ^ 1), M.HilChunk(1, 0, x), M.HilInfer(1))
    assert isinstance(e, M.HilError) and e.code == M.HilErrorCode.CRC_MISMATCH and e.window == 1
    (e,) = host.send(M.HilLoad(2, len(x), zlib.crc32(x)), M.HilChunk(2, 0, x[:-10]), M.HilInfer(2))
    assert e.code == M.HilErrorCode.MISSING_BYTES and "10 of" in e.text
    (e,) = host.send(M.HilLoad(3, len(x) + 1, 0))
    assert e.code == M.HilErrorCode.BAD_LENGTH
    (e,) = host.send(M.HilInfer(77))
    assert e.code == M.HilErrorCode.UNKNOWN_WINDOW
    (e,) = host.send(M.HilLoad(4, len(x), 0), M.HilChunk(4, len(x) - 2, b"abc"))
    assert e.code == M.HilErrorCode.BAD_LENGTH


def test_no_model_and_busy():
    dev = make_emulated_device("nano33-ble-sense-rev2")
    HilDevice(None).attach(dev)
    host = Host(dev)
    (e,) = host.send(M.HilGetModel())
    assert isinstance(e, M.HilError) and e.code == M.HilErrorCode.NO_MODEL
    out = host.send(P.Start(0), M.HilGetModel())
    assert any(isinstance(m, M.HilError) and m.code == M.HilErrorCode.BUSY for m in out)


def test_bad_payload_is_an_error_message(setup):
    host, _ = setup
    host.device.receive(P.encode_frame(M.HilType.INFER, 0, b"\x01"))
    (e,) = [f.message() for f in host.decoder.feed(host.device.take_output())]
    assert isinstance(e, M.HilError) and e.code == M.HilErrorCode.BAD_PAYLOAD


def test_reset_fault_changes_boot_id(tiny_model):
    dev = make_emulated_device("nano33-ble-sense-rev2")
    hil = HilDevice.from_export(tiny_model, faults=HilFaults(reset_at=(1,))).attach(dev)
    host = Host(dev)
    (m0,) = host.send(M.HilGetModel())
    x = _window(hil)
    assert host.send(M.HilLoad(1, len(x), zlib.crc32(x)), M.HilChunk(1, 0, x), M.HilInfer(1)) == []
    (m1,) = host.send(M.HilGetModel())
    assert m1.boot_id != m0.boot_id and hil.resets == 1


def test_the_names_the_firmwares_report_say_what_runs_where():
    """The HIL report's implementation / device come from the HIL_MODEL name each firmware sets."""
    import re
    from pathlib import Path

    from imuforge.hil.device import describe_device

    root = Path(__file__).resolve().parents[2] / "firmware_bridge"
    ino = (root / "arduino" / "imuforge_bridge" / "imuforge_bridge.ino").read_text()
    nano = re.search(r'ifb_cgen_model_set_name\("([^"]+)"\)', ino).group(1)
    assert describe_device(nano) == {"implementation": "generated C", "device": "board"}
    mlp = re.search(r'#define IFB_MLP_NAME "([^"]+)"', (root / "model" / "ifb_model_data.h").read_text()).group(1)
    assert describe_device(mlp) == {"implementation": "reference MLP kernels", "device": "qemu"}
    assert describe_device("some vendor firmware") == {"implementation": "unknown", "device": "board"}


def _truncate(path):
    path.write_bytes(path.read_bytes()[:1000])


def _edit_card(path):
    """The normalisation's k scaled by 1.5: well-formed, but not the card the export wrote."""
    import json

    card = json.loads(path.read_text())
    card["input"]["normalisation"]["k"] = [1.5 * v for v in card["input"]["normalisation"]["k"]]
    path.write_text(json.dumps(card, indent=1))


@pytest.mark.parametrize("damage, message", [
    (lambda d: _truncate(d / "model.tflite"), "corrupt export folder: {d}/model.tflite: sha256 "),
    (lambda d: (d / "card.json").write_text('{"model":'),
     "corrupt export folder: {d}/card.json: not valid JSON"),
    (lambda d: (d / "card.json").write_text("{}"), "corrupt export folder: {d}/card.json: lacks or garbles"),
    (lambda d: (d / "card.json").unlink(), "--hil-model: {d} is not an export folder: missing card.json"),
    (lambda d: _edit_card(d / "card.json"),
     "corrupt export folder: {d}/card.json: was changed after export (its content digest does not match"),
])
def test_emulate_with_a_damaged_export_is_one_line(tiny_model, tmp_path, capsys, damage, message):
    """`emulate --hil-model` checks the folder as `hil` does: one line, exit 2, before it listens."""
    import shutil

    from imuforge.cli import main

    d = tmp_path / "export"
    shutil.copytree(tiny_model, d)
    damage(d)
    port_file = tmp_path / "port"
    assert main(["emulate", "--hil-model", str(d), "--tcp", "0", "--port-file", str(port_file)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("imuforge emulate: error: "), err
    assert message.format(d=d) in err and "(allowed: " in err
    assert not port_file.exists()
    with pytest.raises(ValidationError, match="export folder"):  # the library refuses it the same way
        HilDevice.from_export(d)
