#include "ifb_ref_mlp.h"

#define Q_MAX INT32_MAX
#define Q_MIN INT32_MIN

int32_t ifb_q_srdhm(int32_t a, int32_t b)
{
    if (a == Q_MIN && b == Q_MIN) return Q_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31)); /* division truncates toward zero */
}

int32_t ifb_q_rdivpot(int32_t x, int exponent)
{
    if (exponent <= 0) return x;
    int32_t mask = (int32_t)((1LL << exponent) - 1);
    int32_t rem = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (rem > threshold ? 1 : 0);   /* arithmetic shift: floor */
}

/* x · 2^e with saturation (e > 0) or rounding (e < 0). */
static int32_t sat_mul_pot(int32_t x, int e)
{
    if (e < 0) return ifb_q_rdivpot(x, -e);
    if (e == 0) return x;
    int32_t threshold = (int32_t)((1LL << (31 - e)) - 1);
    if (x > threshold) return Q_MAX;
    if (x < -threshold) return Q_MIN;
    return (int32_t)((uint32_t)x << e);
}

int32_t ifb_q_requant(int32_t x, int32_t mult, int shift)
{
#ifdef IFB_SINGLE_ROUNDING
    int total = 31 - shift;
    int64_t r = (int64_t)x * mult + (1LL << (total - 1));
    return (int32_t)(r >> total);
#else
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    return ifb_q_rdivpot(ifb_q_srdhm((int32_t)((uint32_t)x << left), mult), right);
#endif
}

void ifb_fc_int8(const ifb_fc_t *fc, const int8_t *in, int8_t *out)
{
    for (uint16_t r = 0; r < fc->rows; r++) {
        const int8_t *w = fc->w + (size_t)r * fc->cols;
        int32_t acc = 0;
        for (uint16_t d = 0; d < fc->cols; d++) acc += (int32_t)w[d] * ((int32_t)in[d] - fc->in_zp);
        if (fc->bias) acc += fc->bias[r];
        int32_t y = ifb_q_requant(acc, fc->mult[r], fc->shift[r]) + fc->out_zp;
        if (y < fc->act_min) y = fc->act_min;
        if (y > fc->act_max) y = fc->act_max;
        out[r] = (int8_t)y;
    }
}

/* exp(a) for a in [−1/4, 0), a in Q0.31 → Q0.31: Taylor series around −1/8. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t e_m1_8 = 1895147668;      /* exp(−1/8) in Q0.31 */
    const int32_t one_third = 715827883;    /* 1/3 in Q0.31 */
    int32_t x = a + (1 << 28);              /* x = a + 1/8 */
    int32_t x2 = ifb_q_srdhm(x, x);
    int32_t x3 = ifb_q_srdhm(x2, x);
    int32_t x4 = ifb_q_srdhm(x2, x2);
    int32_t x4_4 = sat_mul_pot(x4, -2);
    int32_t poly = sat_mul_pot(ifb_q_srdhm(x4_4 + x3, one_third) + x2, -1);
    return e_m1_8 + ifb_q_srdhm(e_m1_8, x + poly);
}

int32_t ifb_q_exp_neg(int32_t a)
{
    /* a in Q5.26 (26 fractional bits), a ≤ 0 */
    const int frac = 26;
    const int32_t quarter = 1 << (frac - 2);
    int32_t a_mod = (a & (quarter - 1)) - quarter;          /* in [−1/4, 0) */
    int32_t result = exp_quarter(sat_mul_pot(a_mod, 5));    /* Q5.26 → Q0.31 */
    int32_t remainder = a_mod - a;                          /* ≥ 0: multiples of 1/4 */
    static const int32_t mults[7] = {   /* exp(−2^k) in Q0.31 for k = −2 … 4 */
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    for (int k = -2; k <= 4; k++)
        if (remainder & (1 << (frac + k))) result = ifb_q_srdhm(result, mults[k + 2]);
    return a == 0 ? Q_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1) in Q0.31 → Q0.31 (Newton–Raphson in Q2.29). */
static int32_t one_over_one_plus_x(int32_t a)
{
    int64_t s = (int64_t)a + Q_MAX;                          /* rounding half sum of a and 1 */
    int32_t half_den = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    const int32_t c48_17 = 1515870810, cm32_17 = -1010580540; /* 48/17, −32/17 in Q2.29 */
    int32_t x = c48_17 + ifb_q_srdhm(half_den, cm32_17);
    for (int i = 0; i < 3; i++) {
        int32_t hdx = ifb_q_srdhm(half_den, x);              /* Q2.29 */
        int32_t one_minus = (1 << 29) - hdx;
        x = x + sat_mul_pot(ifb_q_srdhm(x, one_minus), 2);   /* Q4.27 → Q2.29 */
    }
    return sat_mul_pot(x, 1);                                /* x/2 in Q1.30 → Q0.31 */
}

static int clz32(uint32_t x)
{
    int n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) { x <<= 1; n++; }
    return n;
}

int32_t ifb_q_reciprocal(int32_t x, int integer_bits, int *num_bits_over_unit)
{
    int headroom_plus_one = clz32((uint32_t)x);
    *num_bits_over_unit = integer_bits - headroom_plus_one;
    int32_t shifted_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - (1u << 31));
    return one_over_one_plus_x(shifted_minus_one);
}

void ifb_softmax_int8(int32_t mult, int32_t shift, int32_t diff_min, const int8_t *in, int8_t *out, size_t n)
{
    int8_t mx = -128;
    for (size_t c = 0; c < n; c++) if (in[c] > mx) mx = in[c];
    int32_t sum = 0;                                          /* Q12.19 */
    for (size_t c = 0; c < n; c++) {
        int32_t d = (int32_t)in[c] - mx;
        if (d >= diff_min) sum += ifb_q_rdivpot(ifb_q_exp_neg(ifb_q_srdhm(d * (1 << shift), mult)), 12);
    }
    int nbits;
    int32_t scale = ifb_q_reciprocal(sum, 12, &nbits);
    for (size_t c = 0; c < n; c++) {
        int32_t d = (int32_t)in[c] - mx;
        if (d >= diff_min) {
            int32_t e = ifb_q_exp_neg(ifb_q_srdhm(d * (1 << shift), mult));
            int32_t y = ifb_q_rdivpot(ifb_q_srdhm(scale, e), nbits + 31 - 8) - 128;
            out[c] = (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
        } else {
            out[c] = -128;
        }
    }
}

static size_t align4(size_t n) { return (n + 3u) & ~(size_t)3u; }

size_t ifb_mlp_arena_need(const ifb_mlp_t *m)
{
    return align4(m->fc1.rows) + (m->softmax ? align4(m->fc2.rows) : 0u);
}

int ifb_mlp_invoke(const ifb_mlp_t *m, const int8_t *in, int8_t *out, uint8_t *arena, size_t arena_size)
{
    if (m->fc2.cols != m->fc1.rows) return -IFB_EINVAL;
    if (ifb_mlp_arena_need(m) > arena_size) return -IFB_ENOMEM;
    int8_t *hidden = (int8_t *)arena;
    ifb_fc_int8(&m->fc1, in, hidden);
    if (!m->softmax) {
        ifb_fc_int8(&m->fc2, hidden, out);
        return IFB_EOK;
    }
    int8_t *logits = (int8_t *)arena + align4(m->fc1.rows);
    ifb_fc_int8(&m->fc2, hidden, logits);
    ifb_softmax_int8(m->sm_mult, m->sm_shift, m->sm_diff_min, logits, out, m->fc2.rows);
    return IFB_EOK;
}
