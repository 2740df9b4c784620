#include "ifb_hil.h"
#include <string.h>
#include "ifb_bytes.h"
#include "ifb_crc32.h"

int32_t ifb_dtype_size(uint8_t dtype)
{
    switch (dtype) {
    case IFB_DT_INT8: case IFB_DT_UINT8: return 1;
    case IFB_DT_INT16: return 2;
    case IFB_DT_FLOAT32: return 4;
    default: return -IFB_ENOTSUP;
    }
}

int32_t ifb_tensor_bytes(const ifb_tensor_info_t *t)
{
    if (t->rank > IFB_HIL_MAX_RANK) return -IFB_ENOTSUP;
    int32_t size = ifb_dtype_size(t->dtype);
    if (size < 0) return size;
    uint64_t n = (uint64_t)size;
    for (uint8_t i = 0; i < t->rank; i++) {
        n *= t->dims[i];
        if (n > (uint64_t)INT32_MAX) return -IFB_EOVERFLOW;
    }
    return (int32_t)n;
}

uint32_t ifb_hil_cycles_to_us(const ifb_hil_t *hil, uint64_t cycles)
{
    uint32_t hz = hil->clock && hil->clock->hz ? hil->clock->hz : 1000000u;
    uint64_t us = (cycles * 1000000u + hz / 2u) / hz;
    return us > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)us;
}

int ifb_hil_init(ifb_hil_t *hil, const ifb_model_t *model, const ifb_cycle_clock_t *clock, uint32_t boot_id)
{
    memset(hil, 0, sizeof *hil);
    hil->model = model;
    hil->clock = clock;
    hil->boot_id = boot_id;
    if (!model) { hil->model_error = "no model on the device"; return -IFB_EINVAL; }
    int32_t in_bytes = ifb_tensor_bytes(&model->input);
    int32_t out_bytes = ifb_tensor_bytes(&model->output);
    hil->in_bytes = in_bytes > 0 ? (uint32_t)in_bytes : 0u;
    hil->out_bytes = out_bytes > 0 ? (uint32_t)out_bytes : 0u;
    if (!model->invoke || !model->sha256) {
        hil->model_error = "model interface incomplete (invoke, sha256)";
        return -IFB_EINVAL;
    }
    if (in_bytes == -IFB_ENOTSUP || out_bytes == -IFB_ENOTSUP || in_bytes == 0 || out_bytes == 0) {
        hil->model_error = "model tensor rank or dtype unsupported";
        return -IFB_ENOTSUP;
    }
    if (in_bytes < 0 || hil->in_bytes > IFB_HIL_MAX_INPUT) { /* < 0 here: -IFB_EOVERFLOW */
        hil->model_error = "input tensor larger than IFB_HIL_MAX_INPUT";
        return -IFB_ENOMEM;
    }
    if (out_bytes < 0 || hil->out_bytes > IFB_HIL_MAX_OUTPUT) {
        hil->model_error = "output tensor larger than IFB_HIL_MAX_OUTPUT";
        return -IFB_ENOMEM;
    }
    return IFB_EOK;
}

static int ext_handler(ifb_device_t *dev, uint8_t type, uint16_t seq, const uint8_t *p, size_t len)
{
    return ifb_hil_handle((ifb_hil_t *)dev->ext_ctx, dev, type, seq, p, len);
}

void ifb_hil_attach(ifb_hil_t *hil, ifb_device_t *dev)
{
    dev->ext_ctx = hil;
    dev->ext_handler = ext_handler;
}

/* "text" + decimal numbers, without stdio: fmt's '#' characters are replaced by a, b, c in turn. */
static size_t fmt_text(char *out, size_t cap, const char *fmt, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t v[3] = {a, b, c};
    size_t o = 0;
    int k = 0;
    for (; *fmt && o + 1 < cap; fmt++) {
        if (*fmt != '#' || k > 2) { out[o++] = *fmt; continue; }
        char d[10];
        int n = 0;
        uint32_t x = v[k++];
        do { d[n++] = (char)('0' + x % 10u); x /= 10u; } while (x && n < 10);
        while (n && o + 1 < cap) out[o++] = d[--n];
    }
    out[o] = 0;
    return o;
}

static int send_error(ifb_hil_t *hil, ifb_device_t *dev, uint8_t ref_type, uint16_t ref_seq, uint32_t window,
                      uint16_t code, const char *text)
{
    uint8_t *p = dev->body + IFB_HEADER_SIZE;
    size_t n = text ? strlen(text) : 0;
    if (n > 200) n = 200;
    p[0] = ref_type;
    ifb_put_u16le(p + 1, ref_seq);
    ifb_put_u32le(p + 3, window);
    ifb_put_u16le(p + 7, code);
    p[9] = (uint8_t)n;
    if (n) memcpy(p + 10, text, n);
    hil->errors++;
    return ifb_device_send(dev, IFB_HIL_ERROR, p, 10 + n);
}

