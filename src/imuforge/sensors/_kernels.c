/*
 * imuforge.sensors._kernels — fused per-sample loops of the virtual IMU (C99, CPython buffer API).
 *
 * The numpy implementation in kinematics.py / simulate.py is the reference (and the fallback when
 * this extension is not built); these loops compute the same formulas in the same order of
 * operations, one output sample at a time, with no temporaries:
 *
 *   cardinal_imu   uniform quintic B-spline evaluation (value, 1st, 2nd derivative from the
 *                  prefiltered coefficients, 6 taps per output phase) + the rigid-body algebra
 *                  (quaternion -> R^T, body rate ω, angular acceleration α, lever arm terms,
 *                  gravity, Earth field, mount rotation) for every placement.
 *   state_imu      the same rigid-body algebra from already evaluated q, q', q'' and anchor
 *                  accelerations (the general, non-uniform-time spline path).
 *   sos_pick       causal second-order-section cascade (Direct Form II transposed, like
 *                  scipy.signal.sosfilt) started in steady state, run over the oversampled grid,
 *                  and 4-point cubic Lagrange reads of the filtered stream at given positions —
 *                  without storing the filtered stream.
 *   sensor_chain   the per-sample error terms of one sensor (matrix, bias, drift recursion,
 *                  g-sensitivity, noise, saturation, quantisation) in one pass.
 *   wobble_oscillator  the loosely worn device's displacement, velocity and acceleration
 *                  (sensors.wear.wobble_response): scipy.signal.lfilter's transposed Direct Form II
 *                  loop for u and u' on each axis, started from the given states, and u'' from the
 *                  equation of motion, in one pass.
 *   wobble_frame   the loosely worn device's specific force, rate and field from the segment's and
 *                  the soft-tissue oscillator's (sensors.wear.wobble_streams), in one pass.
 *   quat_op        row-wise quaternion product, vector rotation and cross product for
 *                  imuforge.motion.quat (the motion library's FK and pose code calls them thousands
 *                  of times per motion on short arrays, where numpy's per-operation cost dominates).
 *   forward_kinematics  motion.kinematics.forward_kinematics with the same row formulas.
 *   leg_rotations  the legs' joint angles -> local rotations of motion.library._core (quat.euler's and
 *                  quat.rx's formulas; sin and cos from libm, which numpy's float64 loops call too).
 *   joint_rows     whole joints' rotations copied into the (n, J, 4) local rotations in one pass.
 *   foot_contacts  the feet's rolling contact points and velocities (motion.library._core), around
 *                  numpy's exp (numpy's float64 exp has its own SIMD loops: it is not redone here).
 *   anchored_roots the foot-anchored root path where a foot is loaded in every frame (no flight).
 *   fourier_rows   the gait curves' Fourier basis rows (1, cos k theta, sin k theta) in one pass.
 *   rotation_rows  quat.euler and the axis rotations rx, ry, rz (quat._about) in one pass each.
 *   scatter_rows   the impact transients' per-sample sums (sensors.impact.transient_sums) in one pass.
 *   quat_rows      quaternion norms (Motion's unit check) and quat.continuous in one pass each.
 *   gait_curves    the gait's joint-angle curves per leg (motion.library.gait._leg_angles' per-angle loop).
 *   seed_state     numpy's SeedSequence hash of three entropy words into PCG64's seed
 *                  (sensors.hardware.term_rng: integer arithmetic, the same words).
 *
 * Inputs are C-contiguous float64 (int64 for indices) buffers; shapes are passed explicitly and
 * checked against the buffer sizes. No numpy headers are needed at build time. The GIL is
 * released inside the loops.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#if defined(__GNUC__)
#define INLINE inline __attribute__((always_inline))
#else
#define INLINE inline
#endif

/* ------------------------------------------------------------------ buffer helpers */
static int get_buf(PyObject *obj, Py_buffer *view, Py_ssize_t n_items, Py_ssize_t item, int writable,
                   const char *name)
{
    int flags = (writable ? (PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) : PyBUF_C_CONTIGUOUS) | PyBUF_FORMAT;
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: need a C-contiguous%s buffer", name, writable ? " writable" : "");
        return -1;
    }
    if (view->itemsize != item) { /* e.g. an int32 array with the byte length of the float64 one */
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes, expected %zd", name, view->itemsize, item);
        PyBuffer_Release(view);
        view->obj = NULL;
        return -1;
    }
    if (view->len != n_items * item) {
        PyErr_Format(PyExc_ValueError, "%s: buffer holds %zd bytes, expected %zd", name, view->len,
                     n_items * item);
        PyBuffer_Release(view);
        view->obj = NULL;
        return -1;
    }
    return 0;
}

/* A float64 buffer of ``held`` items (one value held over every frame) or ``held * n`` (one per frame):
 * 0 with ``*step`` 0 or 1, or -1 with ``msg`` as the ValueError (the view released). */
static int get_angles(PyObject *obj, Py_buffer *view, Py_ssize_t held, Py_ssize_t n, Py_ssize_t *step,
                      const char *msg)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (view->itemsize != 8 || (view->len != 8 * held && view->len != 8 * held * n)) {
        PyBuffer_Release(view);
        view->obj = NULL;
        PyErr_SetString(PyExc_ValueError, msg);
        return -1;
    }
    *step = view->len == 8 * held * n ? 1 : 0;
    return 0;
}

/* 1 when every one of the ``n`` indices ``ix`` lies in 0 … hi − 1; else 0, with ``msg`` as the IndexError. */
static int in_range(const int64_t *ix, Py_ssize_t n, Py_ssize_t hi, const char *msg)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (ix[i] < 0 || ix[i] >= hi) {
            PyErr_SetString(PyExc_IndexError, msg);
            return 0;
        }
    return 1;
}

static void release(Py_buffer *views, int n)
{
    for (int i = 0; i < n; i++)
        if (views[i].obj != NULL) PyBuffer_Release(&views[i]);
}

/* ------------------------------------------------------------------ spline columns */
PyDoc_STRVAR(spline_columns_doc,
"spline_columns(positions, n, J, orientations, Jo, uanc, useg, out)\n\n"
"Gather the spline's input columns into out (n, 3U + 4S): anchor u axis c at 3u + c from positions\n"
"(n, J, 3), quaternion component k of segment s at 3U + kS + s from orientations (n, Jo, 4), made\n"
"sign-continuous (a frame is negated when its raw dot product with the previous raw frame is < 0,\n"
"cumulatively).");

static PyObject *spline_columns(PyObject *self, PyObject *args)
{
    PyObject *p_o, *o_o, *ua_o, *us_o, *out_o;
    Py_ssize_t n, J, Jo;
    if (!PyArg_ParseTuple(args, "OnnOnOOO", &p_o, &n, &J, &o_o, &Jo, &ua_o, &us_o, &out_o)) return NULL;
    Py_buffer v[5];
    memset(v, 0, sizeof v);
    Py_ssize_t U, S;
    {
        Py_buffer a, b;
        if (PyObject_GetBuffer(ua_o, &a, PyBUF_C_CONTIGUOUS) < 0) return NULL;
        U = a.len / 8;
        PyBuffer_Release(&a);
        if (PyObject_GetBuffer(us_o, &b, PyBUF_C_CONTIGUOUS) < 0) return NULL;
        S = b.len / 8;
        PyBuffer_Release(&b);
    }
    const Py_ssize_t C = 3 * U + 4 * S;
    if (n < 1 || S < 1 || U < 1 || get_buf(p_o, &v[0], n * J * 3, 8, 0, "positions") ||
        get_buf(o_o, &v[1], n * Jo * 4, 8, 0, "orientations") || get_buf(ua_o, &v[2], U, 8, 0, "uanc") ||
        get_buf(us_o, &v[3], S, 8, 0, "useg") || get_buf(out_o, &v[4], n * C, 8, 1, "out")) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "need n, U, S >= 1");
        release(v, 5);
        return NULL;
    }
    const double *pos = (const double *)v[0].buf, *ori = (const double *)v[1].buf;
    const int64_t *ua = (const int64_t *)v[2].buf, *us = (const int64_t *)v[3].buf;
    for (Py_ssize_t i = 0; i < U; i++)
        if (ua[i] < 0 || ua[i] >= J) { release(v, 5); PyErr_SetString(PyExc_IndexError, "uanc out of range"); return NULL; }
    for (Py_ssize_t i = 0; i < S; i++)
        if (us[i] < 0 || us[i] >= Jo) { release(v, 5); PyErr_SetString(PyExc_IndexError, "useg out of range"); return NULL; }
    double *out = (double *)v[4].buf;
    double *sign = (double *)malloc(sizeof(double) * S);
    if (sign == NULL) { release(v, 5); return PyErr_NoMemory(); }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t s = 0; s < S; s++) sign[s] = 1.0;
    for (Py_ssize_t f = 0; f < n; f++) {
        double *row = out + f * C;
        const double *pr = pos + f * J * 3, *orow = ori + f * Jo * 4;
        for (Py_ssize_t u = 0; u < U; u++) {
            const double *src = pr + 3 * ua[u];
            row[3 * u] = src[0]; row[3 * u + 1] = src[1]; row[3 * u + 2] = src[2];
        }
        for (Py_ssize_t s = 0; s < S; s++) {
            const double *q = orow + 4 * us[s];
            if (f > 0) {
                const double *qp = q - Jo * 4;
                const double dot = q[0] * qp[0] + q[1] * qp[1] + q[2] * qp[2] + q[3] * qp[3];
                if (dot < 0) sign[s] = -sign[s];
            }
            for (int k = 0; k < 4; k++) row[3 * U + k * S + s] = sign[s] * q[k];
        }
    }
    Py_END_ALLOW_THREADS
    free(sign);
    release(v, 5);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ quintic prefilter */
/* Causal + anticausal recursion of one pole z along the rows of c (n, C), mirror-boundary start
 * (the same recursion and start values as scipy.ndimage.spline_filter1d, mode="mirror"). */
static void pole_pass(double *c, Py_ssize_t n, Py_ssize_t C, double z)
{
    const double zn1 = pow(z, (double)(n - 1));
    for (Py_ssize_t col = 0; col < C; col++) {
        double s = c[col] + zn1 * c[(n - 1) * C + col], zi = z;
        /* stop once z^i < 1e-40: later terms are below 1e-40 of the samples (and would be
         * denormal, which is slow) */
        for (Py_ssize_t i = 1; i < n - 1 && fabs(zi) > 1e-40; i++) {
            s += zi * (c[i * C + col] + zn1 * c[(n - 1 - i) * C + col]);
            zi *= z;
        }
        c[col] = s / (1 - zn1 * zn1);
    }
    for (Py_ssize_t i = 1; i < n; i++) {
        double *row = c + i * C;
        const double *prev = row - C;
        for (Py_ssize_t col = 0; col < C; col++) row[col] += z * prev[col];
    }
    double *last = c + (n - 1) * C;
    for (Py_ssize_t col = 0; col < C; col++) last[col] = (z * last[col - C] + last[col]) * z / (z * z - 1);
    for (Py_ssize_t i = n - 2; i >= 0; i--) {
        double *row = c + i * C;
        const double *next = row + C;
        for (Py_ssize_t col = 0; col < C; col++) row[col] = z * (next[col] - row[col]);
    }
}

PyDoc_STRVAR(quintic_prefilter_doc,
"quintic_prefilter(c, N, C)\n\n"
"In place: samples c (N, C) (along axis 0) -> cardinal quintic B-spline coefficients, by the exact\n"
"recursive prefilter (gain, then the causal and anticausal passes of the poles z1, z2 of beta5 with\n"
"mirror-boundary start values: the recursion of scipy.ndimage.spline_filter1d, mode='mirror').");

