"""The int8 kernels the generated C calls, as C99 text pasted into ``<name>.c`` (all ``static``).

Written for imuforge from the documented integer arithmetic of TensorFlow Lite Micro's
reference kernels (repository tensorflow/tflite-micro), so that the results are bit-identical:

- ``srdhm``: gemmlowp ``SaturatingRoundingDoublingHighMul`` (fixedpoint/fixedpoint.h): the high
  32 bits of 2·a·b, rounded half away from zero, saturating only for INT32_MIN · INT32_MIN.
- ``rdbpot``: gemmlowp ``RoundingDivideByPOT``: arithmetic right shift rounding half away from zero.
- ``mbqm``: TFLM ``MultiplyByQuantizedMultiplier`` (kernels/internal/common.cc, double rounding,
  the default build without TFLITE_SINGLE_ROUNDING): ``rdbpot(srdhm(x << left, m), right)``.
- conv / depthwise conv / fully connected (reference/integer_ops/conv.h, depthwise_conv.h,
  fully_connected.h): int32 accumulation of ``w · (x + input_offset)``, padding taps skipped,
  + bias, per-channel ``mbqm``, + output zero point, clamp to the fused activation range.
- max / average pooling (reference/integer_ops/pooling.h): window clipped to the input; the
  average rounds half away from zero: ``(sum ± count/2) / count``.
- add (reference/integer_ops/add.h with left_shift 20): both inputs shifted left 20, scaled by
  ``rdbpot(srdhm(x, m), -shift)``, summed, scaled again, + output zero point, clamped.
- mean (reference/reduce.h ``QuantizedMeanOrSum``): int32 sum, ``sum - in_zp · n``, then
  ``mbqm`` with the multiplier already divided by n (done in Python, see ``quant.py``).
- softmax (reference/softmax.h, int8 → int8): gemmlowp fixed point with 5 integer bits for the
  scaled difference, ``exp_on_negative_values``, a 12-integer-bit accumulator, the reciprocal by
  ``one_over_one_plus_x_for_x_in_0_1`` (Newton–Raphson, constants 48/17 and -32/17).

Beyond the reference kernels' loops (the sums and roundings are the same; see docs/CGEN.md): the
convolutions unpack one output position's window once into a 16-bit buffer in the arena and run it
against four output channels per pass, with weights packed at export time (``lower.packed_weights``
/ ``packed_weights16``); sums start from the bias; the requantisation is one 64-bit
multiply-accumulate with a per-channel addend table (``ifm_requant``, derivation there).

``IFM_DSP`` (compile-time switch, Cortex-M4/M7 with the DSP extension) selects SXTAB16/SXTB16 +
SMLAD dual 16-bit multiply-accumulates (convolutions, FC), SMLABB/SMLATT (depthwise) and SSUB8/SEL
(max pooling). Integer sums do not depend on order, so the results stay bit-identical. On a compiler
without ``__ARM_FEATURE_DSP`` (the host) those instructions are portable C with the ARM ARM's
semantics, so a host build with ``-DIFM_DSP`` runs the DSP path's layouts and loops (tested).

Right shifts of negative numbers are arithmetic in GCC, Clang and arm-none-eabi-gcc (C99 leaves
it implementation-defined; the generated file checks it with a static assertion).
"""

