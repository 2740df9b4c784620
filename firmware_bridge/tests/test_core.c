/* Host unit tests of the portable core: CRC, COBS, ring, framing, command handling, batching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ifb_bytes.h"
#include "ifb_cobs.h"
#include "ifb_crc32.h"
#include "ifb_err.h"
#include "ifb_formula.h"
#include "ifb_proto.h"
#include "ifb_ring.h"

static int failures, checks;
#define CHECK(cond) do { checks++; if (!(cond)) { failures++; printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* ------------------------------------------------------------------ fake board */
static uint8_t out[1 << 20];
static size_t out_len;
static uint64_t fake_now;
static int stream_on;
static void fb_write(void *ctx, const uint8_t *d, size_t n) { (void)ctx; memcpy(out + out_len, d, n); out_len += n; }
static uint64_t fb_now(void *ctx) { (void)ctx; return fake_now; }
static int fb_config(void *ctx, ifb_config_t *c)
{
    (void)ctx;
    if (c->odr_hz != 100.0f && c->odr_hz != 1000.0f) return -IFB_ENOTSUP;
    c->scales[0] = 4 * 9.80665f / 32768; c->scales[1] = 0.001f; c->scales[2] = 0.1f;
    return 0;
}
static void fb_stream(void *ctx, int on) { (void)ctx; stream_on = on; }
static const float odrs[] = {100.0f, 1000.0f}, aranges[] = {4.0f}, granges[] = {2000.0f};
static const ifb_board_t board = {
    NULL, fb_write, fb_now, fb_config, fb_stream, "test-1.0", "host", "fake", "p", "id1",
    odrs, 2, aranges, 1, granges, 1, IFB_CH_ACC | IFB_CH_GYRO,
};

/* Split the output into decoded frame bodies. */
typedef struct { uint8_t type; uint16_t seq; uint8_t payload[1100]; size_t len; } frame_t;
static frame_t frames[4096];
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
        CHECK(ifb_get_u32le(buf + n - 4) == ifb_crc32_update(0, buf, n - 4));
        CHECK(buf[0] == 1);
        frame_t *f = &frames[n_frames++];
        f->type = buf[1];
        f->seq = ifb_get_u16le(buf + 2);
        f->len = n - 8;
        memcpy(f->payload, buf + 4, f->len);
        start = i + 1;
    }
    CHECK(start == out_len); /* output always ends with a delimiter */
}

static void send_cmd(ifb_device_t *dev, uint8_t type, uint16_t seq, const uint8_t *p, size_t n)
{
    uint8_t body[64], wire[80];
    int32_t w = ifb_frame_encode(type, seq, p, n, body, wire, sizeof wire);
    CHECK(w > 0);
    if (w <= 0) return;
    /* feed in two pieces to exercise chunked input */
    ifb_device_rx(dev, wire, (size_t)w / 2);
    ifb_device_rx(dev, wire + w / 2, (size_t)w - (size_t)w / 2);
}

