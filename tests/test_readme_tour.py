"""The README's short tour, run as written in an empty folder (only the sizes are made smaller).

The block is taken from README.md itself, so the tour cannot drift from what is tested: the
emulators write their port to a file once they listen and the commands wait on it (no ``sleep``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMALLER = [(r"--n (20|5)\b", "--n 3"), (r"--seconds (30|60)\b", "--seconds 20"), (r"--epochs 30\b", "--epochs 3")]


def tour_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A short tour", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    for pattern, repl in SMALLER:
        block = re.sub(pattern, repl, block)
    return block


def test_the_tour_is_the_readme_block_with_smaller_sizes_only():
    script = tour_script()
    assert "sleep" not in script and "--port-file desk.port" in script
    assert "--n 20" not in script and "--epochs 30" not in script


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_readme_tour_runs_as_written(tmp_path):
    bindir = Path(sys.executable).parent
    if not (bindir / "imuforge").exists():
        pytest.skip("the imuforge command is not installed next to this Python")
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", IMUFORGE_PROGRESS="0")
    script = "set -euo pipefail\n" + tour_script()
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=880)
    tail = (proc.stdout[-3000:] + "\n--- stderr ---\n" + proc.stderr[-3000:])
    assert proc.returncode == 0, tail
    tour = tmp_path / "tour"
    for produced in ("captures/standing.imu.parquet", "captures/walking.imu.parquet", "run/model.keras",
                     "deploy/model.tflite", "hil_report", "hil_port"):
        assert (tour / produced).exists(), produced
    shutil.rmtree(tour, ignore_errors=True)
