"""imuforge: synthetic IMU data for one specific wearable, calibrated against real captures,
trained into int8 HAR models and tested on the device.

The public API is small; each layer lives in its own sub-package, data flowing down this list:

- :mod:`imuforge.motion`    -- skeletons and :class:`~imuforge.motion.Motion`
- :mod:`imuforge.sensors`   -- placements, motion → ideal IMU, hardware error model, profiles
- :mod:`imuforge.recording` -- :class:`Recording` and :class:`Dataset`, the on-disk formats
- :mod:`imuforge.calibrate`, :mod:`imuforge.train`, :mod:`imuforge.export`, :mod:`imuforge.hil`

Errors (:mod:`imuforge.errors`): every error imuforge raises on purpose is an :class:`ImuforgeError` —
:class:`ValidationError` for bad input (a ``ValueError`` too; its subclasses ``CorruptFileError``,
``NotARecordingError``, ``MissingChannelsError``, ``UnusableValidationError``), ``OutputExistsError`` for an
output that exists (a ``FileExistsError`` too), ``MissingExtraError`` for an optional dependency not
installed. Warnings a script sees: ``CalibrationWarning`` (calibrate's warning findings), ``TrainingNote``
(a training run's notes). The docs ship in the package's ``docs/`` folder (``imuforge --help`` prints where).
"""

from importlib.metadata import PackageNotFoundError, version

from imuforge.errors import ImuforgeError, OutputExistsError, ValidationError
from imuforge.recording import Dataset, LabelSegment, Recording, read_csv, read_dataset, read_recording

try:
    __version__ = version("imuforge")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Dataset",
    "ImuforgeError",
    "LabelSegment",
    "OutputExistsError",
    "Recording",
    "ValidationError",
    "__version__",
    "read_csv",
    "read_dataset",
    "read_recording",
]