/* ------------------------------------------------------------------ tests */
static void test_crc(void)
{
    CHECK(ifb_crc32_update(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u);
    CHECK(ifb_crc32_update(0, NULL, 0) == 0);
    uint32_t c = ifb_crc32_update(0, (const uint8_t *)"1234", 4);
    CHECK(ifb_crc32_update(c, (const uint8_t *)"56789", 5) == 0xCBF43926u);
}

static void test_cobs(void)
{
    static uint8_t in[1200], enc[1300], dec[1300];
    const size_t sizes[] = {0, 1, 2, 253, 254, 255, 256, 508, 509, 1000};
    srand(1);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (int pattern = 0; pattern < 3; pattern++) {
            size_t n = sizes[s];
            for (size_t i = 0; i < n; i++) in[i] = pattern == 0 ? 0 : pattern == 1 ? 0x11 : (uint8_t)(rand() % 4);
            int32_t e = ifb_cobs_encode(in, n, enc, sizeof enc);
            CHECK(e > 0 && (size_t)e <= IFB_COBS_MAX_ENCODED(n));
            if (e <= 0) continue;
            CHECK(memchr(enc, 0, (size_t)e) == NULL);
            int32_t d = ifb_cobs_decode(enc, (size_t)e, dec, sizeof dec);
            CHECK(d == (int32_t)n && memcmp(in, dec, n) == 0);
        }
    }
    const uint8_t ex[] = {0x11, 0x22, 0x00, 0x33};
    const uint8_t exp[] = {0x03, 0x11, 0x22, 0x02, 0x33};
    CHECK(ifb_cobs_encode(ex, 4, enc, sizeof enc) == 5 && memcmp(enc, exp, 5) == 0);
    /* invalid input */
    const uint8_t bad1[] = {0x05, 0x11};
    const uint8_t bad2[] = {0x03, 0x11, 0x00};
    CHECK(ifb_cobs_decode(bad1, 2, dec, sizeof dec) == -IFB_EBADMSG);
    CHECK(ifb_cobs_decode(bad2, 3, dec, sizeof dec) == -IFB_EBADMSG);
    CHECK(ifb_cobs_decode(bad1, 0, dec, sizeof dec) == -IFB_EBADMSG);
    /* errors write nothing: a canary-filled output stays as it was */
    const uint8_t bad3[] = {0x03, 0x11, 0x22, 0x04, 0x33, 0x00, 0x44}; /* valid start, 0x00 later */
    memset(dec, 0xEE, sizeof dec);
    CHECK(ifb_cobs_decode(bad3, sizeof bad3, dec, sizeof dec) == -IFB_EBADMSG);
    CHECK(dec[0] == 0xEE && dec[1] == 0xEE && dec[2] == 0xEE);
    memset(enc, 0xEE, sizeof enc);
    CHECK(ifb_cobs_encode(in, 10, enc, 5) == -IFB_ENOSPC); /* too small */
    CHECK(ifb_cobs_encode(in, 10, enc, IFB_COBS_MAX_ENCODED(10) - 1u) == -IFB_ENOSPC);
    CHECK(enc[0] == 0xEE && enc[4] == 0xEE && enc[10] == 0xEE);
    CHECK(ifb_cobs_encode(ex, 4, enc, IFB_COBS_MAX_ENCODED(4)) == 5); /* exactly enough */
    /* decode into a buffer one byte short: -IFB_ENOSPC, nothing written; exactly enough works */
    memset(dec, 0xEE, sizeof dec);
    CHECK(ifb_cobs_decode(exp, 5, dec, 3) == -IFB_ENOSPC);
    CHECK(dec[0] == 0xEE && dec[1] == 0xEE && dec[2] == 0xEE);
    CHECK(ifb_cobs_decode(exp, 5, dec, 4) == 4 && memcmp(dec, ex, 4) == 0);
    /* an empty payload decodes to length 0 (not an error) */
    const uint8_t one[] = {0x01};
    CHECK(ifb_cobs_decode(one, 1, dec, 0) == 0);
    /* in place */
    uint8_t buf[5];
    memcpy(buf, exp, 5);
    CHECK(ifb_cobs_decode(buf, 5, buf, sizeof buf) == 4 && memcmp(buf, ex, 4) == 0);
}

