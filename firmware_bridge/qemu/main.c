/* imuforge bridge firmware for QEMU mps2-an386: streams the documented test signal
 * (core/ifb_formula.h) over CMSDK UART0 with the portable core, and answers the HIL messages
 * with a real int8 model (model/ifb_model_data.h, run by the reference kernels core/ifb_ref_mlp.c).
 *
 * HIL latency: SysTick counts the processor clock (CLKSOURCE = 1; mps2-an386 SYSCLK = 25 MHz in
 * QEMU), extended to 32 bits by its wrap interrupt. Under `-icount shift=N` QEMU's virtual clock
 * advances 2^N ns per instruction, so cycle counts measure the firmware's instruction count at a
 * stated emulated speed (shift=5: 31.25 M instructions/s against the 25 MHz SysTick clock);
 * without -icount they follow the host's speed and mean little.
 *
 * Clock: QEMU does not run in real time, so this port has a virtual device clock that advances
 * one sample period per sample produced (t_k = t_{k-1} + 1e6 / odr µs). Samples are produced
 * as fast as the UART drains, so 60 s of device time take well under 60 s of wall time, and the
 * capture on the host is exact: same data, same device timestamps as a real-time device. */
#include <stdint.h>
#include "ifb_formula.h"
#include "ifb_hil.h"
#include "ifb_proto.h"
/* The model HIL runs: the hand-made MLP (default), or an export's generated C (make cgen, see Makefile). */
#ifdef IFB_CGEN_MODEL
#include <string.h>
#include "ifb_cgen_model.h"
#define IFB_MODEL_GET qemu_cgen_model_get
#define QEMU_CGEN_PREFIX "qemu-cgen "
#define QEMU_CGEN_BOARD_NEUTRAL " (generated C)" /* how the export's own header ends the model's name */
#ifdef IFM_DSP
#define QEMU_CGEN_SUFFIX " (generated C, SMLAD, Cortex-M4)"
#else
#define QEMU_CGEN_SUFFIX " (generated C, Cortex-M4)"
#endif
#define QEMU_NAME_MAX 60u /* HIL_MODEL carries up to 60 characters */

/* The platform names itself in HIL_MODEL: the identity header names the model for any board ("NAME
 * (generated C)", imuforge.export.cgen.firmware.write_identity_header, the export's own or `hil
 * --qemu`'s), and this firmware makes it "qemu-cgen NAME (generated C[, SMLAD], Cortex-M4)", so a report says QEMU, not a board
 * (imuforge.hil.device.describe_device reads the prefix); the model's name is cut to fit, the platform's
 * words never are. */
static char qemu_cgen_name[QEMU_NAME_MAX + 1];

static const ifb_model_t *qemu_cgen_model_get(void)
{
    const ifb_model_t *m = ifb_cgen_model_get();
    const size_t p = sizeof QEMU_CGEN_PREFIX - 1, s = sizeof QEMU_CGEN_SUFFIX - 1;
    const size_t t = sizeof QEMU_CGEN_BOARD_NEUTRAL - 1;
    size_t n = strlen(m->name);
    if (strncmp(m->name, QEMU_CGEN_PREFIX, p) == 0)
        return m; /* a header an older imuforge wrote for QEMU: named already */
    if (n >= t && strcmp(m->name + n - t, QEMU_CGEN_BOARD_NEUTRAL) == 0)
        n -= t;
    if (n > QEMU_NAME_MAX - p - s)
        n = QEMU_NAME_MAX - p - s;
    memcpy(qemu_cgen_name, QEMU_CGEN_PREFIX, p);
    memcpy(qemu_cgen_name + p, m->name, n);
    memcpy(qemu_cgen_name + p + n, QEMU_CGEN_SUFFIX, s + 1);
    ifb_cgen_model_set_name(qemu_cgen_name);
    return m;
}
#else
#include "ifb_mlp_model.h"
#define IFB_MODEL_GET ifb_mlp_model_get
#endif

typedef struct {
    volatile uint32_t DATA, STATE, CTRL, INTSTATUS, BAUDDIV;
} cmsdk_uart_t;
#define UART0 ((cmsdk_uart_t *)0x40004000u)
#define UART_TX_FULL 0x1u
#define UART_RX_FULL 0x2u

