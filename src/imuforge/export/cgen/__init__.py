"""Generated C inference for an exported int8 model: TFLM's integer arithmetic, no interpreter.

:func:`generate_c` writes ``<name>.h`` / ``<name>.c`` (C99, no dynamic allocation, constants in
``const`` arrays, one static arena from a buffer plan); :mod:`.build` compiles them for the host
(to compare with the TFLM interpreter) and measures them for Cortex-M4. See docs/CGEN.md.
"""

from imuforge.export.cgen.emit import GeneratedC, RenderedC, generate_c, render_c
from imuforge.export.cgen.graph import CgenError

__all__ = ["CgenError", "GeneratedC", "RenderedC", "generate_c", "render_c"]