static size_t put_tensor(uint8_t *p, const ifb_tensor_info_t *t)
{
    size_t o = 0;
    p[o++] = t->rank;
    p[o++] = t->dtype;
    for (uint8_t i = 0; i < t->rank; i++, o += 4) ifb_put_u32le(p + o, t->dims[i]);
    ifb_put_f32le(p + o, t->scale); o += 4;
    ifb_put_i32le(p + o, t->zero_point); o += 4;
    return o;
}

static uint32_t arena_used(const ifb_hil_t *hil)
{
    return hil->model->arena_used ? hil->model->arena_used(hil->model->ctx) : 0u;
}

static int send_model(ifb_hil_t *hil, ifb_device_t *dev)
{
    const ifb_model_t *m = hil->model;
    uint8_t *p = dev->body + IFB_HEADER_SIZE;
    size_t o = 0;
    memcpy(p, m->sha256, 32); o += 32;
    ifb_put_u32le(p + o, m->size); o += 4;
    ifb_put_u32le(p + o, m->arena_size); o += 4;
    ifb_put_u32le(p + o, arena_used(hil)); o += 4;
    ifb_put_u16le(p + o, (uint16_t)IFB_HIL_MAX_CHUNK); o += 2;
    ifb_put_u32le(p + o, hil->boot_id); o += 4;
    o += put_tensor(p + o, &m->input);
    o += put_tensor(p + o, &m->output);
    size_t n = m->name ? strlen(m->name) : 0;
    if (n > 60) n = 60;
    p[o++] = (uint8_t)n;
    if (n) { memcpy(p + o, m->name, n); o += n; }
    return ifb_device_send(dev, IFB_HIL_MODEL, p, o);
}

static ifb_hil_slot_t *find_slot(ifb_hil_t *hil, uint32_t window)
{
    for (unsigned i = 0; i < IFB_HIL_SLOTS; i++)
        if (hil->slots[i].used && hil->slots[i].window == window) return &hil->slots[i];
    return NULL;
}

static void on_load(ifb_hil_t *hil, ifb_device_t *dev, uint16_t seq, const uint8_t *p)
{
    uint32_t window = ifb_get_u32le(p), total = ifb_get_u32le(p + 4), crc = ifb_get_u32le(p + 8);
    char text[96];
    if (total != hil->in_bytes) {
        fmt_text(text, sizeof text, "input of # bytes; the model's input tensor has #", total, hil->in_bytes, 0);
        send_error(hil, dev, IFB_HIL_LOAD, seq, window, IFB_HIL_BAD_LENGTH, text);
        return;
    }
    ifb_hil_slot_t *s = find_slot(hil, window);
    if (!s) { /* a free slot, else the oldest */
        s = &hil->slots[0];
        for (unsigned i = 0; i < IFB_HIL_SLOTS; i++) {
            if (!hil->slots[i].used) { s = &hil->slots[i]; break; }
            if (hil->slots[i].age < s->age) s = &hil->slots[i];
        }
    }
    s->used = 1;
    s->window = window;
    s->total = total;
    s->crc32 = crc;
    s->received = 0;
    s->age = ++hil->age;
    memset(s->got, 0, sizeof s->got);
}

static void on_chunk(ifb_hil_t *hil, ifb_device_t *dev, uint16_t seq, const uint8_t *p, size_t len)
{
    uint32_t window = ifb_get_u32le(p), off = ifb_get_u32le(p + 4);
    size_t n = len - 8;
    ifb_hil_slot_t *s = find_slot(hil, window);
    if (!s) { send_error(hil, dev, IFB_HIL_CHUNK, seq, window, IFB_HIL_UNKNOWN_WINDOW, "CHUNK for a window without LOAD"); return; }
    if (off > s->total || n > s->total - off || n > IFB_HIL_MAX_CHUNK) {
        char text[96];
        fmt_text(text, sizeof text, "chunk #+# outside the #-byte input", off, (uint32_t)n, s->total);
        send_error(hil, dev, IFB_HIL_CHUNK, seq, window, IFB_HIL_BAD_LENGTH, text);
        return;
    }
    memcpy(s->buf + off, p + 8, n);
    for (size_t i = off; i < off + n; i++) {
        uint8_t bit = (uint8_t)(1u << (i & 7u));
        if (!(s->got[i >> 3] & bit)) { s->got[i >> 3] |= bit; s->received++; }
    }
}

