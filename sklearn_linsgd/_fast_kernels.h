/* The C kernels of sklearn_linsgd/_fast.pyx: the vectorized exp of the
   softmax, sums of squares, and the sparse AdaGrad pass's loops over a model
   row or one column's entries. Each is written for double (suffix _d) and
   float (_f); _fast.pyx declares them and picks one per precision. Included
   by the generated _fast.c after Python.h (Py_ssize_t). */
#ifndef SKLEARN_LINSGD_FAST_KERNELS_H
#define SKLEARN_LINSGD_FAST_KERNELS_H

#include <stdint.h>
#include <string.h>

/* exp(x) for x <= 0 (or nan, which propagates): straight-line arithmetic
   with no call and no branch, so that a loop of it is vectorized by the
   compiler (libm's exp is a call per element). x = n ln2 + r with
   |r| <= ln2 / 2 (n by the round-to-nearest shifter), exp(r) by its
   Taylor polynomial (degree 13 in double, 7 in single precision: under
   one ulp of truncation), 2^n from its exponent bits. Where exp(x) is
   below the smallest normal number (x < -708.39, -87.33 in single
   precision) it returns 0. */
static inline double linsgd_exp_neg_d(double x) {
    const double shifter = 6755399441055744.0;  /* 1.5 * 2^52 */
    const double ln2_hi = 6.93147180369123816490e-01;
    const double ln2_lo = 1.90821492927058770002e-10;
    double xc = x < -708.39 ? -708.39 : x;
    double t = xc * 1.4426950408889634 + shifter;
    double n = t - shifter;
    double r = (xc - n * ln2_hi) - n * ln2_lo;
    double p = 1.0 / 6227020800.0;
    int64_t bits;
    double scale;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    memcpy(&bits, &t, sizeof(bits));
    bits = (bits - INT64_C(0x4338000000000000) + 1023) << 52;
    memcpy(&scale, &bits, sizeof(scale));
    return x < -708.39 ? 0.0 : p * scale;
}

static inline float linsgd_exp_neg_f(float x) {
    const float shifter = 12582912.0f;  /* 1.5 * 2^23 */
    const float ln2_hi = 0.693359375f;
    const float ln2_lo = -2.12194440e-4f;
    float xc = x < -87.33f ? -87.33f : x;
    float t = xc * 1.44269504f + shifter;
    float n = t - shifter;
    float r = (xc - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040.0f;
    int32_t bits;
    float scale;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    memcpy(&bits, &t, sizeof(bits));
    bits = (bits - 0x4B400000 + 127) << 23;
    memcpy(&scale, &bits, sizeof(scale));
    return x < -87.33f ? 0.0f : p * scale;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define LINSGD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LINSGD_CLONES
#endif

LINSGD_CLONES
static void linsgd_exp_neg_inplace_d(double *a, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) a[i] = linsgd_exp_neg_d(a[i]);
}

LINSGD_CLONES
static void linsgd_exp_neg_inplace_f(float *a, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) a[i] = linsgd_exp_neg_f(a[i]);
}

/* sum(a ** 2) in double, in four interleaved partial sums: one running sum
   would wait for each addition before the next (a chain of n latencies);
   four independent ones overlap. Scalar loads on purpose: the plain
   sparse kernel sums a model row just written value by value, and a
   vector load of values still in the store buffer waits for them to be
   written out (store-to-load forwarding fails). That stall cost more
   than the sums themselves (a quarter of the AdaGrad pass, by perf,
   which now takes its sums in the loops that make the values). */
#if defined(__GNUC__) && !defined(__clang__)
#define LINSGD_SCALAR __attribute__((optimize("no-tree-vectorize")))
#else
#define LINSGD_SCALAR
#endif
#if defined(__clang__)
#define LINSGD_NO_VECTORIZE _Pragma("clang loop vectorize(disable) interleave(disable)")
#else
#define LINSGD_NO_VECTORIZE
#endif
#define LINSGD_SUM_SQ(name, type) \
    LINSGD_SCALAR static double name(const type *a, Py_ssize_t n) { \
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0; \
        Py_ssize_t k = 0; \
        LINSGD_NO_VECTORIZE \
        for (; k + 4 <= n; k += 4) { \
            s0 += (double) a[k] * a[k]; \
            s1 += (double) a[k + 1] * a[k + 1]; \
            s2 += (double) a[k + 2] * a[k + 2]; \
            s3 += (double) a[k + 3] * a[k + 3]; \
        } \
        for (; k < n; k++) s0 += (double) a[k] * a[k]; \
        return (s0 + s1) + (s2 + s3); \
    }
