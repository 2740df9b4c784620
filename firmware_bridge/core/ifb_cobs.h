/* Consistent Overhead Byte Stuffing. Encoded output never contains 0x00; frames end with 0x00.
 * Return convention: ifb_err.h (a length >= 0, or a negative IFB_E* code; nothing written on error). */
#ifndef IFB_COBS_H
#define IFB_COBS_H
#include <stddef.h>
#include <stdint.h>
#include "ifb_err.h"

#define IFB_COBS_MAX_ENCODED(n) ((n) + (n) / 254u + 1u)

/* Encode len bytes into out (capacity cap). No delimiter is appended. Returns the encoded length,
 * or -IFB_ENOSPC if cap < IFB_COBS_MAX_ENCODED(len), or -IFB_EOVERFLOW if that length does not
 * fit an int32_t. */
int32_t ifb_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* Decode len bytes (delimiter removed) into out (capacity cap). Returns the decoded length, or
 * -IFB_EBADMSG if the input is not valid COBS (empty, a 0x00 byte, a code past the end),
 * -IFB_ENOSPC if the decoded bytes do not fit cap, -IFB_EOVERFLOW if len does not fit an int32_t.
 * The input is checked before anything is written. In-place (out == in) is allowed. */
int32_t ifb_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif
