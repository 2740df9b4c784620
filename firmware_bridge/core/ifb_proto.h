/* imuforge bridge protocol v1: device-side core (framing, commands, sample batching).
 * See ../PROTOCOL.md. Portable C99, no dynamic memory, no libc beyond <string.h>.
 *
 * A board provides an ifb_board_t (byte-stream write, clock, IMU configure/start/stop and the
 * INFO strings), calls ifb_device_rx() with received bytes, ifb_device_push_sample() for every
 * sample read from the IMU (ISR-safe against the main loop: single producer), and
 * ifb_device_poll() from its main loop to send sample batches.
 * Return convention (ifb_err.h): 0 or a length >= 0 on success, a negative IFB_E* code on failure. */
#ifndef IFB_PROTO_H
#define IFB_PROTO_H
#include <stddef.h>
#include <stdint.h>
#include "ifb_err.h"
#include "ifb_ring.h"

#define IFB_PROTOCOL_VERSION 1u
#define IFB_MAX_BODY 1024u                           /* header + payload + CRC */
#define IFB_MAX_WIRE (IFB_MAX_BODY + IFB_MAX_BODY / 254u + 2u)
#define IFB_HEADER_SIZE 4u
#define IFB_CRC_SIZE 4u
#define IFB_SAMPLES_HEADER 18u                       /* t0 u64, index u32, period_ns u32, n u8, mask u8 */
#define IFB_MAX_BATCH 64u
#define IFB_MAX_LATENCY_US 100000u                   /* longest a partial batch waits */

enum ifb_msg_type {
    IFB_GET_INFO = 0x01, IFB_INFO = 0x02, IFB_CONFIGURE = 0x03, IFB_START = 0x04, IFB_STOP = 0x05,
    IFB_ACK = 0x06, IFB_ERROR = 0x07, IFB_GET_STATUS = 0x08, IFB_STATUS = 0x09, IFB_SAMPLES = 0x10,
    IFB_HIL_FIRST = 0x40, IFB_HIL_LAST = 0x5F
};

enum ifb_error_code {
    IFB_ERR_UNKNOWN_TYPE = 1, IFB_ERR_BAD_PAYLOAD = 2, IFB_ERR_UNSUPPORTED = 3, IFB_ERR_BUSY = 4,
    IFB_ERR_OVERFLOW = 5, IFB_ERR_BAD_VERSION = 6, IFB_ERR_INTERNAL = 7
};

enum ifb_channel_bits { IFB_CH_ACC = 0x01, IFB_CH_GYRO = 0x02, IFB_CH_MAG = 0x04 };

typedef struct {
    float odr_hz;            /* sample rate, Hz */
    float acc_range_g;       /* ±g */
    float gyro_range_dps;    /* ±dps */
    uint8_t channel_mask;    /* IFB_CH_* */
    uint8_t batch;           /* samples per SAMPLES frame */
    float scales[3];         /* SI per LSB for each present group: m/s², rad/s, µT */
} ifb_config_t;

typedef struct {
    void *ctx;
    /* Write all bytes to the link (may block). */
    void (*write)(void *ctx, const uint8_t *data, size_t len);
    /* Device clock in µs. */
    uint64_t (*now_us)(void *ctx);
    /* Apply a configuration. cfg holds the request; on success (return 0) the board sets the
     * values it actually uses (odr_hz, ranges, scales). A negative code (-IFB_ENOTSUP for an
     * unsupported request) refuses it; the core answers ERROR UNSUPPORTED. */
    int (*imu_configure)(void *ctx, ifb_config_t *cfg);
    /* Start (on=1) or stop (on=0) producing samples. */
    void (*imu_stream)(void *ctx, int on);
    const char *firmware, *board, *chips, *profile, *device_id;
    const float *odrs_hz; uint8_t n_odrs;
    const float *acc_ranges_g; uint8_t n_acc_ranges;
    const float *gyro_ranges_dps; uint8_t n_gyro_ranges;
    uint8_t channel_mask;    /* channels the board has */
} ifb_board_t;