static PyObject *quintic_prefilter(PyObject *self, PyObject *args)
{
    PyObject *c_o;
    Py_ssize_t N, C;
    if (!PyArg_ParseTuple(args, "Onn", &c_o, &N, &C)) return NULL;
    if (N < 2 || C < 1) {
        PyErr_SetString(PyExc_ValueError, "need N >= 2, C >= 1");
        return NULL;
    }
    Py_buffer v[1];
    memset(v, 0, sizeof v);
    if (get_buf(c_o, &v[0], N * C, 8, 1, "c")) return NULL;
    double *c = (double *)v[0].buf;
    Py_BEGIN_ALLOW_THREADS
    /* poles of the quintic B-spline's inverse filter, sqrt(67.5 -/+ sqrt(4436.25)) +/- sqrt(26.25) - 6.5,
     * rounded to double (Unser et al. 1991); gain = prod (1 - z)(1 - 1/z) */
    const double z1 = -0.43057534709997379185, z2 = -0.043096288203264653823;
    const double gain = ((1.0 - z1) * (1.0 - 1.0 / z1)) * ((1.0 - z2) * (1.0 - 1.0 / z2));
    for (Py_ssize_t i = 0; i < N * C; i++) c[i] *= gain;
    pole_pass(c, N, C, z1);
    pole_pass(c, N, C, z2);
    Py_END_ALLOW_THREADS
    release(v, 1);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ rigid-body algebra */
typedef struct {
    Py_ssize_t P, U, S;
    const int64_t *anc, *seg; /* (P,) anchor / segment column of each placement */
    const double *r;          /* (P, 3) lever arms, segment frame (m) */
    const double *mt;         /* (P, 3, 3) segment -> sensor rotation (mount^T), or NULL = identity */
    const double *field;      /* (3,) Earth field, world (µT) */
    const double *gravity;    /* (3,) gravitational acceleration, world (m/s²) */
    int lever;                /* 1: tangential + centripetal terms (needs q'') */
} Layout;

enum { ST = 18 }; /* per-segment state: R^T (9), ω (3), α (3), R^T field (3) */

/* Segment state from q, q', q'' (component k of segment s at [k * S + s]). */
static INLINE void segment_state(const Layout *lo, Py_ssize_t s, const double *q, const double *qd,
                          const double *qdd, double *st)
{
    const Py_ssize_t S = lo->S;
    const double x = q[s], y = q[S + s], z = q[2 * S + s], w = q[3 * S + s];
    const double px = qd[s], py = qd[S + s], pz = qd[2 * S + s], pw = qd[3 * S + s];
    const double qn2 = x * x + y * y + z * z + w * w;
    const double inv2 = 2.0 / qn2;
    double *rt = st, *om = st + 9, *al = st + 12, *ms = st + 15;
    /* ω_s = 2 vec(q* q')/|q|², vec(q* p) = q_w p_v − p_w q_v − q_v × p_v */
    om[0] = (w * px - pw * x - (y * pz - z * py)) * inv2;
    om[1] = (w * py - pw * y - (z * px - x * pz)) * inv2;
    om[2] = (w * pz - pw * z - (x * py - y * px)) * inv2;
    /* R^T (world -> segment) */
    const double xx = inv2 * x * x, yy = inv2 * y * y, zz = inv2 * z * z;
    const double xy = inv2 * x * y, xz = inv2 * x * z, yz = inv2 * y * z;
    const double xw = inv2 * x * w, yw = inv2 * y * w, zw = inv2 * z * w;
    rt[0] = 1 - (yy + zz); rt[1] = xy + zw;       rt[2] = xz - yw;
    rt[3] = xy - zw;       rt[4] = 1 - (xx + zz); rt[5] = yz + xw;
    rt[6] = xz + yw;       rt[7] = yz - xw;       rt[8] = 1 - (xx + yy);
    if (lo->lever) {
        /* α_s = 2 vec(q* q'')/|q|² − ω_s · 2 (q·q')/|q|² */
        const double ax = qdd[s], ay = qdd[S + s], az = qdd[2 * S + s], aw = qdd[3 * S + s];
        const double dot = x * px + y * py + z * pz + w * pw;
        const double k = dot * inv2;
        al[0] = (w * ax - aw * x - (y * az - z * ay)) * inv2 - om[0] * k;
        al[1] = (w * ay - aw * y - (z * ax - x * az)) * inv2 - om[1] * k;
        al[2] = (w * az - aw * z - (x * ay - y * ax)) * inv2 - om[2] * k;
    }
    const double *fw = lo->field;
    for (int i = 0; i < 3; i++) ms[i] = rt[3 * i] * fw[0] + rt[3 * i + 1] * fw[1] + rt[3 * i + 2] * fw[2];
}

static inline void mount(const double *mt, const double *v, double *out)
{
    for (int i = 0; i < 3; i++) out[i] = mt[3 * i] * v[0] + mt[3 * i + 1] * v[1] + mt[3 * i + 2] * v[2];
}

/* Outputs of every placement at output index j (f, g, m are (P, n, 3)). acc: anchor u axis c at [3u + c]. */
static INLINE void placement_vectors(const Layout *lo, const double *states, const double *acc, Py_ssize_t p,
                                     double *fo, double *go, double *mo)
{
    const double *st = states + ST * lo->seg[p];
    const double *rt = st, *om = st + 9, *al = st + 12, *ms = st + 15;
    const double *a = acc + 3 * lo->anc[p];
    const double aw[3] = {a[0] - lo->gravity[0], a[1] - lo->gravity[1], a[2] - lo->gravity[2]};
    double fs[3];
    for (int i = 0; i < 3; i++) fs[i] = rt[3 * i] * aw[0] + rt[3 * i + 1] * aw[1] + rt[3 * i + 2] * aw[2];
    if (lo->lever) {
        const double *r = lo->r + 3 * p;
        const double t0 = al[1] * r[2] - al[2] * r[1], t1 = al[2] * r[0] - al[0] * r[2],
                     t2 = al[0] * r[1] - al[1] * r[0];
        const double c0 = om[1] * r[2] - om[2] * r[1], c1 = om[2] * r[0] - om[0] * r[2],
                     c2 = om[0] * r[1] - om[1] * r[0];
        fs[0] += t0 + (om[1] * c2 - om[2] * c1);
        fs[1] += t1 + (om[2] * c0 - om[0] * c2);
        fs[2] += t2 + (om[0] * c1 - om[1] * c0);
    }
    if (lo->mt == NULL) {
        fo[0] = fs[0]; fo[1] = fs[1]; fo[2] = fs[2];
        go[0] = om[0]; go[1] = om[1]; go[2] = om[2];
        mo[0] = ms[0]; mo[1] = ms[1]; mo[2] = ms[2];
    } else {
        const double *mt = lo->mt + 9 * p;
        mount(mt, fs, fo);
        mount(mt, om, go);
        mount(mt, ms, mo);
    }
}

/* Outputs of every placement at output index j (f, g, m are (P, n, 3)). acc: anchor u axis c at [3u + c]. */
static void placements_out(const Layout *lo, const double *states, const double *acc, Py_ssize_t j,
                           Py_ssize_t n, double *f, double *g, double *m)
{
    for (Py_ssize_t p = 0; p < lo->P; p++)
        placement_vectors(lo, states, acc, p, f + 3 * (p * n + j), g + 3 * (p * n + j), m + 3 * (p * n + j));
}

/* Parse the arguments shared by cardinal_imu and state_imu. views[0..6]: anc, seg, r, mt, field, gravity. */
static int parse_layout(Layout *lo, Py_ssize_t P, Py_ssize_t U, Py_ssize_t S, int lever, PyObject *anc,
                        PyObject *seg, PyObject *r, PyObject *mt, PyObject *field, PyObject *gravity,
                        Py_buffer *v)
{
    if (P < 1 || U < 1 || S < 1) {
        PyErr_SetString(PyExc_ValueError, "P, U and S must be >= 1");
        return -1;
    }
    if (get_buf(anc, &v[0], P, 8, 0, "anc") || get_buf(seg, &v[1], P, 8, 0, "seg") ||
        get_buf(r, &v[2], 3 * P, 8, 0, "r") || (mt != Py_None && get_buf(mt, &v[3], 9 * P, 8, 0, "mt")) ||
        get_buf(field, &v[4], 3, 8, 0, "field") || get_buf(gravity, &v[5], 3, 8, 0, "gravity"))
        return -1;
    lo->P = P; lo->U = U; lo->S = S; lo->lever = lever;
    lo->anc = (const int64_t *)v[0].buf;
    lo->seg = (const int64_t *)v[1].buf;
    for (Py_ssize_t p = 0; p < P; p++) {
        if (lo->anc[p] < 0 || lo->anc[p] >= U || lo->seg[p] < 0 || lo->seg[p] >= S) {
            PyErr_SetString(PyExc_IndexError, "anchor/segment index out of range");
            return -1;
        }
    }
    lo->r = (const double *)v[2].buf;
    lo->mt = mt == Py_None ? NULL : (const double *)v[3].buf;
    lo->field = (const double *)v[4].buf;
    lo->gravity = (const double *)v[5].buf;
    return 0;
}

/* One output sample of the spline: 2nd derivative of columns [0, n2) (anchor positions, and the
 * quaternions when lever arms need q''), value and 1st derivative of the quaternion columns [A, C):
 * sum_i taps[i] c[m - 2 + i] for i = 0..5 in this order (base points at row m - 2). */
static INLINE void spline_eval(const double *base, Py_ssize_t C, Py_ssize_t A, Py_ssize_t n2, const double *t0,
                               const double *t1, const double *t2, double *v0, double *v1, double *v2)
{
    const double *r0 = base, *r1 = base + C, *r2 = base + 2 * C, *r3 = base + 3 * C, *r4 = base + 4 * C,
                 *r5 = base + 5 * C;
    for (Py_ssize_t c = 0; c < n2; c++)
        v2[c] = t2[0] * r0[c] + t2[1] * r1[c] + t2[2] * r2[c] + t2[3] * r3[c] + t2[4] * r4[c] + t2[5] * r5[c];
    for (Py_ssize_t c = A; c < C; c++) {
        v0[c] = t0[0] * r0[c] + t0[1] * r1[c] + t0[2] * r2[c] + t0[3] * r3[c] + t0[4] * r4[c] + t0[5] * r5[c];
        v1[c] = t1[0] * r0[c] + t1[1] * r1[c] + t1[2] * r2[c] + t1[3] * r3[c] + t1[4] * r4[c] + t1[5] * r5[c];
    }
}

/* ------------------------------------------------------------------ blocks of samples */
/* The uniform-grid loops evaluate the spline one sample at a time but run the rigid-body algebra on
 * blocks of BLK samples stored structure-of-arrays (quantity q of sample b at [q * BLK + b]), so the
 * compiler vectorises it across samples. Same formulas, same order of operations as the scalar
 * segment_state / placement_vectors above: identical results. */
enum { BLK = 8 };

static INLINE void segment_block(const Layout *lo, Py_ssize_t s, const double *restrict Q,
                                 const double *restrict QD, const double *restrict QDD, double *restrict st)
{
    const Py_ssize_t S = lo->S;
    const double *restrict X = Q + s * BLK, *restrict Y = Q + (S + s) * BLK, *restrict Z = Q + (2 * S + s) * BLK,
                 *restrict W = Q + (3 * S + s) * BLK;
    const double *restrict PX = QD + s * BLK, *restrict PY = QD + (S + s) * BLK,
                 *restrict PZ = QD + (2 * S + s) * BLK, *restrict PW = QD + (3 * S + s) * BLK;
    const double f0 = lo->field[0], f1 = lo->field[1], f2 = lo->field[2];
    double inv2[BLK];
    for (int b = 0; b < BLK; b++) {
        const double x = X[b], y = Y[b], z = Z[b], w = W[b], px = PX[b], py = PY[b], pz = PZ[b], pw = PW[b];
        const double qn2 = x * x + y * y + z * z + w * w;
        const double i2 = 2.0 / qn2;
        inv2[b] = i2;
        st[(9 + 0) * BLK + b] = (w * px - pw * x - (y * pz - z * py)) * i2;
        st[(9 + 1) * BLK + b] = (w * py - pw * y - (z * px - x * pz)) * i2;
        st[(9 + 2) * BLK + b] = (w * pz - pw * z - (x * py - y * px)) * i2;
        const double xx = i2 * x * x, yy = i2 * y * y, zz = i2 * z * z;
        const double xy = i2 * x * y, xz = i2 * x * z, yz = i2 * y * z;
        const double xw = i2 * x * w, yw = i2 * y * w, zw = i2 * z * w;
        const double r0 = 1 - (yy + zz), r1 = xy + zw, r2 = xz - yw;
        const double r3 = xy - zw, r4 = 1 - (xx + zz), r5 = yz + xw;
        const double r6 = xz + yw, r7 = yz - xw, r8 = 1 - (xx + yy);
        st[0 * BLK + b] = r0; st[1 * BLK + b] = r1; st[2 * BLK + b] = r2;
        st[3 * BLK + b] = r3; st[4 * BLK + b] = r4; st[5 * BLK + b] = r5;
        st[6 * BLK + b] = r6; st[7 * BLK + b] = r7; st[8 * BLK + b] = r8;
        st[15 * BLK + b] = r0 * f0 + r1 * f1 + r2 * f2;
        st[16 * BLK + b] = r3 * f0 + r4 * f1 + r5 * f2;
        st[17 * BLK + b] = r6 * f0 + r7 * f1 + r8 * f2;
    }
    if (QDD == NULL) return;
    const double *restrict AX = QDD + s * BLK, *restrict AY = QDD + (S + s) * BLK,
                 *restrict AZ = QDD + (2 * S + s) * BLK, *restrict AW = QDD + (3 * S + s) * BLK;
    for (int b = 0; b < BLK; b++) {
        const double x = X[b], y = Y[b], z = Z[b], w = W[b], px = PX[b], py = PY[b], pz = PZ[b], pw = PW[b];
        const double ax = AX[b], ay = AY[b], az = AZ[b], aw = AW[b], i2 = inv2[b];
        const double dot = x * px + y * py + z * pz + w * pw;
        const double k = dot * i2;
        st[12 * BLK + b] = (w * ax - aw * x - (y * az - z * ay)) * i2 - st[9 * BLK + b] * k;
        st[13 * BLK + b] = (w * ay - aw * y - (z * ax - x * az)) * i2 - st[10 * BLK + b] * k;
        st[14 * BLK + b] = (w * az - aw * z - (x * ay - y * ax)) * i2 - st[11 * BLK + b] * k;
    }
}

/* Placement p's specific force, rate and field (out: 9 rows of BLK: f x y z, g x y z, m x y z). */
static INLINE void placement_block(const Layout *lo, const double *restrict states, const double *restrict V2,
                                   Py_ssize_t p, double *restrict out)
{
    const double *restrict st = states + ST * BLK * lo->seg[p];
    const double *restrict ax = V2 + 3 * lo->anc[p] * BLK;
    const double g0 = lo->gravity[0], g1 = lo->gravity[1], g2 = lo->gravity[2];
    double fs[3 * BLK];
    for (int b = 0; b < BLK; b++) {
        const double aw0 = ax[b] - g0, aw1 = ax[BLK + b] - g1, aw2 = ax[2 * BLK + b] - g2;
        fs[b] = st[0 * BLK + b] * aw0 + st[1 * BLK + b] * aw1 + st[2 * BLK + b] * aw2;
        fs[BLK + b] = st[3 * BLK + b] * aw0 + st[4 * BLK + b] * aw1 + st[5 * BLK + b] * aw2;
        fs[2 * BLK + b] = st[6 * BLK + b] * aw0 + st[7 * BLK + b] * aw1 + st[8 * BLK + b] * aw2;
    }
    if (lo->lever) {
        const double r0 = lo->r[3 * p], r1 = lo->r[3 * p + 1], r2 = lo->r[3 * p + 2];
        for (int b = 0; b < BLK; b++) {
            const double o0 = st[9 * BLK + b], o1 = st[10 * BLK + b], o2 = st[11 * BLK + b];
            const double a0 = st[12 * BLK + b], a1 = st[13 * BLK + b], a2 = st[14 * BLK + b];
            const double t0 = a1 * r2 - a2 * r1, t1 = a2 * r0 - a0 * r2, t2 = a0 * r1 - a1 * r0;
            const double c0 = o1 * r2 - o2 * r1, c1 = o2 * r0 - o0 * r2, c2 = o0 * r1 - o1 * r0;
            fs[b] += t0 + (o1 * c2 - o2 * c1);
            fs[BLK + b] += t1 + (o2 * c0 - o0 * c2);
            fs[2 * BLK + b] += t2 + (o0 * c1 - o1 * c0);
        }
    }
    if (lo->mt == NULL) {
        for (int b = 0; b < 3 * BLK; b++) {
            out[b] = fs[b];
            out[3 * BLK + b] = st[9 * BLK + b];
            out[6 * BLK + b] = st[15 * BLK + b];
        }
        return;
    }
    const double *mt = lo->mt + 9 * p;
    for (int i = 0; i < 3; i++) {
        const double m0 = mt[3 * i], m1 = mt[3 * i + 1], m2 = mt[3 * i + 2];
        for (int b = 0; b < BLK; b++) {
            out[i * BLK + b] = m0 * fs[b] + m1 * fs[BLK + b] + m2 * fs[2 * BLK + b];
            out[(3 + i) * BLK + b] = m0 * st[9 * BLK + b] + m1 * st[10 * BLK + b] + m2 * st[11 * BLK + b];
            out[(6 + i) * BLK + b] = m0 * st[15 * BLK + b] + m1 * st[16 * BLK + b] + m2 * st[17 * BLK + b];
        }
    }
}

/* Placement p's field of another Earth field fw (out: 3 rows of BLK): segment_block's R^T fw and
 * placement_block's mount, the same operations in the same order, on the states' R^T rows. */
static INLINE void field_block(const Layout *lo, const double *restrict states, Py_ssize_t p,
                               const double *fw, double *restrict out)
{
    const double *restrict st = states + ST * BLK * lo->seg[p];
    const double f0 = fw[0], f1 = fw[1], f2 = fw[2];
    double ms[3 * BLK];
    for (int b = 0; b < BLK; b++) {
        ms[b] = st[0 * BLK + b] * f0 + st[1 * BLK + b] * f1 + st[2 * BLK + b] * f2;
        ms[BLK + b] = st[3 * BLK + b] * f0 + st[4 * BLK + b] * f1 + st[5 * BLK + b] * f2;
        ms[2 * BLK + b] = st[6 * BLK + b] * f0 + st[7 * BLK + b] * f1 + st[8 * BLK + b] * f2;
    }
    if (lo->mt == NULL) {
        for (int b = 0; b < 3 * BLK; b++) out[b] = ms[b];
        return;
    }
    const double *mt = lo->mt + 9 * p;
    for (int i = 0; i < 3; i++) {
        const double m0 = mt[3 * i], m1 = mt[3 * i + 1], m2 = mt[3 * i + 2];
        for (int b = 0; b < BLK; b++) out[i * BLK + b] = m0 * ms[b] + m1 * ms[BLK + b] + m2 * ms[2 * BLK + b];
    }
}

/* Spline values of samples jb .. jb + nb - 1 into the blocks V0, V1, V2 (C rows of BLK each). */
static INLINE void spline_block(const double *coef, const double *taps, Py_ssize_t L, Py_ssize_t J0,
                                Py_ssize_t nb, Py_ssize_t pad, Py_ssize_t C, Py_ssize_t A, Py_ssize_t n2,
                                double *v0, double *v1, double *v2, double *V0, double *V1, double *V2)
{
    for (Py_ssize_t b = 0; b < nb; b++) {
        const Py_ssize_t J = J0 + b, mi = J / L, ph = J % L;
        const double *base = coef + (pad + mi - 2) * C;
        spline_eval(base, C, A, n2, taps + ph * 6, taps + (L + ph) * 6, taps + (2 * L + ph) * 6, v0, v1, v2);
        for (Py_ssize_t c = 0; c < n2; c++) V2[c * BLK + b] = v2[c];
        for (Py_ssize_t c = A; c < C; c++) { V0[c * BLK + b] = v0[c]; V1[c * BLK + b] = v1[c]; }
    }
}

/* Work space of the block loops (zeroed: a short last block computes on zeros, never output). */
static double *block_work(const Layout *lo, Py_ssize_t extra)
{
    const Py_ssize_t C = 3 * lo->U + 4 * lo->S;
    return (double *)calloc((size_t)(3 * C + 3 * C * BLK + ST * BLK * lo->S + 9 * BLK * lo->P + extra),
                            sizeof(double));
}

/* ------------------------------------------------------------------ cardinal_imu */
/* On x86-64 the hot loops are compiled twice (baseline SSE2 and AVX2, chosen at load time by the
 * CPU): both are element-wise IEEE double operations in the same order (no FMA contraction), so
 * the results are bit-identical whichever version runs. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && defined(__linux__) && !defined(IMUFORGE_NO_MULTIVERSION)
#define MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MULTIVERSION
#endif

MULTIVERSION
static void cardinal_loop(const Layout *lo, const double *coef, const double *taps, Py_ssize_t L, Py_ssize_t j0,
                          Py_ssize_t n_out, Py_ssize_t pad, double *work, double *f, double *g, double *m,
                          Py_ssize_t F, const double *fields, double *mags)
{
    const Py_ssize_t U = lo->U, S = lo->S, P = lo->P, C = 3 * U + 4 * S, A = 3 * U;
    double *v0 = work, *v1 = v0 + C, *v2 = v1 + C, *V0 = v2 + C, *V1 = V0 + C * BLK, *V2 = V1 + C * BLK;
    double *SB = V2 + C * BLK, *PO = SB + ST * BLK * S;
    const Py_ssize_t n2 = lo->lever ? C : A;
    for (Py_ssize_t jb = 0; jb < n_out; jb += BLK) {
        const Py_ssize_t nb = n_out - jb < BLK ? n_out - jb : BLK;
        spline_block(coef, taps, L, j0 + jb, nb, pad, C, A, n2, v0, v1, v2, V0, V1, V2);
        for (Py_ssize_t s = 0; s < S; s++)
            segment_block(lo, s, V0 + A * BLK, V1 + A * BLK, lo->lever ? V2 + A * BLK : NULL, SB + ST * BLK * s);
        for (Py_ssize_t p = 0; p < P; p++) {
            double *po = PO + 9 * BLK * p;
            placement_block(lo, SB, V2, p, po);
            for (Py_ssize_t b = 0; b < nb; b++) {
                const Py_ssize_t o = 3 * (p * n_out + jb + b);
                for (int i = 0; i < 3; i++) {
                    f[o + i] = po[i * BLK + b];
                    g[o + i] = po[(3 + i) * BLK + b];
                    m[o + i] = po[(6 + i) * BLK + b];
                }
            }
            for (Py_ssize_t e = 0; e < F; e++) { /* the other fields (mags (F, P, n_out, 3)) */
                field_block(lo, SB, p, fields + 3 * e, po);
                double *me = mags + 3 * ((e * P + p) * n_out + jb);
                for (Py_ssize_t b = 0; b < nb; b++)
                    for (int i = 0; i < 3; i++) me[3 * b + i] = po[i * BLK + b];
            }
        }
    }
}