KERNELS_C = r"""
/* ---- integer arithmetic (see imuforge/export/cgen/kernels.py for the TFLM sources) ---- */
typedef char ifm_arith_shift_check[((-8 >> 1) == -4) ? 1 : -1];

#if IFM_USE_MEAN || IFM_USE_ADD || IFM_USE_SOFTMAX || IFM_USE_RELU
static int32_t ifm_srdhm(int32_t a, int32_t b) {
  int64_t ab;
  int64_t nudge;
  if (a == b && a == INT32_MIN) return INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
  nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t ifm_rdbpot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

#endif

#if IFM_USE_MEAN || IFM_USE_RELU
static int32_t ifm_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? (int)shift : 0;
  const int right = shift > 0 ? 0 : (int)-shift;
  return ifm_rdbpot(ifm_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

#endif

#if IFM_USE_POOL || IFM_USE_ADD || IFM_USE_MEAN || IFM_USE_RELU || IFM_USE_SOFTMAX
static int8_t ifm_clamp8(int32_t v, int32_t lo, int32_t hi) {
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}
#endif

#if IFM_USE_CONV || IFM_USE_DEPTHWISE || IFM_USE_FC
/* TFLM MultiplyByQuantizedMultiplier(acc, m, shift) + output offset, clamped, where acc already holds
 * the bias (the kernels start their sums from it), for the output channel whose row of the
 * requantisation table is q = {bias, m, e - 1 (or -1 for e = 0), left shift, addend for x >= 0 (low,
 * high word), addend for x < 0 (low, high word)}, e the right shift.
 *
 * TFLM: x = acc << left; h = srdhm(x, m); r = rdbpot(h, e). For m >= 0 (QuantizeMultiplier never
 * gives less) srdhm(x, m) = floor((x·m + 2^30) / 2^31) exactly (gemmlowp's ±nudge and its division
 * truncating toward zero agree with this floor for either sign of x·m), and for e >= 1
 * rdbpot(h, e) = floor((h + 2^(e-1) - [h < 0]) / 2^e); [h < 0] may be replaced by [x < 0] (they differ
 * only when h = 0, where both give 0), and the two floors nest into one:
 *   r = floor((x·m + 2^30 + (2^(e-1) - [x < 0])·2^31) / 2^(31+e)),
 * one 64-bit multiply-accumulate with a per-channel addend (the table's, chosen by the sign of x) and
 * one shift of the high word by e - 1. For e = 0, r = floor((x·m + 2^30) / 2^31). */
static inline int8_t ifm_requant(int32_t acc, const int32_t *q, int32_t out_offset, int32_t lo, int32_t hi) {
  const int32_t x = (int32_t)((uint32_t)acc << q[3]);
  const int32_t *add = q + 4 + 2 * (int32_t)((uint32_t)x >> 31);
  const int64_t t = (int64_t)x * q[1] + (int64_t)(((uint64_t)(uint32_t)add[1] << 32) | (uint32_t)add[0]);
  const int32_t v = (q[2] < 0 ? (int32_t)(t >> 31) : ((int32_t)(t >> 32) >> q[2])) + out_offset;
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}
#endif

#if IFM_USE_CONV
/* ifm_requant for a channel without left shift and with e >= 1 (ifm_conv_t.rq_simple: all channels so) */
static inline int8_t ifm_requant_r(int32_t x, const int32_t *q, int32_t out_offset, int32_t lo, int32_t hi) {
  const int32_t *add = q + 4 + 2 * (int32_t)((uint32_t)x >> 31);
  const int64_t t = (int64_t)x * q[1] + (int64_t)(((uint64_t)(uint32_t)add[1] << 32) | (uint32_t)add[0]);
  const int32_t v = ((int32_t)(t >> 32) >> q[2]) + out_offset;
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}
#endif

#if defined(IFM_DSP) && (IFM_USE_CONV || IFM_USE_DEPTHWISE || IFM_USE_FC || IFM_USE_POOL)
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* Cortex-M4/M7 DSP instructions */
static inline uint32_t ifm_sxtb16(uint32_t v) { uint32_t r; __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(v)); return r; }
static inline uint32_t ifm_sxtb16_r8(uint32_t v) {
  uint32_t r; __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v)); return r;
}
static inline uint32_t ifm_sxtab16(uint32_t a, uint32_t v) {
  uint32_t r; __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(v)); return r;
}
static inline uint32_t ifm_sxtab16_r8(uint32_t a, uint32_t v) {
  uint32_t r; __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v)); return r;
}
static inline int32_t ifm_smlad(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r; __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc)); return r;
}
static inline int32_t ifm_smlabb(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r; __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc)); return r;
}
static inline int32_t ifm_smlatt(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r; __asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc)); return r;
}
/* four signed bytes at once: SSUB8 sets a GE flag per byte where a >= b, SEL takes those bytes of a */
static inline uint32_t ifm_max4(uint32_t a, uint32_t b) {
  uint32_t r; __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b)); return r;
}
#else
/* The same instructions in portable C (ARM ARM semantics), so that a host build with -DIFM_DSP runs,
 * and the tests check, the very data layouts and loops of the DSP path. */
static inline uint32_t ifm_lanes(int32_t lo, int32_t hi) { return (uint32_t)(uint16_t)lo | ((uint32_t)(uint16_t)hi << 16); }
static inline int32_t ifm_lo(uint32_t v) { return (int16_t)(uint16_t)(v & 0xFFFFu); }
static inline int32_t ifm_hi(uint32_t v) { return (int16_t)(uint16_t)(v >> 16); }
static inline uint32_t ifm_sxtb16(uint32_t v) { return ifm_lanes((int8_t)(v & 0xFFu), (int8_t)((v >> 16) & 0xFFu)); }
static inline uint32_t ifm_sxtb16_r8(uint32_t v) { return ifm_sxtb16((v >> 8) | (v << 24)); }
static inline uint32_t ifm_sxtab16(uint32_t a, uint32_t v) {
  const uint32_t e = ifm_sxtb16(v);
  return ifm_lanes(ifm_lo(a) + ifm_lo(e), ifm_hi(a) + ifm_hi(e));
}
static inline uint32_t ifm_sxtab16_r8(uint32_t a, uint32_t v) { return ifm_sxtab16(a, (v >> 8) | (v << 24)); }
static inline int32_t ifm_smlad(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(ifm_lo(a) * ifm_lo(b)) + (uint32_t)(ifm_hi(a) * ifm_hi(b)));
}
static inline int32_t ifm_smlabb(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(ifm_lo(a) * ifm_lo(b)));
}
static inline int32_t ifm_smlatt(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(ifm_hi(a) * ifm_hi(b)));
}
static inline uint32_t ifm_max4(uint32_t a, uint32_t b) {
  uint32_t r = 0;
  int i;
  for (i = 0; i < 32; i += 8) {
    const int8_t x = (int8_t)((a >> i) & 0xFFu), y = (int8_t)((b >> i) & 0xFFu);
    r |= (uint32_t)(uint8_t)(x >= y ? x : y) << i;
  }
  return r;
}
#endif
#endif

#if IFM_USE_CONV || IFM_USE_FC
static inline uint32_t ifm_load4(const int8_t *s) { uint32_t v; memcpy(&v, s, 4); return v; }

/* The first n (< 4) bytes of s in a word, the others zero. */
static inline uint32_t ifm_load_tail(const int8_t *s, int n) {
  uint32_t v = 0;
  int j;
  for (j = 0; j < n; ++j) v |= (uint32_t)(uint8_t)s[j] << (8 * j);
  return v;
}

/* Packed weights (written by the export): output channels in groups of four; within a group, per four
 * consecutive taps, one word of four int8 weights (little-endian, tap order) per channel: the four
 * channels' words are adjacent, so one pass over the inputs feeds four accumulators. Rows are padded
 * with zero weights to a multiple of four taps, the channels with zero rows to a multiple of four.
 * Inputs of four taps (x + input offset, 16 bits each) are held as two words: (x0, x2) and (x1, x3),
 * the lanes SXTAB16 produces; (SXTB16 w, SMLAD x02) + (SXTB16 w ror 8, SMLAD x13) = w·x. */
static inline void ifm_mac4x4(const uint32_t *w, uint32_t x02, uint32_t x13, int32_t *a) {
#if defined(IFM_DSP)
  a[0] = ifm_smlad(ifm_sxtb16(w[0]), x02, a[0]);
  a[0] = ifm_smlad(ifm_sxtb16_r8(w[0]), x13, a[0]);
  a[1] = ifm_smlad(ifm_sxtb16(w[1]), x02, a[1]);
  a[1] = ifm_smlad(ifm_sxtb16_r8(w[1]), x13, a[1]);
  a[2] = ifm_smlad(ifm_sxtb16(w[2]), x02, a[2]);
  a[2] = ifm_smlad(ifm_sxtb16_r8(w[2]), x13, a[2]);
  a[3] = ifm_smlad(ifm_sxtb16(w[3]), x02, a[3]);
  a[3] = ifm_smlad(ifm_sxtb16_r8(w[3]), x13, a[3]);
#else
  const int32_t x0 = (int16_t)(uint16_t)(x02 & 0xFFFFu), x2 = (int16_t)(uint16_t)(x02 >> 16);
  const int32_t x1 = (int16_t)(uint16_t)(x13 & 0xFFFFu), x3 = (int16_t)(uint16_t)(x13 >> 16);
#define IFM_MAC8(j)                                                                                           \
  a[j] += (int8_t)(w[j] & 0xFFu) * x0 + (int8_t)((w[j] >> 8) & 0xFFu) * x1 + (int8_t)((w[j] >> 16) & 0xFFu) * x2 + \
          (int8_t)(w[j] >> 24) * x3
  IFM_MAC8(0);
  IFM_MAC8(1);
  IFM_MAC8(2);
  IFM_MAC8(3);
#undef IFM_MAC8
#endif
}

#if IFM_USE_CONV
/* The same with the weights already sign-extended at export time (ifm_conv_t.w16): per channel two words
 * (w0, w2), (w1, w3) of 16-bit lanes, the four channels' pairs adjacent: two SMLADs per channel, no unpacking. */
static inline void ifm_mac4x4_w16(const uint32_t *w, uint32_t x02, uint32_t x13, int32_t *a) {
#if defined(IFM_DSP)
  a[0] = ifm_smlad(w[1], x13, ifm_smlad(w[0], x02, a[0]));
  a[1] = ifm_smlad(w[3], x13, ifm_smlad(w[2], x02, a[1]));
  a[2] = ifm_smlad(w[5], x13, ifm_smlad(w[4], x02, a[2]));
  a[3] = ifm_smlad(w[7], x13, ifm_smlad(w[6], x02, a[3]));
#else
  const int32_t x0 = (int16_t)(uint16_t)(x02 & 0xFFFFu), x2 = (int16_t)(uint16_t)(x02 >> 16);
  const int32_t x1 = (int16_t)(uint16_t)(x13 & 0xFFFFu), x3 = (int16_t)(uint16_t)(x13 >> 16);
  /* written out per channel and product: GCC keeps the four sums in registers and chains
   * multiply-accumulates into them (with a loop over j, or a sum of products, it did not) */
#define IFM_MAC16(j)                                               \
  a[j] += (int16_t)(uint16_t)(w[2 * (j)] & 0xFFFFu) * x0;          \
  a[j] += (int16_t)(uint16_t)(w[2 * (j)] >> 16) * x2;              \
  a[j] += (int16_t)(uint16_t)(w[2 * (j) + 1] & 0xFFFFu) * x1;      \
  a[j] += (int16_t)(uint16_t)(w[2 * (j) + 1] >> 16) * x3
  IFM_MAC16(0);
  IFM_MAC16(1);
  IFM_MAC16(2);
  IFM_MAC16(3);
#undef IFM_MAC16
#endif
}
#endif

/* four taps of bytes + offset → the two lane words (x0, x2), (x1, x3) */
static inline void ifm_unpack4(uint32_t v, uint32_t off2, uint32_t *x02, uint32_t *x13) {
#if defined(IFM_DSP)
  *x02 = ifm_sxtab16(off2, v);
  *x13 = ifm_sxtab16_r8(off2, v);
#else
  const int32_t off = (int16_t)(uint16_t)(off2 & 0xFFFFu);
  *x02 = (uint32_t)(uint16_t)((int8_t)(v & 0xFFu) + off) | ((uint32_t)(uint16_t)((int8_t)((v >> 16) & 0xFFu) + off) << 16);
  *x13 = (uint32_t)(uint16_t)((int8_t)((v >> 8) & 0xFFu) + off) | ((uint32_t)(uint16_t)((int8_t)(v >> 24) + off) << 16);
#endif
}

/* the requantised outputs of a group of n (<= 4) channels */
static inline void ifm_store4(int8_t *o, const int32_t *a, const int32_t *q, int n, int32_t out_offset,
                              int32_t lo, int32_t hi) {
  int j;
  if (n == 4) {
    o[0] = ifm_requant(a[0], q, out_offset, lo, hi);
    o[1] = ifm_requant(a[1], q + 8, out_offset, lo, hi);
    o[2] = ifm_requant(a[2], q + 16, out_offset, lo, hi);
    o[3] = ifm_requant(a[3], q + 24, out_offset, lo, hi);
    return;
  }
  for (j = 0; j < n; ++j) o[j] = ifm_requant(a[j], q + 8 * j, out_offset, lo, hi);
}
#endif

#if IFM_USE_CONV || IFM_USE_DEPTHWISE
typedef struct {
  int in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
  int stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, depth_mult;
  int32_t in_offset, out_offset, act_min, act_max;
  const int8_t *w;        /* depthwise: [k_h][k_w][out_c]; conv: NULL */
  const uint32_t *wp;     /* conv: packed weights (ifm_mac4x4); depthwise: NULL */
  const int32_t *q;       /* per output channel (groups of four for conv): the requantisation table, 8 words */
  int kp;                 /* conv: taps per output channel (k_h·k_w·in_c) rounded up to a multiple of 4 */
  int w16;                /* conv: wp holds 16-bit weight pairs (ifm_mac4x4_w16) instead of int8 words */
  int rq_simple;          /* conv: no channel has a left shift or a zero right shift (ifm_requant_r) */
} ifm_conv_t;
#endif

#if IFM_USE_CONV
/* The window of one output position as lane words (kp / 2 of them): taps outside the input are
 * zero (TFLM skips them), so are the padding taps past k_h·k_w·in_c (their weights are zero too). */
static void ifm_conv_patch(const ifm_conv_t *p, const int8_t *in, int y0, int x0, uint32_t *restrict patch) {
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->in_offset << 16) | (uint16_t)(int16_t)p->in_offset;
  const int run = p->k_w * p->in_c;   /* taps of one kernel row */
  int ky, kx, ic;
  if (p->dil_w == 1 && x0 >= 0 && x0 + p->k_w <= p->in_w && (p->k_h == 1 || run % 4 == 0)) {
    /* every kernel row lies inside the input in x: rows are contiguous bytes, converted four at a time */
    for (ky = 0; ky < p->k_h; ++ky) {
      const int y = y0 + p->dil_h * ky;
      uint32_t *d = patch + (ky * run / 4) * 2;
      int i;
      if (y < 0 || y >= p->in_h) {
        memset(d, 0, (size_t)((run + 3) / 4) * 8);
        continue;
      }
      {
        const int8_t *s = in + (y * p->in_w + x0) * p->in_c;
        for (i = 0; i + 4 <= run; i += 4, d += 2) ifm_unpack4(ifm_load4(s + i), off2, d, d + 1);
        if (i < run) ifm_unpack4(ifm_load_tail(s + i, run - i), off2, d, d + 1);
      }
    }
    return;
  }
  memset(patch, 0, (size_t)p->kp * 2);
  for (ky = 0; ky < p->k_h; ++ky) {
    const int y = y0 + p->dil_h * ky;
    if (y < 0 || y >= p->in_h) continue;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int x = x0 + p->dil_w * kx;
      const int8_t *s = in + (y * p->in_w + x) * p->in_c;
      if (x < 0 || x >= p->in_w) continue;
      for (ic = 0; ic < p->in_c; ++ic) {
        const int k = (ky * p->k_w + kx) * p->in_c + ic;   /* lane k % 4 of group k / 4 */
        patch[(k >> 2) * 2 + (k & 1)] |= (uint32_t)(uint16_t)((int32_t)s[ic] + p->in_offset) << (16 * ((k >> 1) & 1));
      }
    }
  }
}

static void ifm_conv2d(const ifm_conv_t *p, const int8_t *in, int8_t *out, uint32_t *restrict patch) {
  const int nq = p->kp / 4;
  const uint32_t *const xe = patch + 2 * nq;
  int oy, ox, oc;
  for (oy = 0; oy < p->out_h; ++oy) {
    for (ox = 0; ox < p->out_w; ++ox) {
      const uint32_t *restrict w = p->wp;
      const int32_t *q = p->q;
      int8_t *o = out + (oy * p->out_w + ox) * p->out_c;
      ifm_conv_patch(p, in, oy * p->stride_h - p->pad_h, ox * p->stride_w - p->pad_w, patch);
      for (oc = 0; oc < p->out_c; oc += 4, q += 32) {   /* four output channels per pass over the window */
        int32_t a[4];
        a[0] = q[0];   /* the sums start from the biases */
        a[1] = q[8];
        a[2] = q[16];
        a[3] = q[24];
        const uint32_t *restrict x = patch;
        if (p->w16) {
#if defined(IFM_DSP) && defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
          /* the same step in assembly: GCC loads the eight weight words one by one, LDRD takes two */
          int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
          do {
            uint32_t x02, x13, u, v;
            __asm__("ldrd %[x02], %[x13], [%[x]], #8\n\t"
                    "ldrd %[u], %[v], [%[w]], #8\n\t"
                    "smlad %[a0], %[u], %[x02], %[a0]\n\t"
                    "smlad %[a0], %[v], %[x13], %[a0]\n\t"
                    "ldrd %[u], %[v], [%[w]], #8\n\t"
                    "smlad %[a1], %[u], %[x02], %[a1]\n\t"
                    "smlad %[a1], %[v], %[x13], %[a1]\n\t"
                    "ldrd %[u], %[v], [%[w]], #8\n\t"
                    "smlad %[a2], %[u], %[x02], %[a2]\n\t"
                    "smlad %[a2], %[v], %[x13], %[a2]\n\t"
                    "ldrd %[u], %[v], [%[w]], #8\n\t"
                    "smlad %[a3], %[u], %[x02], %[a3]\n\t"
                    "smlad %[a3], %[v], %[x13], %[a3]"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                      [x02] "=&r"(x02), [x13] "=&r"(x13), [u] "=&r"(u), [v] "=&r"(v)
                    :
                    : "memory");
          } while (x < xe);
          a[0] = a0;
          a[1] = a1;
          a[2] = a2;
          a[3] = a3;
#else
          do {   /* nq >= 1 steps of four taps */
            ifm_mac4x4_w16(w, x[0], x[1], a);
            x += 2;
            w += 8;
          } while (x < xe);
#endif
        } else {
          do {
            ifm_mac4x4(w, x[0], x[1], a);
            x += 2;
            w += 4;
          } while (x < xe);
        }
        if (p->rq_simple && oc + 4 <= p->out_c) {
          o[oc] = ifm_requant_r(a[0], q, p->out_offset, p->act_min, p->act_max);
          o[oc + 1] = ifm_requant_r(a[1], q + 8, p->out_offset, p->act_min, p->act_max);
          o[oc + 2] = ifm_requant_r(a[2], q + 16, p->out_offset, p->act_min, p->act_max);
          o[oc + 3] = ifm_requant_r(a[3], q + 24, p->out_offset, p->act_min, p->act_max);
        } else {
          ifm_store4(o + oc, a, q, p->out_c - oc < 4 ? p->out_c - oc : 4, p->out_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
#endif

#if IFM_USE_DEPTHWISE
/* the taps [*k0, *k1) of a kernel axis that fall inside the input: start + dil·k in [0, size) */
static void ifm_tap_range(int start, int dil, int k, int size, int *k0, int *k1) {
  const int lo = start < 0 ? (-start + dil - 1) / dil : 0;
  const int hi = size - start <= 0 ? 0 : (size - start + dil - 1) / dil;
  *k0 = lo;
  *k1 = hi < k ? hi : k;
}

static void ifm_depthwise(const ifm_conv_t *p, const int8_t *in, int8_t *out) {
  const int x_step = p->dil_w * p->in_c;   /* input bytes from one tap to the next along x */
  int oy, ox, ic, m, ky, kx, ky0, ky1, kx0, kx1;
  for (oy = 0; oy < p->out_h; ++oy) {
    const int y0 = oy * p->stride_h - p->pad_h;
    ifm_tap_range(y0, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
    for (ox = 0; ox < p->out_w; ++ox) {
      const int x0 = ox * p->stride_w - p->pad_w;
      int8_t *o = out + (oy * p->out_w + ox) * p->out_c;
      ifm_tap_range(x0, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
      ic = 0;
#if defined(IFM_DSP)
      if (p->depth_mult == 1) {   /* four channels at a time: one word of inputs, one of weights per tap */
        const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->in_offset << 16) | (uint16_t)(int16_t)p->in_offset;
        for (; ic + 4 <= p->in_c; ic += 4) {
          int32_t a0 = p->q[8 * ic], a1 = p->q[8 * ic + 8], a2 = p->q[8 * ic + 16], a3 = p->q[8 * ic + 24];
          for (ky = ky0; ky < ky1; ++ky) {
            const int8_t *x = in + ((y0 + p->dil_h * ky) * p->in_w + x0 + p->dil_w * kx0) * p->in_c + ic;
            const int8_t *w = p->w + (ky * p->k_w + kx0) * p->out_c + ic;
            for (kx = kx0; kx < kx1; ++kx, x += x_step, w += p->out_c) {
              uint32_t xv, wv, x02, x13, w02, w13;
              memcpy(&xv, x, 4);
              memcpy(&wv, w, 4);
              x02 = ifm_sxtab16(off2, xv);
              x13 = ifm_sxtab16_r8(off2, xv);
              w02 = ifm_sxtb16(wv);
              w13 = ifm_sxtb16_r8(wv);
              a0 = ifm_smlabb(w02, x02, a0);
              a2 = ifm_smlatt(w02, x02, a2);
              a1 = ifm_smlabb(w13, x13, a1);
              a3 = ifm_smlatt(w13, x13, a3);
            }
          }
          o[ic] = ifm_requant(a0, p->q + 8 * ic, p->out_offset, p->act_min, p->act_max);
          o[ic + 1] = ifm_requant(a1, p->q + 8 * ic + 8, p->out_offset, p->act_min, p->act_max);
          o[ic + 2] = ifm_requant(a2, p->q + 8 * ic + 16, p->out_offset, p->act_min, p->act_max);
          o[ic + 3] = ifm_requant(a3, p->q + 8 * ic + 24, p->out_offset, p->act_min, p->act_max);
        }
      }
#endif
      for (; ic < p->in_c; ++ic) {
        for (m = 0; m < p->depth_mult; ++m) {
          const int oc = ic * p->depth_mult + m;
          int32_t acc = p->q[8 * oc];
          for (ky = ky0; ky < ky1; ++ky) {
            const int8_t *x = in + ((y0 + p->dil_h * ky) * p->in_w + x0 + p->dil_w * kx0) * p->in_c + ic;
            const int8_t *w = p->w + (ky * p->k_w + kx0) * p->out_c + oc;
            for (kx = kx0; kx < kx1; ++kx, x += x_step, w += p->out_c) acc += (int32_t)*w * ((int32_t)*x + p->in_offset);
          }
          o[oc] = ifm_requant(acc, p->q + 8 * oc, p->out_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}

#endif

#if IFM_USE_FC
typedef struct {
  int batches, in_depth, out_depth;
  int32_t in_offset, out_offset, act_min, act_max;
  const uint32_t *wp;     /* packed weights as for conv (ifm_mac4x4): groups of four outputs, in_depth taps */
  const int32_t *q;       /* per output (groups of four): the requantisation table, 8 words (ifm_requant) */
} ifm_fc_t;

/* The input row is read in place (no window buffer): four bytes → two lane words, shared by four outputs. */
static void ifm_fully_connected(const ifm_fc_t *p, const int8_t *in, int8_t *out) {
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->in_offset << 16) | (uint16_t)(int16_t)p->in_offset;
  const int full = p->in_depth / 4, rest = p->in_depth % 4;
  int b, o, i;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *x = in + b * p->in_depth;
    const uint32_t *restrict w = p->wp;
    for (o = 0; o < p->out_depth; o += 4) {
      const int32_t *q = p->q + 8 * o;
      int32_t a[4];
      a[0] = q[0];
      a[1] = q[8];
      a[2] = q[16];
      a[3] = q[24];
      uint32_t x02, x13;
      for (i = 0; i < full; ++i, w += 4) {
        ifm_unpack4(ifm_load4(x + 4 * i), off2, &x02, &x13);
        ifm_mac4x4(w, x02, x13, a);
      }
      if (rest) {
        ifm_unpack4(ifm_load_tail(x + 4 * full, rest), off2, &x02, &x13);
        ifm_mac4x4(w, x02, x13, a);
        w += 4;
      }
      ifm_store4(out + b * p->out_depth + o, a, p->q + 8 * o, p->out_depth - o < 4 ? p->out_depth - o : 4,
                 p->out_offset, p->act_min, p->act_max);
    }
  }
}

#endif

#if IFM_USE_POOL
typedef struct {
  int in_h, in_w, c, out_h, out_w, k_h, k_w, stride_h, stride_w, pad_h, pad_w, is_max;
  int32_t act_min, act_max;
} ifm_pool_t;

static void ifm_pool(const ifm_pool_t *p, const int8_t *in, int8_t *out) {
  int oy, ox, ch, y, x;
  for (oy = 0; oy < p->out_h; ++oy) {
    for (ox = 0; ox < p->out_w; ++ox) {
      const int y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
      const int ys = y0 < 0 ? -y0 : 0, xs = x0 < 0 ? -x0 : 0;
      const int ye = p->k_h < p->in_h - y0 ? p->k_h : p->in_h - y0;
      const int xe = p->k_w < p->in_w - x0 ? p->k_w : p->in_w - x0;
      int8_t *o = out + (oy * p->out_w + ox) * p->c;
      if (p->is_max) {   /* channels innermost: the window's pixels are contiguous runs of c bytes */
        memset(o, -128, (size_t)p->c);
        for (y = ys; y < ye; ++y) {
          for (x = xs; x < xe; ++x) {
            const int8_t *s = in + ((y0 + y) * p->in_w + (x0 + x)) * p->c;
            ch = 0;
#if defined(IFM_DSP)
            for (; ch + 4 <= p->c; ch += 4) {
              uint32_t a, b;
              memcpy(&a, o + ch, 4);
              memcpy(&b, s + ch, 4);
              a = ifm_max4(a, b);
              memcpy(o + ch, &a, 4);
            }
#endif
            for (; ch < p->c; ++ch) o[ch] = s[ch] > o[ch] ? s[ch] : o[ch];
          }
        }
        if (p->act_min > -128 || p->act_max < 127)
          for (ch = 0; ch < p->c; ++ch) o[ch] = ifm_clamp8(o[ch], p->act_min, p->act_max);
        continue;
      }
      for (ch = 0; ch < p->c; ++ch) {
        int32_t acc = 0, count = 0;
        for (y = ys; y < ye; ++y) {
          for (x = xs; x < xe; ++x) {
            acc += in[((y0 + y) * p->in_w + (x0 + x)) * p->c + ch];
            ++count;
          }
        }
        if (count > 0) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        o[ch] = ifm_clamp8(acc, p->act_min, p->act_max);
      }
    }
  }
}

#endif

#if IFM_USE_ADD
typedef struct {
  int size;
  int32_t in1_offset, in2_offset, out_offset, act_min, act_max;
  int32_t in1_mult, in1_shift, in2_mult, in2_shift, out_mult, out_shift;
} ifm_add_t;

static void ifm_add(const ifm_add_t *p, const int8_t *a, const int8_t *b, int8_t *out) {
  int i;
  for (i = 0; i < p->size; ++i) {
    const int32_t sa = ((int32_t)a[i] + p->in1_offset) * (1 << 20);
    const int32_t sb = ((int32_t)b[i] + p->in2_offset) * (1 << 20);
    const int32_t ra = ifm_rdbpot(ifm_srdhm(sa, p->in1_mult), (int)-p->in1_shift);
    const int32_t rb = ifm_rdbpot(ifm_srdhm(sb, p->in2_mult), (int)-p->in2_shift);
    const int32_t r = ifm_rdbpot(ifm_srdhm(ra + rb, p->out_mult), (int)-p->out_shift) + p->out_offset;
    out[i] = ifm_clamp8(r, p->act_min, p->act_max);
  }
}

#endif

#if IFM_USE_MEAN
typedef struct {
  int dims[4], reduced[4], count, is_max;   /* max: same quantisation in and out, no rescale (TFLM) */
  int32_t in_zp, out_zp, mult, shift;
} ifm_mean_t;

static void ifm_mean(const ifm_mean_t *p, const int8_t *in, int8_t *out) {
  int o[4], k[4], s[4], i, n = 0;
  s[3] = 1;
  for (i = 2; i >= 0; --i) s[i] = s[i + 1] * p->dims[i + 1];
  for (o[0] = 0; o[0] < (p->reduced[0] ? 1 : p->dims[0]); ++o[0])
  for (o[1] = 0; o[1] < (p->reduced[1] ? 1 : p->dims[1]); ++o[1])
  for (o[2] = 0; o[2] < (p->reduced[2] ? 1 : p->dims[2]); ++o[2])
  for (o[3] = 0; o[3] < (p->reduced[3] ? 1 : p->dims[3]); ++o[3]) {
    int32_t sum = p->is_max ? -128 : 0;
    for (k[0] = 0; k[0] < (p->reduced[0] ? p->dims[0] : 1); ++k[0])
    for (k[1] = 0; k[1] < (p->reduced[1] ? p->dims[1] : 1); ++k[1])
    for (k[2] = 0; k[2] < (p->reduced[2] ? p->dims[2] : 1); ++k[2])
    for (k[3] = 0; k[3] < (p->reduced[3] ? p->dims[3] : 1); ++k[3])
    {
      const int32_t v = in[(o[0] + k[0]) * s[0] + (o[1] + k[1]) * s[1] + (o[2] + k[2]) * s[2] + (o[3] + k[3]) * s[3]];
      if (p->is_max) sum = v > sum ? v : sum; else sum += v;
    }
    if (!p->is_max) sum = ifm_mbqm(sum - p->in_zp * p->count, p->mult, p->shift) + p->out_zp;
    out[n++] = ifm_clamp8(sum, -128, 127);
  }
}

#endif

#if IFM_USE_RELU
/* RELU / RELU6 / RELU_N1_TO_1 as ops (TFLM activations.cc ReluQuantized): rescale by in/out scale, clamp */
typedef struct {
  int size;
  int32_t in_zp, out_zp, mult, shift, act_min, act_max;
} ifm_relu_t;

static void ifm_relu(const ifm_relu_t *p, const int8_t *in, int8_t *out) {
  int i;
  for (i = 0; i < p->size; ++i)
    out[i] = ifm_clamp8(p->out_zp + ifm_mbqm((int32_t)in[i] - p->in_zp, p->mult, p->shift), p->act_min, p->act_max);
}
#endif

#if IFM_USE_CONCAT
/* one input of a CONCATENATION: outer blocks of chunk bytes, placed every out_chunk bytes of the output */
static void ifm_concat_part(const int8_t *in, int8_t *out, int outer, int chunk, int out_chunk) {
  int o;
  for (o = 0; o < outer; ++o) memcpy(out + o * out_chunk, in + o * chunk, (size_t)chunk);
}
#endif

#if IFM_USE_PAD
typedef struct {
  int in[4], out[4], before[4];
  int32_t value;                /* the output zero point, or PADV2's constant */
} ifm_pad_t;

static void ifm_pad(const ifm_pad_t *p, const int8_t *in, int8_t *out) {
  int a, b, c;
  memset(out, (int)(int8_t)p->value, (size_t)p->out[0] * p->out[1] * p->out[2] * p->out[3]);
  for (a = 0; a < p->in[0]; ++a)
    for (b = 0; b < p->in[1]; ++b)
      for (c = 0; c < p->in[2]; ++c)
        memcpy(out + (((a + p->before[0]) * p->out[1] + b + p->before[1]) * p->out[2] + c + p->before[2]) * p->out[3]
                   + p->before[3],
               in + ((a * p->in[1] + b) * p->in[2] + c) * p->in[3], (size_t)p->in[3]);
}
#endif

#if IFM_USE_SOFTMAX
/* gemmlowp fixed point on int32 raw values (Q0 = 0 integer bits, Q2, Q5, Q12) */
static int32_t ifm_sat_shl(int32_t x, int e) {
  const int32_t threshold = (int32_t)((((int64_t)1) << (31 - e)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << e);
}

static int32_t ifm_exp_quarter(int32_t a) { /* exp(a) for a in [-1/4, 0), Q0 in and out */
  const int32_t c_term = 1895147668, c_third = 715827883;
  const int32_t x = a + (1 << 28);
  const int32_t x2 = ifm_srdhm(x, x), x3 = ifm_srdhm(x2, x), x4 = ifm_srdhm(x2, x2);
  const int32_t x4_4 = ifm_rdbpot(x4, 2);
  const int32_t poly = ifm_rdbpot(ifm_srdhm(x4_4 + x3, c_third) + x2, 1);
  return c_term + ifm_srdhm(c_term, x + poly);
}

static int32_t ifm_exp_neg_q5(int32_t a) { /* exp(a) for a <= 0 given in Q5, result Q0 */
  static const int32_t mults[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int32_t quarter = 1 << 24, mask = quarter - 1;
  const int32_t a_mod = (a & mask) - quarter;
  int32_t result = ifm_exp_quarter(ifm_sat_shl(a_mod, 5));
  const int32_t remainder = a_mod - a;
  int e;
  for (e = -2; e <= 4; ++e)
    if (remainder & (1 << (26 + e))) result = ifm_srdhm(result, mults[e + 2]);
  return a == 0 ? INT32_MAX : result;
}

static int32_t ifm_one_over_one_plus_x(int32_t a) { /* 1/(1+a) for a in [0, 1), Q0 */
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  int32_t x = 1515870810 + ifm_srdhm(half_den, -1010580540);
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t one_minus = (1 << 29) - ifm_srdhm(half_den, x);
    x = x + ifm_sat_shl(ifm_srdhm(x, one_minus), 2);
  }
  return ifm_sat_shl(x, 1);
}

static int ifm_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) { x <<= 1; ++n; }
  return n;
}

typedef struct {
  int outer, depth;
  int32_t mult, left_shift, diff_min;
} ifm_softmax_t;

static void ifm_softmax(const ifm_softmax_t *p, const int8_t *in, int8_t *out) {
  int r, c;
  for (r = 0; r < p->outer; ++r) {
    const int8_t *x = in + r * p->depth;
    int32_t max_v = -128, sum = 0, scale;
    int headroom, bits_over_unit;
    for (c = 0; c < p->depth; ++c) max_v = x[c] > max_v ? x[c] : max_v;
    for (c = 0; c < p->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max_v;
      if (diff >= p->diff_min)
        sum += ifm_rdbpot(ifm_exp_neg_q5(ifm_srdhm(diff * (1 << p->left_shift), p->mult)), 12);
    }
    headroom = ifm_clz32((uint32_t)sum);
    bits_over_unit = 12 - headroom;
    scale = ifm_one_over_one_plus_x((int32_t)(((uint32_t)sum << headroom) - ((uint32_t)1 << 31)));
    for (c = 0; c < p->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max_v;
      int32_t v = -128;
      if (diff >= p->diff_min) {
        const int32_t e = ifm_exp_neg_q5(ifm_srdhm(diff * (1 << p->left_shift), p->mult));
        v = ifm_rdbpot(ifm_srdhm(scale, e), bits_over_unit + 31 - 8) - 128;
      }
      out[r * p->depth + c] = ifm_clamp8(v, -128, 127);
    }
  }
}
#endif
"""
