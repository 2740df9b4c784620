/* Little-endian byte helpers: every multi-byte field of the bridge protocol is little-endian,
 * whatever the CPU's byte order. Byte-by-byte, so p needs no alignment. Floats travel as the
 * IEEE-754 bits of a binary32 (copied with memcpy, no type-punning through pointers). */
#ifndef IFB_BYTES_H
#define IFB_BYTES_H
#include <stdint.h>
#include <string.h>

static inline void ifb_put_u16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void ifb_put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void ifb_put_u64le(uint8_t *p, uint64_t v)
{
    ifb_put_u32le(p, (uint32_t)v);
    ifb_put_u32le(p + 4, (uint32_t)(v >> 32));
}

static inline void ifb_put_i16le(uint8_t *p, int16_t v) { ifb_put_u16le(p, (uint16_t)v); }
static inline void ifb_put_i32le(uint8_t *p, int32_t v) { ifb_put_u32le(p, (uint32_t)v); }

static inline void ifb_put_f32le(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    ifb_put_u32le(p, u);
}

static inline uint16_t ifb_get_u16le(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

static inline uint32_t ifb_get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t ifb_get_u64le(const uint8_t *p)
{
    return (uint64_t)ifb_get_u32le(p) | (uint64_t)ifb_get_u32le(p + 4) << 32;
}

/* Two's complement from the unsigned bits, without implementation-defined conversions. */
static inline int16_t ifb_get_i16le(const uint8_t *p)
{
    uint16_t u = ifb_get_u16le(p);
    return u < 0x8000u ? (int16_t)u : (int16_t)(-(int32_t)(0x10000u - u));
}

static inline int32_t ifb_get_i32le(const uint8_t *p)
{
    uint32_t u = ifb_get_u32le(p);
    return u < 0x80000000u ? (int32_t)u : (int32_t)(-(int64_t)(0x100000000u - (uint64_t)u));
}

static inline float ifb_get_f32le(const uint8_t *p)
{
    uint32_t u = ifb_get_u32le(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

#endif