PyDoc_STRVAR(cardinal_imu_doc,
"cardinal_imu(coef, n_coef, L, j0, n_out, pad, taps, U, S, lever, anc, seg, r, mt, field, gravity, f, g, m)\n\n"
"Uniform quintic B-spline + rigid-body algebra. coef (n_coef, 3U + 4S) prefiltered coefficients\n"
"(columns: anchor u axis c at 3u + c, quaternion component k of segment s at 3U + kS + s; frame k at\n"
"row pad + k); taps (3, L, 6) weights of coefficients m-2..m+3 for value / 1st / 2nd derivative\n"
"(already in 1/s^order); output j is at frame (j0 + j) / L. mt (P, 3, 3) or None. f, g, m (P, n_out, 3)\n"
"are written; with fields (F, 3) µT, mags (F, P, n_out, 3) gets the m of each of these fields too (the\n"
"bits of a pass with that field, without evaluating the spline again).");

static PyObject *cardinal_imu(PyObject *self, PyObject *args)
{
    PyObject *coef_o, *taps_o, *anc, *seg, *r, *mt, *field, *gravity, *f_o, *g_o, *m_o, *fl_o = Py_None,
             *mg_o = Py_None;
    Py_ssize_t n_coef, L, j0, n_out, pad, U, S;
    int lever;
    if (!PyArg_ParseTuple(args, "OnnnnnOnnpOOOOOOOOO|OO", &coef_o, &n_coef, &L, &j0, &n_out, &pad, &taps_o,
                          &U, &S, &lever, &anc, &seg, &r, &mt, &field, &gravity, &f_o, &g_o, &m_o, &fl_o,
                          &mg_o))
        return NULL;
    Py_buffer v[13];
    memset(v, 0, sizeof v);
    Layout lo;
    Py_ssize_t P = 0;
    {
        Py_buffer tmp;
        if (PyObject_GetBuffer(anc, &tmp, PyBUF_C_CONTIGUOUS) < 0) return NULL;
        P = tmp.len / 8;
        PyBuffer_Release(&tmp);
    }
    const Py_ssize_t C = 3 * U + 4 * S;
    if (L < 1 || j0 < 0 || n_out < 0 || pad < 2) {
        PyErr_SetString(PyExc_ValueError, "need L >= 1, j0 >= 0, n_out >= 0, pad >= 2");
        return NULL;
    }
    if (parse_layout(&lo, P, U, S, lever, anc, seg, r, mt, field, gravity, v) ||
        get_buf(coef_o, &v[6], n_coef * C, 8, 0, "coef") || get_buf(taps_o, &v[7], 3 * L * 6, 8, 0, "taps") ||
        get_buf(f_o, &v[8], P * n_out * 3, 8, 1, "f") || get_buf(g_o, &v[9], P * n_out * 3, 8, 1, "g") ||
        get_buf(m_o, &v[10], P * n_out * 3, 8, 1, "m")) {
        release(v, 13);
        return NULL;
    }
    Py_ssize_t F = 0;
    if (fl_o != Py_None) {
        if (PyObject_GetBuffer(fl_o, &v[11], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            release(v, 13);
            return NULL;
        }
        F = v[11].len / 24;
        if (v[11].itemsize != 8 || v[11].len != 24 * F ||
            get_buf(mg_o, &v[12], F * P * n_out * 3, 8, 1, "mags")) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "fields: need a float64 (F, 3) buffer");
            release(v, 13);
            return NULL;
        }
    }
    if (n_out > 0 && (pad + (j0 + n_out - 1) / L + 3 >= n_coef || pad + j0 / L - 2 < 0)) {
        release(v, 13);
        PyErr_SetString(PyExc_ValueError, "output times run past the coefficients");
        return NULL;
    }
    const double *coef = (const double *)v[6].buf, *taps = (const double *)v[7].buf;
    double *f = (double *)v[8].buf, *g = (double *)v[9].buf, *m = (double *)v[10].buf;
    const double *fields = F ? (const double *)v[11].buf : NULL;
    double *mags = F ? (double *)v[12].buf : NULL;
    double *work = block_work(&lo, 0);
    if (work == NULL) {
        release(v, 13);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    cardinal_loop(&lo, coef, taps, L, j0, n_out, pad, work, f, g, m, F, fields, mags);
    Py_END_ALLOW_THREADS
    free(work);
    release(v, 13);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ state_imu */
PyDoc_STRVAR(state_imu_doc,
"state_imu(q, qd, qdd, acc, n, U, S, lever, anc, seg, r, mt, field, gravity, f, g, m)\n\n"
"Rigid-body algebra from evaluated quaternions q, qd, qdd (n, 4, S) (qdd may be None when lever is\n"
"false) and anchor accelerations acc (n, U, 3). f, g, m (P, n, 3) are written.");

static PyObject *state_imu(PyObject *self, PyObject *args)
{
    PyObject *q_o, *qd_o, *qdd_o, *acc_o, *anc, *seg, *r, *mt, *field, *gravity, *f_o, *g_o, *m_o;
    Py_ssize_t n, U, S;
    int lever;
    if (!PyArg_ParseTuple(args, "OOOOnnnpOOOOOOOOO", &q_o, &qd_o, &qdd_o, &acc_o, &n, &U, &S, &lever, &anc, &seg,
                          &r, &mt, &field, &gravity, &f_o, &g_o, &m_o))
        return NULL;
    Py_buffer v[13];
    memset(v, 0, sizeof v);
    Layout lo;
    Py_ssize_t P;
    {
        Py_buffer tmp;
        if (PyObject_GetBuffer(anc, &tmp, PyBUF_C_CONTIGUOUS) < 0) return NULL;
        P = tmp.len / 8;
        PyBuffer_Release(&tmp);
    }
    if (n < 0 || (lever && qdd_o == Py_None)) {
        PyErr_SetString(PyExc_ValueError, "need n >= 0 and qdd when lever is set");
        return NULL;
    }
    if (parse_layout(&lo, P, U, S, lever, anc, seg, r, mt, field, gravity, v) ||
        get_buf(q_o, &v[6], n * 4 * S, 8, 0, "q") || get_buf(qd_o, &v[7], n * 4 * S, 8, 0, "qd") ||
        (lever && get_buf(qdd_o, &v[8], n * 4 * S, 8, 0, "qdd")) || get_buf(acc_o, &v[9], n * 3 * U, 8, 0, "acc") ||
        get_buf(f_o, &v[10], P * n * 3, 8, 1, "f") || get_buf(g_o, &v[11], P * n * 3, 8, 1, "g") ||
        get_buf(m_o, &v[12], P * n * 3, 8, 1, "m")) {
        release(v, 13);
        return NULL;
    }
    const double *q = (const double *)v[6].buf, *qd = (const double *)v[7].buf;
    const double *qdd = lever ? (const double *)v[8].buf : NULL, *acc = (const double *)v[9].buf;
    double *f = (double *)v[10].buf, *g = (double *)v[11].buf, *m = (double *)v[12].buf;
    double *states = (double *)malloc(sizeof(double) * ST * S);
    if (states == NULL) {
        release(v, 13);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < n; j++) {
        const Py_ssize_t o = 4 * S * j;
        for (Py_ssize_t s = 0; s < S; s++)
            segment_state(&lo, s, q + o, qd + o, qdd ? qdd + o : NULL, states + ST * s);
        placements_out(&lo, states, acc + 3 * U * j, j, n, f, g, m);
    }
    Py_END_ALLOW_THREADS
    free(states);
    release(v, 13);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ causal filter + reads */
/* One sample of every column through its cascade: y (C) in/out, z (ns, 2, C) state, sos (ns, 6, C)
 * (coefficient-major, so the loop over columns vectorises). */
static INLINE void sos_step(double *restrict y, double *restrict z, const double *restrict sos, Py_ssize_t ns,
                            Py_ssize_t C)
{
    for (Py_ssize_t s = 0; s < ns; s++) {
        const double *restrict b0 = sos + 6 * s * C, *restrict b1 = b0 + C, *restrict b2 = b0 + 2 * C,
                     *restrict a1 = b0 + 4 * C, *restrict a2 = b0 + 5 * C;
        double *restrict z0 = z + (2 * s) * C, *restrict z1 = z + (2 * s + 1) * C;
        for (Py_ssize_t c = 0; c < C; c++) {
            const double xi = y[c];
            const double yo = b0[c] * xi + z0[c];
            z0[c] = b1[c] * xi - a1[c] * yo + z1[c];
            z1[c] = b2[c] * xi - a2[c] * yo;
            y[c] = yo;
        }
    }
}

/* Reads at positions pos[*kk .. kend) that are ready once sample t of the n-sample stream is in the
 * ring (4 rows of stride C; columns col0 .. col0 + W), written to out rows of W. Exact sample on the
 * grid, else 4-point cubic Lagrange on i-1..i+2, i = clip(floor(pos), 1, n - 3), as
 * simulate.resample_uniform. Ascending positions are ready in order, so each is read as soon as its
 * stencil is complete and the 4-row ring always holds it. */
static INLINE void pick_ready(const double *ring, Py_ssize_t C, Py_ssize_t col0, Py_ssize_t W, Py_ssize_t n,
                              Py_ssize_t t, const double *pos, Py_ssize_t *kk, Py_ssize_t kend, double *out)
{
    while (*kk < kend) {
        const double p = pos[*kk];
        double fl = p < 0 ? 0.0 : floor(p);
        if (fl > (double)(n - 1)) fl = (double)(n - 1);
        const Py_ssize_t ip = (Py_ssize_t)fl;
        double *o = out + (*kk) * W;
        if (p == fl) {
            if (ip > t) return;
            const double *src = ring + (ip & 3) * C + col0;
            for (Py_ssize_t c = 0; c < W; c++) o[c] = src[c];
            (*kk)++;
            continue;
        }
        Py_ssize_t i = ip < 1 ? 1 : ip;
        if (i > n - 3) i = n - 3;
        if (i + 2 > t) return;
        const double u = p - (double)i, um = u + 1.0, u1 = u - 1.0, u2 = u - 2.0;
        const double w0 = -u * u1 * u2 / 6.0, w1 = um * u1 * u2 / 2.0, w2 = -um * u * u2 / 2.0,
                     w3 = um * u * u1 / 6.0;
        const double *r0 = ring + ((i - 1) & 3) * C + col0, *r1 = ring + (i & 3) * C + col0,
                     *r2 = ring + ((i + 1) & 3) * C + col0, *r3 = ring + ((i + 2) & 3) * C + col0;
        for (Py_ssize_t c = 0; c < W; c++) o[c] = r0[c] * w0 + r1[c] * w1 + r2[c] * w2 + r3[c] * w3;
        (*kk)++;
    }
}

static int check_ascending(const double *pos, Py_ssize_t k)
{
    if (k > 0 && !isfinite(pos[0])) {
        PyErr_SetString(PyExc_ValueError, "pos must be finite");
        return -1;
    }
    for (Py_ssize_t i = 1; i < k; i++) {
        if (!(pos[i] >= pos[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "pos must be ascending");
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ sos_pick */
PyDoc_STRVAR(sos_pick_doc,
"sos_pick(streams, n, sos, n_sec, zi, pos, k, out)\n\n"
"streams: tuple of (n, 3) float64 arrays, C = 3 len(streams) columns. Each column runs through its own\n"
"causal cascade of n_sec second-order sections, sos (n_sec, 6, C): b0 b1 b2 a0 a1 a2 (a0 = 1) per column\n"
"(Direct Form II transposed, the recursion of scipy.signal.sosfilt; identity sections 1 0 0 1 0 0\n"
"pass a column through unchanged), zi (n_sec, 2, C) the initial state. The filtered streams are read\n"
"at the k ascending fractional sample positions pos: exactly where pos is integral, else 4-point\n"
"cubic Lagrange on samples i-1..i+2, i = clip(floor(pos), 1, n - 3), as simulate.resample_uniform.\n"
"out (k, C). The filtered streams are never stored. Needs n >= 4.");

/* sos_pick's pass over the grid (the column loops vectorise: with AVX2 where the CPU has it, the same
 * element-wise operations in the same order, see MULTIVERSION) */
MULTIVERSION
static void sos_pick_loop(const double *const *xs, Py_ssize_t m, Py_ssize_t n, const double *sos,
                          Py_ssize_t ns, double *z, double *ring, const double *pos, Py_ssize_t k,
                          double *out)
{
    const Py_ssize_t C = 3 * m;
    Py_ssize_t kk = 0;
    for (Py_ssize_t t = 0; t < n && kk < k; t++) {
        double *y = ring + (t & 3) * C;
        for (Py_ssize_t i = 0; i < m; i++) {
            const double *xr = xs[i] + 3 * t;
            y[3 * i] = xr[0]; y[3 * i + 1] = xr[1]; y[3 * i + 2] = xr[2];
        }
        sos_step(y, z, sos, ns, C);
        pick_ready(ring, C, 0, C, n, t, pos, &kk, k, out);
    }
}

static PyObject *sos_pick(PyObject *self, PyObject *args)
{
    PyObject *streams, *sos_o, *zi_o, *pos_o, *out_o;
    Py_ssize_t n, ns, k;
    if (!PyArg_ParseTuple(args, "O!nOnOOnO", &PyTuple_Type, &streams, &n, &sos_o, &ns, &zi_o, &pos_o, &k, &out_o))
        return NULL;
    const Py_ssize_t m = PyTuple_GET_SIZE(streams), C = 3 * m;
    if (n < 4 || m < 1 || m > 16 || ns < 1 || k < 0) {
        PyErr_SetString(PyExc_ValueError, "need n >= 4, 1..16 streams, n_sec >= 1, k >= 0");
        return NULL;
    }
    Py_buffer v[4 + 16];
    memset(v, 0, sizeof v);
    if (get_buf(sos_o, &v[0], 6 * ns * C, 8, 0, "sos") || get_buf(zi_o, &v[1], 2 * ns * C, 8, 0, "zi") ||
        get_buf(pos_o, &v[2], k, 8, 0, "pos") || get_buf(out_o, &v[3], k * C, 8, 1, "out")) {
        release(v, 4);
        return NULL;
    }
    const double *xs[16];
    for (Py_ssize_t i = 0; i < m; i++) {
        if (get_buf(PyTuple_GET_ITEM(streams, i), &v[4 + i], 3 * n, 8, 0, "stream")) {
            release(v, 4 + 16);
            return NULL;
        }
        xs[i] = (const double *)v[4 + i].buf;
    }
    const double *sos = (const double *)v[0].buf, *zi0 = (const double *)v[1].buf;
    const double *pos = (const double *)v[2].buf;
    double *out = (double *)v[3].buf;
    if (check_ascending(pos, k)) {
        release(v, 4 + 16);
        return NULL;
    }
    /* state (ns, 2, C), ring of the last 4 filtered rows */
    double *work = (double *)malloc(sizeof(double) * (2 * ns * C + 4 * C));
    if (work == NULL) {
        release(v, 4 + 16);
        return PyErr_NoMemory();
    }
    double *z = work, *ring = work + 2 * ns * C;
    memcpy(z, zi0, sizeof(double) * 2 * ns * C);
    Py_BEGIN_ALLOW_THREADS
    sos_pick_loop(xs, m, n, sos, ns, z, ring, pos, k, out);
    Py_END_ALLOW_THREADS
    free(work);
    release(v, 4 + 16);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ filtfilt_cols */
PyDoc_STRVAR(filtfilt_cols_doc,
"filtfilt_cols(x, n, C, sos, n_sec, zi, edge, odd, out)\n\n"
"Zero-phase filtering of the C columns of x (n, C) float64 along its rows, the steps of\n"
"scipy.signal.sosfiltfilt(sos, x, axis=0, padtype='odd' or 'even', padlen=edge): the columns extended by\n"
"edge reflected rows at each end (odd: 2 x[0] - x[i], even: x[i]), run forward through the cascade from\n"
"the state zi x (first extended row), then backward from zi x (last forward output), edge rows cut off\n"
"each end. sos (n_sec, 6, C) and zi (n_sec, 2, C) per column, as sos_pick's (zi the steady state of a\n"
"unit step, scipy.signal.sosfilt_zi). out (n, C). Needs 0 <= edge < n.");

/* the forward and the backward pass over the extended rows y (N, C), in place */
MULTIVERSION
static void filtfilt_loop(double *y, Py_ssize_t N, Py_ssize_t C, const double *sos, Py_ssize_t ns,
                          const double *zi, double *z)
{
    for (Py_ssize_t pass = 0; pass < 2; pass++) {
        const double *start = pass == 0 ? y : y + (N - 1) * C;
        for (Py_ssize_t s = 0; s < 2 * ns; s++)
            for (Py_ssize_t c = 0; c < C; c++) z[s * C + c] = zi[s * C + c] * start[c];
        if (pass == 0)
            for (Py_ssize_t t = 0; t < N; t++) sos_step(y + t * C, z, sos, ns, C);
        else
            for (Py_ssize_t t = N - 1; t >= 0; t--) sos_step(y + t * C, z, sos, ns, C);
    }
}

static PyObject *filtfilt_cols(PyObject *self, PyObject *args)
{
    PyObject *x_o, *sos_o, *zi_o, *out_o;
    Py_ssize_t n, C, ns, edge;
    int odd;
    if (!PyArg_ParseTuple(args, "OnnOnOnpO", &x_o, &n, &C, &sos_o, &ns, &zi_o, &edge, &odd, &out_o))
        return NULL;
    if (n < 1 || C < 1 || ns < 1 || edge < 0 || edge >= n) {
        PyErr_SetString(PyExc_ValueError, "need n >= 1, C >= 1, n_sec >= 1, 0 <= edge < n");
        return NULL;
    }
    Py_buffer v[4];
    memset(v, 0, sizeof v);
    if (get_buf(x_o, &v[0], n * C, 8, 0, "x") || get_buf(sos_o, &v[1], 6 * ns * C, 8, 0, "sos") ||
        get_buf(zi_o, &v[2], 2 * ns * C, 8, 0, "zi") || get_buf(out_o, &v[3], n * C, 8, 1, "out")) {
        release(v, 4);
        return NULL;
    }
    const double *x = (const double *)v[0].buf, *sos = (const double *)v[1].buf;
    const double *zi = (const double *)v[2].buf;
    double *out = (double *)v[3].buf;
    const Py_ssize_t N = n + 2 * edge;
    double *work = (double *)malloc(sizeof(double) * (N * C + 2 * ns * C));
    if (work == NULL) {
        release(v, 4);
        return PyErr_NoMemory();
    }
    double *y = work, *z = work + N * C;
    Py_BEGIN_ALLOW_THREADS
    const double *first = x, *last = x + (n - 1) * C;
    /* rows edge - i and edge + n - 1 + i: x[i] and x[n-1-i] reflected */
    for (Py_ssize_t i = 1; i <= edge; i++) {
        const double *a = x + i * C, *b = x + (n - 1 - i) * C;
        double *ya = y + (edge - i) * C, *yb = y + (edge + n - 1 + i) * C;
        for (Py_ssize_t c = 0; c < C; c++) {
            ya[c] = odd ? 2 * first[c] - a[c] : a[c];
            yb[c] = odd ? 2 * last[c] - b[c] : b[c];
        }
    }
    memcpy(y + edge * C, x, sizeof(double) * n * C);
    filtfilt_loop(y, N, C, sos, ns, zi, z);
    memcpy(out, y + edge * C, sizeof(double) * n * C);
    Py_END_ALLOW_THREADS
    free(work);
    release(v, 4);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ cardinal_sim */
MULTIVERSION
static void cardinal_sim_loop(const Layout *lo, const double *coef, const double *taps, Py_ssize_t L,
                              Py_ssize_t j0, Py_ssize_t n_out, Py_ssize_t pad, double *work, const int64_t *src,
                              Py_ssize_t M, const double *sos, Py_ssize_t ns, double *z, const double *pos,
                              const int64_t *offs, Py_ssize_t *kk, double *ring, double *out)
{
    const Py_ssize_t U = lo->U, S = lo->S, P = lo->P, C = 3 * U + 4 * S, A = 3 * U, W = 3 * M, CW = P * W;
    double *v0 = work, *v1 = v0 + C, *v2 = v1 + C, *V0 = v2 + C, *V1 = V0 + C * BLK, *V2 = V1 + C * BLK;
    double *SB = V2 + C * BLK, *PO = SB + ST * BLK * S;
    const Py_ssize_t n2 = lo->lever ? C : A;
    for (Py_ssize_t jb = 0; jb < n_out; jb += BLK) {
        const Py_ssize_t nb = n_out - jb < BLK ? n_out - jb : BLK;
        spline_block(coef, taps, L, j0 + jb, nb, pad, C, A, n2, v0, v1, v2, V0, V1, V2);
        for (Py_ssize_t s = 0; s < S; s++)
            segment_block(lo, s, V0 + A * BLK, V1 + A * BLK, lo->lever ? V2 + A * BLK : NULL, SB + ST * BLK * s);
        for (Py_ssize_t p = 0; p < P; p++) placement_block(lo, SB, V2, p, PO + 9 * BLK * p);
        for (Py_ssize_t b = 0; b < nb; b++) {
            const Py_ssize_t j = jb + b;
            double *y = ring + (j & 3) * CW;
            for (Py_ssize_t p = 0; p < P; p++) {
                const double *po = PO + 9 * BLK * p;
                double *yp = y + p * W;
                for (Py_ssize_t q = 0; q < M; q++)
                    for (int i = 0; i < 3; i++) yp[3 * q + i] = po[(3 * src[q] + i) * BLK + b];
            }
            sos_step(y, z, sos, ns, CW);
            for (Py_ssize_t p = 0; p < P; p++)
                pick_ready(ring, CW, p * W, W, n_out, j, pos, &kk[p], offs[p + 1], out);
        }
    }
}

PyDoc_STRVAR(cardinal_sim_doc,
"cardinal_sim(coef, n_coef, L, j0, n_out, pad, taps, U, S, lever, anc, seg, r, mt, field, gravity, src, sos,\n"
"             n_sec, zi, pos, offs, out)\n\n"
"The simulator's hot path in one pass: the ideal outputs of every placement on the uniform grid of\n"
"cardinal_imu (never stored), M streams per placement (src (M,): 0 specific force, 1 angular rate,\n"
"2 magnetic field), each column through its own SOS cascade (sos (n_sec, 6, P 3M), zi (n_sec, 2, P 3M);\n"
"identity sections pass a stream unfiltered), read at each placement's ascending grid positions\n"
"pos[offs[p]:offs[p+1]] as sos_pick does. out (offs[P], 3M).");

static PyObject *cardinal_sim(PyObject *self, PyObject *args)
{
    PyObject *coef_o, *taps_o, *anc, *seg, *r, *mt, *field, *gravity, *src_o, *sos_o, *zi_o, *pos_o, *offs_o,
        *out_o;
    Py_ssize_t n_coef, L, j0, n_out, pad, U, S, ns;
    int lever;
    if (!PyArg_ParseTuple(args, "OnnnnnOnnpOOOOOOOOnOOOO", &coef_o, &n_coef, &L, &j0, &n_out, &pad, &taps_o, &U,
                          &S, &lever, &anc, &seg, &r, &mt, &field, &gravity, &src_o, &sos_o, &ns, &zi_o, &pos_o,
                          &offs_o, &out_o))
        return NULL;
    Py_buffer v[14];
    memset(v, 0, sizeof v);
    Layout lo;
    Py_ssize_t P, M, K;
    {
        Py_buffer a, b, c;
        if (PyObject_GetBuffer(anc, &a, PyBUF_C_CONTIGUOUS) < 0) return NULL;
        P = a.len / 8;
        PyBuffer_Release(&a);
        if (PyObject_GetBuffer(src_o, &b, PyBUF_C_CONTIGUOUS) < 0) return NULL;
        M = b.len / 8;
        PyBuffer_Release(&b);
        if (PyObject_GetBuffer(pos_o, &c, PyBUF_C_CONTIGUOUS) < 0) return NULL;
        K = c.len / 8;
        PyBuffer_Release(&c);
    }
    const Py_ssize_t C = 3 * U + 4 * S, W = 3 * M;
    if (L < 1 || j0 < 0 || n_out < 4 || pad < 2 || M < 1 || ns < 1) {
        PyErr_SetString(PyExc_ValueError, "need L >= 1, j0 >= 0, n_out >= 4, pad >= 2, M >= 1, n_sec >= 1");
        return NULL;
    }
    if (parse_layout(&lo, P, U, S, lever, anc, seg, r, mt, field, gravity, v) ||
        get_buf(coef_o, &v[6], n_coef * C, 8, 0, "coef") || get_buf(taps_o, &v[7], 3 * L * 6, 8, 0, "taps") ||
        get_buf(src_o, &v[8], M, 8, 0, "src") || get_buf(sos_o, &v[9], 6 * ns * P * W, 8, 0, "sos") ||
        get_buf(zi_o, &v[10], 2 * ns * P * W, 8, 0, "zi") || get_buf(pos_o, &v[11], K, 8, 0, "pos") ||
        get_buf(offs_o, &v[12], P + 1, 8, 0, "offs") || get_buf(out_o, &v[13], K * W, 8, 1, "out")) {
        release(v, 14);
        return NULL;
    }
    if (pad + (j0 + n_out - 1) / L + 3 >= n_coef || pad + j0 / L - 2 < 0) {
        release(v, 14);
        PyErr_SetString(PyExc_ValueError, "output times run past the coefficients");
        return NULL;
    }
    const int64_t *src = (const int64_t *)v[8].buf, *offs = (const int64_t *)v[12].buf;
    const double *pos = (const double *)v[11].buf;
    for (Py_ssize_t q = 0; q < M; q++)
        if (src[q] < 0 || src[q] > 2) { release(v, 14); PyErr_SetString(PyExc_ValueError, "src must be 0, 1 or 2"); return NULL; }
    if (offs[0] != 0 || offs[P] != K) { release(v, 14); PyErr_SetString(PyExc_ValueError, "offs must run 0 .. len(pos)"); return NULL; }
    for (Py_ssize_t p = 0; p < P; p++) {
        if (offs[p + 1] < offs[p] || check_ascending(pos + offs[p], offs[p + 1] - offs[p])) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "offs must be non-decreasing");
            release(v, 14);
            return NULL;
        }
    }
    const Py_ssize_t CW = P * W;
    double *work = block_work(&lo, 2 * ns * CW + 4 * CW);
    Py_ssize_t *kk = (Py_ssize_t *)malloc(sizeof(Py_ssize_t) * P);
    if (work == NULL || kk == NULL) {
        free(work);
        free(kk);
        release(v, 14);
        return PyErr_NoMemory();
    }
    double *z = work + 3 * C + 3 * C * BLK + ST * BLK * S + 9 * BLK * P, *ring = z + 2 * ns * CW;
    memcpy(z, v[10].buf, sizeof(double) * 2 * ns * CW);
    for (Py_ssize_t p = 0; p < P; p++) kk[p] = offs[p];
    Py_BEGIN_ALLOW_THREADS
    cardinal_sim_loop(&lo, (const double *)v[6].buf, (const double *)v[7].buf, L, j0, n_out, pad, work, src, M,
                      (const double *)v[9].buf, ns, z, pos, offs, kk, ring, (double *)v[13].buf);
    Py_END_ALLOW_THREADS
    free(work);
    free(kk);
    release(v, 14);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ sensor_chain */
PyDoc_STRVAR(sensor_chain_doc,
"sensor_chain(x, f, zw, zn, n, params, flags, out)\n\n"
"The per-sample error terms of one 3-axis sensor in one pass (simulate.apply_sensor_errors):\n"
"y = M x (flag 1), + b (2), + Gauss-Markov drift d (4), + k*f (8), + sigma_n zn (16), clipped to\n"
"[lo, hi] (32), quantised round(y / lsb) * lsb, ties to even (64). x, f, zw, zn, out are (n, 3)\n"
"float64 (f, zw, zn are read only when their flag is set). The drift is the recursion of\n"
"scipy.signal.lfilter([1], [1, -phi]) on w = (zw * sigma_gm) * scale started from x0:\n"
"d[0] = w[0] + phi x0, d[k] = w[k] + phi d[k-1]. params (25): M (3x3 row-major), b (3), k (3),\n"
"x0 (3), sigma_gm, scale, phi, sigma_n, lo, hi, lsb. Each term is added in the order of the numpy\n"
"implementation; only M x is summed in a fixed order (x0, x1, x2) that BLAS may not share.");

static PyObject *sensor_chain(PyObject *self, PyObject *args)
{
    PyObject *x_o, *f_o, *zw_o, *zn_o, *par_o, *out_o;
    Py_ssize_t n;
    int flags;
    if (!PyArg_ParseTuple(args, "OOOOnOiO", &x_o, &f_o, &zw_o, &zn_o, &n, &par_o, &flags, &out_o))
        return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "need n >= 0");
        return NULL;
    }
    Py_buffer v[6];
    memset(v, 0, sizeof v);
    if (get_buf(x_o, &v[0], 3 * n, 8, 0, "x") || get_buf(par_o, &v[1], 25, 8, 0, "params") ||
        get_buf(out_o, &v[2], 3 * n, 8, 1, "out") ||
        get_buf(f_o, &v[3], (flags & 8) ? 3 * n : 0, 8, 0, "f") ||
        get_buf(zw_o, &v[4], (flags & 4) ? 3 * n : 0, 8, 0, "zw") ||
        get_buf(zn_o, &v[5], (flags & 16) ? 3 * n : 0, 8, 0, "zn")) {
        release(v, 6);
        return NULL;
    }
    const double *x = (const double *)v[0].buf, *pr = (const double *)v[1].buf, *f = (const double *)v[3].buf,
                 *zw = (const double *)v[4].buf, *zn = (const double *)v[5].buf;
    double *out = (double *)v[2].buf;
    const double *M = pr, *b = pr + 9, *k = pr + 12, *x0 = pr + 15;
    const double sg = pr[18], sc = pr[19], phi = pr[20], sn = pr[21], lo = pr[22], hi = pr[23], lsb = pr[24];
    Py_BEGIN_ALLOW_THREADS
    double d[3] = {phi * x0[0], phi * x0[1], phi * x0[2]};
    for (Py_ssize_t t = 0; t < n; t++) {
        const double *xi = x + 3 * t;
        double y[3];
        for (int a = 0; a < 3; a++) {
            double ya = (flags & 1) ? M[3 * a] * xi[0] + M[3 * a + 1] * xi[1] + M[3 * a + 2] * xi[2] : xi[a];
            if (flags & 2) ya = ya + b[a];
            if (flags & 4) {
                d[a] = (zw[3 * t + a] * sg) * sc + d[a];
                ya = ya + d[a];
                d[a] = phi * d[a];
            }
            if (flags & 8) ya = ya + f[3 * t + a] * k[a];
            if (flags & 16) ya = ya + zn[3 * t + a] * sn;
            if (flags & 32) ya = ya < lo ? lo : (ya > hi ? hi : ya);
            if (flags & 64) ya = nearbyint(ya / lsb) * lsb;
            y[a] = ya;
        }
        out[3 * t] = y[0];
        out[3 * t + 1] = y[1];
        out[3 * t + 2] = y[2];
    }
    Py_END_ALLOW_THREADS
    release(v, 6);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ quaternion algebra (motion.quat) */
PyDoc_STRVAR(quat_op_doc,
"quat_op(op, a, b, out, n, sa, sb)\n\n"
"Row-wise quaternion algebra of imuforge.motion.quat on n rows, written to out (C-contiguous\n"
"float64): op 0 qmul a (n, 4) x b (n, 4) -> (n, 4); op 1 qrot q = a (n, 4) applied to v = b (n, 3)\n"
"-> (n, 3); op 2 cross a (n, 3) x b (n, 3) -> (n, 3). sa / sb = 0 reads the single row of a / b for\n"
"every row (broadcast). The same products and sums in the same order as the numpy expressions\n"
"(one rounding each, no FMA), so the results are the same bits.");

static INLINE void row_qmul(const double *a, const double *b, double *o)
{
    const double ax = a[0], ay = a[1], az = a[2], aw = a[3], bx = b[0], by = b[1], bz = b[2], bw = b[3];
    o[0] = aw * bx + ax * bw + ay * bz - az * by;
    o[1] = aw * by - ax * bz + ay * bw + az * bx;
    o[2] = aw * bz + ax * by - ay * bx + az * bw;
    o[3] = aw * bw - ax * bx - ay * by - az * bz;
}

static INLINE void row_cross(const double *a, const double *b, double *o)
{
    const double c0 = a[1] * b[2] - a[2] * b[1], c1 = a[2] * b[0] - a[0] * b[2], c2 = a[0] * b[1] - a[1] * b[0];
    o[0] = c0;
    o[1] = c1;
    o[2] = c2;
}

static INLINE void row_qrot(const double *q, const double *v, double *o)
{
    /* t = 2 (u x v); v + w t + u x t */
    double t[3], c[3];
    row_cross(q, v, t);
    t[0] = 2.0 * t[0];
    t[1] = 2.0 * t[1];
    t[2] = 2.0 * t[2];
    row_cross(q, t, c);
    o[0] = v[0] + q[3] * t[0] + c[0];
    o[1] = v[1] + q[3] * t[1] + c[1];
    o[2] = v[2] + q[3] * t[2] + c[2];
}

static PyObject *quat_op(PyObject *self, PyObject *args)
{
    PyObject *a_o, *b_o, *out_o;
    Py_ssize_t n;
    int op, sa, sb;
    if (!PyArg_ParseTuple(args, "iOOOnii", &op, &a_o, &b_o, &out_o, &n, &sa, &sb))
        return NULL;
    if (n < 0 || op < 0 || op > 2) {
        PyErr_SetString(PyExc_ValueError, "need 0 <= op <= 2 and n >= 0");
        return NULL;
    }
    const Py_ssize_t wa = op == 2 ? 3 : 4, wb = op == 0 ? 4 : 3, wo = op == 0 ? 4 : 3;
    Py_buffer v[3];
    memset(v, 0, sizeof v);
    if (get_buf(a_o, &v[0], sa ? wa * n : wa, 8, 0, "a") || get_buf(b_o, &v[1], sb ? wb * n : wb, 8, 0, "b") ||
        get_buf(out_o, &v[2], wo * n, 8, 1, "out")) {
        release(v, 3);
        return NULL;
    }
    const double *a = (const double *)v[0].buf, *b = (const double *)v[1].buf;
    double *o = (double *)v[2].buf;
    const Py_ssize_t da = sa ? wa : 0, db = sb ? wb : 0;
    if (op == 0)
        for (Py_ssize_t i = 0; i < n; i++) row_qmul(a + i * da, b + i * db, o + 4 * i);
    else if (op == 1)
        for (Py_ssize_t i = 0; i < n; i++) row_qrot(a + i * da, b + i * db, o + 3 * i);
    else
        for (Py_ssize_t i = 0; i < n; i++) row_cross(a + i * da, b + i * db, o + 3 * i);
    release(v, 3);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(quat_rows_doc,
"quat_rows(op, q, n, J, out)\n\n"
"Whole-array quaternion passes of imuforge.motion.quat on C-contiguous float64: op 0 norms of the n\n"
"rows of q (n, 4) -> out (n,), sqrt(((x*x + y*y) + z*z) + w*w) as numpy's norm sums them; op 1\n"
"continuous: q (n, J, 4) over time -> out (n, J, 4), each joint negated from a frame on when the raw\n"
"dot product ((.. + ..) + ..) + .. with the previous raw frame is < 0, cumulatively (exact negation).");

static PyObject *quat_rows(PyObject *self, PyObject *args)
{
    PyObject *q_o, *out_o;
    Py_ssize_t n, J;
    int op;
    if (!PyArg_ParseTuple(args, "iOnnO", &op, &q_o, &n, &J, &out_o))
        return NULL;
    if (n < 0 || J < 1 || op < 0 || op > 1) {
        PyErr_SetString(PyExc_ValueError, "need op 0 or 1, n >= 0, J >= 1");
        return NULL;
    }
    Py_buffer v[2];
    memset(v, 0, sizeof v);
    const Py_ssize_t rows = op == 0 ? n : n * J;
    if (get_buf(q_o, &v[0], 4 * rows, 8, 0, "q") || get_buf(out_o, &v[1], op == 0 ? n : 4 * rows, 8, 1, "out")) {
        release(v, 2);
        return NULL;
    }
    const double *q = v[0].buf;
    double *o = v[1].buf;
    if (op == 0) {
        for (Py_ssize_t i = 0; i < n; i++) {
            const double *r = q + 4 * i;
            o[i] = sqrt(((r[0] * r[0] + r[1] * r[1]) + r[2] * r[2]) + r[3] * r[3]);
        }
    } else {
        unsigned char *odd = calloc((size_t)J, 1);
        if (odd == NULL) {
            release(v, 2);
            return PyErr_NoMemory();
        }
        for (Py_ssize_t t = 0; t < n; t++)
            for (Py_ssize_t j = 0; j < J; j++) {
                const double *a = q + 4 * (t * J + j);
                if (t > 0) {
                    const double *b = a - 4 * J;
                    const double d = ((a[0] * b[0] + a[1] * b[1]) + a[2] * b[2]) + a[3] * b[3];
                    odd[j] ^= (unsigned char)(d < 0);
                }
                double *r = o + 4 * (t * J + j);
                for (int k = 0; k < 4; k++) r[k] = odd[j] ? -a[k] : a[k];
            }
        free(odd);
    }
    release(v, 2);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ leg rotations (motion.library._core) */
PyDoc_STRVAR(leg_rotations_doc,
"leg_rotations(angles, n, J, joints, L)\n\n"
"motion.library._core._legs_to_local on C-contiguous float64 buffers: angles is a tuple of the 7\n"
"(2, n) or (2, 1) arrays (rad; left row, then right) hip flexion, abduction, rotation, knee flexion,\n"
"toe-out, ankle dorsiflexion, inversion; joints (6,) int64 the hip, knee and ankle rows of L\n"
"(left, right each); L (n, J, 4) gets, per side s (+1 left, -1 right), the hip euler(XZY, -flex,\n"
"s abd, -s rot), the knee rx(flex) and the ankle euler(YXZ, s toe, -dorsi, -s inv): quat.euler's\n"
"and quat._about's formulas in their order (sin and cos from libm, as numpy's float64 loops).");

/* quat.euler for axes (i, j, k) of permutation sign eps < 0 (XZY, YXZ): the same products and sums */
static INLINE void euler_neg(int i, int j, int k, double a1, double a2, double a3, double *o)
{
    const double h1 = 0.5 * a1, h2 = 0.5 * a2, h3 = 0.5 * a3;
    const double s1 = sin(h1), c1 = cos(h1), s2 = sin(h2), c2 = cos(h2), s3 = sin(h3), c3 = cos(h3);
    const double c1c2 = c1 * c2, s1s2 = s1 * s2, s1c2 = s1 * c2, c1s2 = c1 * s2;
    o[i] = s1c2 * c3 - c1s2 * s3;
    o[j] = c1s2 * c3 + s1c2 * s3;
    o[k] = c1c2 * s3 - s1s2 * c3;
    o[3] = c1c2 * c3 + s1s2 * s3;
}

static PyObject *leg_rotations(PyObject *self, PyObject *args)
{
    PyObject *ang_o, *js_o, *l_o;
    Py_ssize_t n, J;
    if (!PyArg_ParseTuple(args, "O!nnOO", &PyTuple_Type, &ang_o, &n, &J, &js_o, &l_o))
        return NULL;
    if (PyTuple_GET_SIZE(ang_o) != 7 || n < 1 || J < 1) {
        PyErr_SetString(PyExc_ValueError, "need 7 angle arrays, n >= 1 and J >= 1");
        return NULL;
    }
    Py_buffer v[9];
    memset(v, 0, sizeof v);
    Py_ssize_t step[7]; /* 1: one angle per frame, 0: one per side (held) */
    for (int a = 0; a < 7; a++) {
        if (get_angles(PyTuple_GET_ITEM(ang_o, a), &v[a], 2, n, &step[a],
                       "angles: need float64 buffers of 2 or 2n items") < 0) {
            release(v, 9);
            return NULL;
        }
    }
    if (get_buf(js_o, &v[7], 6, 8, 0, "joints") || get_buf(l_o, &v[8], 4 * n * J, 8, 1, "L")) {
        release(v, 9);
        return NULL;
    }
    const int64_t *js = (const int64_t *)v[7].buf;
    if (!in_range(js, 6, J, "joints out of range")) {
        release(v, 9);
        return NULL;
    }
    const double *x[7];
    for (int a = 0; a < 7; a++) x[a] = (const double *)v[a].buf;
    double *L = (double *)v[8].buf;
    Py_BEGIN_ALLOW_THREADS
    for (int sd = 0; sd < 2; sd++) {
        const double s = sd ? -1.0 : 1.0, ns = -s;
        for (Py_ssize_t t = 0; t < n; t++) {
            double a[7];
            for (int k = 0; k < 7; k++) a[k] = x[k][step[k] ? sd * n + t : sd];
            double *row = L + 4 * J * t;
            euler_neg(0, 2, 1, -a[0], s * a[1], ns * a[2], row + 4 * js[sd]);   /* hip: XZY */
            const double h = 0.5 * a[3], sk = sin(h);
            double *kq = row + 4 * js[2 + sd];                                   /* knee: rx */
            kq[0] = sk;
            kq[1] = 0.0 * sk;
            kq[2] = 0.0 * sk;
            kq[3] = cos(h);
            euler_neg(1, 0, 2, s * a[4], -a[5], ns * a[6], row + 4 * js[4 + sd]); /* ankle: YXZ */
        }
    }
    Py_END_ALLOW_THREADS
    release(v, 9);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ leg chain (motion.library._core) */
PyDoc_STRVAR(leg_chain_doc,
"leg_chain(angles, n, J, joints, parents, pelvis, offsets, pos, glob)\n\n"
"motion.library._core.legs_fk: leg_rotations then forward_kinematics of the pelvis and the six leg\n"
"joints, the root at the origin, without the (n, J, 4) local rotations between them. angles, n, J and\n"
"joints (hips, knees, ankles; left, right each) as leg_rotations takes them; parents (J,) int64, each\n"
"joint's parent the root (0) or a joint before it in joints; pelvis the root's local rotation, (n, 4)\n"
"or (4,) held; offsets (J, 3); pos (n, J, 3) and glob (n, J, 4) zero-filled by the caller: the root's\n"
"and the six joints' rows are written. The same row formulas in the same order as the two kernels,\n"
"so the same bits.");

/* the six leg joints' local rotations of one frame (leg_rotations' formulas), in joints' order */
static INLINE void leg_locals(const double *const *x, const Py_ssize_t *step, Py_ssize_t n, Py_ssize_t t,
                              double loc[6][4])
{
    for (int sd = 0; sd < 2; sd++) {
        const double s = sd ? -1.0 : 1.0, ns = -s;
        double a[7];
        for (int k = 0; k < 7; k++) a[k] = x[k][step[k] ? sd * n + t : sd];
        euler_neg(0, 2, 1, -a[0], s * a[1], ns * a[2], loc[sd]);   /* hip: XZY */
        const double h = 0.5 * a[3], sk = sin(h);
        loc[2 + sd][0] = sk;                                         /* knee: rx */
        loc[2 + sd][1] = 0.0 * sk;
        loc[2 + sd][2] = 0.0 * sk;
        loc[2 + sd][3] = cos(h);
        euler_neg(1, 0, 2, s * a[4], -a[5], ns * a[6], loc[4 + sd]); /* ankle: YXZ */
    }
}

/* 1 when every one of the six joints lies in 1 … J − 1 and its parent is the root or a joint before it */
static int chain_order(const int64_t *js, const int64_t *par, Py_ssize_t J)
{
    for (int k = 0; k < 6; k++) {
        if (js[k] < 1 || js[k] >= J) return 0;
        int ok = par[js[k]] == 0;
        for (int e = 0; e < k; e++) ok |= par[js[k]] == js[e];
        if (!ok) return 0;
    }
    return 1;
}

static PyObject *leg_chain(PyObject *self, PyObject *args)
{
    PyObject *ang_o, *js_o, *pa_o, *pe_o, *of_o, *pos_o, *gl_o;
    Py_ssize_t n, J;
    if (!PyArg_ParseTuple(args, "O!nnOOOOOO", &PyTuple_Type, &ang_o, &n, &J, &js_o, &pa_o, &pe_o, &of_o,
                          &pos_o, &gl_o))
        return NULL;
    if (PyTuple_GET_SIZE(ang_o) != 7 || n < 1 || J < 1) {
        PyErr_SetString(PyExc_ValueError, "need 7 angle arrays, n >= 1 and J >= 1");
        return NULL;
    }
    Py_buffer v[14];
    memset(v, 0, sizeof v);
    Py_ssize_t step[8];
    for (int a = 0; a < 7; a++)
        if (get_angles(PyTuple_GET_ITEM(ang_o, a), &v[a], 2, n, &step[a],
                       "angles: need float64 buffers of 2 or 2n items") < 0) {
            release(v, 14);
            return NULL;
        }
    if (get_angles(pe_o, &v[7], 4, n, &step[7], "pelvis: need a float64 buffer of 4 or 4n items") < 0 ||
        get_buf(js_o, &v[8], 6, 8, 0, "joints") || get_buf(pa_o, &v[9], J, 8, 0, "parents") ||
        get_buf(of_o, &v[10], 3 * J, 8, 0, "offsets") || get_buf(pos_o, &v[11], 3 * n * J, 8, 1, "pos") ||
        get_buf(gl_o, &v[12], 4 * n * J, 8, 1, "glob")) {
        release(v, 14);
        return NULL;
    }
    const int64_t *js = (const int64_t *)v[8].buf, *par = (const int64_t *)v[9].buf;
    if (!chain_order(js, par, J)) {
        release(v, 14);
        PyErr_SetString(PyExc_ValueError, "joints must lie in 1 … J-1, each after its parent or on the root");
        return NULL;
    }
    const double *x[7];
    for (int a = 0; a < 7; a++) x[a] = (const double *)v[a].buf;
    const double *pelvis = v[7].buf, *of = v[10].buf;
    double *pos = v[11].buf, *gl = v[12].buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < n; t++) {
        double loc[6][4];
        leg_locals(x, step, n, t, loc);
        double *g = gl + 4 * J * t, *p = pos + 3 * J * t;
        memcpy(g, pelvis + (step[7] ? 4 * t : 0), 4 * sizeof(double));
        p[0] = p[1] = p[2] = 0.0; /* forward_kinematics' root at the origin */
        for (int k = 0; k < 6; k++) { /* forward_kinematics' row formulas */
            const Py_ssize_t j = js[k], q = par[j];
            double r[3];
            row_qmul(g + 4 * q, loc[k], g + 4 * j);
            row_qrot(g + 4 * q, of + 3 * j, r);
            p[3 * j] = p[3 * q] + r[0];
            p[3 * j + 1] = p[3 * q + 1] + r[1];
            p[3 * j + 2] = p[3 * q + 2] + r[2];
        }
    }
    Py_END_ALLOW_THREADS
    release(v, 14);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ joint rows (motion.library._core) */
PyDoc_STRVAR(joint_rows_doc,
"joint_rows(L, n, J, joints, src, m)\n\n"
"L[t, joints[k]] = src[k, t] (m == n) or src[k, 0] (m == 1), t < n: L (n, J, 4) and src (K, m, 4)\n"
"C-contiguous float64, joints (K,) int64. pose_to_local's writes of whole joints' rotations as one pass\n"
"(numpy copies such a strided assignment one 4-value row at a time).");

static PyObject *joint_rows(PyObject *self, PyObject *args)
{
    PyObject *l_o, *js_o, *src_o;
    Py_ssize_t n, J, m;
    if (!PyArg_ParseTuple(args, "OnnOOn", &l_o, &n, &J, &js_o, &src_o, &m))
        return NULL;
    if (n < 0 || J < 1 || (m != n && m != 1)) {
        PyErr_SetString(PyExc_ValueError, "need n >= 0, J >= 1 and m == n or 1");
        return NULL;
    }
    Py_buffer v[3];
    memset(v, 0, sizeof v);
    if (PyObject_GetBuffer(js_o, &v[1], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    const Py_ssize_t K = v[1].len / 8;
    if (v[1].itemsize != 8 || get_buf(l_o, &v[0], 4 * n * J, 8, 1, "L") ||
        get_buf(src_o, &v[2], 4 * K * m, 8, 0, "src")) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "joints: need an int64 buffer");
        release(v, 3);
        return NULL;
    }
    const int64_t *js = (const int64_t *)v[1].buf;
    if (!in_range(js, K, J, "joints out of range")) {
        release(v, 3);
        return NULL;
    }
    double *L = (double *)v[0].buf;
    const double *src = (const double *)v[2].buf;
    const Py_ssize_t step = m == 1 ? 0 : 4;
    for (Py_ssize_t k = 0; k < K; k++) {
        const double *s = src + 4 * m * k;
        double *d = L + 4 * js[k];
        for (Py_ssize_t t = 0; t < n; t++, s += step, d += 4 * J)
            memcpy(d, s, 4 * sizeof(double));
    }
    release(v, 3);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ foot contacts (motion.library._core) */
PyDoc_STRVAR(foot_contacts_doc,
"foot_contacts(op, P, G, M, n, J, ankles, heel, ball, sole, e, pts, vel, tau, fps)\n\n"
"motion.library._core.foot_contact_points on C-contiguous float64 buffers, M strides of n frames:\n"
"P (M, n, J, 3), G (M, n, J, 4), ankles (2,) int64, heel and ball (3,) sole points (foot frame).\n"
"op 0: sole (M, n, 2, 2, 3) = rotate(G[ankle], heel / ball) + P[ankle] (quat_op's row formula) and\n"
"e (M, n, 2) = -clip((heel_y - ball_y) / tau, -50, 50); numpy then takes exp of e in place (its own\n"
"exp loop). op 1: w = 1 / (1 + e), pts = (1 - w) heel + w ball, vel = ((1 - w) d_heel + w d_ball) fps\n"
"with d the central differences of sole along the frames (one-sided at the ends, zero for n < 2).");

static PyObject *foot_contacts(PyObject *self, PyObject *args)
{
    PyObject *o[10];
    int op;
    Py_ssize_t M, n, J;
    double tau, fps;
    if (!PyArg_ParseTuple(args, "iOOnnnOOOOOOOdd", &op, &o[0], &o[1], &M, &n, &J, &o[2], &o[3], &o[4], &o[5],
                          &o[6], &o[7], &o[8], &tau, &fps))
        return NULL;
    if (M < 0 || n < 0 || J < 1 || op < 0 || op > 1) {
        PyErr_SetString(PyExc_ValueError, "need op 0 or 1, M, n >= 0 and J >= 1");
        return NULL;
    }
    const Py_ssize_t F = M * n; /* frames of all strides */
    static const char *names[9] = {"P", "G", "ankles", "heel", "ball", "sole", "e", "pts", "vel"};
    const Py_ssize_t sizes[9] = {3 * F * J, 4 * F * J, 2, 3, 3, 12 * F, 2 * F, 6 * F, 6 * F};
    const int writable[9] = {0, 0, 0, 0, 0, op == 0, op == 0, op == 1, op == 1};
    Py_buffer v[9];
    memset(v, 0, sizeof v);
    for (int k = 0; k < 9; k++)
        if (get_buf(o[k], &v[k], sizes[k], 8, writable[k], names[k])) {
            release(v, 9);
            return NULL;
        }
    const int64_t *ank = (const int64_t *)v[2].buf;
    if (!in_range(ank, 2, J, "ankles out of range")) {
        release(v, 9);
        return NULL;
    }
    const double *P = v[0].buf, *G = v[1].buf, *heel = v[3].buf, *ball = v[4].buf;
    double *sole = v[5].buf, *e = v[6].buf, *pts = v[7].buf, *vel = v[8].buf;
    Py_BEGIN_ALLOW_THREADS
    if (op == 0) {
        for (Py_ssize_t f = 0; f < F; f++)
            for (int s = 0; s < 2; s++) {
                const double *q = G + 4 * (f * J + ank[s]), *p = P + 3 * (f * J + ank[s]);
                double *h = sole + 12 * f + 6 * s, *b = h + 3;
                row_qrot(q, heel, h);
                row_qrot(q, ball, b);
                for (int c = 0; c < 3; c++) {
                    h[c] = h[c] + p[c];
                    b[c] = b[c] + p[c];
                }
                const double dy = (h[1] - b[1]) / tau;
                e[2 * f + s] = -(dy < -50.0 ? -50.0 : dy > 50.0 ? 50.0 : dy);
            }
    } else {
        for (Py_ssize_t m = 0; m < M; m++)
            for (Py_ssize_t t = 0; t < n; t++) {
                const Py_ssize_t f = m * n + t;
                /* the neighbours of the central difference (one-sided at the ends) and its divisor */
                const Py_ssize_t lo = t == 0 ? f : f - 1, hi = t == n - 1 ? f : f + 1;
                const int inner = t > 0 && t < n - 1;
                for (int s = 0; s < 2; s++) {
                    const double w = 1.0 / (1.0 + e[2 * f + s]), u = 1.0 - w;
                    const double *h = sole + 12 * f + 6 * s, *b = h + 3;
                    const double *h1 = sole + 12 * hi + 6 * s, *h0 = sole + 12 * lo + 6 * s;
                    for (int c = 0; c < 3; c++) {
                        pts[6 * f + 3 * s + c] = u * h[c] + w * b[c];
                        double dh = 0.0, db = 0.0;
                        if (n >= 2) {
                            dh = h1[c] - h0[c];
                            db = h1[3 + c] - h0[3 + c];
                            if (inner) {
                                dh = dh / 2.0;
                                db = db / 2.0;
                            }
                        }
                        vel[6 * f + 3 * s + c] = (u * dh + w * db) * fps;
                    }
                }
            }
    }
    Py_END_ALLOW_THREADS
    release(v, 9);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ anchored root (motion.library._core) */
PyDoc_STRVAR(anchored_roots_doc,
"anchored_roots(rel, vel, w, ground, M, n, fps, root) -> bool\n\n"
"motion.library._core.anchored_root(s) where a foot carries weight in every frame, on C-contiguous\n"
"float64 buffers: contact points rel and velocities vel (M, n, 2, 3), clipped weights w (n, 2), ground\n"
"heights (n, 2) or None (level); writes root (M, n, 3): y = sum_f w_f (ground_f - rel_f,y) / (w_0 + w_1),\n"
"x and z the trapezoid integral of v = -sum_f w_f vel_f / (w_0 + w_1), divided by fps (the numpy\n"
"forms' order). Returns False, writing nothing, when a frame has w_0 + w_1 <= 1e-6 (flight).");

static PyObject *anchored_roots(PyObject *self, PyObject *args)
{
    PyObject *r_o, *v_o, *w_o, *g_o, *out_o;
    Py_ssize_t M, n;
    double fps;
    if (!PyArg_ParseTuple(args, "OOOOnndO", &r_o, &v_o, &w_o, &g_o, &M, &n, &fps, &out_o))
        return NULL;
    if (M < 0 || n < 0) {
        PyErr_SetString(PyExc_ValueError, "need M, n >= 0");
        return NULL;
    }
    Py_buffer v[5];
    memset(v, 0, sizeof v);
    const int level = g_o == Py_None;
    if (get_buf(r_o, &v[0], 6 * M * n, 8, 0, "rel") || get_buf(v_o, &v[1], 6 * M * n, 8, 0, "vel") ||
        get_buf(w_o, &v[2], 2 * n, 8, 0, "w") || (!level && get_buf(g_o, &v[3], 2 * n, 8, 0, "ground")) ||
        get_buf(out_o, &v[4], 3 * M * n, 8, 1, "root")) {
        release(v, 5);
        return NULL;
    }
    const double *rel = v[0].buf, *vel = v[1].buf, *w = v[2].buf, *g = level ? NULL : v[3].buf;
    double *root = v[4].buf;
    for (Py_ssize_t t = 0; t < n; t++)
        if (!(w[2 * t] + w[2 * t + 1] > 1e-6)) {
            release(v, 5);
            Py_RETURN_FALSE;
        }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t m = 0; m < M; m++) {
        double prev[2] = {0.0, 0.0}, acc[2] = {0.0, 0.0};
        for (Py_ssize_t t = 0; t < n; t++) {
            const Py_ssize_t f = m * n + t;
            const double w0 = w[2 * t], w1 = w[2 * t + 1], ws = w0 + w1;
            const double *r = rel + 6 * f, *u = vel + 6 * f;
            const double g0 = level ? 0.0 : g[2 * t], g1 = level ? 0.0 : g[2 * t + 1];
            double *o = root + 3 * f;
            o[1] = (w0 * (g0 - r[1]) + w1 * (g1 - r[4])) / ws;
            for (int k = 0; k < 2; k++) {
                const int c = 2 * k; /* x, z */
                const double vc = -(w0 * u[c] + w1 * u[3 + c]) / ws;
                if (t == 0) {
                    o[c] = 0.0;
                } else {
                    const double step = 0.5 * (vc + prev[k]);
                    acc[k] = t == 1 ? step : acc[k] + step;
                    o[c] = acc[k] / fps;
                }
                prev[k] = vc;
            }
        }
    }
    Py_END_ALLOW_THREADS
    release(v, 5);
    Py_RETURN_TRUE;
}

/* ------------------------------------------------------------------ Fourier basis (motion.library._core) */
PyDoc_STRVAR(fourier_rows_doc,
"fourier_rows(phase, n, H, out)\n\n"
"motion.library._core.fourier_basis on C-contiguous float64 buffers: for each of the n phases, out\n"
"(n, 2H + 1) gets 1, cos k theta, sin k theta (k = 1 ... H) with theta = 2 pi phase, cos theta and\n"
"sin theta from libm (as numpy's float64 loops) and the higher harmonics by the same angle-addition\n"
"recurrence, in the same order.");

static PyObject *fourier_rows(PyObject *self, PyObject *args)
{
    PyObject *p_o, *out_o;
    Py_ssize_t n, H;
    if (!PyArg_ParseTuple(args, "OnnO", &p_o, &n, &H, &out_o))
        return NULL;
    if (n < 0 || H < 0) {
        PyErr_SetString(PyExc_ValueError, "need n, H >= 0");
        return NULL;
    }
    Py_buffer v[2];
    memset(v, 0, sizeof v);
    const Py_ssize_t W = 2 * H + 1;
    if (get_buf(p_o, &v[0], n, 8, 0, "phase") || get_buf(out_o, &v[1], n * W, 8, 1, "out")) {
        release(v, 2);
        return NULL;
    }
    const double *ph = v[0].buf;
    double *out = v[1].buf;
    const double two_pi = 2.0 * 3.141592653589793; /* 2 * np.pi, rounded as Python rounds it */
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        double *r = out + W * i;
        r[0] = 1.0;
        if (H == 0) continue;
        const double th = two_pi * ph[i], c1 = cos(th), s1 = sin(th);
        r[1] = c1;
        r[2] = s1;
        for (Py_ssize_t k = 2; k <= H; k++) {
            const double c = r[2 * k - 3], s = r[2 * k - 2];
            r[2 * k - 1] = c * c1 - s * s1;
            r[2 * k] = s * c1 + c * s1;
        }
    }
    Py_END_ALLOW_THREADS
    release(v, 2);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ axis rotations (motion.quat) */
PyDoc_STRVAR(rotation_rows_doc,
"rotation_rows(axes, eps, a1, a2, a3, n, out)\n\n"
"motion.quat.euler (axes a tuple of three different axes 0 x, 1 y, 2 z; eps +1 or -1 the sign of their\n"
"permutation) or, with axes a 1-tuple (k,) and a2, a3 None, motion.quat._about: out (n, 4) from the\n"
"angles (rad; C-contiguous float64, each n values or 1 held for all) by the same formulas in the same\n"
"order (half angles, sin and cos from libm as numpy's float64 loops).");

static PyObject *rotation_rows(PyObject *self, PyObject *args)
{
    PyObject *ax_o, *a_o[3], *out_o;
    int eps;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "O!iOOOnO", &PyTuple_Type, &ax_o, &eps, &a_o[0], &a_o[1], &a_o[2], &n, &out_o))
        return NULL;
    const Py_ssize_t na = PyTuple_GET_SIZE(ax_o);
    long ax[3] = {0, 0, 0};
    for (Py_ssize_t q = 0; q < na && q < 3; q++) ax[q] = PyLong_AsLong(PyTuple_GET_ITEM(ax_o, q));
    if (PyErr_Occurred()) return NULL;
    if (n < 0 || !(na == 1 || na == 3) || ax[0] < 0 || ax[0] > 2 || ax[1] < 0 || ax[1] > 2 || ax[2] < 0 || ax[2] > 2
        || (na == 3 && (ax[0] == ax[1] || ax[1] == ax[2] || ax[0] == ax[2]))) {
        PyErr_SetString(PyExc_ValueError, "need n >= 0 and axes (k,) or three different axes in 0 ... 2");
        return NULL;
    }
    Py_buffer v[4];
    memset(v, 0, sizeof v);
    Py_ssize_t step[3] = {0, 0, 0};
    for (int q = 0; q < (int)na; q++) {
        if (get_angles(a_o[q], &v[q], 1, n, &step[q], "angles: need float64 buffers of 1 or n items") < 0) {
            release(v, 4);
            return NULL;
        }
    }
    if (get_buf(out_o, &v[3], 4 * n, 8, 1, "out")) {
        release(v, 4);
        return NULL;
    }
    const double *a1 = v[0].buf, *a2 = na == 3 ? v[1].buf : NULL, *a3 = na == 3 ? v[2].buf : NULL;
    double *out = v[3].buf;
    const int i = (int)ax[0], j = (int)ax[1], k = (int)ax[2];
    Py_BEGIN_ALLOW_THREADS
    if (na == 1) {
        for (Py_ssize_t t = 0; t < n; t++) {
            const double h = 0.5 * a1[step[0] * t], s = sin(h);
            double *o = out + 4 * t;
            o[i] = s;
            o[(i + 1) % 3] = 0.0 * s;
            o[(i + 2) % 3] = 0.0 * s;
            o[3] = cos(h);
        }
    } else {
        for (Py_ssize_t t = 0; t < n; t++) {
            const double h1 = 0.5 * a1[step[0] * t], h2 = 0.5 * a2[step[1] * t], h3 = 0.5 * a3[step[2] * t];
            const double s1 = sin(h1), c1 = cos(h1), s2 = sin(h2), c2 = cos(h2), s3 = sin(h3), c3 = cos(h3);
            const double c1c2 = c1 * c2, s1s2 = s1 * s2, s1c2 = s1 * c2, c1s2 = c1 * s2;
            double *o = out + 4 * t;
            if (eps > 0) {
                o[i] = s1c2 * c3 + c1s2 * s3;
                o[j] = c1s2 * c3 - s1c2 * s3;
                o[k] = c1c2 * s3 + s1s2 * c3;
                o[3] = c1c2 * c3 - s1s2 * s3;
            } else {
                o[i] = s1c2 * c3 - c1s2 * s3;
                o[j] = c1s2 * c3 + s1c2 * s3;
                o[k] = c1c2 * s3 - s1s2 * c3;
                o[3] = c1c2 * c3 + s1s2 * s3;
            }
        }
    }
    Py_END_ALLOW_THREADS
    release(v, 4);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ transient sums (sensors.impact) */
PyDoc_STRVAR(scatter_rows_doc,
"scatter_rows(out, n, idx, own, x, vec, m)\n\n"
"sensors.impact.transient_sums' accumulation: for each axis k, a zeroed column gets x[i] vec[own[i], k]\n"
"added at idx[i] in the order of i (np.bincount with weights), then out[:, k] (n, 3) += that column.\n"
"idx, own (L,) int64, x (L,) and vec (m, 3) float64, all C-contiguous.");

static PyObject *scatter_rows(PyObject *self, PyObject *args)
{
    PyObject *out_o, *idx_o, *own_o, *x_o, *vec_o;
    Py_ssize_t n, m;
    if (!PyArg_ParseTuple(args, "OnOOOOn", &out_o, &n, &idx_o, &own_o, &x_o, &vec_o, &m))
        return NULL;
    if (n < 0 || m < 0) {
        PyErr_SetString(PyExc_ValueError, "need n, m >= 0");
        return NULL;
    }
    Py_buffer v[5];
    memset(v, 0, sizeof v);
    if (PyObject_GetBuffer(x_o, &v[3], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    const Py_ssize_t L = v[3].len / 8;
    if (v[3].itemsize != 8 || get_buf(out_o, &v[0], 3 * n, 8, 1, "out") ||
        get_buf(idx_o, &v[1], L, 8, 0, "idx") || get_buf(own_o, &v[2], L, 8, 0, "own") ||
        get_buf(vec_o, &v[4], 3 * m, 8, 0, "vec")) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "x: need a float64 buffer");
        release(v, 5);
        return NULL;
    }
    const int64_t *idx = v[1].buf, *own = v[2].buf;
    if (!in_range(idx, L, n, "idx out of range") || !in_range(own, L, m, "own out of range")) {
        release(v, 5);
        return NULL;
    }
    double *sums = (double *)calloc((size_t)(3 * n > 0 ? 3 * n : 1), sizeof(double));
    if (sums == NULL) {
        release(v, 5);
        return PyErr_NoMemory();
    }
    double *out = v[0].buf;
    const double *x = v[3].buf, *vec = v[4].buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < L; i++) {
        const double *d = vec + 3 * own[i];
        double *s = sums + 3 * idx[i];
        s[0] += x[i] * d[0];
        s[1] += x[i] * d[1];
        s[2] += x[i] * d[2];
    }
    for (Py_ssize_t i = 0; i < 3 * n; i++) out[i] += sums[i];
    Py_END_ALLOW_THREADS
    free(sums);
    release(v, 5);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(forward_kinematics_doc,
"forward_kinematics(local, root, offsets, parents, T, J, pos, glob[, joints])\n\n"
"motion.kinematics.forward_kinematics on C-contiguous float64 arrays: local (T, J, 4), root (T, 3),\n"
"offsets (J, 3), parents (J,) int64 with parents[j] < j; writes pos (T, J, 3) and glob (T, J, 4):\n"
"glob[j] = glob[parent] (x) local[j], pos[j] = pos[parent] + rotate(glob[parent], offsets[j]) — the\n"
"row formulas of quat_op, so the same bits as the numpy form. joints (int64, each after its parent):\n"
"only these (and the root) are written, the other rows of pos and glob are left as they are.");

static PyObject *forward_kinematics(PyObject *self, PyObject *args)
{
    PyObject *lo_o, *ro_o, *of_o, *pa_o, *pos_o, *gl_o, *js_o = Py_None;
    Py_ssize_t T, J;
    if (!PyArg_ParseTuple(args, "OOOOnnOO|O", &lo_o, &ro_o, &of_o, &pa_o, &T, &J, &pos_o, &gl_o, &js_o))
        return NULL;
    if (T < 0 || J < 1) {
        PyErr_SetString(PyExc_ValueError, "need T >= 0 and J >= 1");
        return NULL;
    }
    Py_buffer v[6];
    memset(v, 0, sizeof v);
    if (get_buf(lo_o, &v[0], 4 * T * J, 8, 0, "local") || get_buf(ro_o, &v[1], 3 * T, 8, 0, "root") ||
        get_buf(of_o, &v[2], 3 * J, 8, 0, "offsets") || get_buf(pa_o, &v[3], J, 8, 0, "parents") ||
        get_buf(pos_o, &v[4], 3 * T * J, 8, 1, "pos") || get_buf(gl_o, &v[5], 4 * T * J, 8, 1, "glob")) {
        release(v, 6);
        return NULL;
    }
    const int64_t *par = (const int64_t *)v[3].buf;
    for (Py_ssize_t j = 1; j < J; j++)
        if (par[j] < 0 || par[j] >= j) {
            release(v, 6);
            PyErr_SetString(PyExc_ValueError, "parents must satisfy 0 <= parents[j] < j");
            return NULL;
        }
    /* the joints to compute, in order: all (1 … J-1) or the given list */
    Py_buffer jv;
    memset(&jv, 0, sizeof jv);
    Py_ssize_t nj = J - 1;
    const int64_t *jl = NULL;
    if (js_o != Py_None) {
        if (PyObject_GetBuffer(js_o, &jv, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0 || jv.itemsize != 8) {
            if (jv.obj != NULL) PyBuffer_Release(&jv);
            release(v, 6);
            PyErr_SetString(PyExc_TypeError, "joints: need a C-contiguous int64 buffer");
            return NULL;
        }
        jl = (const int64_t *)jv.buf;
        nj = jv.len / 8;
        for (Py_ssize_t k = 0; k < nj; k++)
            if (jl[k] < 1 || jl[k] >= J) {
                PyBuffer_Release(&jv);
                release(v, 6);
                PyErr_SetString(PyExc_ValueError, "joints must lie in 1 … J-1");
                return NULL;
            }
    }
    const double *lo = v[0].buf, *ro = v[1].buf, *of = v[2].buf;
    double *pos = v[4].buf, *gl = v[5].buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < T; t++) {
        const double *l = lo + 4 * J * t;
        double *g = gl + 4 * J * t, *p = pos + 3 * J * t;
        memcpy(g, l, 4 * sizeof(double));
        memcpy(p, ro + 3 * t, 3 * sizeof(double));
        for (Py_ssize_t k = 0; k < nj; k++) {
            const Py_ssize_t j = jl != NULL ? jl[k] : k + 1;
            const Py_ssize_t q = par[j];
            double r[3];
            row_qmul(g + 4 * q, l + 4 * j, g + 4 * j);
            row_qrot(g + 4 * q, of + 3 * j, r);
            p[3 * j] = p[3 * q] + r[0];
            p[3 * j + 1] = p[3 * q + 1] + r[1];
            p[3 * j + 2] = p[3 * q + 2] + r[2];
        }
    }
    Py_END_ALLOW_THREADS
    if (jl != NULL) PyBuffer_Release(&jv);
    release(v, 6);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ wobble (sensors.wear) */
PyDoc_STRVAR(wobble_frame_doc,
"wobble_frame(f, w, m, u, ud, udd, n, normal, pivot, dt, mount, out_f, out_w, out_m)\n\n"
"The loosely worn device's streams from the segment's (wear.wobble_streams after the oscillator):\n"
"all (n, 3) C-contiguous float64 in the segment frame. alpha = np.gradient(w, dt) (zero for n <= 2);\n"
"f_dev = f + udd + 2 w x ud + alpha x u + w x (w x u); phi = normal x u / pivot, phid = normal x ud /\n"
"pivot; R = exp([phi]x) as the unit quaternion (phi sin(|phi|/2)/|phi|, cos(|phi|/2)) (series below\n"
"1e-3 rad, as scipy's from_rotvec); out_f = R^T f_dev, out_w = R^T w + J_r(phi) phid, out_m = R^T m.\n"
"mount (3, 3, sensor -> segment) or None: f, w, m and the outputs are in the sensor frame instead\n"
"(x_seg = mount x, out = mount^T out_seg). Equal to the numpy / scipy form to rounding (R^T applied\n"
"as a quaternion, not a matrix; the mount as plain sums, not BLAS).");

PyDoc_STRVAR(wobble_drive_doc,
"wobble_drive(f, g, mount, normal, n, out)\n\n"
"The oscillator's input of a loosely worn device (wear.apply_looseness): with f the specific force\n"
"and g = R^T g_world in the sensor frame (n, 3), a = mount f + mount g in the segment frame, and out\n"
"its part tangential to the skin, a - (a . normal) normal.");

static INLINE void cross3(const double *a, const double *b, double *o)
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

static INLINE void to_segment(const double *M, const double *x, double *o)
{
    /* o = M x (M: sensor -> segment, row-major); M NULL: o = x */
    if (M == NULL) {
        o[0] = x[0];
        o[1] = x[1];
        o[2] = x[2];
        return;
    }
    for (int a = 0; a < 3; a++) o[a] = M[3 * a] * x[0] + M[3 * a + 1] * x[1] + M[3 * a + 2] * x[2];
}

static INLINE void to_sensor(const double *M, const double *x, double *o)
{
    /* o = M^T x; M NULL: o = x */
    if (M == NULL) {
        o[0] = x[0];
        o[1] = x[1];
        o[2] = x[2];
        return;
    }
    for (int a = 0; a < 3; a++) o[a] = M[a] * x[0] + M[3 + a] * x[1] + M[6 + a] * x[2];
}

static INLINE void rot_inv(const double *qv, double qw, const double *v, double *o)
{
    /* rotate v by the conjugate of (qv, qw): u = -qv; t = 2 u x v; v + qw t + u x t */
    const double u[3] = {-qv[0], -qv[1], -qv[2]};
    double t[3], c[3];
    cross3(u, v, t);
    t[0] *= 2.0;
    t[1] *= 2.0;
    t[2] *= 2.0;
    cross3(u, t, c);
    o[0] = v[0] + qw * t[0] + c[0];
    o[1] = v[1] + qw * t[1] + c[1];
    o[2] = v[2] + qw * t[2] + c[2];
}

static PyObject *wobble_frame(PyObject *self, PyObject *args)
{
    PyObject *o[11];
    Py_ssize_t n;
    double pivot, dt;
    if (!PyArg_ParseTuple(args, "OOOOOOnOddOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &n, &o[6], &pivot, &dt,
                          &o[10], &o[7], &o[8], &o[9]))
        return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "need n >= 0");
        return NULL;
    }
    static const char *names[10] = {"f", "w", "m", "u", "ud", "udd", "normal", "out_f", "out_w", "out_m"};
    Py_buffer v[10];
    memset(v, 0, sizeof v);
    for (int k = 0; k < 10; k++)
        if (get_buf(o[k], &v[k], k == 6 ? 3 : 3 * n, 8, k >= 7, names[k])) {
            release(v, 10);
            return NULL;
        }
    Py_buffer mv;
    memset(&mv, 0, sizeof mv);
    const int mounted = o[10] != Py_None;
    if (mounted && get_buf(o[10], &mv, 9, 8, 0, "mount")) {
        release(v, 10);
        return NULL;
    }
    const double *M = mounted ? (const double *)mv.buf : NULL;
    const double *f = v[0].buf, *w = v[1].buf, *m = v[2].buf, *u = v[3].buf, *ud = v[4].buf, *udd = v[5].buf,
                 *nv = v[6].buf;
    double *of = v[7].buf, *ow = v[8].buf, *om = v[9].buf;
    /* the rate in the segment frame, once per sample (each is read three times: its own and its
     * neighbours' central differences) */
    double *wseg = (double *)malloc(sizeof(double) * (size_t)(3 * n > 0 ? 3 * n : 1));
    if (wseg == NULL) {
        release(v, 10);
        if (mounted) PyBuffer_Release(&mv);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    const double two_dt = 2.0 * dt;
    for (Py_ssize_t i = 0; i < n; i++) to_segment(M, w + 3 * i, wseg + 3 * i);
    for (Py_ssize_t i = 0; i < n; i++) {
        double frow[3], mrow[3];
        const double *ui = u + 3 * i, *udi = ud + 3 * i;
        /* the segment-frame rows (the mount applied when the streams are in the sensor frame) */
        to_segment(M, f + 3 * i, frow);
        to_segment(M, m + 3 * i, mrow);
        const double *wi = wseg + 3 * i, *fi = frow;
        double al[3] = {0.0, 0.0, 0.0};
        if (n > 2) {
            const Py_ssize_t lo = i == 0 ? 0 : i - 1, hi = i == n - 1 ? n - 1 : i + 1;
            const double *wprev = wseg + 3 * lo, *wnext = wseg + 3 * hi;
            for (int a = 0; a < 3; a++)
                al[a] = (i == 0 || i == n - 1) ? (wnext[a] - wprev[a]) / dt : (wnext[a] - wprev[a]) / two_dt;
        }
        double c1[3], c2[3], wu[3], c3[3], fd[3], phi[3], phid[3];
        cross3(wi, udi, c1);
        cross3(al, ui, c2);
        cross3(wi, ui, wu);
        cross3(wi, wu, c3);
        for (int a = 0; a < 3; a++)
            fd[a] = fi[a] + udd[3 * i + a] + 2.0 * c1[a] + c2[a] + c3[a];
        cross3(nv, ui, phi);
        cross3(nv, udi, phid);
        for (int a = 0; a < 3; a++) {
            phi[a] = phi[a] / pivot;
            phid[a] = phid[a] / pivot;
        }
        const double th = sqrt(phi[0] * phi[0] + phi[1] * phi[1] + phi[2] * phi[2]);
        const double th2 = th * th;
        /* quaternion of exp([phi]x): sin(th/2)/th by its series near 0; the half angle's sine and cosine
         * are the only transcendental calls (the whole angle's by the double-angle forms below) */
        const double half = 0.5 * th, ch = cos(half), sh = sin(half);
        const double k = th <= 1e-3 ? 0.5 - th2 / 48.0 + th2 * th2 / 3840.0 : sh / th;
        const double qv[3] = {phi[0] * k, phi[1] * k, phi[2] * k}, qw = ch;
        /* J_r(phi) phid = phid - c1 phi x phid + c2 phi x (phi x phid) */
        double k1, k2;
        if (th < 1e-4) {
            k1 = 0.5 - th2 / 24.0;
            k2 = 1.0 / 6.0 - th2 / 120.0;
        } else { /* 1 - cos th = 2 sin^2(th/2) (no cancellation), sin th = 2 sin(th/2) cos(th/2) */
            k1 = 2.0 * sh * sh / th2;
            k2 = (th - 2.0 * sh * ch) / (th2 * th);
        }
        double pxv[3], ppxv[3], rw[3], sf[3], sw[3], sm[3];
        cross3(phi, phid, pxv);
        cross3(phi, pxv, ppxv);
        rot_inv(qv, qw, fd, sf);
        rot_inv(qv, qw, wi, rw);
        for (int a = 0; a < 3; a++)
            sw[a] = rw[a] + (phid[a] - k1 * pxv[a] + k2 * ppxv[a]);
        rot_inv(qv, qw, mrow, sm);
        to_sensor(M, sf, of + 3 * i);
        to_sensor(M, sw, ow + 3 * i);
        to_sensor(M, sm, om + 3 * i);
    }
    Py_END_ALLOW_THREADS
    free(wseg);
    release(v, 10);
    if (mounted) PyBuffer_Release(&mv);
    Py_RETURN_NONE;
}

static PyObject *wobble_drive(PyObject *self, PyObject *args)
{
    PyObject *f_o, *g_o, *m_o, *n_o, *out_o;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOnO", &f_o, &g_o, &m_o, &n_o, &n, &out_o))
        return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "need n >= 0");
        return NULL;
    }
    Py_buffer v[5];
    memset(v, 0, sizeof v);
    if (get_buf(f_o, &v[0], 3 * n, 8, 0, "f") || get_buf(g_o, &v[1], 3 * n, 8, 0, "g") ||
        get_buf(m_o, &v[2], 9, 8, 0, "mount") || get_buf(n_o, &v[3], 3, 8, 0, "normal") ||
        get_buf(out_o, &v[4], 3 * n, 8, 1, "out")) {
        release(v, 5);
        return NULL;
    }
    const double *f = v[0].buf, *g = v[1].buf, *M = v[2].buf, *nv = v[3].buf;
    double *out = v[4].buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        double fs[3], gs[3], a[3];
        to_segment(M, f + 3 * i, fs);
        to_segment(M, g + 3 * i, gs);
        for (int k = 0; k < 3; k++) a[k] = fs[k] + gs[k];
        const double d = a[0] * nv[0] + a[1] * nv[1] + a[2] * nv[2];
        for (int k = 0; k < 3; k++) out[3 * i + k] = a[k] - d * nv[k];
    }
    Py_END_ALLOW_THREADS
    release(v, 5);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(wobble_oscillator_doc,
"wobble_oscillator(a, n, b_u, b_ud, den, taps, zi_u, zi_ud, c_vel, c_pos, out_u, out_ud, out_udd)\n\n"
"sensors.wear.wobble_response after the filter design: a (n, 3) the tangential acceleration; b_u, b_ud,\n"
"den (taps,) the numerators of u and u' and the common denominator (den[0] != 0); zi_u, zi_ud\n"
"(taps - 1, 3) the filters' initial states per axis. Each of u and u' is scipy.signal.lfilter(b, den,\n"
"a, axis=0, zi=zi) — its loop (coefficients divided by den[0], then y = z0 + b0 x; z_k = z_(k+1) +\n"
"b_(k+1) x - a_(k+1) y; last z = b x - a y) in the same order of operations, so the same bits — and\n"
"out_udd = (-a - c_vel u') - c_pos u (c_vel = 2 zeta w, c_pos = w^2), numpy's order.");

static PyObject *wobble_oscillator(PyObject *self, PyObject *args)
{
    PyObject *o[11];
    Py_ssize_t n, taps;
    double c_vel, c_pos;
    if (!PyArg_ParseTuple(args, "OnOOOnOOddOOO", &o[0], &n, &o[1], &o[2], &o[3], &taps, &o[4], &o[5], &c_vel,
                          &c_pos, &o[6], &o[7], &o[8]))
        return NULL;
    if (n < 0 || taps < 2 || taps > 16) {
        PyErr_SetString(PyExc_ValueError, "need n >= 0 and 2 <= taps <= 16");
        return NULL;
    }
    static const char *names[9] = {"a", "b_u", "b_ud", "den", "zi_u", "zi_ud", "out_u", "out_ud", "out_udd"};
    const Py_ssize_t state = 3 * (taps - 1);
    const Py_ssize_t sizes[9] = {3 * n, taps, taps, taps, state, state, 3 * n, 3 * n, 3 * n};
    Py_buffer v[9];
    memset(v, 0, sizeof v);
    for (int k = 0; k < 9; k++)
        if (get_buf(o[k], &v[k], sizes[k], 8, k >= 6, names[k])) {
            release(v, 9);
            return NULL;
        }
    const double *a = v[0].buf, *den_in = v[3].buf;
    if (den_in[0] == 0.0) {
        release(v, 9);
        PyErr_SetString(PyExc_ValueError, "den[0] must not be 0");
        return NULL;
    }
    /* lfilter's normalisation: every coefficient divided by den[0] once */
    double b[2][16], den[16], z[2][3][15];
    for (Py_ssize_t k = 0; k < taps; k++) {
        b[0][k] = ((const double *)v[1].buf)[k] / den_in[0];
        b[1][k] = ((const double *)v[2].buf)[k] / den_in[0];
        den[k] = den_in[k] / den_in[0];
    }
    for (int f = 0; f < 2; f++)
        for (Py_ssize_t k = 0; k < taps - 1; k++)
            for (int c = 0; c < 3; c++) z[f][c][k] = ((const double *)v[4 + f].buf)[3 * k + c];
    double *out[2] = {v[6].buf, v[7].buf}, *udd = v[8].buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) {
            const double x = a[3 * i + c];
            for (int f = 0; f < 2; f++) {
                double *zc = z[f][c];
                const double *bf = b[f];
                const double y = zc[0] + bf[0] * x;
                for (Py_ssize_t k = 0; k < taps - 2; k++) zc[k] = zc[k + 1] + x * bf[k + 1] - y * den[k + 1];
                zc[taps - 2] = x * bf[taps - 1] - y * den[taps - 1];
                out[f][3 * i + c] = y;
            }
            udd[3 * i + c] = (-x - c_vel * out[1][3 * i + c]) - c_pos * out[0][3 * i + c];
        }
    }
    Py_END_ALLOW_THREADS
    release(v, 9);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ seed_state */
/* numpy/random/bit_generator.pyx: SeedSequence's constants and its two hash steps */
#define SS_INIT_A 0x43b0d7e5u
#define SS_MULT_A 0x931e8875u
#define SS_INIT_B 0x8b51f9ddu
#define SS_MULT_B 0x58f38dedu
#define SS_MIX_MULT_L 0xca01f9ddu
#define SS_MIX_MULT_R 0x4973f715u

static INLINE uint32_t ss_hashmix(uint32_t value, uint32_t *hash_const)
{
    value ^= *hash_const;
    *hash_const *= SS_MULT_A;
    value *= *hash_const;
    value ^= value >> 16;
    return value;
}

static INLINE uint32_t ss_mix(uint32_t x, uint32_t y)
{
    uint32_t result = SS_MIX_MULT_L * x - SS_MIX_MULT_R * y;
    result ^= result >> 16;
    return result;
}

PyDoc_STRVAR(seed_state_doc,
"seed_state(e0, e1, e2, out)\n\n"
"numpy's SeedSequence([e0, e1, e2]).generate_state(4, np.uint64) written into out ((4,) uint64): the\n"
"entropy words (each < 2**32, no spawn key) hashed into the pool of 4 and the pool into 8 uint32 words,\n"
"paired little-endian — the seed PCG64 takes from a SeedSequence (sensors.hardware.term_rng).");

static PyObject *seed_state(PyObject *self, PyObject *args)
{
    unsigned long long e[3];
    PyObject *out_o;
    if (!PyArg_ParseTuple(args, "KKKO", &e[0], &e[1], &e[2], &out_o))
        return NULL;
    if (e[0] > 0xFFFFFFFFull || e[1] > 0xFFFFFFFFull || e[2] > 0xFFFFFFFFull) {
        PyErr_SetString(PyExc_ValueError, "entropy words must lie in [0, 2**32)");
        return NULL;
    }
    Py_buffer v;
    memset(&v, 0, sizeof v);
    if (get_buf(out_o, &v, 4, 8, 1, "out"))
        return NULL;
    uint32_t pool[4], hash_a = SS_INIT_A, hash_b = SS_INIT_B, w[8];
    for (int i = 0; i < 4; i++) /* SeedSequence.mix_entropy: the words, then the hash run out on zeros */
        pool[i] = ss_hashmix(i < 3 ? (uint32_t)e[i] : 0u, &hash_a);
    for (int i_src = 0; i_src < 4; i_src++)
        for (int i_dst = 0; i_dst < 4; i_dst++)
            if (i_src != i_dst)
                pool[i_dst] = ss_mix(pool[i_dst], ss_hashmix(pool[i_src], &hash_a));
    for (int i = 0; i < 8; i++) { /* SeedSequence.generate_state: cycling over the pool */
        uint32_t x = pool[i % 4] ^ hash_b;
        hash_b *= SS_MULT_B;
        x *= hash_b;
        w[i] = x ^ (x >> 16);
    }
    uint64_t *out = v.buf;
    for (int j = 0; j < 4; j++)
        out[j] = (uint64_t)w[2 * j] | ((uint64_t)w[2 * j + 1] << 32);
    PyBuffer_Release(&v);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ gait curves (motion.library.gait) */
PyDoc_STRVAR(gait_curves_doc,
"gait_curves(phase, curves, R, N, K, coef0, off, fac, scl, amp, camp, coff, hip, knee, k0, floor, width,\n"
"            e, out)\n\n"
"The per-angle loop of motion.library.gait._leg_angles on C-contiguous float64 buffers: curves (R, N, K)\n"
"the normative curves at the phases (R legs, N frames), per angle j coef0[j] its mean, off[j] / fac[j]\n"
"the person's offset and amplitude factor, scl[j] its share of the closure's amplitude; amp (R, N) the\n"
"stride amplitude, camp and coff the closure's amplitude factor and hip offset (1 value held, or N).\n"
"Angle j = hip: off[j] + coff; the others but the knee: coef0 + off + a (value - coef0); out (K, R, N).\n"
"The knee (j = knee) in two phases around numpy's expm1 (its float64 loop may be SIMD, so it is not redone\n"
"here): phase 0 writes the scaled knee k (about k0; 0: full extension) to out and -(k / 20)^2 to e (R, N);\n"
"phase 1, after e = expm1(e), the offset faded towards extension and the soft floor, floor + width\n"
"logaddexp(0, (x - floor) / width) (numpy's scalar logaddexp: libm exp and log1p). The same operations in\n"
"numpy's order (tests/motion/test_kernels_gait.py).");

/* numpy's npy_logaddexp (npymath), the same branches and libm calls */
static INLINE double np_logaddexp(double x, double y)
{
    if (x == y) return x + 0.693147180559945309417232121458176568; /* NPY_LOGE2 */
    const double tmp = x - y;
    if (tmp > 0) return x + log1p(exp(-tmp));
    if (tmp <= 0) return y + log1p(exp(tmp));
    return tmp;
}

static PyObject *gait_curves(PyObject *self, PyObject *args)
{
    PyObject *o[10];
    int phase;
    Py_ssize_t R, N, K, hip, knee;
    double k0, floor_, width;
    if (!PyArg_ParseTuple(args, "iOnnnOOOOOOOnndddOO", &phase, &o[0], &R, &N, &K, &o[1], &o[2], &o[3], &o[4],
                          &o[5], &o[6], &o[7], &hip, &knee, &k0, &floor_, &width, &o[9], &o[8]))
        return NULL;
    if (R < 0 || N < 0 || K < 0 || (phase != 0 && phase != 1)) {
        PyErr_SetString(PyExc_ValueError, "need R, N, K >= 0 and phase 0 or 1");
        return NULL;
    }
    Py_buffer v[10];
    memset(v, 0, sizeof v);
    Py_ssize_t cstep = 0, ostep = 0;
    static const char *names[5] = {"coef0", "off", "fac", "scl", "amp"};
    for (int k = 0; k < 5; k++)
        if (get_buf(o[1 + k], &v[1 + k], k == 4 ? R * N : K, 8, 0, names[k])) {
            release(v, 10);
            return NULL;
        }
    if (get_buf(o[0], &v[0], R * N * K, 8, 0, "curves") || get_buf(o[8], &v[8], K * R * N, 8, 1, "out") ||
        get_buf(o[9], &v[9], R * N, 8, 1, "e") ||
        get_angles(o[6], &v[6], 1, N, &cstep, "camp: 1 or N values") ||
        get_angles(o[7], &v[7], 1, N, &ostep, "coff: 1 or N values")) {
        release(v, 10);
        return NULL;
    }
    const double *cur = v[0].buf, *coef0 = v[1].buf, *off = v[2].buf, *fac = v[3].buf, *scl = v[4].buf,
                 *amp = v[5].buf, *camp = v[6].buf, *coff = v[7].buf;
    double *out = v[8].buf, *e = v[9].buf;
    Py_BEGIN_ALLOW_THREADS
    if (phase == 1) {
        if (knee >= 0 && knee < K)
            for (Py_ssize_t i = 0; i < R * N; i++) {
                double *y = out + knee * R * N + i;
                const double x = *y + off[knee] * -e[i];
                *y = floor_ + width * np_logaddexp(0.0, (x - floor_) / width);
            }
    } else {
        for (Py_ssize_t j = 0; j < K; j++)
            for (Py_ssize_t r = 0; r < R; r++)
                for (Py_ssize_t t = 0; t < N; t++) {
                    const Py_ssize_t i = r * N + t;
                    const double value = cur[i * K + j];
                    const double a = amp[i] * fac[j] * (1.0 + scl[j] * (camp[cstep * t] - 1.0));
                    if (j == knee) {
                        const double k = k0 != 0.0 ? k0 + a * (value - k0) : a * value, z = k / 20.0;
                        out[j * R * N + i] = k;
                        e[i] = -(z * z);
                    } else {
                        const double o_ = j == hip ? off[j] + coff[ostep * t] : off[j];
                        out[j * R * N + i] = coef0[j] + o_ + a * (value - coef0[j]);
                    }
                }
    }
    Py_END_ALLOW_THREADS
    release(v, 10);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"spline_columns", spline_columns, METH_VARARGS, spline_columns_doc},
    {"quintic_prefilter", quintic_prefilter, METH_VARARGS, quintic_prefilter_doc},
    {"cardinal_imu", cardinal_imu, METH_VARARGS, cardinal_imu_doc},
    {"state_imu", state_imu, METH_VARARGS, state_imu_doc},
    {"sos_pick", sos_pick, METH_VARARGS, sos_pick_doc},
    {"cardinal_sim", cardinal_sim, METH_VARARGS, cardinal_sim_doc},
    {"filtfilt_cols", filtfilt_cols, METH_VARARGS, filtfilt_cols_doc},
    {"sensor_chain", sensor_chain, METH_VARARGS, sensor_chain_doc},
    {"quat_op", quat_op, METH_VARARGS, quat_op_doc},
    {"forward_kinematics", forward_kinematics, METH_VARARGS, forward_kinematics_doc},
    {"leg_rotations", leg_rotations, METH_VARARGS, leg_rotations_doc},
    {"leg_chain", leg_chain, METH_VARARGS, leg_chain_doc},
    {"joint_rows", joint_rows, METH_VARARGS, joint_rows_doc},
    {"foot_contacts", foot_contacts, METH_VARARGS, foot_contacts_doc},
    {"anchored_roots", anchored_roots, METH_VARARGS, anchored_roots_doc},
    {"fourier_rows", fourier_rows, METH_VARARGS, fourier_rows_doc},
    {"rotation_rows", rotation_rows, METH_VARARGS, rotation_rows_doc},
    {"scatter_rows", scatter_rows, METH_VARARGS, scatter_rows_doc},
    {"quat_rows", quat_rows, METH_VARARGS, quat_rows_doc},
    {"wobble_oscillator", wobble_oscillator, METH_VARARGS, wobble_oscillator_doc},
    {"wobble_frame", wobble_frame, METH_VARARGS, wobble_frame_doc},
    {"wobble_drive", wobble_drive, METH_VARARGS, wobble_drive_doc},
    {"seed_state", seed_state, METH_VARARGS, seed_state_doc},
    {"gait_curves", gait_curves, METH_VARARGS, gait_curves_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "Fused C loops of imuforge.sensors (see _kernels.c); numpy fallbacks live in kinematics.py / simulate.py.",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
