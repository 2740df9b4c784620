/* The export's generated C (c/imuforge_model.c, copied here as imuforge_model.inc: Arduino compiles every .c
 * file of the sketch folder, the .inc only through this file) with the Cortex-M4 DSP path: SMLAD dual
 * multiply-accumulates, bit-identical to the plain C and to TFLM. `make -C firmware_bridge nano33` assembles
 * the folder; see imuforge_bridge.ino. */
#define IFM_DSP 1
#include "imuforge_model.inc"
