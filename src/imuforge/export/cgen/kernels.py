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

``IFM_DSP`` (compile-time switch, Cortex-M4/M7 with the DSP extension) makes the dot products of
the convolutions and the fully connected layer use dual 16-bit multiply-accumulates (SMLAD); a
convolution then computes four output channels per pass over the unpacked inputs (two without it);
integer sums do not depend on order, so the results stay bit-identical.

Right shifts of negative numbers are arithmetic in GCC, Clang and arm-none-eabi-gcc (C99 leaves
it implementation-defined; the generated file checks it with a static assertion).
"""

KERNELS_C = r"""
/* ---- integer arithmetic (see imuforge/export/cgen/kernels.py for the TFLM sources) ---- */
typedef char ifm_arith_shift_check[((-8 >> 1) == -4) ? 1 : -1];

#if IFM_USE_CONV || IFM_USE_DEPTHWISE || IFM_USE_FC || IFM_USE_MEAN || IFM_USE_ADD || IFM_USE_SOFTMAX || IFM_USE_RELU
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

#if IFM_USE_CONV || IFM_USE_DEPTHWISE || IFM_USE_FC || IFM_USE_MEAN || IFM_USE_RELU
static int32_t ifm_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? (int)shift : 0;
  const int right = shift > 0 ? 0 : (int)-shift;
  return ifm_rdbpot(ifm_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

#endif

#if IFM_USE_CONV || IFM_USE_DEPTHWISE || IFM_USE_FC || IFM_USE_POOL || IFM_USE_ADD || IFM_USE_MEAN || \
    IFM_USE_RELU || IFM_USE_SOFTMAX
static int8_t ifm_clamp8(int32_t v, int32_t lo, int32_t hi) {
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}
#endif

#if IFM_USE_CONV || IFM_USE_FC
/* two dot products sharing the inputs: acc0 += sum w0[i] * (x[i] + off), acc1 += sum w1[i] * (x[i] + off) */
static void ifm_dot2(const int8_t *w0, const int8_t *w1, const int8_t *x, int n, int32_t off,
                     int32_t *acc0, int32_t *acc1) {
  int32_t a0 = *acc0, a1 = *acc1;
  int i = 0;
#if defined(IFM_DSP)
  /* Cortex-M4/M7 DSP: 4 bytes per load; SXTB16 sign-extends bytes 0 and 2 (and, rotated, 1 and 3)
   * into two 16-bit lanes, SXTAB16 does the same while adding the input offset to each lane
   * (|x + off| <= 255 fits 16 bits), SMLAD adds both lane products to an accumulator. The input
   * lanes are unpacked once for both weight rows. */
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)off << 16) | (uint16_t)(int16_t)off;
  for (; i + 3 < n; i += 4) {
    uint32_t xv, x02, x13, wv, w02, w13;
    memcpy(&xv, x + i, 4);
    __asm__("sxtab16 %0, %1, %2" : "=r"(x02) : "r"(off2), "r"(xv));
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(x13) : "r"(off2), "r"(xv));
    memcpy(&wv, w0 + i, 4);
    __asm__("sxtb16 %0, %1" : "=r"(w02) : "r"(wv));
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(w13) : "r"(wv));
    __asm__("smlad %0, %1, %2, %0" : "+r"(a0) : "r"(w02), "r"(x02));
    __asm__("smlad %0, %1, %2, %0" : "+r"(a0) : "r"(w13), "r"(x13));
    memcpy(&wv, w1 + i, 4);
    __asm__("sxtb16 %0, %1" : "=r"(w02) : "r"(wv));
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(w13) : "r"(wv));
    __asm__("smlad %0, %1, %2, %0" : "+r"(a1) : "r"(w02), "r"(x02));
    __asm__("smlad %0, %1, %2, %0" : "+r"(a1) : "r"(w13), "r"(x13));
  }
#endif
  for (; i < n; ++i) {
    const int32_t xi = (int32_t)x[i] + off;
    a0 += (int32_t)w0[i] * xi;
    a1 += (int32_t)w1[i] * xi;
  }
  *acc0 = a0;
  *acc1 = a1;
}

