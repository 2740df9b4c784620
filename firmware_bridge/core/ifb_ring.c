#include "ifb_ring.h"

/* IFB_RING_BARRIER(): the ordering point between a slot copy and the index store that hands the
 * slot to the other side.
 *
 * head and tail are volatile, so the compiler keeps their own loads and stores, but the slot
 * copies are plain memory accesses: without a barrier the compiler may sink the producer's slot
 * write below `head = next` (the consumer, e.g. the main loop interrupted by the sensor ISR or the
 * other way round, would then pop a slot that is not written yet), or hoist the consumer's slot read
 * above its load of head, or below `tail = next` (the producer could overwrite the slot while it is
 * being read). A compiler barrier ("memory" clobber) forbids those moves.
 *
 * On Cortex-M the barrier is also a DMB: a single core sees its own accesses in program order and
 * exception entry keeps that order, but the ARM memory model does not promise it to other observers
 * (a second core, DMA, a bus with write buffers between them), and ARM's guidance for data shared
 * with an ISR or another master is a DMB before the flag/index that publishes it. It costs a few
 * cycles per sample. On other GCC/Clang targets the compiler barrier alone is used (x86 keeps
 * store-store and load-load order); a port for a weakly ordered multi-core CPU defines its own
 * IFB_RING_BARRIER. Compilers without GNU asm get a call through a volatile function pointer:
 * the compiler cannot see the callee, so it must assume any memory reachable from the ring may be
 * read or written across the call. */
#ifndef IFB_RING_BARRIER
#if defined(__GNUC__) || defined(__clang__)
#if defined(__aarch64__)
#define IFB_RING_BARRIER() __asm__ __volatile__("dmb ish" ::: "memory")
#elif defined(__arm__) && ((defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M') || \
                           (defined(__ARM_ARCH) && __ARM_ARCH >= 7))
#define IFB_RING_BARRIER() __asm__ __volatile__("dmb" ::: "memory")
#else
#define IFB_RING_BARRIER() __asm__ __volatile__("" ::: "memory")
#endif
#else
static void ifb_ring_no_op(void) { }
static void (*volatile ifb_ring_fence)(void) = ifb_ring_no_op;
#define IFB_RING_BARRIER() ifb_ring_fence()
#endif
#endif

int ifb_ring_init(ifb_ring_t *r, ifb_sample_t *slots, uint16_t size)
{
    r->head = r->tail = 0;
    r->dropped = 0;
    if (!slots || size < 2) {
        r->slots = 0;
        r->size = 1;   /* keeps used() and push() defined: a size-1 ring is always full */
        return -IFB_EINVAL;
    }
    r->slots = slots;
    r->size = size;
    return IFB_EOK;
}

int ifb_ring_push(ifb_ring_t *r, const ifb_sample_t *s)
{
    uint16_t head = r->head;
    uint16_t next = (uint16_t)((head + 1u) % r->size);
    if (next == r->tail) {
        r->dropped++;
        return -IFB_EAGAIN;
    }
    r->slots[head] = *s;
    IFB_RING_BARRIER(); /* the slot is complete before head publishes it to the consumer */
    r->head = next;
    return IFB_EOK;
}

int ifb_ring_pop(ifb_ring_t *r, ifb_sample_t *s)
{
    uint16_t tail = r->tail;
    if (tail == r->head) return -IFB_EAGAIN;
    IFB_RING_BARRIER(); /* read the slot only after seeing head cover it */
    *s = r->slots[tail];
    IFB_RING_BARRIER(); /* finish reading the slot before tail hands it back to the producer */
    r->tail = (uint16_t)((tail + 1u) % r->size);
    return IFB_EOK;
}

uint16_t ifb_ring_used(const ifb_ring_t *r)
{
    return (uint16_t)((r->head + r->size - r->tail) % r->size);
}

void ifb_ring_clear(ifb_ring_t *r)
{
    r->tail = r->head;
}
