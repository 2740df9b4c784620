/* imuforge bridge for the Arduino Nano 33 BLE Sense Rev2 (BMI270 + BMM150), over USB serial and BLE.
 *
 * Build: copy ../../core/ifb_*.{c,h} next to this sketch (Arduino compiles every file in the
 * sketch folder), install the libraries "Arduino_BMI270_BMM150" and "ArduinoBLE", board
 * "Arduino Mbed OS Nano Boards" → Nano 33 BLE. Then:  imuforge capture --port /dev/ttyACM0 ...
 * or imuforge capture --ble imuforge-nano33 ...
 *
 * This file is glue only: the protocol, framing, ring buffer and commands are the portable core
 * tested on the host and in QEMU. Not compiled in CI (no Arduino toolchain there).
 *
 * HIL (imuforge hil --port /dev/ttyACM0 --model EXPORT_DIR ...): with IMUFORGE_HIL 1 the sketch also
 * answers the HIL messages (core/ifb_hil.c) with the exported model on TensorFlow Lite Micro. Copy
 * the export folder's model.h/model.c next to the sketch and install a TFLM Arduino library
 * ("Arduino_TensorFlowLite" / tflite-micro-arduino-examples). TFLM plugs in behind the core's
 * inference interface ifb_model_t (tflm_invoke / tflm_arena_used below): the core does framing,
 * chunked CRC-checked input loading, runs/warm-up, timing and error replies. The identity is the
 * sha-256 of the flashed flatbuffer (computed at boot with Mbed OS's mbedtls), so the host can
 * tell exactly which model the board runs; latency comes from the Cortex-M4 DWT cycle counter at
 * SystemCoreClock (64 MHz on the nRF52840). The same core with a reference-kernel model instead of
 * TFLM is built and tested end to end in QEMU (../../qemu, ../../model).
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
#include <TensorFlowLite.h>
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "mbedtls/sha256.h"
#include "model.h" /* from imuforge export: <name>_data, <name>_data_len, <NAME>_ARENA_BYTES */
/* Rename to your export's symbols (the export name "imuforge_model" gives these). */
#define MODEL_DATA imuforge_model_data
#define MODEL_LEN imuforge_model_data_len
#define MODEL_ARENA IMUFORGE_MODEL_ARENA_BYTES

alignas(16) static uint8_t tensor_arena[MODEL_ARENA];
static tflite::MicroInterpreter *interpreter;
static uint8_t model_sha256[32];
static ifb_model_t hil_model;
static ifb_hil_t hil;

/* ifb_model_t.invoke: copy the int8 window into the input tensor, Invoke(), copy the output out. */
static int tflm_invoke(void *, const uint8_t *input, uint8_t *output)
{
    TfLiteTensor *in = interpreter->input(0), *out = interpreter->output(0);
    memcpy(in->data.int8, input, in->bytes);
    if (interpreter->Invoke() != kTfLiteOk) return -IFB_EIO;
    memcpy(output, out->data.int8, out->bytes);
    return 0;
}

static uint32_t tflm_arena_used(void *) { return (uint32_t)interpreter->arena_used_bytes(); }

/* DWT cycle counter of the Cortex-M4: counts every core clock cycle, wraps at 2^32. */
static uint32_t dwt_cycles(void *) { return DWT->CYCCNT; }
static ifb_cycle_clock_t cycle_clock = {nullptr, dwt_cycles, 0};

static void tensor_info(const TfLiteTensor *t, ifb_tensor_info_t *info)
{
    info->rank = (uint8_t)t->dims->size;
    for (int i = 0; i < t->dims->size && i < (int)IFB_HIL_MAX_RANK; i++) info->dims[i] = (uint32_t)t->dims->data[i];
    info->dtype = t->type == kTfLiteInt8 ? IFB_DT_INT8 : t->type == kTfLiteUInt8 ? IFB_DT_UINT8
                : t->type == kTfLiteInt16 ? IFB_DT_INT16 : IFB_DT_FLOAT32;
    info->scale = t->params.scale;
    info->zero_point = t->params.zero_point;
}

static void hil_setup(ifb_device_t *d)
{
    CoreDebug->DEMCR |= CoreDebug_DEMCR_TRCENA_Msk;
    DWT->CYCCNT = 0;
    DWT->CTRL |= DWT_CTRL_CYCCNTENA_Msk;
    cycle_clock.hz = SystemCoreClock;
    mbedtls_sha256(MODEL_DATA, MODEL_LEN, model_sha256, 0);
    /* the ops of the imuforge zoo (see src/imuforge/export/tflm.py TFLM_BUILTIN_OPS) */
    static tflite::MicroMutableOpResolver<12> resolver;
    resolver.AddConv2D(); resolver.AddDepthwiseConv2D(); resolver.AddMaxPool2D(); resolver.AddMean();
    resolver.AddFullyConnected(); resolver.AddSoftmax(); resolver.AddReshape(); resolver.AddExpandDims();
    resolver.AddAdd(); resolver.AddShape(); resolver.AddStridedSlice(); resolver.AddPack();
    static tflite::MicroInterpreter interp(tflite::GetModel(MODEL_DATA), resolver, tensor_arena, sizeof tensor_arena);
    interpreter = &interp;
    const ifb_model_t *model = nullptr;
    if (interpreter->AllocateTensors() == kTfLiteOk) {
        hil_model.name = "imuforge (TFLM)";
        hil_model.sha256 = model_sha256;
        hil_model.size = MODEL_LEN;
        hil_model.arena_size = sizeof tensor_arena;
        tensor_info(interpreter->input(0), &hil_model.input);
        tensor_info(interpreter->output(0), &hil_model.output);
        hil_model.invoke = tflm_invoke;
        hil_model.arena_used = tflm_arena_used;
        model = &hil_model;
    } /* else: every HIL command answers NO_MODEL */
    /* boot_id: the nRF52840's hardware RNG would do; the cycle counter after BLE/IMU start-up varies too */
    ifb_hil_init(&hil, model, &cycle_clock, DWT->CYCCNT ^ micros());
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
