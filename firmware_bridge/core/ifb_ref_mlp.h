/* Reference int8 kernels for a tiny MLP (FULLY_CONNECTED [+ReLU] → FULLY_CONNECTED [→ SOFTMAX]),
 * with TFLite's integer quantisation semantics, so the firmware runs a real int8 model without
 * TFLM and its outputs are bit-identical to the TFLM interpreter's reference kernels.
 *
 * Semantics (TFLite quantisation spec; written from the arithmetic it specifies):
 *  - A real multiplier M = s_in·s_w[c]/s_out is stored as a Q31 integer m in [2^30, 2^31) and a
 *    power-of-two exponent e with M ≈ m·2^(e−31). Requantising an int32 accumulator x is
 *    "double rounding": y = RDivPOT(SRDHM(x·2^max(e,0), m), max(−e,0)), where SRDHM is the
 *    saturating rounding doubling high multiply (round half away from zero of x·m / 2^31) and
 *    RDivPOT a right shift that rounds half away from zero. Define IFB_SINGLE_ROUNDING for the
 *    single-rounding variant (TFLite built with TFLITE_SINGLE_ROUNDING).
 *  - FULLY_CONNECTED: acc[c] = bias[c] + Σ_d w[c,d]·(x[d] − zp_in) (weights symmetric, zp 0),
 *    y[c] = clamp(requant(acc[c], m[c], e[c]) + zp_out, act_min, act_max); ReLU is folded into
 *    act_min = max(−128, zp_out). Per-tensor weights repeat the same (m, e) for every c.
 *  - SOFTMAX (int8 in, int8 out with scale 1/256 and zero point −128): differences to the row's
 *    maximum are rescaled to Q5.26 fixed point, exp() is evaluated in Q0.31 fixed point
 *    (exp on [−1/4, 0) by a 4th-order Taylor polynomial around −1/8, times exp(−2^k) for every
 *    set bit k of the remainder), summed in Q12.19, inverted by Newton–Raphson in Q2.29, and
 *    the product rounded to 8 bits. Differences below diff_min contribute 0.
 * Portable C99, no dynamic memory. Return convention: ifb_err.h. */
#ifndef IFB_REF_MLP_H
#define IFB_REF_MLP_H
#include <stddef.h>
#include <stdint.h>
#include "ifb_err.h"

typedef struct {
    const int8_t *w;         /* [rows][cols] row-major (TFLite FC weights layout) */
    const int32_t *bias;     /* [rows], scale s_in·s_w[c], or NULL */
    const int32_t *mult;     /* [rows] Q31 multipliers */
    const int8_t *shift;     /* [rows] exponents */
    uint16_t cols, rows;     /* input length, output length */
    int32_t in_zp, out_zp, act_min, act_max;
} ifb_fc_t;

typedef struct {
    ifb_fc_t fc1, fc2;
    int softmax;             /* 1: SOFTMAX after fc2 */
    int32_t sm_mult, sm_shift, sm_diff_min;
} ifb_mlp_t;

/* Fixed-point building blocks (exposed for unit tests). */
int32_t ifb_q_srdhm(int32_t a, int32_t b);
int32_t ifb_q_rdivpot(int32_t x, int exponent);
int32_t ifb_q_requant(int32_t x, int32_t mult, int shift);
int32_t ifb_q_exp_neg(int32_t a_q5_26);            /* exp(a) for a ≤ 0 in Q5.26 → Q0.31 */
int32_t ifb_q_reciprocal(int32_t x, int integer_bits, int *num_bits_over_unit);

void ifb_fc_int8(const ifb_fc_t *fc, const int8_t *in, int8_t *out);
void ifb_softmax_int8(int32_t mult, int32_t shift, int32_t diff_min, const int8_t *in, int8_t *out, size_t n);

/* Bytes of arena the MLP needs for its intermediate tensors (hidden and logits, 4-byte aligned). */
size_t ifb_mlp_arena_need(const ifb_mlp_t *m);
/* One inference. Intermediate tensors live in arena. Returns 0, -IFB_ENOMEM if the arena is too
 * small, -IFB_EINVAL if fc2 does not take fc1's output (fc2.cols != fc1.rows); on error neither
 * out nor arena is written. */
int ifb_mlp_invoke(const ifb_mlp_t *m, const int8_t *in, int8_t *out, uint8_t *arena, size_t arena_size);

#endif
