#include "ifb_cgen_model.h"
#include "ifb_cgen_identity.h"
#include "imuforge_model.h"

#ifdef IFB_CGEN_STACK_PROBE
/* Stack high-water mark of imuforge_model_run (make cgen STACK_PROBE=1, Cortex-M only): before each
 * run the IFB_STACK_PROBE_BYTES below the caller's stack pointer are painted; afterwards the deepest
 * overwritten word gives the bytes the run used (its frames, and any interrupt taken during it).
 * arena_used() then reports the static arena + that mark: the RAM the model needs besides its I/O.
 * Painting costs instructions: time the inference with a build without the probe. */
#define IFB_STACK_PROBE_BYTES 4096u
#define IFB_STACK_PAINT 0xA5C3E1F7u
static uint32_t stack_hwm;

static int invoke(void *ctx, const uint8_t *input, uint8_t *output)
{
    uint32_t *sp;
    (void)ctx;
    __asm volatile("mov %0, sp" : "=r"(sp));
    volatile uint32_t *lo = (volatile uint32_t *)(sp - IFB_STACK_PROBE_BYTES / 4u);
    for (volatile uint32_t *p = lo; p < (volatile uint32_t *)(sp - 8); p++) *p = IFB_STACK_PAINT;
    int rc = imuforge_model_run((const int8_t *)input, (int8_t *)output);
    volatile uint32_t *q = lo;
    while (q < (volatile uint32_t *)sp && *q == IFB_STACK_PAINT) q++;
    uint32_t used = (uint32_t)((uintptr_t)sp - (uintptr_t)q);
    if (used > stack_hwm) stack_hwm = used;
    return rc;
}

static uint32_t arena_used(void *ctx)
{
    (void)ctx;
    return (uint32_t)IMUFORGE_MODEL_RAM_BYTES + stack_hwm;
}
#define IFB_CGEN_RESERVED (IMUFORGE_MODEL_RAM_BYTES + IFB_STACK_PROBE_BYTES)
#else
static int invoke(void *ctx, const uint8_t *input, uint8_t *output)
{
    (void)ctx;
    return imuforge_model_run((const int8_t *)input, (int8_t *)output);
}

static uint32_t arena_used(void *ctx)
{
    (void)ctx;
    return (uint32_t)IMUFORGE_MODEL_RAM_BYTES;
}
#define IFB_CGEN_RESERVED IMUFORGE_MODEL_RAM_BYTES
#endif

static ifb_model_t model;
static const char *model_name = IFB_CGEN_NAME;

void ifb_cgen_model_set_name(const char *name)
{
    model_name = name;
    model.name = name;
}

const ifb_model_t *ifb_cgen_model_get(void)
{
    if (!model.invoke) {
        model.name = model_name;
        model.sha256 = ifb_cgen_sha256;
        model.size = IFB_CGEN_TFLITE_SIZE;
        model.arena_size = IFB_CGEN_RESERVED;
        model.input.rank = IFB_CGEN_INPUT_RANK;
        model.output.rank = IFB_CGEN_OUTPUT_RANK;
        for (unsigned i = 0; i < IFB_CGEN_INPUT_RANK; i++) model.input.dims[i] = ifb_cgen_input_shape[i];
        for (unsigned i = 0; i < IFB_CGEN_OUTPUT_RANK; i++) model.output.dims[i] = ifb_cgen_output_shape[i];
        model.input.dtype = model.output.dtype = IFB_DT_INT8;
        model.input.scale = IFB_CGEN_INPUT_SCALE;
        model.input.zero_point = IFB_CGEN_INPUT_ZERO_POINT;
        model.output.scale = IFB_CGEN_OUTPUT_SCALE;
        model.output.zero_point = IFB_CGEN_OUTPUT_ZERO_POINT;
        model.arena_used = arena_used;
        model.invoke = invoke;
    }
    return &model;
}
