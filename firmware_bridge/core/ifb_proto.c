#include "ifb_proto.h"
#include <string.h>
#include "ifb_bytes.h"
#include "ifb_cobs.h"
#include "ifb_crc32.h"

uint8_t ifb_mask_channels(uint8_t m)
{
    return (uint8_t)(3u * (((m & IFB_CH_ACC) ? 1u : 0u) + ((m & IFB_CH_GYRO) ? 1u : 0u) + ((m & IFB_CH_MAG) ? 1u : 0u)));
}

uint8_t ifb_max_batch(uint8_t mask, size_t max_wire)
{
    uint8_t ch = ifb_mask_channels(mask);
    for (int n = IFB_MAX_BATCH; n > 0; n--) {
        size_t body = IFB_HEADER_SIZE + IFB_SAMPLES_HEADER + 4u * (ch / 3u) + 2u * ch * (size_t)n + IFB_CRC_SIZE;
        if (IFB_COBS_MAX_ENCODED(body) + 1u <= max_wire) return (uint8_t)n;
    }
    return 0;
}

int32_t ifb_frame_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len,
                         uint8_t *body, uint8_t *wire, size_t wire_cap)
{
    if (len > IFB_MAX_BODY - IFB_HEADER_SIZE - IFB_CRC_SIZE) return -IFB_EMSGSIZE;
    size_t n = IFB_HEADER_SIZE + len + IFB_CRC_SIZE;
    if (wire_cap < IFB_COBS_MAX_ENCODED(n) + 1u) return -IFB_ENOSPC; /* checked before body is touched */
    body[0] = IFB_PROTOCOL_VERSION;
    body[1] = type;
    ifb_put_u16le(body + 2, seq);
    if (len && payload != body + IFB_HEADER_SIZE) memmove(body + IFB_HEADER_SIZE, payload, len);
    ifb_put_u32le(body + IFB_HEADER_SIZE + len, ifb_crc32_update(0, body, IFB_HEADER_SIZE + len));
    int32_t w = ifb_cobs_encode(body, n, wire, wire_cap - 1u);
    if (w < 0) return w;
    wire[w] = 0;
    return w + 1;
}

int ifb_device_send(ifb_device_t *dev, uint8_t type, const uint8_t *payload, size_t len)
{
    int32_t w = ifb_frame_encode(type, dev->tx_seq, payload, len, dev->body, dev->wire, sizeof dev->wire);
    if (w < 0) return (int)w;
    dev->tx_seq++;
    dev->frames_sent++;
    dev->board->write(dev->board->ctx, dev->wire, (size_t)w);
    return IFB_EOK;
}

int ifb_device_send_error(ifb_device_t *dev, uint8_t ref_type, uint16_t ref_seq, uint16_t code, const char *text)
{
    uint8_t p[5 + 1 + 64];
    size_t n = text ? strlen(text) : 0;
    if (n > 64) n = 64;
    p[0] = ref_type;
    ifb_put_u16le(p + 1, ref_seq);
    ifb_put_u16le(p + 3, code);
    p[5] = (uint8_t)n;
    if (n) memcpy(p + 6, text, n);
    return ifb_device_send(dev, IFB_ERROR, p, 6 + n);
}

static int send_ack(ifb_device_t *dev, uint8_t type, uint16_t seq)
{
    uint8_t p[3];
    p[0] = type;
    ifb_put_u16le(p + 1, seq);
    return ifb_device_send(dev, IFB_ACK, p, 3);
}

static size_t put_str(uint8_t *p, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 255) n = 255;
    p[0] = (uint8_t)n;
    if (n) memcpy(p + 1, s, n);
    return n + 1;
}

static size_t put_floats(uint8_t *p, const float *v, uint8_t n)
{
    p[0] = n;
    for (uint8_t i = 0; i < n; i++) ifb_put_f32le(p + 1 + 4 * i, v[i]);
    return 1u + 4u * n;
}

static int send_info(ifb_device_t *dev)
{
    const ifb_board_t *b = dev->board;
    uint8_t *p = dev->body + IFB_HEADER_SIZE; /* build the payload in place */
    size_t o = 0;
    p[o++] = IFB_PROTOCOL_VERSION;
    o += put_str(p + o, b->firmware);
    o += put_str(p + o, b->board);
    o += put_str(p + o, b->chips);
    o += put_str(p + o, b->profile);
    o += put_str(p + o, b->device_id);
    p[o++] = b->channel_mask;
    p[o++] = ifb_max_batch(b->channel_mask, 244u);
    o += put_floats(p + o, b->odrs_hz, b->n_odrs);
    o += put_floats(p + o, b->acc_ranges_g, b->n_acc_ranges);
    o += put_floats(p + o, b->gyro_ranges_dps, b->n_gyro_ranges);
    o += put_floats(p + o, NULL, 0);
    ifb_put_f32le(p + o, dev->cfg.odr_hz); o += 4;
    ifb_put_f32le(p + o, dev->cfg.acc_range_g); o += 4;
    ifb_put_f32le(p + o, dev->cfg.gyro_range_dps); o += 4;
    return ifb_device_send(dev, IFB_INFO, p, o);
}

