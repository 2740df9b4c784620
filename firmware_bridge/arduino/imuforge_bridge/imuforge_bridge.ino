/* imuforge bridge for the Arduino Nano 33 BLE Sense Rev2 (BMI270 + BMM150), over USB serial and BLE.
 *
 * Build: `make -C firmware_bridge nano33 CGEN_DIR=EXPORT_DIR/c NANO33_OUT=DIR` (below) puts this sketch and
 * every C file it needs in DIR/imuforge_bridge (Arduino compiles every file in the sketch folder);
 * install the libraries "Arduino_BMI270_BMM150" and "ArduinoBLE", board "Arduino Mbed OS Nano Boards"
 * → Nano 33 BLE. Then:  imuforge capture --port /dev/ttyACM0 ...  or imuforge capture --ble imuforge-nano33 ...
 *
 * This file is glue only: the protocol, framing, ring buffer, commands, HIL and the model are the portable
 * core and the export's generated C, tested on the host and in QEMU, and compiled for the nRF52840 by the
 * tests (tests/export/test_cgen_qemu.py, `make nano33`); this .ino itself needs the Arduino core, which CI lacks.
 *
 * HIL (imuforge hil --port /dev/ttyACM0 --model EXPORT_DIR ...): with IMUFORGE_HIL 1 the sketch also
 * answers the HIL messages (core/ifb_hil.c) with the exported model's generated C (EXPORT_DIR/c/,
 * imuforge_model_run: no interpreter, static arena, bit-identical to TFLM), the same C the QEMU firmware
 * runs. `make -C firmware_bridge nano33 CGEN_DIR=EXPORT_DIR/c NANO33_OUT=DIR` assembles the sketch folder
 * DIR/imuforge_bridge (this file, the portable core, model/ifb_cgen_model.c, the export's imuforge_model.h,
 * ifb_cgen_identity.h and imuforge_model.c as imuforge_model.inc, compiled with the SMLAD path through
 * ifb_model_dsp.c) and compiles every C file of it for the nRF52840 (Cortex-M4F, hard float), as the
 * tests do; open that folder in the Arduino IDE. The generated C plugs in behind the core's inference
 * interface ifb_model_t (model/ifb_cgen_model.c): the core does framing, chunked CRC-checked input
 * loading, runs/warm-up, timing and error replies. The identity (sha-256 and size of the export's
 * model.tflite, shapes, quantisation) comes from ifb_cgen_identity.h, so the host can tell exactly which
 * model the board runs; latency comes from the Cortex-M4 DWT cycle counter at SystemCoreClock (64 MHz on
 * the nRF52840); arena_used is the generated C's static arena (IMUFORGE_MODEL_RAM_BYTES).
 *
 * Limits of the Arduino_BMI270_BMM150 library: it configures the accelerometer at ±4 g and the
 * gyro at ±2000 dps, ODR 99.84 Hz (reported as 100 Hz here), and exposes values in g and dps;
 * we convert them back to LSB with the library's fixed scales, so the host receives the chip's
 * own resolution. Other ODRs/ranges are refused with ERROR UNSUPPORTED.
 */
#include <Arduino_BMI270_BMM150.h>
#include <ArduinoBLE.h>
extern "C" {
#include "ifb_proto.h"
#include "ifb_hil.h"
}

#define IMUFORGE_HIL 1
#if IMUFORGE_HIL
extern "C" {
#include "ifb_cgen_model.h" /* the export's generated C (imuforge_model_run) as an ifb_model_t */
}

static ifb_hil_t hil;

/* DWT cycle counter of the Cortex-M4: counts every core clock cycle, wraps at 2^32. */
static uint32_t dwt_cycles(void *) { return DWT->CYCCNT; }
static ifb_cycle_clock_t cycle_clock = {nullptr, dwt_cycles, 0};

static void hil_setup(ifb_device_t *d)
{
    CoreDebug->DEMCR |= CoreDebug_DEMCR_TRCENA_Msk;
    DWT->CYCCNT = 0;
    DWT->CTRL |= DWT_CTRL_CYCCNTENA_Msk;
    cycle_clock.hz = SystemCoreClock;
    ifb_cgen_model_set_name("nano33-cgen (generated C, SMLAD, nRF52840)");
    /* boot_id: the nRF52840's hardware RNG would do; the cycle counter after BLE/IMU start-up varies too */
    ifb_hil_init(&hil, ifb_cgen_model_get(), &cycle_clock, DWT->CYCCNT ^ micros());
    ifb_hil_attach(&hil, d);
}
#endif