LINSGD_SUM_SQ(linsgd_sum_sq_d, double)
LINSGD_SUM_SQ(linsgd_sum_sq_f, float)

/* The sparse AdaGrad pass's loops over a model row and over one column's
   entries, out of line: inlined into the pass (a very large function),
   gcc 12 left such loops scalar. They work on four elements at a time
   with GCC's vector extensions (one AVX register of doubles, or an SSE
   one of floats; compiled for AVX2 too, chosen at load time), which do
   per lane exactly the arithmetic of the scalar loops they replace
   (no fused multiply-adds: AVX2 alone does not enable them), so the
   results are the same bits as those loops'. Sums of squares are
   taken as the values are made (no reload of values still in the store
   buffer) in four partial sums, lane l summing the elements
   k = l (mod 4) in order, the rest in lane 0: those of linsgd_sum_sq. */
#if defined(__GNUC__) || defined(__clang__)
#define LINSGD_OUTLINE __attribute__((noinline))
#else
#define LINSGD_OUTLINE
#endif
typedef double linsgd_v4d __attribute__((vector_size(32), aligned(8)));
typedef float linsgd_v4f __attribute__((vector_size(16), aligned(4)));
#define LINSGD_TO_D_d(v) (v)
#define LINSGD_TO_D_f(v) __builtin_convertvector((v), linsgd_v4d)
#define LINSGD_SUM4(acc, s0) (((s0) + (acc)[1]) + ((acc)[2] + (acc)[3]))
#define LINSGD_ROW_HELPERS(sfx, type, vec) \
    /* one column's entries e0 <= e < e1 into the scores S: \
       S[offs[e] + k] += xs[e] * (w[k] * d), k < n (offs[e]: the offset \
       of the entry's row of scores), eight then four at a time */ \
    LINSGD_OUTLINE LINSGD_CLONES static void linsgd_scatter_col_##sfx( \
            type *restrict S, const int *restrict offs, \
            const type *restrict xs, Py_ssize_t e0, Py_ssize_t e1, \
            const type *restrict w, type d, Py_ssize_t n) { \
        Py_ssize_t k = 0, e; \
        for (; k + 8 <= n; k += 8) { \
            vec wd0 = *(const vec *) (w + k) * d; \
            vec wd1 = *(const vec *) (w + k + 4) * d; \
            for (e = e0; e < e1; e++) { \
                type *y = S + offs[e] + k; \
                type a = xs[e]; \
                *(vec *) y = *(vec *) y + a * wd0; \
                *(vec *) (y + 4) = *(vec *) (y + 4) + a * wd1; \
            } \
        } \
        if (k + 4 <= n) { \
            vec wd = *(const vec *) (w + k) * d; \
            for (e = e0; e < e1; e++) { \
                vec *y = (vec *) (S + offs[e] + k); \
                *y = *y + xs[e] * wd; \
            } \
            k += 4; \
        } \
        for (; k < n; k++) { \
            type wd = w[k] * d; \
            for (e = e0; e < e1; e++) S[offs[e] + k] = S[offs[e] + k] + xs[e] * wd; \
        } \
    } \
    /* g[k] = the sum over one column's entries (e0 < e1) of xs[e] * \
       S[offs[e] + k], term by term (the column's gradient; the first \
       term is 0 + xs[e0] * S[...] up to the sign of a zero); returns \
       sum(g ** 2) in double */ \
    LINSGD_OUTLINE LINSGD_CLONES static double linsgd_gather_col_##sfx( \
            type *restrict g, const type *restrict S, const int *restrict offs, \
            const type *restrict xs, Py_ssize_t e0, Py_ssize_t e1, Py_ssize_t n) { \
        linsgd_v4d acc = {0.0, 0.0, 0.0, 0.0}, t; \
        double s0; \
        Py_ssize_t k = 0, e; \
        for (; k + 8 <= n; k += 8) { \
            const type *x = S + offs[e0] + k; \
            vec a0 = xs[e0] * *(const vec *) x; \
            vec a1 = xs[e0] * *(const vec *) (x + 4); \
            for (e = e0 + 1; e < e1; e++) { \
                x = S + offs[e] + k; \
                a0 = a0 + xs[e] * *(const vec *) x; \
                a1 = a1 + xs[e] * *(const vec *) (x + 4); \
            } \
            *(vec *) (g + k) = a0; \
            *(vec *) (g + k + 4) = a1; \
            t = LINSGD_TO_D_##sfx(a0); \
            acc = acc + t * t; \
            t = LINSGD_TO_D_##sfx(a1); \
            acc = acc + t * t; \
        } \
        if (k + 4 <= n) { \
            vec a = xs[e0] * *(const vec *) (S + offs[e0] + k); \
            for (e = e0 + 1; e < e1; e++) \
                a = a + xs[e] * *(const vec *) (S + offs[e] + k); \
            *(vec *) (g + k) = a; \
            t = LINSGD_TO_D_##sfx(a); \
            acc = acc + t * t; \
            k += 4; \
        } \
        s0 = acc[0]; \
        for (; k < n; k++) { \
            type a = xs[e0] * S[offs[e0] + k]; \
            for (e = e0 + 1; e < e1; e++) a = a + xs[e] * S[offs[e] + k]; \
            g[k] = a; \
            s0 += (double) a * a; \
        } \
        return LINSGD_SUM4(acc, s0); \
    } \
    /* y = x, returning sum(x ** 2) in double */ \
    LINSGD_OUTLINE LINSGD_CLONES static double linsgd_copy_sum_sq_##sfx( \
            type *restrict y, const type *restrict x, Py_ssize_t n) { \
        linsgd_v4d acc = {0.0, 0.0, 0.0, 0.0}, t; \
        double s0; \
        Py_ssize_t k = 0; \
        for (; k + 4 <= n; k += 4) { \
            vec a = *(const vec *) (x + k); \
            *(vec *) (y + k) = a; \
            t = LINSGD_TO_D_##sfx(a); \
            acc = acc + t * t; \
        } \
        s0 = acc[0]; \
        for (; k < n; k++) { \
            y[k] = x[k]; \
            s0 += (double) x[k] * x[k]; \
        } \
        return LINSGD_SUM4(acc, s0); \
    } \
    /* w = (w * dv - r * g) * d in place, the decayed, stepped and \
       shrunk row; returns sum(w ** 2) in double */ \
    LINSGD_OUTLINE LINSGD_CLONES static double linsgd_prox_step_##sfx( \
            type *restrict w, type dv, type r, const type *restrict g, \
            type d, Py_ssize_t n) { \
        linsgd_v4d acc = {0.0, 0.0, 0.0, 0.0}, t; \
        double s0; \
        Py_ssize_t k = 0; \
        for (; k + 4 <= n; k += 4) { \
            vec a = (*(const vec *) (w + k) * dv - r * *(const vec *) (g + k)) * d; \
            *(vec *) (w + k) = a; \
            t = LINSGD_TO_D_##sfx(a); \
            acc = acc + t * t; \
        } \
        s0 = acc[0]; \
        for (; k < n; k++) { \
            w[k] = (w[k] * dv - r * g[k]) * d; \
            s0 += (double) w[k] * w[k]; \
        } \
        return LINSGD_SUM4(acc, s0); \
    }
