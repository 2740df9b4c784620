/* Host unit tests of the HIL module (ifb_hil.c) and the reference int8 kernels (ifb_ref_mlp.c):
 * identity, chunked CRC-checked loads, runs/warm-up, latency from a fake cycle counter, every
 * error as a message, and the generated MLP bit-exact against the host TFLM's outputs. */
#include <stdio.h>
#include <string.h>
#include "ifb_bytes.h"
#include "ifb_cobs.h"
#include "ifb_crc32.h"
#include "ifb_err.h"
#include "ifb_hil.h"
#include "ifb_mlp_model.h"
#include "ifb_model_data.h"
#include "ifb_model_vectors.h"
#include "ifb_proto.h"
#include "ifb_ref_mlp.h"

static int failures, checks;
#define CHECK(cond) do { checks++; if (!(cond)) { failures++; printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* ------------------------------------------------------------------ fake board and clock */
static uint8_t out[1 << 16];
static size_t out_len;
static void fb_write(void *ctx, const uint8_t *d, size_t n) { (void)ctx; memcpy(out + out_len, d, n); out_len += n; }
static uint64_t fb_now(void *ctx) { (void)ctx; return 0; }
static int fb_config(void *ctx, ifb_config_t *c) { (void)ctx; (void)c; return 0; }
static const float odrs[] = {100.0f}, ranges[] = {4.0f};
static const ifb_board_t board = {NULL, fb_write, fb_now, fb_config, NULL, "t", "host", "x", "p", "id",
                                  odrs, 1, ranges, 1, ranges, 1, IFB_CH_ACC};

static uint32_t fake_cycles;
static uint32_t cycles_per_invoke = 2500u;  /* the fake model "takes" this many cycles */
static uint32_t clk(void *ctx) { (void)ctx; return fake_cycles; }
static const ifb_cycle_clock_t clock25 = {NULL, clk, 25000000u};

/* a fake model: output[i] = sum of the input bytes + i; advances the fake clock */
static int fail_invoke, invokes;
static int fm_invoke(void *ctx, const uint8_t *in, uint8_t *o)
{
    (void)ctx;
    invokes++;
    fake_cycles += cycles_per_invoke;
    if (fail_invoke) return -IFB_EIO;
    uint8_t s = 0;
    for (int i = 0; i < 100; i++) s = (uint8_t)(s + in[i]);
    for (int i = 0; i < 4; i++) o[i] = (uint8_t)(s + i);
    return 0;
}
static uint32_t fm_arena(void *ctx) { (void)ctx; return 123; }
static const uint8_t sha[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                                25, 26, 27, 28, 29, 30, 31, 32};
static const ifb_model_t fake_model = {NULL, "fake", sha, 4321, 2048, {2, {10, 10}, IFB_DT_INT8, 0.5f, -3},
                                       {2, {1, 4}, IFB_DT_INT8, 1.0f / 256, -128}, fm_invoke, fm_arena};

typedef struct { uint8_t type; uint16_t seq; uint8_t payload[1100]; size_t len; } frame_t;
static frame_t frames[64];
static int n_frames;
static void parse_out(void)
{
    static uint8_t buf[2048];
    size_t start = 0;
    n_frames = 0;
    for (size_t i = 0; i < out_len; i++) {
        if (out[i] != 0) continue;
        int32_t decoded = ifb_cobs_decode(out + start, i - start, buf, sizeof buf);
        CHECK(decoded >= 8);
        if (decoded < 8) { start = i + 1; continue; }
        size_t n = (size_t)decoded;
        frame_t *f = &frames[n_frames++];
        f->type = buf[1];
        f->seq = ifb_get_u16le(buf + 2);
        f->len = n - 8;
        memcpy(f->payload, buf + 4, f->len);
        start = i + 1;
    }
    out_len = 0;
}
#define u32 ifb_get_u32le
#define u16 ifb_get_u16le
#define le32 ifb_put_u32le

static ifb_device_t dev;
static ifb_sample_t slots[8];
static ifb_hil_t hil;
static uint16_t host_seq;

