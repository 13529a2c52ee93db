/* The dense pass's own products for few classes (sklearn_linsgd/_fast.pyx
   includes it after _fast_kernels.h, which defines LINSGD_OUTLINE;
   benchmarks/kernel_harness builds it on its own, with a prelude).
*/
#ifndef SKLEARN_LINSGD_FAST_SMALL_H
#define SKLEARN_LINSGD_FAST_SMALL_H

/* Products of a dense batch with few classes, without BLAS: scores
   S = Xb @ W and gradient G = C.T @ Xb for n_rows <= 4 vectors of
   classes (16 in double, 32 in single precision). BLAS repacks the
   batch for each of these skinny products, and its kernels are tuned
   for wide ones; here the rows are read in place through pointers (no
   gather copy), the classes of W (and of the score derivatives) lie in
   registers, padded with zeros to whole vectors, and NR rows are done at
   once: per feature, NV loads of W, NR broadcasts of x and NR * NV
   fused multiply-adds (NR * NV accumulators, at most 12, which with
   the NV loaded vectors and a broadcast fit the 16 AVX registers; gcc
   keeps them there, no spill; compiled for x86-64-v3 too, chosen at
   load time). The sums run over the features
   in order, one per score (a gemm's order differs: the results agree
   to rounding, not bit for bit). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define LINSGD_FMA_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LINSGD_FMA_CLONES
#endif
#if defined(__GNUC__) || defined(__clang__)
#define LINSGD_INLINE static inline __attribute__((always_inline))
#else
#define LINSGD_INLINE static inline
#endif
typedef double linsgd_v4dd __attribute__((vector_size(32), aligned(8)));
typedef float linsgd_v8f __attribute__((vector_size(32), aligned(4)));
/* NR, the rows done at once, for NV vectors of classes: NR * NV + NV + 1
   <= 16 registers */