static void on_infer(ifb_hil_t *hil, ifb_device_t *dev, uint16_t seq, const uint8_t *p)
{
    uint32_t window = ifb_get_u32le(p);
    uint16_t runs = ifb_get_u16le(p + 4), warmup = ifb_get_u16le(p + 6);
    char text[96];
    hil->infers++;
    if (runs < 1) { send_error(hil, dev, IFB_HIL_INFER, seq, window, IFB_HIL_BAD_PAYLOAD, "runs must be >= 1"); return; }
    ifb_hil_slot_t *s = find_slot(hil, window);
    if (!s) { send_error(hil, dev, IFB_HIL_INFER, seq, window, IFB_HIL_UNKNOWN_WINDOW, "INFER for a window without LOAD"); return; }
    s->used = 0; /* consumed, whatever happens next */
    if (s->received != s->total) {
        fmt_text(text, sizeof text, "# of # input bytes did not arrive", s->total - s->received, s->total, 0);
        send_error(hil, dev, IFB_HIL_INFER, seq, window, IFB_HIL_MISSING_BYTES, text);
        return;
    }
    uint32_t crc = ifb_crc32_update(0, s->buf, s->total);
    if (crc != s->crc32) {
        send_error(hil, dev, IFB_HIL_INFER, seq, window, IFB_HIL_CRC_MISMATCH, "input CRC-32 differs from the one LOAD announced");
        return;
    }
    const ifb_model_t *m = hil->model;
    for (uint16_t i = 0; i < warmup; i++) {
        if (m->invoke(m->ctx, s->buf, hil->output) != IFB_EOK) {
            send_error(hil, dev, IFB_HIL_INFER, seq, window, IFB_HIL_INVOKE_FAILED, "invoke failed (warm-up)");
            return;
        }
    }
    uint64_t total = 0;
    uint32_t lo = 0xFFFFFFFFu, hi = 0;
    for (uint16_t r = 0; r < runs; r++) {
        uint32_t c0 = hil->clock->cycles(hil->clock->ctx);
        int rc = m->invoke(m->ctx, s->buf, hil->output);
        uint32_t dc = hil->clock->cycles(hil->clock->ctx) - c0; /* modulo 2^32: wrap-safe */
        if (rc != IFB_EOK) {
            if (rc < 0) fmt_text(text, sizeof text, "invoke failed in run # (error -#)", r + 1u, 0u - (uint32_t)rc, 0);
            else fmt_text(text, sizeof text, "invoke failed in run # (status #)", r + 1u, (uint32_t)rc, 0);
            send_error(hil, dev, IFB_HIL_INFER, seq, window, IFB_HIL_INVOKE_FAILED, text);
            return;
        }
        total += dc;
        if (dc < lo) lo = dc;
        if (dc > hi) hi = dc;
    }
    hil->last_cycles = total;
    uint8_t *q = dev->body + IFB_HEADER_SIZE;
    ifb_put_u32le(q, window);
    ifb_put_u16le(q + 4, runs);
    ifb_put_u32le(q + 6, ifb_hil_cycles_to_us(hil, total));
    ifb_put_u32le(q + 10, ifb_hil_cycles_to_us(hil, lo));
    ifb_put_u32le(q + 14, ifb_hil_cycles_to_us(hil, hi));
    ifb_put_u32le(q + 18, arena_used(hil));
    ifb_put_u32le(q + 22, hil->boot_id);
    ifb_put_u16le(q + 26, (uint16_t)hil->out_bytes);
    memcpy(q + 28, hil->output, hil->out_bytes);
    ifb_device_send(dev, IFB_HIL_RESULT, q, 28 + hil->out_bytes);
}

int ifb_hil_handle(ifb_hil_t *hil, ifb_device_t *dev, uint8_t type, uint16_t seq, const uint8_t *p, size_t len)
{
    static const uint8_t need[5] = {0, 0, 12, 8, 8}; /* GET_MODEL, (MODEL), LOAD, CHUNK (≥), INFER */
    if (type != IFB_HIL_GET_MODEL && type != IFB_HIL_LOAD && type != IFB_HIL_CHUNK && type != IFB_HIL_INFER)
        return -IFB_ENOTSUP;
    uint32_t window = (type != IFB_HIL_GET_MODEL && len >= 4) ? ifb_get_u32le(p) : 0;
    size_t want = need[type - IFB_HIL_GET_MODEL];
    if (type == IFB_HIL_CHUNK ? len < want : len != want) {
        char text[64];
        fmt_text(text, sizeof text, "payload of # bytes, need #", (uint32_t)len, (uint32_t)want, 0);
        send_error(hil, dev, type, seq, window, IFB_HIL_BAD_PAYLOAD, text);
        return IFB_EOK;
    }
    if (dev->streaming) {
        send_error(hil, dev, type, seq, window, IFB_HIL_BUSY, "stop streaming before HIL commands");
        return IFB_EOK;
    }
    if (hil->model_error && type != IFB_HIL_CHUNK) {
        send_error(hil, dev, type, seq, window, IFB_HIL_NO_MODEL, hil->model_error);
        return IFB_EOK;
    }
    switch (type) {
    case IFB_HIL_GET_MODEL: send_model(hil, dev); break;
    case IFB_HIL_LOAD: on_load(hil, dev, seq, p); break;
    case IFB_HIL_CHUNK: on_chunk(hil, dev, seq, p, len); break;
    default: on_infer(hil, dev, seq, p); break;
    }
    return IFB_EOK;
}