static void ifm_requant_store(int8_t *out, int32_t acc, const int32_t *bias, int32_t mult, int32_t shift,
                              int32_t out_offset, int32_t lo, int32_t hi) {
  if (bias) acc += *bias;
  *out = ifm_clamp8(ifm_mbqm(acc, mult, shift) + out_offset, lo, hi);
}

#endif

#if IFM_USE_CONV || IFM_USE_DEPTHWISE
typedef struct {
  int in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
  int stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, depth_mult;
  int32_t in_offset, out_offset, act_min, act_max;
  const int8_t *w;        /* conv: [out_c][k_h][k_w][in_c]; depthwise: [k_h][k_w][out_c] */
  const int32_t *bias;    /* [out_c] or NULL */
  const int32_t *mult;    /* [out_c] */
  const int32_t *shift;   /* [out_c] */
} ifm_conv_t;

#endif

#if IFM_USE_CONV
#if defined(IFM_DSP)
#define IFM_CONV_CH 4   /* output channels per pass: the unpacked inputs serve four weight rows */
/* a += w[0..3] . (x02, x13): SXTB16 unpacks four weights into lanes (0, 2) and (1, 3), two SMLADs */
static inline int32_t ifm_smlad4(int32_t a, const int8_t *w, uint32_t x02, uint32_t x13) {
  uint32_t wv, w02, w13;
  memcpy(&wv, w, 4);
  __asm__("sxtb16 %0, %1" : "=r"(w02) : "r"(wv));
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(w13) : "r"(wv));
  __asm__("smlad %0, %1, %2, %0" : "+r"(a) : "r"(w02), "r"(x02));
  __asm__("smlad %0, %1, %2, %0" : "+r"(a) : "r"(w13), "r"(x13));
  return a;
}

/* four dot products sharing the inputs: acc[j] += sum w[j * ws + i] * (x[i] + off), j = 0..3 */
static void ifm_dot4(const int8_t *w, int ws, const int8_t *x, int n, int32_t off, int32_t *acc) {
  const int8_t *w1 = w + ws, *w2 = w1 + ws, *w3 = w2 + ws;
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)off << 16) | (uint16_t)(int16_t)off;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int i = 0;
  for (; i + 3 < n; i += 4) {
    uint32_t xv, x02, x13;
    memcpy(&xv, x + i, 4);
    __asm__("sxtab16 %0, %1, %2" : "=r"(x02) : "r"(off2), "r"(xv));
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(x13) : "r"(off2), "r"(xv));
    a0 = ifm_smlad4(a0, w + i, x02, x13);
    a1 = ifm_smlad4(a1, w1 + i, x02, x13);
    a2 = ifm_smlad4(a2, w2 + i, x02, x13);
    a3 = ifm_smlad4(a3, w3 + i, x02, x13);
  }
  for (; i < n; ++i) {
    const int32_t xi = (int32_t)x[i] + off;
    a0 += (int32_t)w[i] * xi;
    a1 += (int32_t)w1[i] * xi;
    a2 += (int32_t)w2[i] * xi;
    a3 += (int32_t)w3[i] * xi;
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* k (1, 2 or IFM_CONV_CH) dot products over rows ws bytes apart, into acc[0 .. k-1] */
static void ifm_dotk(const int8_t *w, int ws, const int8_t *x, int n, int32_t off, int32_t *acc, int k) {
  int32_t unused = 0;
  if (k == 4) {
    ifm_dot4(w, ws, x, n, off, acc);
    return;
  }
  if (k == 1)
    ifm_dot2(w, w, x, n, off, acc, &unused);
  else
    ifm_dot2(w, w + ws, x, n, off, acc, acc + 1);
}

/* the accumulators of output channels oc .. oc+k-1 at the output position whose window starts at (y0, x0) */
static void ifm_conv_acc(const ifm_conv_t *p, const int8_t *in, int y0, int x0, int oc, int k, int32_t *acc) {
  const int ws = p->k_h * p->k_w * p->in_c;   /* bytes between two output channels' weights */
  const int8_t *w = p->w + oc * ws;
  int ky, kx;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int y = y0 + p->dil_h * ky;
    if (y < 0 || y >= p->in_h) continue;
    if (p->dil_w == 1) { /* the taps inside the input are one contiguous run of (kx, ic) */
      const int kx0 = x0 < 0 ? -x0 : 0;
      const int kx1 = p->k_w < p->in_w - x0 ? p->k_w : p->in_w - x0;
      if (kx1 > kx0)
        ifm_dotk(w + (ky * p->k_w + kx0) * p->in_c, ws, in + (y * p->in_w + x0 + kx0) * p->in_c,
                 (kx1 - kx0) * p->in_c, p->in_offset, acc, k);
      continue;
    }
    for (kx = 0; kx < p->k_w; ++kx) {
      const int x = x0 + p->dil_w * kx;
      if (x < 0 || x >= p->in_w) continue;
      ifm_dotk(w + (ky * p->k_w + kx) * p->in_c, ws, in + (y * p->in_w + x) * p->in_c, p->in_c, p->in_offset,
               acc, k);
    }
  }
}