static void send(uint8_t type, const uint8_t *payload, size_t len)
{
    uint8_t body[IFB_MAX_BODY], wire[IFB_MAX_WIRE];
    int32_t w = ifb_frame_encode(type, host_seq++, payload, len, body, wire, sizeof wire);
    CHECK(w > 0);
    if (w > 0) ifb_device_rx(&dev, wire, (size_t)w);
}
static void load(uint32_t window, uint32_t total, uint32_t crc)
{
    uint8_t p[12];
    le32(p, window); le32(p + 4, total); le32(p + 8, crc);
    send(IFB_HIL_LOAD, p, 12);
}
static void chunk(uint32_t window, uint32_t off, const uint8_t *d, size_t n)
{
    uint8_t p[1100];
    le32(p, window); le32(p + 4, off);
    memcpy(p + 8, d, n);
    send(IFB_HIL_CHUNK, p, 8 + n);
}
static void infer(uint32_t window, uint16_t runs, uint16_t warmup)
{
    uint8_t p[8];
    le32(p, window); ifb_put_u16le(p + 4, runs); ifb_put_u16le(p + 6, warmup);
    send(IFB_HIL_INFER, p, 8);
}
static void setup(const ifb_model_t *m)
{
    ifb_device_init(&dev, &board, slots, 8);
    ifb_hil_init(&hil, m, &clock25, 0xB0075EEDu);
    ifb_hil_attach(&hil, &dev);
    out_len = 0;
}
static int expect_error(uint8_t ref_type, uint32_t window, uint16_t code)
{
    parse_out();
    CHECK(n_frames == 1);
    if (n_frames != 1) return 0;
    frame_t *f = &frames[0];
    CHECK(f->type == IFB_HIL_ERROR);
    CHECK(f->payload[0] == ref_type);
    CHECK(u32(f->payload + 3) == window);
    CHECK(u16(f->payload + 7) == code);
    CHECK(f->len == 10u + f->payload[9]); /* text length byte matches */
    return f->type == IFB_HIL_ERROR && u16(f->payload + 7) == code;
}

/* ------------------------------------------------------------------ tests */
static void test_model_identity(void)
{
    setup(&fake_model);
    send(IFB_HIL_GET_MODEL, NULL, 0);
    parse_out();
    CHECK(n_frames == 1 && frames[0].type == IFB_HIL_MODEL);
    const uint8_t *p = frames[0].payload;
    CHECK(memcmp(p, sha, 32) == 0);
    CHECK(u32(p + 32) == 4321 && u32(p + 36) == 2048 && u32(p + 40) == 123);
    CHECK(u16(p + 44) == IFB_HIL_MAX_CHUNK && u32(p + 46) == 0xB0075EEDu);
    CHECK(p[50] == 2 && p[51] == IFB_DT_INT8 && u32(p + 52) == 10 && u32(p + 56) == 10);
    CHECK(ifb_get_f32le(p + 60) == 0.5f && ifb_get_i32le(p + 64) == -3);
    CHECK(p[68] == 2 && u32(p + 70) == 1 && u32(p + 74) == 4 && ifb_get_i32le(p + 82) == -128);
    CHECK(p[86] == 4 && memcmp(p + 87, "fake", 4) == 0 && frames[0].len == 91);
}

static void test_chunked_load_runs_and_latency(void)
{
    uint8_t x[100];
    for (int i = 0; i < 100; i++) x[i] = (uint8_t)(i * 7 + 1);
    uint32_t crc = ifb_crc32_update(0, x, 100);
    setup(&fake_model);
    load(7, 100, crc);
    chunk(7, 60, x + 60, 40); /* any order, any size */
    chunk(7, 0, x, 33);
    chunk(7, 33, x + 33, 27);
    parse_out();
    CHECK(n_frames == 0); /* LOAD and CHUNK are not answered */
    invokes = 0;
    infer(7, 5, 2);
    parse_out();
    CHECK(n_frames == 1 && frames[0].type == IFB_HIL_RESULT);
    CHECK(invokes == 7);
    const uint8_t *p = frames[0].payload;
    CHECK(u32(p) == 7 && u16(p + 4) == 5);
    CHECK(u32(p + 6) == 500);                   /* 5 × 2500 cycles at 25 MHz = 500 µs */
    CHECK(u32(p + 10) == 100 && u32(p + 14) == 100);
    CHECK(u32(p + 18) == 123 && u32(p + 22) == 0xB0075EEDu && u16(p + 26) == 4);
    uint8_t s = 0;
    for (int i = 0; i < 100; i++) s = (uint8_t)(s + x[i]);
    CHECK(p[28] == s && p[31] == (uint8_t)(s + 3) && frames[0].len == 32);
    /* the window was consumed */
    infer(7, 1, 0);
    CHECK(expect_error(IFB_HIL_INFER, 7, IFB_HIL_UNKNOWN_WINDOW));
    /* a cycle counter wrapping during a run still gives the right latency */
    fake_cycles = 0xFFFFFFFFu - 1000u;
    load(8, 100, crc);
    chunk(8, 0, x, 100);
    infer(8, 1, 0);
    parse_out();
    CHECK(n_frames == 1 && u32(frames[0].payload + 6) == 100);
    CHECK(ifb_hil_cycles_to_us(&hil, 12) == 0 && ifb_hil_cycles_to_us(&hil, 13) == 1);
}

static void test_pipelined_windows(void)
{
    uint8_t a[100], b[100];
    memset(a, 1, 100);
    memset(b, 2, 100);
    setup(&fake_model);
    load(1, 100, ifb_crc32_update(0, a, 100));
    chunk(1, 0, a, 100);
    load(2, 100, ifb_crc32_update(0, b, 100));
    chunk(2, 0, b, 100);
    infer(2, 1, 0);
    infer(1, 1, 0);
    parse_out();
    CHECK(n_frames == 2 && frames[0].type == IFB_HIL_RESULT && frames[1].type == IFB_HIL_RESULT);
    CHECK(u32(frames[0].payload) == 2 && frames[0].payload[28] == 200);
    CHECK(u32(frames[1].payload) == 1 && frames[1].payload[28] == 100);
    /* more windows than slots: the oldest is dropped */
    for (uint32_t w = 10; w < 10 + IFB_HIL_SLOTS + 1; w++) { load(w, 100, 0); }
    infer(10, 1, 0);
    CHECK(expect_error(IFB_HIL_INFER, 10, IFB_HIL_UNKNOWN_WINDOW));
}

static void test_errors(void)
{
    uint8_t x[100];
    memset(x, 9, 100);
    uint32_t crc = ifb_crc32_update(0, x, 100);
    setup(&fake_model);
    load(3, 99, crc);
    CHECK(expect_error(IFB_HIL_LOAD, 3, IFB_HIL_BAD_LENGTH));
    chunk(4, 0, x, 10);
    CHECK(expect_error(IFB_HIL_CHUNK, 4, IFB_HIL_UNKNOWN_WINDOW));
    load(4, 100, crc);
    chunk(4, 95, x, 10); /* past the end */
    CHECK(expect_error(IFB_HIL_CHUNK, 4, IFB_HIL_BAD_LENGTH));
    chunk(4, 0, x, 50); /* second half lost */
    infer(4, 1, 0);
    CHECK(expect_error(IFB_HIL_INFER, 4, IFB_HIL_MISSING_BYTES));
    CHECK(memcmp(frames[0].payload + 10, "50 of 100 input bytes did not arrive", 36) == 0);
    load(5, 100, crc ^ 1u);
    chunk(5, 0, x, 100);
    infer(5, 1, 0);
    CHECK(expect_error(IFB_HIL_INFER, 5, IFB_HIL_CRC_MISMATCH));
    load(6, 100, crc);
    chunk(6, 0, x, 100);
    infer(6, 0, 0);
    CHECK(expect_error(IFB_HIL_INFER, 6, IFB_HIL_BAD_PAYLOAD));
    uint8_t shortp[3] = {0};
    send(IFB_HIL_INFER, shortp, 3);
    CHECK(expect_error(IFB_HIL_INFER, 0, IFB_HIL_BAD_PAYLOAD));
    send(IFB_HIL_GET_MODEL, shortp, 1);
    CHECK(expect_error(IFB_HIL_GET_MODEL, 0, IFB_HIL_BAD_PAYLOAD));
    load(7, 100, crc);
    chunk(7, 0, x, 100);
    fail_invoke = 1;
    infer(7, 3, 0);
    fail_invoke = 0;
    CHECK(expect_error(IFB_HIL_INFER, 7, IFB_HIL_INVOKE_FAILED));
    CHECK(memcmp(frames[0].payload + 10, "invoke failed in run 1 (error -5)", 33) == 0); /* -IFB_EIO */
    /* a non-HIL type is not handled (the core answers it), and nothing is sent */
    CHECK(ifb_hil_handle(&hil, &dev, 0x47, 1, NULL, 0) == -IFB_ENOTSUP && out_len == 0);
    CHECK(ifb_hil_handle(&hil, &dev, IFB_HIL_GET_MODEL, 1, NULL, 0) == IFB_EOK);
    parse_out();
    CHECK(n_frames == 1 && frames[0].type == IFB_HIL_MODEL);
    /* HIL while streaming */
    uint8_t n0[4] = {0};
    send(IFB_START, n0, 4);
    out_len = 0;
    send(IFB_HIL_GET_MODEL, NULL, 0);
    CHECK(expect_error(IFB_HIL_GET_MODEL, 0, IFB_HIL_BUSY));
    send(IFB_STOP, NULL, 0);
    out_len = 0;
    /* other reserved HIL types stay UNKNOWN_TYPE at the core */
    send(0x47, NULL, 0);
    parse_out();
    CHECK(n_frames == 1 && frames[0].type == IFB_ERROR && u16(frames[0].payload + 3) == IFB_ERR_UNKNOWN_TYPE);
    /* no model: ifb_hil_init says so, and every command answers NO_MODEL */
    CHECK(ifb_hil_init(&hil, NULL, &clock25, 1) == -IFB_EINVAL && hil.model_error != NULL);
    setup(NULL);
    send(IFB_HIL_GET_MODEL, NULL, 0);
    CHECK(expect_error(IFB_HIL_GET_MODEL, 0, IFB_HIL_NO_MODEL));
    load(1, 100, 0);
    CHECK(expect_error(IFB_HIL_LOAD, 1, IFB_HIL_NO_MODEL));
    /* a model whose input does not fit */
    ifb_model_t big = fake_model;
    big.input.dims[0] = 1000;
    CHECK(ifb_hil_init(&hil, &big, &clock25, 1) == -IFB_ENOMEM);
    ifb_model_t odd = fake_model;
    odd.output.dtype = 99;
    CHECK(ifb_hil_init(&hil, &odd, &clock25, 1) == -IFB_ENOTSUP);
    odd = fake_model;
    odd.invoke = NULL;
    CHECK(ifb_hil_init(&hil, &odd, &clock25, 1) == -IFB_EINVAL);
    CHECK(ifb_hil_init(&hil, &fake_model, &clock25, 1) == IFB_EOK && hil.model_error == NULL);
    setup(&big);
    send(IFB_HIL_GET_MODEL, NULL, 0);
    CHECK(expect_error(IFB_HIL_GET_MODEL, 0, IFB_HIL_NO_MODEL));
}