struct ifb_device;
/* Handler for message types the core does not know (HIL range). Return 0 if handled; a negative
 * code (-IFB_ENOTSUP: not a type it knows) and the core answers ERROR UNKNOWN_TYPE. */
typedef int (*ifb_ext_handler_t)(struct ifb_device *dev, uint8_t type, uint16_t seq,
                                 const uint8_t *payload, size_t len);

typedef struct ifb_device {
    const ifb_board_t *board;
    ifb_ring_t ring;
    ifb_config_t cfg;
    ifb_ext_handler_t ext_handler;
    void *ext_ctx;           /* for the ext handler (e.g. the HIL module) */
    /* receive side */
    uint8_t rx[IFB_MAX_WIRE];
    size_t rx_len;
    int rx_overflow;
    uint32_t rx_frames, rx_corrupt;
    /* transmit side */
    uint8_t body[IFB_MAX_BODY];
    uint8_t wire[IFB_MAX_WIRE];
    uint16_t tx_seq;
    uint32_t frames_sent;
    /* streaming */
    int streaming;
    uint32_t limit;          /* samples to produce in this run, 0 = unlimited */
    uint32_t produced;       /* samples produced in this run (including dropped ones) */
    uint32_t next_index;     /* device sample counter */
    uint32_t dropped_reported;
    ifb_sample_t batch[IFB_MAX_BATCH];
    uint8_t batch_n;
} ifb_device_t;

/* 0, or -IFB_EINVAL if the ring cannot be set up (slots NULL or nslots < 2: every sample is then
 * dropped and counted). */
int ifb_device_init(ifb_device_t *dev, const ifb_board_t *board, ifb_sample_t *slots, uint16_t nslots);
/* Feed received bytes (any chunking). Complete frames are handled immediately. */
void ifb_device_rx(ifb_device_t *dev, const uint8_t *data, size_t len);
/* Producer side: one sample (raw LSB in channel-mask order) taken at device time t_us.
 * Returns 0 when the sample is taken (queued, or dropped by a full ring and counted: the index gap
 * tells the host), -IFB_EPERM when streaming is off or the sample limit is reached (ignored). */
int ifb_device_push_sample(ifb_device_t *dev, uint64_t t_us, const int16_t *raw);
/* Main loop: send full batches; flush a partial batch when the stream ends. */
void ifb_device_poll(ifb_device_t *dev);
/* Send one frame with the next sequence number. Returns 0, or -IFB_EMSGSIZE if the payload does not
 * fit IFB_MAX_BODY (nothing sent, the sequence number not used). */
int ifb_device_send(ifb_device_t *dev, uint8_t type, const uint8_t *payload, size_t len);
/* Send ERROR for the message ref_type/ref_seq (text cut to 64 bytes). Returns as ifb_device_send. */
int ifb_device_send_error(ifb_device_t *dev, uint8_t ref_type, uint16_t ref_seq, uint16_t code, const char *text);
/* Largest batch of samples whose frame fits max_wire bytes on the wire (COBS + delimiter); 0 if
 * not even one sample fits. */
uint8_t ifb_max_batch(uint8_t channel_mask, size_t max_wire);
uint8_t ifb_mask_channels(uint8_t channel_mask);

/* Frame building blocks, exposed for tests and other transports.
 * One frame (header, payload, CRC-32, COBS, delimiter) into wire. body_scratch holds
 * IFB_MAX_BODY bytes (payload may already sit at body_scratch + IFB_HEADER_SIZE). Returns the wire
 * length, or -IFB_EMSGSIZE if the body would exceed IFB_MAX_BODY, -IFB_ENOSPC if wire_cap is below
 * IFB_COBS_MAX_ENCODED(body) + 1; on error neither body_scratch nor wire is written. */
int32_t ifb_frame_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len,
                         uint8_t *body_scratch, uint8_t *wire, size_t wire_cap);

#endif
