/* Single-producer single-consumer ring of fixed-size IMU samples. The producer (sensor ISR or FIFO
 * read) pushes, the main loop pops; a full ring drops the new sample and counts it.
 * Return convention: ifb_err.h. Lock-free: the producer writes only head, the consumer only tail;
 * the barriers in ifb_ring.c order the slot copies against those index stores. */
#ifndef IFB_RING_H
#define IFB_RING_H
#include <stdint.h>
#include "ifb_err.h"

#define IFB_MAX_CHANNELS 9

typedef struct {
    uint64_t t_us;                      /* device time of the sample, µs */
    uint32_t index;                     /* device sample counter */
    int16_t raw[IFB_MAX_CHANNELS];      /* LSB, acc xyz, gyro xyz, mag xyz (as configured) */
} ifb_sample_t;

typedef struct {
    ifb_sample_t *slots;
    uint16_t size;                      /* number of slots (any value >= 2); holds size - 1 samples */
    volatile uint16_t head;             /* next write, owned by producer */
    volatile uint16_t tail;             /* next read, owned by consumer */
    volatile uint32_t dropped;          /* samples lost because the ring was full */
} ifb_ring_t;

/* 0, or -IFB_EINVAL if slots is NULL or size < 2 (the ring is then left empty and unusable). */
int ifb_ring_init(ifb_ring_t *r, ifb_sample_t *slots, uint16_t size);
/* Producer: 0 = stored, -IFB_EAGAIN = full (the sample is dropped and counted in dropped). */
int ifb_ring_push(ifb_ring_t *r, const ifb_sample_t *s);
/* Consumer: 0 = *s holds the oldest sample, -IFB_EAGAIN = empty (*s untouched). */
int ifb_ring_pop(ifb_ring_t *r, ifb_sample_t *s);
uint16_t ifb_ring_used(const ifb_ring_t *r);
/* Consumer: discard everything buffered. */
void ifb_ring_clear(ifb_ring_t *r);

#endif