static void test_ring(void)
{
    ifb_sample_t slots[4], s;
    ifb_ring_t r;
    CHECK(ifb_ring_init(&r, slots, 4) == IFB_EOK);
    CHECK(ifb_ring_pop(&r, &s) == -IFB_EAGAIN);
    int stored = 0, full = 0;
    for (uint32_t i = 0; i < 5; i++) {
        s.index = i;
        int rc = ifb_ring_push(&r, &s);
        stored += rc == IFB_EOK;
        full += rc == -IFB_EAGAIN;
    }
    CHECK(stored == 3 && full == 2);
    CHECK(ifb_ring_used(&r) == 3 && r.dropped == 2);
    for (uint32_t i = 0; i < 3; i++) CHECK(ifb_ring_pop(&r, &s) == IFB_EOK && s.index == i);
    s.index = 77;
    CHECK(ifb_ring_pop(&r, &s) == -IFB_EAGAIN && s.index == 77); /* empty: *s untouched */
    /* wrap-around keeps order */
    for (uint32_t i = 0; i < 10; i++) {
        s.index = 100 + i;
        CHECK(ifb_ring_push(&r, &s) == IFB_EOK);
        CHECK(ifb_ring_pop(&r, &s) == IFB_EOK && s.index == 100 + i);
    }
    /* a ring of fewer than 2 slots is refused, and stays safe: every push is a counted drop */
    CHECK(ifb_ring_init(&r, slots, 1) == -IFB_EINVAL);
    CHECK(ifb_ring_push(&r, &s) == -IFB_EAGAIN && r.dropped == 1 && ifb_ring_used(&r) == 0);
    CHECK(ifb_ring_pop(&r, &s) == -IFB_EAGAIN);
    CHECK(ifb_ring_init(&r, NULL, 4) == -IFB_EINVAL);
}

static void test_formula(void)
{
    CHECK(ifb_formula_raw(0, 0) == -32768);
    CHECK(ifb_formula_raw(1, 0) == -32768 + 97);
    CHECK(ifb_formula_raw(0, 1) == -32768 + 4099);
    CHECK(ifb_formula_raw(1000, 2) == (int16_t)((int32_t)((1000u * 159u + 8198u) & 0xFFFFu) - 32768));
}

static void test_device(void)
{
    static ifb_device_t dev;
    static ifb_sample_t slots[64];
    uint8_t p[16];
    out_len = 0;
    CHECK(ifb_device_init(&dev, &board, slots, 64) == IFB_EOK);
    CHECK(dev.cfg.batch == 17); /* 6-axis batch sized for a 244-byte BLE notification */
    send_cmd(&dev, IFB_GET_INFO, 1, NULL, 0);
    parse_out();
    CHECK(n_frames == 1 && frames[0].type == IFB_INFO && frames[0].seq == 0);
    CHECK(frames[0].payload[0] == 1 && frames[0].payload[1] == 8 && memcmp(frames[0].payload + 2, "test-1.0", 8) == 0);

    /* CONFIGURE 1000 Hz, unsupported 50 Hz, then START 40 samples */
    float odr = 50.0f; memcpy(p, &odr, 4); memset(p + 4, 0, 8); p[12] = 3; p[13] = 0;
    out_len = 0;
    send_cmd(&dev, IFB_CONFIGURE, 2, p, 14);
    odr = 1000.0f; memcpy(p, &odr, 4);
    send_cmd(&dev, IFB_CONFIGURE, 3, p, 14);
    uint8_t start[4] = {40, 0, 0, 0};
    send_cmd(&dev, IFB_START, 4, start, 4);
    parse_out();
    CHECK(n_frames == 3);
    CHECK(frames[0].type == IFB_ERROR && frames[0].payload[3] == IFB_ERR_UNSUPPORTED);
    CHECK(frames[1].type == IFB_ACK && frames[1].payload[0] == IFB_CONFIGURE && frames[1].payload[1] == 3);
    CHECK(frames[2].type == IFB_ACK && frames[2].payload[0] == IFB_START && stream_on == 1);
    CHECK(dev.cfg.odr_hz == 1000.0f);

    out_len = 0;
    int16_t raw[6];
    int pushed = 0, refused = 0;
    for (uint32_t k = 0; k < 50; k++) {
        for (unsigned c = 0; c < 6; c++) raw[c] = ifb_formula_raw(k, c);
        fake_now = k * 1000u;
        int rc = ifb_device_push_sample(&dev, fake_now, raw);
        pushed += rc == IFB_EOK;
        refused += rc == -IFB_EPERM;
        if (k % 7 == 0) ifb_device_poll(&dev);
    }
    ifb_device_poll(&dev);
    CHECK(pushed == 40 && refused == 10); /* the limit stops the stream */
    CHECK(dev.streaming == 0 && stream_on == 0);
    parse_out();
    CHECK(n_frames == 3); /* 17 + 17 + 6 */
    uint32_t k = 0;
    for (int f = 0; f < n_frames; f++) {
        CHECK(frames[f].type == IFB_SAMPLES);
        const uint8_t *q = frames[f].payload;
        uint32_t index = ifb_get_u32le(q + 8);
        uint32_t period = ifb_get_u32le(q + 12);
        uint8_t n = q[16];
        CHECK(index == k && period == 1000000u && q[17] == 3);
        CHECK(frames[f].len == 18u + 8u + 12u * n);
        for (uint8_t i = 0; i < n; i++, k++)
            for (unsigned c = 0; c < 6; c++) {
                CHECK(ifb_get_i16le(q + 26 + 12 * i + 2 * c) == ifb_formula_raw(k, c));
            }
    }
    CHECK(k == 40);
    CHECK(frames[0].seq + 1 == frames[1].seq);

    /* ring overflow: index gap, OVERFLOW error, counters in STATUS */
    out_len = 0;
    start[0] = 0;
    send_cmd(&dev, IFB_START, 5, start, 4);
    for (uint32_t j = 0; j < 100; j++) ifb_device_push_sample(&dev, j * 1000u, raw); /* 63 fit, 37 dropped */
    ifb_device_poll(&dev);
    send_cmd(&dev, IFB_STOP, 6, NULL, 0);
    send_cmd(&dev, IFB_GET_STATUS, 7, NULL, 0);
    parse_out();
    int errors = 0, samples = 0;
    for (int f = 0; f < n_frames; f++) {
        if (frames[f].type == IFB_ERROR && frames[f].payload[3] == IFB_ERR_OVERFLOW) errors++;
        if (frames[f].type == IFB_SAMPLES) samples += frames[f].payload[16];
    }
    CHECK(errors == 1 && samples == 63);
    CHECK(frames[n_frames - 1].type == IFB_STATUS);
    CHECK(frames[n_frames - 1].payload[9] == 37); /* dropped counter */

    /* corrupted command: counted, not answered; unknown type: ERROR; HIL range to ext handler */
    out_len = 0;
    uint8_t body[64], wire[80];
    int32_t w = ifb_frame_encode(IFB_GET_INFO, 9, NULL, 0, body, wire, sizeof wire);
    CHECK(w > 0);
    wire[2] ^= 0x40;
    uint32_t corrupt = dev.rx_corrupt;
    ifb_device_rx(&dev, wire, (size_t)w);
    CHECK(dev.rx_corrupt == corrupt + 1 && out_len == 0);
    send_cmd(&dev, 0x33, 10, NULL, 0);
    parse_out();
    CHECK(n_frames == 1 && frames[0].type == IFB_ERROR && frames[0].payload[3] == IFB_ERR_UNKNOWN_TYPE);
    /* garbage longer than a frame without delimiter is dropped and counted once */
    static uint8_t junk[3000];
    memset(junk, 0x55, sizeof junk);
    corrupt = dev.rx_corrupt;
    ifb_device_rx(&dev, junk, sizeof junk);
    ifb_device_rx(&dev, (const uint8_t *)"", 1);
    CHECK(dev.rx_corrupt == corrupt + 1);
    out_len = 0;
    send_cmd(&dev, IFB_GET_STATUS, 11, NULL, 0); /* resynchronised */
    parse_out();
    CHECK(n_frames == 1 && frames[0].type == IFB_STATUS);
}