static const int linsgd_small_nr[5] = {0, 8, 6, 4, 2};
#define LINSGD_SMALL(sfx, type, vec, L) \
    /* the loop over the features of a block, one cache line of each row \
       at a time, asking for the same line of the rows pf[0 .. nr) (if \
       pf) early: one request per line the block reads, spread over the \
       block's arithmetic, not a burst that stalls it */ \
    LINSGD_INLINE void linsgd_scores_block_##sfx( \
            type *restrict S, Py_ssize_t R, const type *const *xr, \
            const type *const *pf, const type *restrict Wp, \
            Py_ssize_t n_features, const int nr, const int nv) { \
        const Py_ssize_t line = 64 / sizeof(type); \
        vec a[8][4]; \
        Py_ssize_t d, d0, d1; \
        int r, v; \
        for (r = 0; r < nr; r++) \
            for (v = 0; v < nv; v++) a[r][v] = (vec) {0}; \
        for (d0 = 0; d0 < n_features; d0 = d1) { \
            d1 = d0 + line < n_features ? d0 + line : n_features; \
            if (pf) \
                for (r = 0; r < nr; r++) __builtin_prefetch(pf[r] + d0); \
            for (d = d0; d < d1; d++) { \
                vec w[4]; \
                for (v = 0; v < nv; v++) w[v] = *(const vec *) (Wp + d * R + v * L); \
                for (r = 0; r < nr; r++) { \
                    type x = xr[r][d]; \
                    for (v = 0; v < nv; v++) a[r][v] += x * w[v]; \
                } \
            } \
        } \
        for (r = 0; r < nr; r++) \
            for (v = 0; v < nv; v++) *(vec *) (S + r * R + v * L) = a[r][v]; \
    } \
    LINSGD_INLINE void linsgd_grad_block_##sfx( \
            type *restrict Gp, Py_ssize_t R, const type *const *xr, \
            const type *const *pf, const type *restrict Cp, \
            Py_ssize_t n_features, const int nr, const int nv) { \
        const Py_ssize_t line = 64 / sizeof(type); \
        vec c[8][4]; \
        Py_ssize_t d, d0, d1; \
        int r, v; \
        for (r = 0; r < nr; r++) \
            for (v = 0; v < nv; v++) c[r][v] = *(const vec *) (Cp + r * R + v * L); \
        for (d0 = 0; d0 < n_features; d0 = d1) { \
            d1 = d0 + line < n_features ? d0 + line : n_features; \
            if (pf) \
                for (r = 0; r < nr; r++) __builtin_prefetch(pf[r] + d0); \
            for (d = d0; d < d1; d++) { \
                vec g[4]; \
                for (v = 0; v < nv; v++) g[v] = *(vec *) (Gp + d * R + v * L); \
                for (r = 0; r < nr; r++) { \
                    type x = xr[r][d]; \
                    for (v = 0; v < nv; v++) g[v] += x * c[r][v]; \
                } \
                for (v = 0; v < nv; v++) *(vec *) (Gp + d * R + v * L) = g[v]; \
            } \
        } \
    } \
    /* S[i * n_rows + k] = sum_d xr[i][d] * W[d * n_rows + k], i < n_b, \
       k < n_rows <= 4 L; Wp: scratch of n_features * 4 L values. Asks \
       for the rows lead rows ahead in the batch early. */ \
    LINSGD_OUTLINE LINSGD_FMA_CLONES static void linsgd_small_scores_##sfx( \
            type *restrict S, const type *const *xr, Py_ssize_t n_b, \
            Py_ssize_t lead, const type *restrict W, Py_ssize_t n_rows, \
            Py_ssize_t n_features, type *restrict Wp) { \
        const int nv = (int) ((n_rows + L - 1) / L); \
        const int nr = linsgd_small_nr[nv]; \
        const Py_ssize_t R = nv * L; \
        type out[12 * L]; /* NR * NV <= 12 vectors */ \
        const type *const *pf; \
        Py_ssize_t d, i, k, q; \
        int r; \
        for (d = 0; d < n_features; d++) \
            for (k = 0; k < R; k++) \
                Wp[d * R + k] = k < n_rows ? W[d * n_rows + k] : (type) 0; \
        for (i = 0; i < n_b; i += r) { \
            r = n_b - i >= nr ? nr : 1; \
            pf = i + lead + r <= n_b ? xr + i + lead : NULL; \
            LINSGD_SMALL_CALL(linsgd_scores_block_##sfx, nv, r, \
                              (out, R, xr + i, pf, Wp, n_features, \
                               LINSGD_NR, LINSGD_NV)) \
            for (q = 0; q < r; q++) \
                memcpy(S + (i + q) * n_rows, out + q * R, n_rows * sizeof(type)); \
        } \
    } \
    /* G[d * n_rows + k] = sum_i xr[i][d] * C[k * n_b + i] (C: class-major \
       score derivatives), n_rows <= 4 L; Gp: scratch of n_features * 4 L \
       values. Asks for the rows ahead[0 .. n_ahead) early (the next \
       batch's), as many rows while each block is done as the block has. */ \
    LINSGD_OUTLINE LINSGD_FMA_CLONES static void linsgd_small_grad_##sfx( \
            type *restrict G, const type *const *xr, Py_ssize_t n_b, \
            const type *restrict C, Py_ssize_t n_rows, Py_ssize_t n_features, \
            type *restrict Gp, const type *const *ahead, Py_ssize_t n_ahead) { \
        const int nv = (int) ((n_rows + L - 1) / L); \
        const int nr = linsgd_small_nr[nv]; \
        const Py_ssize_t R = nv * L; \
        type Cp[12 * L]; \
        const type *const *pf; \
        Py_ssize_t d, i, k, q; \
        int r; \
        memset(Gp, 0, n_features * R * sizeof(type)); \
        for (i = 0; i < n_b; i += r) { \
            r = n_b - i >= nr ? nr : 1; \
            for (q = 0; q < r; q++) \
                for (k = 0; k < R; k++) \
                    Cp[q * R + k] = k < n_rows ? C[k * n_b + i + q] : (type) 0; \
            pf = i + r <= n_ahead ? ahead + i : NULL; \
            LINSGD_SMALL_CALL(linsgd_grad_block_##sfx, nv, r, \
                              (Gp, R, xr + i, pf, Cp, n_features, \
                               LINSGD_NR, LINSGD_NV)) \
        } \
        for (d = 0; d < n_features; d++) \
            memcpy(G + d * n_rows, Gp + d * R, n_rows * sizeof(type)); \
    }
/* f(args) with the block's rows and vectors of classes as constants
   (args name them LINSGD_NR and LINSGD_NV): a block of nr = 8, 6, 4, 2
   rows for nv = 1, 2, 3, 4, or of one row */
#define LINSGD_SMALL_CASE(f, nr_, nv_, args) \
    case nv_ * 16 + nr_: { \
        enum { LINSGD_NR = nr_, LINSGD_NV = nv_ }; \
        f args; \
        break; \
    }
#define LINSGD_SMALL_CALL(f, nv, r, args) \
    switch ((nv) * 16 + (r)) { \
    LINSGD_SMALL_CASE(f, 1, 1, args) \
    LINSGD_SMALL_CASE(f, 1, 2, args) \
    LINSGD_SMALL_CASE(f, 1, 3, args) \
    LINSGD_SMALL_CASE(f, 1, 4, args) \
    LINSGD_SMALL_CASE(f, 8, 1, args) \
    LINSGD_SMALL_CASE(f, 6, 2, args) \
    LINSGD_SMALL_CASE(f, 4, 3, args) \
    LINSGD_SMALL_CASE(f, 2, 4, args) \
    }
LINSGD_SMALL(d, double, linsgd_v4dd, 4)
LINSGD_SMALL(f, float, linsgd_v8f, 8)

#endif /* SKLEARN_LINSGD_FAST_SMALL_H */
