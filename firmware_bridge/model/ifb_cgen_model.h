/* The export's generated C inference (OUT/c/<name>.c, see docs/CGEN.md) behind the HIL inference
 * interface (ifb_model_t). Built when IFB_CGEN_MODEL is defined; the export's identity (sha-256 and
 * size of its model.tflite, shapes, quantisation) comes from ifb_cgen_identity.h, written next to
 * the generated C by imuforge.export.cgen.firmware.write_identity_header. */
#ifndef IFB_CGEN_MODEL_H
#define IFB_CGEN_MODEL_H
#include "ifb_hil.h"

const ifb_model_t *ifb_cgen_model_get(void);

/* The name HIL_MODEL reports (default IFB_CGEN_NAME of ifb_cgen_identity.h), before or after
 * ifb_cgen_model_get() (the model it returned takes it). A board names itself here, e.g. the Nano 33 BLE
 * Sense sketch, and the QEMU firmware (qemu/main.c). */
void ifb_cgen_model_set_name(const char *name);

#endif