static int send_status(ifb_device_t *dev)
{
    uint8_t p[25];
    p[0] = (uint8_t)dev->streaming;
    ifb_put_u32le(p + 1, (uint32_t)(dev->board->now_us(dev->board->ctx) / 1000u));
    ifb_put_u32le(p + 5, dev->produced);
    ifb_put_u32le(p + 9, dev->ring.dropped);
    ifb_put_u32le(p + 13, dev->frames_sent);
    ifb_put_u32le(p + 17, dev->rx_corrupt);
    ifb_put_u16le(p + 21, ifb_ring_used(&dev->ring));
    ifb_put_u16le(p + 23, dev->ring.size);
    return ifb_device_send(dev, IFB_STATUS, p, sizeof p);
}

static int flush_batch(ifb_device_t *dev)
{
    uint8_t n = dev->batch_n;
    if (n == 0) return IFB_EOK;
    uint8_t ch = ifb_mask_channels(dev->cfg.channel_mask);
    uint8_t groups = (uint8_t)(ch / 3u);
    uint8_t *p = dev->body + IFB_HEADER_SIZE;
    double period_ns = dev->cfg.odr_hz > 0 ? 1e9 / (double)dev->cfg.odr_hz : 0.0;
    ifb_put_u64le(p, dev->batch[0].t_us);
    ifb_put_u32le(p + 8, dev->batch[0].index);
    ifb_put_u32le(p + 12, (uint32_t)(period_ns + 0.5));
    p[16] = n;
    p[17] = dev->cfg.channel_mask;
    size_t o = IFB_SAMPLES_HEADER;
    for (uint8_t g = 0; g < groups; g++, o += 4) ifb_put_f32le(p + o, dev->cfg.scales[g]);
    for (uint8_t i = 0; i < n; i++)
        for (uint8_t c = 0; c < ch; c++, o += 2) ifb_put_i16le(p + o, dev->batch[i].raw[c]);
    dev->batch_n = 0;
    return ifb_device_send(dev, IFB_SAMPLES, p, o);
}

static void stop_stream(ifb_device_t *dev)
{
    if (dev->streaming && dev->board->imu_stream) dev->board->imu_stream(dev->board->ctx, 0);
    dev->streaming = 0;
}

static void handle_frame(ifb_device_t *dev, uint8_t type, uint16_t seq, const uint8_t *p, size_t len)
{
    switch (type) {
    case IFB_GET_INFO:
        send_info(dev);
        return;
    case IFB_GET_STATUS:
        send_status(dev);
        return;
    case IFB_CONFIGURE: {
        if (len != 14) { ifb_device_send_error(dev, type, seq, IFB_ERR_BAD_PAYLOAD, "CONFIGURE needs 14 bytes"); return; }
        if (dev->streaming) { ifb_device_send_error(dev, type, seq, IFB_ERR_BUSY, "stop streaming first"); return; }
        ifb_config_t req = dev->cfg;
        float odr = ifb_get_f32le(p), ar = ifb_get_f32le(p + 4), gr = ifb_get_f32le(p + 8);
        req.odr_hz = odr;
        if (ar > 0) req.acc_range_g = ar;
        if (gr > 0) req.gyro_range_dps = gr;
        req.channel_mask = p[12];
        if (req.channel_mask == 0 || (req.channel_mask & (uint8_t)~dev->board->channel_mask)) {
            ifb_device_send_error(dev, type, seq, IFB_ERR_UNSUPPORTED, "channel mask not available");
            return;
        }
        uint8_t most = ifb_max_batch(req.channel_mask, IFB_MAX_WIRE);
        req.batch = p[13] ? p[13] : ifb_max_batch(req.channel_mask, 244u);
        if (req.batch > most) req.batch = most;
        if (!(odr > 0) || dev->board->imu_configure(dev->board->ctx, &req) != IFB_EOK) {
            ifb_device_send_error(dev, type, seq, IFB_ERR_UNSUPPORTED, "ODR or range not supported");
            return;
        }
        dev->cfg = req;
        send_ack(dev, type, seq);
        return;
    }
    case IFB_START:
        if (len != 4) { ifb_device_send_error(dev, type, seq, IFB_ERR_BAD_PAYLOAD, "START needs 4 bytes"); return; }
        dev->limit = ifb_get_u32le(p);
        dev->produced = 0;
        dev->batch_n = 0;
        ifb_ring_clear(&dev->ring);
        dev->streaming = 1;
        send_ack(dev, type, seq);
        if (dev->board->imu_stream) dev->board->imu_stream(dev->board->ctx, 1);
        return;
    case IFB_STOP:
        stop_stream(dev);
        ifb_device_poll(dev); /* send what is buffered, then the ACK */
        flush_batch(dev);
        send_ack(dev, type, seq);
        return;
    default:
        if (dev->ext_handler && dev->ext_handler(dev, type, seq, p, len) == IFB_EOK) return;
        ifb_device_send_error(dev, type, seq, IFB_ERR_UNKNOWN_TYPE, "unknown message type");
    }
}

