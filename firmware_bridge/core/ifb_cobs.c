#include "ifb_cobs.h"

int32_t ifb_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t o = 1, code_at = 0;
    uint8_t code = 1;
    if (len > (size_t)INT32_MAX - len / 254u - 1u) return -IFB_EOVERFLOW;
    if (cap < IFB_COBS_MAX_ENCODED(len)) return -IFB_ENOSPC;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = in[i];
            if (++code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    return (int32_t)o;
}

/* Length of the decoded data, or a negative code if in is not valid COBS. Reads only. */
static int32_t decoded_length(const uint8_t *in, size_t len)
{
    size_t i = 0, o = 0;
    if (len == 0) return -IFB_EBADMSG;
    if (len > (size_t)INT32_MAX) return -IFB_EOVERFLOW;
    while (i < len) {
        uint8_t code = in[i++];
        if (code == 0 || i + code - 1u > len) return -IFB_EBADMSG;
        for (uint8_t k = 1; k < code; k++)
            if (in[i++] == 0) return -IFB_EBADMSG;
        o += code - 1u;
        if (code != 0xFF && i < len) o++;
    }
    return (int32_t)o; /* o < len: COBS never expands on decoding */
}

int32_t ifb_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    int32_t n = decoded_length(in, len);
    if (n < 0) return n;
    if ((size_t)n > cap) return -IFB_ENOSPC;
    /* Valid and fits: decode. The write index never passes the read index, so in place is safe. */
    size_t i = 0, o = 0;
    while (i < len) {
        uint8_t code = in[i++];
        for (uint8_t k = 1; k < code; k++) out[o++] = in[i++];
        if (code != 0xFF && i < len) out[o++] = 0;
    }
    return n;
}