static int ext_calls;
static int ext(struct ifb_device *dev, uint8_t type, uint16_t seq, const uint8_t *p, size_t n)
{
    (void)p; (void)n;
    if (type < IFB_HIL_FIRST || type > IFB_HIL_LAST) return -IFB_ENOTSUP;
    ext_calls++;
    uint8_t a[3] = {type, (uint8_t)seq, (uint8_t)(seq >> 8)};
    return ifb_device_send(dev, IFB_ACK, a, 3);
}

static void test_ext_handler(void)
{
    static ifb_device_t dev;
    static ifb_sample_t slots[8];
    ifb_device_init(&dev, &board, slots, 8);
    dev.ext_handler = ext;
    out_len = 0;
    send_cmd(&dev, 0x41, 3, (const uint8_t *)"abc", 3);
    send_cmd(&dev, 0x61, 4, NULL, 0);
    parse_out();
    CHECK(ext_calls == 1 && n_frames == 2 && frames[0].type == IFB_ACK && frames[1].type == IFB_ERROR);
}

static void test_max_batch(void)
{
    CHECK(ifb_max_batch(IFB_CH_ACC | IFB_CH_GYRO, 244) == 17);
    CHECK(ifb_max_batch(IFB_CH_ACC | IFB_CH_GYRO | IFB_CH_MAG, 244) == 11);
    CHECK(ifb_max_batch(IFB_CH_ACC, 244) == 35);
}


static void test_bytes(void)
{
    uint8_t b[8];
    ifb_put_u16le(b, 0xBEEFu);
    CHECK(b[0] == 0xEF && b[1] == 0xBE && ifb_get_u16le(b) == 0xBEEFu);
    ifb_put_u32le(b, 0x12345678u);
    CHECK(b[0] == 0x78 && b[1] == 0x56 && b[2] == 0x34 && b[3] == 0x12 && ifb_get_u32le(b) == 0x12345678u);
    ifb_put_u64le(b, 0x0102030405060708ull);
    CHECK(b[0] == 0x08 && b[7] == 0x01 && ifb_get_u64le(b) == 0x0102030405060708ull);
    ifb_put_i16le(b, -2);
    CHECK(b[0] == 0xFE && b[1] == 0xFF && ifb_get_i16le(b) == -2);
    ifb_put_i16le(b, INT16_MIN);
    CHECK(b[0] == 0x00 && b[1] == 0x80 && ifb_get_i16le(b) == INT16_MIN);
    ifb_put_i16le(b, INT16_MAX);
    CHECK(ifb_get_i16le(b) == INT16_MAX);
    ifb_put_i32le(b, INT32_MIN);
    CHECK(b[3] == 0x80 && ifb_get_i32le(b) == INT32_MIN);
    ifb_put_i32le(b, -3);
    CHECK(ifb_get_i32le(b) == -3 && ifb_get_u32le(b) == 0xFFFFFFFDu);
    ifb_put_f32le(b, 1.0f);
    CHECK(b[0] == 0 && b[1] == 0 && b[2] == 0x80 && b[3] == 0x3F && ifb_get_f32le(b) == 1.0f);
    ifb_put_f32le(b + 1, -0.15625f); /* unaligned */
    CHECK(ifb_get_f32le(b + 1) == -0.15625f && b[4] == 0xBE);
}