typedef struct {
    volatile uint32_t CTRL, LOAD, VAL, CALIB;
} systick_t;
#define SYSTICK ((systick_t *)0xE000E010u)
#define SYSCLK_HZ 25000000u

static volatile uint32_t systick_wraps;
void SysTick_Handler(void) { systick_wraps++; }

/* SysTick (24-bit, counting down) extended to a 32-bit up-counter of processor cycles. */
static uint32_t cycles(void *ctx)
{
    (void)ctx;
    uint32_t hi, v;
    do {
        hi = systick_wraps;
        v = SYSTICK->VAL;
    } while (hi != systick_wraps);
    return (hi << 24) + (0xFFFFFFu - v);
}

static const ifb_cycle_clock_t cycle_clock = {0, cycles, SYSCLK_HZ};

/* boot counter in no-init RAM: a warm reset increments it (a fresh QEMU starts it at 1) */
#define BOOT_MAGIC 0x1F0B0071u
__attribute__((section(".noinit"))) static uint32_t boot_magic, boot_count;

static uint64_t vclock_us;   /* virtual device clock, µs */
static uint32_t period_us = 10000u;
static int producing;

static void uart_write(void *ctx, const uint8_t *d, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        while (UART0->STATE & UART_TX_FULL) { }
        UART0->DATA = d[i];
    }
}

static uint64_t now_us(void *ctx) { (void)ctx; return vclock_us; }

static const float odrs[] = {25.0f, 50.0f, 100.0f, 200.0f, 400.0f, 500.0f, 1000.0f};
static const float acc_ranges[] = {4.0f};
static const float gyro_ranges[] = {2000.0f};

static int imu_configure(void *ctx, ifb_config_t *c)
{
    (void)ctx;
    uint32_t odr = (uint32_t)c->odr_hz;
    int ok = 0;
    for (unsigned i = 0; i < sizeof odrs / sizeof *odrs; i++) ok |= (odrs[i] == c->odr_hz);
    if (!ok || c->acc_range_g != 4.0f || c->gyro_range_dps != 2000.0f) return -IFB_ENOTSUP;
    period_us = 1000000u / odr;
    c->scales[0] = 4.0f * 9.80665f / 32768.0f;                  /* m/s² per LSB at ±4 g */
    c->scales[1] = 2000.0f * 3.14159265358979f / 180.0f / 32768.0f; /* rad/s per LSB at ±2000 dps */
    c->scales[2] = 0.0f;
    return 0;
}

static void imu_stream(void *ctx, int on) { (void)ctx; producing = on; }

static const ifb_board_t board = {
    0, uart_write, now_us, imu_configure, imu_stream,
    "imuforge-bridge 1.1.0+hil", "qemu-mps2-an386", "formula", "qemu-formula", "qemu-an386-0001",
    odrs, sizeof odrs / sizeof *odrs, acc_ranges, 1, gyro_ranges, 1, IFB_CH_ACC | IFB_CH_GYRO,
};

static ifb_device_t dev;
static ifb_hil_t hil;
static ifb_sample_t slots[256];

int main(void)
{
    UART0->BAUDDIV = 16;
    UART0->CTRL = 0x3u; /* TX and RX enable */
    SYSTICK->LOAD = 0xFFFFFFu;
    SYSTICK->VAL = 0;
    SYSTICK->CTRL = 0x7u; /* processor clock, interrupt on wrap, enable */
    if (boot_magic != BOOT_MAGIC) { boot_magic = BOOT_MAGIC; boot_count = 0; }
    boot_count++;
    ifb_device_init(&dev, &board, slots, 256);
    ifb_hil_init(&hil, IFB_MODEL_GET(), &cycle_clock, 0x51A70000u ^ boot_count);
    ifb_hil_attach(&hil, &dev);
    for (;;) {
        while (UART0->STATE & UART_RX_FULL) {
            uint8_t b = (uint8_t)UART0->DATA;
            ifb_device_rx(&dev, &b, 1);
        }
        if (producing && ifb_ring_used(&dev.ring) < 128u) {
            int16_t raw[6];
            uint32_t k = dev.next_index;
            for (unsigned c = 0; c < 6; c++) raw[c] = ifb_formula_raw(k, c);
            ifb_device_push_sample(&dev, vclock_us, raw);
            vclock_us += period_us;
        }
        ifb_device_poll(&dev);
    }
}