LINSGD_ROW_HELPERS(d, double, linsgd_v4d)
LINSGD_ROW_HELPERS(f, float, linsgd_v4f)

/* The plain sparse pass's gradient step in a batch's block of V: for the
   entries p of the batch's rows brows (e counting them in the rows'
   order), block[cidx[e] * n + k] -= (type) (f * data[p]) * S[i * n + k],
   S[i] being row i's score derivatives; indptr holds long longs when
   wide, else ints. Out of line: inlined into the pass, gcc kept the inner
   loop's bound on the stack (1.5-2 % slower). */
#define LINSGD_ROW_START(indptr, wide, j) \
    ((wide) ? (Py_ssize_t) ((const long long *) (indptr))[j] \
            : (Py_ssize_t) ((const int *) (indptr))[j])
#define LINSGD_BLOCK_STEP(sfx, type) \
    LINSGD_OUTLINE static void linsgd_block_step_##sfx( \
            type *restrict block, const type *restrict S, \
            const type *restrict data, const void *indptr, int wide, \
            const long long *restrict brows, Py_ssize_t n_b, \
            const int *restrict cidx, double f, Py_ssize_t n) { \
        Py_ssize_t i, k, p, p1, nz = 0; \
        for (i = 0; i < n_b; i++) { \
            const type *s = S + i * n; \
            p1 = LINSGD_ROW_START(indptr, wide, brows[i] + 1); \
            for (p = LINSGD_ROW_START(indptr, wide, brows[i]); p < p1; p++) { \
                type *w = block + cidx[nz] * n; \
                type xf = (type) (f * data[p]); \
                nz++; \
                for (k = 0; k < n; k++) w[k] -= xf * s[k]; \
            } \
        } \
    }
LINSGD_BLOCK_STEP(d, double)
LINSGD_BLOCK_STEP(f, float)

#endif /* SKLEARN_LINSGD_FAST_KERNELS_H */
