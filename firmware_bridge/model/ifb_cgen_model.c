#include "ifb_cgen_model.h"
#include "ifb_cgen_identity.h"
#include "imuforge_model.h"

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

static ifb_model_t model;

const ifb_model_t *ifb_cgen_model_get(void)
{
    if (!model.invoke) {
        model.name = IFB_CGEN_NAME;
        model.sha256 = ifb_cgen_sha256;
        model.size = IFB_CGEN_TFLITE_SIZE;
        model.arena_size = IMUFORGE_MODEL_RAM_BYTES;
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
