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
    needed = {p.relative_to(fw).as_posix() for d in ("core", "qemu", "tests") for p in (fw / d).iterdir()
              if p.is_file()} | {"model/ifb_cgen_model.c", "model/ifb_cgen_model.h"}  # tests: `make test`'s
    firmware = {Path(n).relative_to("imuforge/firmware_bridge").as_posix() for n in names
                if n.startswith("imuforge/firmware_bridge/")}
    assert needed <= firmware, sorted(needed - firmware)
    assert not any("/build" in f for f in firmware)
    # the examples and docs that help texts and messages name (a wheel user had neither: `generate --help`'s
    # example spec was "no such spec file"), and the license the metadata declares
    for folder, pattern in (("examples", "**/*.toml"), ("docs", "*.md")):
        want = {p.relative_to(ROOT / "src/imuforge").as_posix()
                for p in (ROOT / "src/imuforge" / folder).glob(pattern)}
        assert want and {f"imuforge/{w}" for w in want} <= names, folder
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-File: LICENSE" in zipfile.ZipFile(wheel).read(meta).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_shipped_files_are_named_as_the_working_folder_reaches_them(tmp_path, monkeypatch):
    """In a checkout the examples are examples/… (a link into the package); from anywhere else (an installed
    wheel) their absolute path in the package: a path that exists either way."""
    from imuforge._shipped import PACKAGE, shipped

    monkeypatch.chdir(ROOT)
    assert shipped("examples", "corpus-small.toml") == "examples/corpus-small.toml"
    assert shipped("docs") == "docs/"
    monkeypatch.chdir(tmp_path)
    spec = shipped("examples", "corpus-small.toml")
    assert spec == str(PACKAGE / "examples" / "corpus-small.toml") and Path(spec).is_file()
    assert Path(shipped("examples", "activities")).is_dir() and shipped("docs").endswith("/")


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


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("gcc") is None, reason="needs make and gcc")
def test_an_installed_firmware_copy_builds_into_a_folder_of_the_users(tmp_path):
    """The firmware sources a wheel ships (…/site-packages/imuforge/firmware_bridge): `make test` wrote its
    build output into site-packages and needed tests/*.c the wheel lacked; `model-header` ran
    ../.venv/bin/python on a generator that does not ship. Now the output goes to BUILD=DIR (asked for), the
    unit tests ship and pass, and model-header says it needs a checkout."""
    import ast

    fw = tmp_path / "lib" / "site-packages" / "imuforge" / "firmware_bridge"
    tree = ast.parse((ROOT / "setup.py").read_text())  # the files the wheel ships (setup.py's FIRMWARE_FILES)
    patterns = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                    and any(getattr(t, "id", "") == "FIRMWARE_FILES" for t in node.targets))
    for pattern in patterns:
        for f in (ROOT / "firmware_bridge").glob(pattern):
            (fw / f.relative_to(ROOT / "firmware_bridge")).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, fw / f.relative_to(ROOT / "firmware_bridge"))

    def make(*args):
        return subprocess.run(["make", "-s", "-C", str(fw), *args], capture_output=True, text=True)

    out = make("test")
    assert out.returncode == 2 and "is an installed package's: give its build output a folder of your own" \
        in out.stderr and not (fw / "build").exists()
    out = make("test", f"BUILD={tmp_path / 'fw-build'}")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "0 failures" in out.stdout and not (fw / "build").exists()
    out = make("model-header")
    assert out.returncode == 2 and "model-header needs a source checkout of imuforge" in out.stderr
    out = make("qemu")
    assert out.returncode == 2 and "give its build output a folder of your own" in out.stderr


def test_the_commands_start_in_a_working_folder_removed_under_them(monkeypatch):
    """Every command's help names the shipped folders relative to the working folder; one removed under the
    process (a deleted build folder a shell still stands in) made even --version a FileNotFoundError."""
    from imuforge.cli import build_parser

    def gone():
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(Path, "cwd", staticmethod(gone))
    text = build_parser().format_help()
    assert "Documentation: " in text and "/imuforge/docs/" in text