static const float kOdrs[] = {100.0f};
static const float kAccRanges[] = {4.0f};
static const float kGyroRanges[] = {2000.0f};
static const float kAccLsbG = 4.0f / 32768.0f;       /* g per LSB at ±4 g */
static const float kGyroLsbDps = 2000.0f / 32768.0f; /* dps per LSB at ±2000 dps */

static BLEService service("6e1f0001-5a6b-4c8d-9e0f-696d75666f72");
static BLECharacteristic samplesChar("6e1f0002-5a6b-4c8d-9e0f-696d75666f72", BLENotify, 244);
static BLECharacteristic commandChar("6e1f0003-5a6b-4c8d-9e0f-696d75666f72", BLEWrite | BLEWriteWithoutResponse, 244);

static ifb_device_t dev;
static ifb_sample_t slots[128];
static bool streaming;

/* Writes go to USB serial always, and to BLE when a central is subscribed (frames fit 244 bytes). */
static void link_write(void *, const uint8_t *data, size_t len)
{
    Serial.write(data, len);
    if (BLE.connected() && samplesChar.subscribed()) {
        for (size_t o = 0; o < len; o += 244) samplesChar.writeValue(data + o, (len - o) > 244 ? 244 : (len - o));
    }
}

static uint64_t now_us(void *) { static uint32_t last, hi; uint32_t t = micros(); if (t < last) hi++; last = t; return ((uint64_t)hi << 32) | t; }

static int imu_configure(void *, ifb_config_t *c)
{
    if (c->odr_hz != 100.0f || c->acc_range_g != 4.0f || c->gyro_range_dps != 2000.0f) return -IFB_ENOTSUP;
    c->scales[0] = kAccLsbG * 9.80665f;
    c->scales[1] = kGyroLsbDps * 0.0174532925f;
    c->scales[2] = 0.0f;
    return 0;
}

static void imu_stream(void *, int on) { streaming = on; }

static const ifb_board_t board = {
    nullptr, link_write, now_us, imu_configure, imu_stream,
    "imuforge-bridge 1.1.0+hil", "Arduino Nano 33 BLE Sense Rev2", "bmi270,bmm150", "nano33-ble-sense-rev2",
    "nano33-0001", kOdrs, 1, kAccRanges, 1, kGyroRanges, 1, IFB_CH_ACC | IFB_CH_GYRO,
};

void setup()
{
    Serial.begin(921600);
    if (!IMU.begin()) { while (1) { } }
    BLE.begin();
    BLE.setLocalName("imuforge-nano33");
    BLE.setAdvertisedService(service);
    service.addCharacteristic(samplesChar);
    service.addCharacteristic(commandChar);
    BLE.addService(service);
    BLE.advertise();
    ifb_device_init(&dev, &board, slots, 128);
#if IMUFORGE_HIL
    hil_setup(&dev);
#endif
}

void loop()
{
    BLE.poll();
    while (Serial.available()) { uint8_t b = Serial.read(); ifb_device_rx(&dev, &b, 1); }
    if (commandChar.written()) ifb_device_rx(&dev, commandChar.value(), commandChar.valueLength());
    if (streaming && IMU.accelerationAvailable() && IMU.gyroscopeAvailable()) {
        float ax, ay, az, gx, gy, gz;
        IMU.readAcceleration(ax, ay, az);
        IMU.readGyroscope(gx, gy, gz);
        int16_t raw[6] = {
            (int16_t)lroundf(ax / kAccLsbG), (int16_t)lroundf(ay / kAccLsbG), (int16_t)lroundf(az / kAccLsbG),
            (int16_t)lroundf(gx / kGyroLsbDps), (int16_t)lroundf(gy / kGyroLsbDps), (int16_t)lroundf(gz / kGyroLsbDps),
        };
        ifb_device_push_sample(&dev, now_us(nullptr), raw);
    }
    ifb_device_poll(&dev);
}
