/* HIL (hardware-in-the-loop) messages 0x40–0x46 of the bridge protocol, device side.
 * See ../../docs/HIL.md and src/imuforge/hil/messages.py (the host's codec of the same bytes).
 *
 * The model sits behind one small inference interface, ifb_model_t: identity (sha-256 and size
 * of the .tflite flatbuffer, name), tensor shapes and quantisation, arena figures and invoke().
 * A real board implements it with tflite::MicroInterpreter (see arduino/); the QEMU port with
 * the reference int8 kernels of ifb_ref_mlp.c. Latency is measured on the board's cycle counter
 * (DWT->CYCCNT, or SysTick extended to 32 bits) and reported in µs of that clock.
 *
 * Usage: ifb_hil_init(&hil, &model, &clock, boot_id); ifb_hil_attach(&hil, &dev). HIL commands
 * are then answered from ifb_device_rx(); INFER runs synchronously in the handler.
 * Return convention: ifb_err.h (0 or a length >= 0 on success, a negative IFB_E* code on failure).
 * Failures of HIL commands go to the host as HIL_ERROR messages (enum ifb_hil_error). */
#ifndef IFB_HIL_H
#define IFB_HIL_H
#include <stddef.h>
#include <stdint.h>
#include "ifb_proto.h"

enum ifb_hil_type {
    IFB_HIL_GET_MODEL = 0x40, IFB_HIL_MODEL = 0x41, IFB_HIL_LOAD = 0x42, IFB_HIL_CHUNK = 0x43,
    IFB_HIL_INFER = 0x44, IFB_HIL_RESULT = 0x45, IFB_HIL_ERROR = 0x46
};

enum ifb_hil_error {
    IFB_HIL_NO_MODEL = 1, IFB_HIL_BAD_LENGTH = 2, IFB_HIL_MISSING_BYTES = 3, IFB_HIL_CRC_MISMATCH = 4,
    IFB_HIL_UNKNOWN_WINDOW = 5, IFB_HIL_INVOKE_FAILED = 6, IFB_HIL_BAD_PAYLOAD = 7, IFB_HIL_BUSY = 8
};

enum ifb_dtype { IFB_DT_INT8 = 1, IFB_DT_UINT8 = 2, IFB_DT_INT16 = 3, IFB_DT_FLOAT32 = 4 };

#ifndef IFB_HIL_MAX_INPUT
#define IFB_HIL_MAX_INPUT 1024u     /* bytes of one input window */
#endif
#ifndef IFB_HIL_MAX_OUTPUT
#define IFB_HIL_MAX_OUTPUT 256u     /* bytes of the output tensor */
#endif
#ifndef IFB_HIL_SLOTS
#define IFB_HIL_SLOTS 3u            /* windows held at once (host pipelines the next while one infers) */
#endif
#define IFB_HIL_MAX_RANK 4u
/* Most input bytes per CHUNK: a frame body of IFB_MAX_BODY minus header, CRC, window and offset. */
#define IFB_HIL_MAX_CHUNK (IFB_MAX_BODY - IFB_HEADER_SIZE - IFB_CRC_SIZE - 8u)

typedef struct {
    uint8_t rank;
    uint32_t dims[IFB_HIL_MAX_RANK];
    uint8_t dtype;           /* enum ifb_dtype */
    float scale;             /* quantisation: real = (q − zero_point) · scale */
    int32_t zero_point;
} ifb_tensor_info_t;

/* The inference interface a board implements (TFLM, or a reference kernel). */
typedef struct {
    void *ctx;
    const char *name;        /* model name (≤ 60 bytes sent) */
    const uint8_t *sha256;   /* 32 bytes: sha-256 of the .tflite flatbuffer the model came from */
    uint32_t size;           /* bytes of that flatbuffer */
    uint32_t arena_size;     /* tensor arena reserved, bytes */
    ifb_tensor_info_t input, output;
    /* One inference of input (input tensor bytes) into output (output tensor bytes). 0 = success,
     * a negative code (e.g. -IFB_EIO) = failure; the host gets INVOKE_FAILED with that code. */
    int (*invoke)(void *ctx, const uint8_t *input, uint8_t *output);
    /* Bytes of the arena in use (after allocation / the last invoke). */
    uint32_t (*arena_used)(void *ctx);
} ifb_model_t;

/* The board's cycle counter: free-running, counting up, wrapping at 2^32, at hz cycles per second. */
typedef struct {
    void *ctx;
    uint32_t (*cycles)(void *ctx);
    uint32_t hz;
} ifb_cycle_clock_t;

typedef struct {
    int used;
    uint32_t window, total, crc32, age, received;
    uint8_t buf[IFB_HIL_MAX_INPUT];
    uint8_t got[(IFB_HIL_MAX_INPUT + 7u) / 8u];   /* one bit per received byte */
} ifb_hil_slot_t;

typedef struct {
    const ifb_model_t *model;      /* NULL: every command answers NO_MODEL */
    const ifb_cycle_clock_t *clock;
    uint32_t boot_id;
    const char *model_error;       /* why the model cannot run (set by ifb_hil_init), or NULL */
    uint32_t in_bytes, out_bytes;
    uint32_t age;
    ifb_hil_slot_t slots[IFB_HIL_SLOTS];
    uint8_t output[IFB_HIL_MAX_OUTPUT];
    /* counters */
    uint32_t infers, errors;
    uint64_t last_cycles;          /* cycles of the last timed run (diagnostics) */
} ifb_hil_t;

/* Bytes per element of a dtype, or -IFB_ENOTSUP for an unknown dtype. */
int32_t ifb_dtype_size(uint8_t dtype);
/* Bytes of a tensor, or -IFB_ENOTSUP for an unknown dtype or a rank over IFB_HIL_MAX_RANK,
 * -IFB_EOVERFLOW if the size does not fit an int32_t. */
int32_t ifb_tensor_bytes(const ifb_tensor_info_t *t);
/* Returns 0 when the model can run; otherwise a negative code (-IFB_EINVAL: no model or an
 * incomplete interface, -IFB_ENOTSUP: tensor rank or dtype, -IFB_ENOMEM: tensors larger than
 * IFB_HIL_MAX_INPUT / IFB_HIL_MAX_OUTPUT), hil->model_error says why, and hil is still usable:
 * every HIL command is answered with NO_MODEL and that text. */
int ifb_hil_init(ifb_hil_t *hil, const ifb_model_t *model, const ifb_cycle_clock_t *clock, uint32_t boot_id);
/* Route the device's HIL message types to hil (sets dev->ext_handler and dev->ext_ctx). */
void ifb_hil_attach(ifb_hil_t *hil, ifb_device_t *dev);
/* Handle one HIL message; returns 0 if type is a HIL command (answered, possibly with HIL_ERROR),
 * -IFB_ENOTSUP otherwise (nothing sent). */
int ifb_hil_handle(ifb_hil_t *hil, ifb_device_t *dev, uint8_t type, uint16_t seq, const uint8_t *p, size_t len);
/* Cycles → µs of the device clock, rounded to nearest. */
uint32_t ifb_hil_cycles_to_us(const ifb_hil_t *hil, uint64_t cycles);

#endif