static void test_tensor_sizes(void)
{
    CHECK(ifb_dtype_size(IFB_DT_INT8) == 1 && ifb_dtype_size(IFB_DT_INT16) == 2 && ifb_dtype_size(IFB_DT_FLOAT32) == 4);
    CHECK(ifb_dtype_size(0) == -IFB_ENOTSUP && ifb_dtype_size(99) == -IFB_ENOTSUP);
    ifb_tensor_info_t t = {2, {10, 10}, IFB_DT_INT16, 1.0f, 0};
    CHECK(ifb_tensor_bytes(&t) == 200);
    t.dtype = 77;
    CHECK(ifb_tensor_bytes(&t) == -IFB_ENOTSUP);
    t.dtype = IFB_DT_INT8;
    t.rank = IFB_HIL_MAX_RANK + 1u;
    CHECK(ifb_tensor_bytes(&t) == -IFB_ENOTSUP);
    ifb_tensor_info_t huge = {3, {65536, 65536, 2}, IFB_DT_FLOAT32, 1.0f, 0};
    CHECK(ifb_tensor_bytes(&huge) == -IFB_EOVERFLOW);
}

static void test_fixed_point(void)
{
    CHECK(ifb_q_srdhm(INT32_MIN, INT32_MIN) == INT32_MAX);
    CHECK(ifb_q_srdhm(1 << 30, 1 << 30) == 1 << 29);        /* 0.5 · 0.5 = 0.25 */
    CHECK(ifb_q_srdhm(-(1 << 30), 1 << 30) == -(1 << 29));
    CHECK(ifb_q_rdivpot(5, 1) == 3 && ifb_q_rdivpot(-5, 1) == -3 && ifb_q_rdivpot(4, 1) == 2);
    CHECK(ifb_q_rdivpot(-6, 2) == -2 && ifb_q_rdivpot(6, 2) == 2 && ifb_q_rdivpot(7, 0) == 7);
    CHECK(ifb_q_requant(1000, 1 << 30, 0) == 500);           /* × 0.5 */
    CHECK(ifb_q_requant(1000, 1 << 30, -1) == 250);          /* × 0.25 */
    CHECK(ifb_q_requant(1000, 1 << 30, 2) == 2000);          /* × 2 */
    CHECK(ifb_q_exp_neg(0) == INT32_MAX);
    /* exp(a) within 1e-6 for a in [−8, 0) */
    double worst = 0;
    for (int i = 1; i <= 512; i++) {
        double a = -8.0 * i / 512.0;
        int32_t r = ifb_q_exp_neg((int32_t)(a * (1 << 26)));
        double e = (double)r / 2147483648.0, want = 1.0, t = 1.0;
        for (int n = 1; n < 80; n++) { t *= a / n; want += t; }  /* Taylor series of exp(a) */
        double d = e > want ? e - want : want - e;
        if (d > worst) worst = d;
    }
    CHECK(worst < 1e-6);
    int nb;
    int32_t rcp = ifb_q_reciprocal(3 << 19, 12, &nb);  /* 1/3.0 (Q12.19) = rcp·2^−31 / 2^nb */
    double v = (double)rcp / 2147483648.0 / (double)(1 << nb);
    CHECK(nb == 1 && v > 1.0 / 3 - 1e-8 && v < 1.0 / 3 + 1e-8);
    /* softmax of equal logits: 1/n each (256/3 = 85.3 → −128 + 85) */
    int8_t in3[3] = {10, 10, 10}, o3[3];
    ifb_softmax_int8(ifb_mlp_model.sm_mult, ifb_mlp_model.sm_shift, ifb_mlp_model.sm_diff_min, in3, o3, 3);
    CHECK(o3[0] == -43 && o3[1] == -43 && o3[2] == -43);
}

