"""The built wheel carries the built-in profiles, and a user's own profile folders are found."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_ships_every_builtin_profile(tmp_path):
    src = tmp_path / "src"
    # build from a copy: the build must not write into the checkout (build/, egg-info)
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info",
                                                              "demo_out", "__pycache__", "*.so"),
                    symlinks=True)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("imuforge-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {Path(n).relative_to("imuforge/profiles").as_posix() for n in names
               if n.startswith("imuforge/profiles/") and n.endswith(".toml")}
    expected = {p.relative_to(ROOT / "src/imuforge/profiles").as_posix()
                for p in (ROOT / "src/imuforge/profiles").rglob("*.toml")}
    assert expected and shipped == expected
    # and the firmware sources hil --qemu and export's QEMU check build (it read them from a checkout's
    # firmware_bridge/ only: from a wheel, --qemu failed with make's "No such file or directory"): every
    # file of core/ and of qemu/ but its build output, and the model glue the qemu build compiles
    fw = ROOT / "firmware_bridge"
    needed = {p.relative_to(fw).as_posix() for d in ("core", "qemu") for p in (fw / d).iterdir()
              if p.is_file()} | {"model/ifb_cgen_model.c", "model/ifb_cgen_model.h"}
    firmware = {Path(n).relative_to("imuforge/firmware_bridge").as_posix() for n in names
                if n.startswith("imuforge/firmware_bridge/")}
    assert needed <= firmware, sorted(needed - firmware)
    assert not any("/build" in f for f in firmware)


def test_user_profile_folder_flat_or_nested(tmp_path, monkeypatch):
    from imuforge.sensors import profiles

    builtin = profiles.BUILTIN_PROFILES / "devices" / "metamotions.toml"
    nested = tmp_path / "team" / "boards"
    nested.mkdir(parents=True)
    text = builtin.read_text().replace('name = "metamotions"', 'name = "my-band"')
    assert 'name = "my-band"' in text
    (nested / "my-band.toml").write_text(text)
    monkeypatch.setenv("IMUFORGE_PROFILES", str(tmp_path))
    names = {i.name for i in profiles.list_profiles()}
    assert "my-band" in names and "metamotions" in names
    assert profiles.load_profile("my-band").name == "my-band"