static void ifm_conv2d(const ifm_conv_t *p, const int8_t *in, int8_t *out) {
  int oy, ox, oc, j;
  for (oy = 0; oy < p->out_h; ++oy) {
    for (ox = 0; ox < p->out_w; ++ox) {
      const int y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
      int8_t *o = out + (oy * p->out_w + ox) * p->out_c;
      oc = 0;
      while (oc < p->out_c) {   /* IFM_CONV_CH output channels per pass share the input */
        const int left = p->out_c - oc;
        const int k = left >= IFM_CONV_CH ? IFM_CONV_CH : (left >= 2 ? 2 : 1);
        int32_t acc[IFM_CONV_CH] = {0};
        ifm_conv_acc(p, in, y0, x0, oc, k, acc);
        for (j = 0; j < k; ++j)
          ifm_requant_store(o + oc + j, acc[j], p->bias ? p->bias + oc + j : NULL, p->mult[oc + j],
                            p->shift[oc + j], p->out_offset, p->act_min, p->act_max);
        oc += k;
      }
    }
  }
}
#else /* plain C: two output channels per pass */
static void ifm_conv2d(const ifm_conv_t *p, const int8_t *in, int8_t *out) {
  const int w_stride = p->k_h * p->k_w * p->in_c;   /* bytes between two output channels' weights */
  int oy, ox, oc, ky, kx;
  for (oy = 0; oy < p->out_h; ++oy) {
    for (ox = 0; ox < p->out_w; ++ox) {
      const int y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
      int8_t *o = out + (oy * p->out_w + ox) * p->out_c;
      for (oc = 0; oc < p->out_c; oc += 2) {   /* two output channels per pass share the input */
        const int two = oc + 1 < p->out_c;
        const int8_t *w0 = p->w + oc * w_stride, *w1 = two ? w0 + w_stride : w0;
        int32_t acc0 = 0, acc1 = 0;
        for (ky = 0; ky < p->k_h; ++ky) {
          const int y = y0 + p->dil_h * ky;
          if (y < 0 || y >= p->in_h) continue;
          if (p->dil_w == 1) { /* the taps inside the input are one contiguous run of (kx, ic) */
            const int kx0 = x0 < 0 ? -x0 : 0;
            const int kx1 = p->k_w < p->in_w - x0 ? p->k_w : p->in_w - x0;
            const int wo = (ky * p->k_w + kx0) * p->in_c;
            if (kx1 > kx0)
              ifm_dot2(w0 + wo, w1 + wo, in + (y * p->in_w + x0 + kx0) * p->in_c, (kx1 - kx0) * p->in_c,
                       p->in_offset, &acc0, &acc1);
            continue;
          }
          for (kx = 0; kx < p->k_w; ++kx) {
            const int x = x0 + p->dil_w * kx, wo = (ky * p->k_w + kx) * p->in_c;
            if (x < 0 || x >= p->in_w) continue;
            ifm_dot2(w0 + wo, w1 + wo, in + (y * p->in_w + x) * p->in_c, p->in_c, p->in_offset, &acc0, &acc1);
          }
        }
        ifm_requant_store(o + oc, acc0, p->bias ? p->bias + oc : NULL, p->mult[oc], p->shift[oc],
                          p->out_offset, p->act_min, p->act_max);
        if (two)
          ifm_requant_store(o + oc + 1, acc1, p->bias ? p->bias + oc + 1 : NULL, p->mult[oc + 1],
                            p->shift[oc + 1], p->out_offset, p->act_min, p->act_max);
      }
    }
  }
}
#endif /* IFM_DSP */
#endif