static void rx_frame(ifb_device_t *dev)
{
    int32_t decoded = ifb_cobs_decode(dev->rx, dev->rx_len, dev->rx, sizeof dev->rx);
    if (decoded < (int32_t)(IFB_HEADER_SIZE + IFB_CRC_SIZE)) { dev->rx_corrupt++; return; } /* also < 0: not COBS */
    size_t n = (size_t)decoded;
    if (ifb_crc32_update(0, dev->rx, n - IFB_CRC_SIZE) != ifb_get_u32le(dev->rx + n - IFB_CRC_SIZE)) { dev->rx_corrupt++; return; }
    uint16_t seq = ifb_get_u16le(dev->rx + 2);
    if (dev->rx[0] != IFB_PROTOCOL_VERSION) {
        ifb_device_send_error(dev, dev->rx[1], seq, IFB_ERR_BAD_VERSION, "protocol version 1 only");
        return;
    }
    dev->rx_frames++;
    handle_frame(dev, dev->rx[1], seq, dev->rx + IFB_HEADER_SIZE, n - IFB_HEADER_SIZE - IFB_CRC_SIZE);
}

void ifb_device_rx(ifb_device_t *dev, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        if (b == 0) {
            if (dev->rx_overflow) dev->rx_corrupt++;
            else if (dev->rx_len) rx_frame(dev);
            dev->rx_len = 0;
            dev->rx_overflow = 0;
        } else if (dev->rx_len < sizeof dev->rx) {
            dev->rx[dev->rx_len++] = b;
        } else {
            dev->rx_overflow = 1;
        }
    }
}

int ifb_device_init(ifb_device_t *dev, const ifb_board_t *board, ifb_sample_t *slots, uint16_t nslots)
{
    memset(dev, 0, sizeof *dev);
    dev->board = board;
    int rc = ifb_ring_init(&dev->ring, slots, nslots);
    dev->cfg.odr_hz = board->n_odrs ? board->odrs_hz[0] : 100.0f;
    dev->cfg.acc_range_g = board->n_acc_ranges ? board->acc_ranges_g[0] : 0.0f;
    dev->cfg.gyro_range_dps = board->n_gyro_ranges ? board->gyro_ranges_dps[0] : 0.0f;
    dev->cfg.channel_mask = board->channel_mask & (IFB_CH_ACC | IFB_CH_GYRO);
    if (!dev->cfg.channel_mask) dev->cfg.channel_mask = board->channel_mask;
    dev->cfg.batch = ifb_max_batch(dev->cfg.channel_mask, 244u);
    ifb_config_t req = dev->cfg;
    if (board->imu_configure && board->imu_configure(board->ctx, &req) == IFB_EOK) dev->cfg = req;
    return rc;
}

int ifb_device_push_sample(ifb_device_t *dev, uint64_t t_us, const int16_t *raw)
{
    if (!dev->streaming || (dev->limit && dev->produced >= dev->limit)) return -IFB_EPERM;
    ifb_sample_t s;
    uint8_t ch = ifb_mask_channels(dev->cfg.channel_mask);
    s.t_us = t_us;
    s.index = dev->next_index++;
    memcpy(s.raw, raw, 2u * ch);
    dev->produced++;
    (void)ifb_ring_push(&dev->ring, &s); /* a full ring counts the drop; the index gap tells the host */
    return IFB_EOK;
}

void ifb_device_poll(ifb_device_t *dev)
{
    ifb_sample_t s;
    while (ifb_ring_pop(&dev->ring, &s) == IFB_EOK) {
        if (dev->batch_n && (s.index != dev->batch[dev->batch_n - 1].index + 1u)) flush_batch(dev);
        dev->batch[dev->batch_n++] = s;
        if (dev->batch_n >= dev->cfg.batch) flush_batch(dev);
    }
    if (dev->ring.dropped != dev->dropped_reported) {
        dev->dropped_reported = dev->ring.dropped;
        ifb_device_send_error(dev, IFB_SAMPLES, 0, IFB_ERR_OVERFLOW, "sample ring overflow");
    }
    /* bound latency at low rates: a partial batch waits at most IFB_MAX_LATENCY_US */
    if (dev->batch_n && dev->board->now_us(dev->board->ctx) - dev->batch[0].t_us >= IFB_MAX_LATENCY_US)
        flush_batch(dev);
    if (dev->streaming && dev->limit && dev->produced >= dev->limit) {
        flush_batch(dev);
        stop_stream(dev);
    }
}