static void test_generated_mlp_bit_exact(void)
{
    const ifb_model_t *m = ifb_mlp_model_get();
    CHECK(ifb_tensor_bytes(&m->input) == 192 && ifb_tensor_bytes(&m->output) == 3);
    CHECK(m->size == IFB_MLP_TFLITE_SIZE && m->arena_used(m->ctx) <= m->arena_size);
    int bad = 0;
    for (int i = 0; i < IFB_MLP_N_VECTORS; i++) {
        uint8_t o[3];
        CHECK(m->invoke(m->ctx, (const uint8_t *)(ifb_mlp_vec_in + 192 * i), o) == 0);
        bad += memcmp(o, ifb_mlp_vec_out + 3 * i, 3) != 0;
    }
    CHECK(bad == 0);
    /* and through the HIL messages */
    setup(m);
    load(42, 192, ifb_crc32_update(0, (const uint8_t *)ifb_mlp_vec_in, 192));
    chunk(42, 0, (const uint8_t *)ifb_mlp_vec_in, 192);
    infer(42, 2, 1);
    parse_out();
    CHECK(n_frames == 1 && frames[0].type == IFB_HIL_RESULT && u16(frames[0].payload + 26) == 3);
    CHECK(memcmp(frames[0].payload + 28, ifb_mlp_vec_out, 3) == 0);
    /* arena too small → -IFB_ENOMEM, and neither the output nor the arena is written */
    uint8_t tiny[4] = {0xEE, 0xEE, 0xEE, 0xEE};
    int8_t o[3] = {0x55, 0x55, 0x55};
    CHECK(ifb_mlp_invoke(&ifb_mlp_model, ifb_mlp_vec_in, o, tiny, sizeof tiny) == -IFB_ENOMEM);
    CHECK(o[0] == 0x55 && o[2] == 0x55 && tiny[0] == 0xEE && tiny[3] == 0xEE);
    /* layers that do not chain → -IFB_EINVAL */
    ifb_mlp_t broken = ifb_mlp_model;
    broken.fc2.cols = (uint16_t)(broken.fc1.rows + 1u);
    static uint8_t arena[IFB_MLP_ARENA_SIZE];
    CHECK(ifb_mlp_invoke(&broken, ifb_mlp_vec_in, o, arena, sizeof arena) == -IFB_EINVAL && o[1] == 0x55);
}

int main(void)
{
    test_model_identity();
    test_chunked_load_runs_and_latency();
    test_pipelined_windows();
    test_errors();
    test_tensor_sizes();
    test_fixed_point();
    test_generated_mlp_bit_exact();
    printf("test_hil: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