#if IFM_USE_DEPTHWISE
static void ifm_depthwise(const ifm_conv_t *p, const int8_t *in, int8_t *out) {
  int oy, ox, ic, m, ky, kx;
  for (oy = 0; oy < p->out_h; ++oy) {
    for (ox = 0; ox < p->out_w; ++ox) {
      const int y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
      for (ic = 0; ic < p->in_c; ++ic) {
        for (m = 0; m < p->depth_mult; ++m) {
          const int oc = ic * p->depth_mult + m;
          int32_t acc = 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int y = y0 + p->dil_h * ky;
            if (y < 0 || y >= p->in_h) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int x = x0 + p->dil_w * kx;
              if (x < 0 || x >= p->in_w) continue;
              acc += (int32_t)p->w[(ky * p->k_w + kx) * p->out_c + oc] *
                     ((int32_t)in[(y * p->in_w + x) * p->in_c + ic] + p->in_offset);
            }
          }
          if (p->bias) acc += p->bias[oc];
          acc = ifm_mbqm(acc, p->mult[oc], p->shift[oc]) + p->out_offset;
          out[(oy * p->out_w + ox) * p->out_c + oc] = ifm_clamp8(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}

#endif

#if IFM_USE_FC
typedef struct {
  int batches, in_depth, out_depth, per_channel;
  int32_t in_offset, out_offset, act_min, act_max;
  const int8_t *w;        /* [out_depth][in_depth] */
  const int32_t *bias;    /* [out_depth] or NULL */
  const int32_t *mult;    /* [out_depth] per channel, else [1] */
  const int32_t *shift;
} ifm_fc_t;

static void ifm_fully_connected(const ifm_fc_t *p, const int8_t *in, int8_t *out) {
  int b, o;
  for (b = 0; b < p->batches; ++b) {
    for (o = 0; o < p->out_depth; o += 2) {
      const int two = o + 1 < p->out_depth;
      const int8_t *w0 = p->w + o * p->in_depth, *w1 = two ? w0 + p->in_depth : w0;
      int32_t acc0 = 0, acc1 = 0;
      ifm_dot2(w0, w1, in + b * p->in_depth, p->in_depth, p->in_offset, &acc0, &acc1);
      ifm_requant_store(out + b * p->out_depth + o, acc0, p->bias ? p->bias + o : NULL,
                        p->mult[p->per_channel ? o : 0], p->shift[p->per_channel ? o : 0],
                        p->out_offset, p->act_min, p->act_max);
      if (two)
        ifm_requant_store(out + b * p->out_depth + o + 1, acc1, p->bias ? p->bias + o + 1 : NULL,
                          p->mult[p->per_channel ? o + 1 : 0], p->shift[p->per_channel ? o + 1 : 0],
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
      for (ch = 0; ch < p->c; ++ch) {
        int32_t acc = p->is_max ? -128 : 0, count = 0;
        for (y = ys; y < ye; ++y) {
          for (x = xs; x < xe; ++x) {
            const int32_t v = in[((y0 + y) * p->in_w + (x0 + x)) * p->c + ch];
            if (p->is_max) acc = v > acc ? v : acc; else acc += v;
            ++count;
          }
        }
        if (!p->is_max && count > 0)
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        out[(oy * p->out_w + ox) * p->c + ch] = ifm_clamp8(acc, p->act_min, p->act_max);
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