/* Too-small and oversized frames: a negative code and nothing written (canaries stay). */
static void test_frame_errors(void)
{
    static uint8_t body[IFB_MAX_BODY], wire[IFB_MAX_WIRE], payload[IFB_MAX_BODY];
    const uint8_t p3[3] = {1, 2, 3};
    size_t need = IFB_COBS_MAX_ENCODED(IFB_HEADER_SIZE + 3u + IFB_CRC_SIZE) + 1u;
    memset(body, 0xEE, sizeof body);
    memset(wire, 0xEE, sizeof wire);
    CHECK(ifb_frame_encode(IFB_ACK, 1, p3, 3, body, wire, need - 1u) == -IFB_ENOSPC);
    CHECK(ifb_frame_encode(IFB_ACK, 1, p3, 3, body, wire, 0) == -IFB_ENOSPC);
    CHECK(body[0] == 0xEE && body[4] == 0xEE && wire[0] == 0xEE && wire[need - 2u] == 0xEE);
    size_t most = IFB_MAX_BODY - IFB_HEADER_SIZE - IFB_CRC_SIZE;
    CHECK(ifb_frame_encode(IFB_ACK, 1, payload, most + 1u, body, wire, sizeof wire) == -IFB_EMSGSIZE);
    CHECK(body[0] == 0xEE && wire[0] == 0xEE);
    int32_t w = ifb_frame_encode(IFB_ACK, 1, p3, 3, body, wire, need);
    CHECK(w > 0 && (size_t)w <= need && wire[w - 1] == 0);
    w = ifb_frame_encode(IFB_ACK, 1, payload, most, body, wire, sizeof wire);
    CHECK(w > 0 && (size_t)w <= IFB_MAX_WIRE);

    /* the device: an oversized send is refused without using a sequence number */
    static ifb_device_t dev;
    static ifb_sample_t slots[4];
    CHECK(ifb_device_init(&dev, &board, slots, 4) == IFB_EOK);
    out_len = 0;
    CHECK(ifb_device_send(&dev, IFB_ACK, payload, most + 1u) == -IFB_EMSGSIZE);
    CHECK(out_len == 0 && dev.tx_seq == 0 && dev.frames_sent == 0);
    CHECK(ifb_device_send(&dev, IFB_ACK, p3, 3) == IFB_EOK && dev.tx_seq == 1 && out_len > 0);
    CHECK(ifb_device_send_error(&dev, IFB_START, 7, IFB_ERR_BUSY, "x") == IFB_EOK);
    /* a sample while not streaming is refused */
    int16_t raw[6] = {0};
    CHECK(ifb_device_push_sample(&dev, 0, raw) == -IFB_EPERM && dev.produced == 0);
    /* a device with a ring of 1 slot: refused, every sample then a counted drop */
    CHECK(ifb_device_init(&dev, &board, slots, 1) == -IFB_EINVAL);
}

/* The bytes on the wire of known frames, as the host's encoder (imuforge.bridge.protocol.encode_frame)
 * writes them: an ACK, and an ERROR whose zero bytes COBS stuffs. */
static void test_wire_golden(void)
{
    static const uint8_t ack[] = {0x0C, 0x01, 0x06, 0x05, 0x05, 0x04, 0x04, 0x02, 0x61, 0x44, 0x17, 0x9F, 0x00};
    static const uint8_t err[] = {0x03, 0x01, 0x07, 0x04, 0x01, 0x03, 0x02, 0x02, 0x04, 0x09, 0x03, 0x61,
                                  0x62, 0x63, 0x26, 0x53, 0x51, 0x71, 0x00};
    uint8_t body[64], wire[80];
    const uint8_t p[3] = {IFB_START, 0x04, 0x02};
    int32_t w = ifb_frame_encode(IFB_ACK, 0x0505, p, 3, body, wire, sizeof wire);
    CHECK(w == (int32_t)sizeof ack && memcmp(wire, ack, sizeof ack) == 0);
    static ifb_device_t dev;
    static ifb_sample_t slots[4];
    ifb_device_init(&dev, &board, slots, 4);
    dev.tx_seq = 0x0100;
    out_len = 0;
    CHECK(ifb_device_send_error(&dev, IFB_CONFIGURE, 2, IFB_ERR_BUSY, "abc") == IFB_EOK);
    CHECK(out_len == sizeof err && memcmp(out, err, sizeof err) == 0);
}

int main(void)
{
    test_crc();
    test_cobs();
    test_ring();
    test_formula();
    test_device();
    test_ext_handler();
    test_max_batch();
    test_bytes();
    test_frame_errors();
    test_wire_golden();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
