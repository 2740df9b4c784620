"""Build of the optional C kernel ``imuforge.sensors._kernels`` (metadata lives in pyproject.toml).

The extension is plain C99 against the CPython buffer API (no numpy headers, no Cython). If it
cannot be compiled (no C compiler or Python headers) the package still installs and
:mod:`imuforge.sensors` falls back to its numpy implementation.
"""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

#: the firmware sources ``imuforge hil --qemu`` and ``export``'s QEMU check build (``make -C qemu cgen``,
#: which writes only to the build folder it is given): the repository's ``firmware_bridge/``, shipped in the
#: package as ``imuforge/firmware_bridge`` so that an installed wheel can build them too
FIRMWARE_FILES = ("Makefile", "PROTOCOL.md", "core/*.c", "core/*.h", "model/*.c", "model/*.h",
                  "qemu/Makefile", "qemu/*.c", "qemu/*.ld", "arduino/**/*.ino", "arduino/**/*.c", "tests/*.c")


class OptionalBuildExt(build_ext):
    """Build extensions, but warn instead of failing when the compiler is missing."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any compiler failure: fall back to numpy
            print(f"WARNING: imuforge C kernel not built ({exc}); the numpy fallback will be used")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            print(f"WARNING: {ext.name} not built ({exc}); the numpy fallback will be used")


class BuildPyWithFirmware(build_py):
    """The package's modules and data, and the firmware sources (:data:`FIRMWARE_FILES`) beside them."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent / "firmware_bridge"
        dest = Path(self.build_lib) / "imuforge" / "firmware_bridge"
        for pattern in FIRMWARE_FILES:
            for f in sorted(root.glob(pattern)):
                target = dest / f.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, target)


setup(
    ext_modules=[
        Extension(
            "imuforge.sensors._kernels",
            sources=["src/imuforge/sensors/_kernels.c"],
            # -O3 without -ffast-math or -march: IEEE order of operations, results identical on
            # every x86-64 / aarch64 build (no FMA contraction: -ffp-contract=off).
            libraries=["m"],
            extra_compile_args=["-std=c99", "-O3", "-ffp-contract=off", "-Wall", "-Wno-unused-parameter"],
        )
    ],
    cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithFirmware},
)
