# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""Compiled mini-batch SGD passes (dense gathered batches, lazy sparse).

Each function runs one pass over a list of batches for one configuration and
mirrors a numpy reference in :mod:`._sgd` (``sgd_pass`` and
``_sgd_pass_lazy_sparse``), which the tests compare it with. The products go
through BLAS (``scipy.linalg.cython_blas``), but for a dense batch with few
classes (``_small_scores`` and ``_small_grad``); the per-row loss
derivatives, the updates and the bookkeeping are plain loops, all without the
GIL.

Layout: ``coef`` is ``(n_rows, n_features)`` in Fortran order, i.e. a
C-ordered ``(n_features, n_rows)`` matrix ``W`` with ``W[d, k]`` at
``d * n_rows + k``; ``X`` is C-ordered. Scores ``S = Xb @ W`` are then one
``gemm`` with no transposition. The dense pass turns the score derivatives
class-major (``G[k * n_b + i]``) before the gradient ``W_grad = Xb.T @ G``, a
``gemm`` of two transposed operands.

Return codes: ``0`` the pass ended normally; ``1`` the objective of a batch was
non-finite (parameters restored to before the previous update); ``2`` the
parameters were non-finite at the end of the pass, or the objective of the
last batch at them (parameters restored to before the last update).
"""

from cython cimport floating
from libc.math cimport INFINITY, exp, fabs, isfinite, log, log1p, sqrt
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport dgemm, sgemm

import numpy as np

cdef enum:
    HINGE = 0
    LOG = 1
    # ``Rule.adagrad`` (``_compiled.ADAGRAD``; 0: plain steps): one sum of
    # squared gradients per weight, or one per feature (column of coef)
    ADAGRAD_COORDINATE = 1
    ADAGRAD_FEATURE = 2


cdef struct Rule:
    # The update rule's options, the ``rule`` argument of every pass (from
    # Python a dict of these fields, made by ``_compiled.kernel_rule``); a
    # pass reads those of the updates it implements and changes none. The
    # counters ``samples_seen`` and ``n_avg``, which a pass advances and
    # returns, stay arguments of their own.
    int loss  # HINGE or LOG
    double margin  # the hinge loss's
    double alpha  # the penalty's strength
    double l1_ratio  # its L1 share (dense_pass)
    bint fit_intercept
    double momentum  # 0: none (dense_pass)
    bint nesterov
    int adagrad  # 0, ADAGRAD_COORDINATE or ADAGRAD_FEATURE
    double intercept_scale  # AdaGrad's intercept steps over the weights'
    double adagrad_eps  # added to the root of a weight's AdaGrad sum
    long long average_start  # samples seen before averaging starts; -1: none

cdef double ADAGRAD_EPS = 1e-8
cdef double RESETTLE = 16.0  # _sgd.RESETTLE

cdef extern from *:
    void __builtin_prefetch(const void *addr) nogil

# The C kernels (vectorized exp, sums of squares, the sparse AdaGrad pass's
# loops over a model row or a column's entries), in the header beside this
# file: one function per precision, picked by the fused wrappers below.
cdef extern from "_fast_kernels.h":
    void linsgd_exp_neg_inplace_d(double *a, Py_ssize_t n) noexcept nogil
    void linsgd_exp_neg_inplace_f(float *a, Py_ssize_t n) noexcept nogil
    double linsgd_sum_sq_d(const double *a, Py_ssize_t n) noexcept nogil
    double linsgd_sum_sq_f(const float *a, Py_ssize_t n) noexcept nogil
    double linsgd_copy_sum_sq_d(double *y, const double *x, Py_ssize_t n) noexcept nogil
    double linsgd_copy_sum_sq_f(float *y, const float *x, Py_ssize_t n) noexcept nogil
    double linsgd_prox_step_d(double *w, double dv, double r, const double *g,
                              double d, Py_ssize_t n) noexcept nogil
    double linsgd_prox_step_f(float *w, float dv, float r, const float *g,
                              float d, Py_ssize_t n) noexcept nogil
    void linsgd_scatter_col_d(double *S, const int *offs, const double *xs,
                              Py_ssize_t e0, Py_ssize_t e1, const double *w, double d,
                              Py_ssize_t n) noexcept nogil
    void linsgd_scatter_col_f(float *S, const int *offs, const float *xs,
                              Py_ssize_t e0, Py_ssize_t e1, const float *w, float d,
                              Py_ssize_t n) noexcept nogil
    double linsgd_gather_col_d(double *g, const double *S, const int *offs,
                               const double *xs, Py_ssize_t e0, Py_ssize_t e1,
                               Py_ssize_t n) noexcept nogil
    double linsgd_gather_col_f(float *g, const float *S, const int *offs,
                               const float *xs, Py_ssize_t e0, Py_ssize_t e1,
                               Py_ssize_t n) noexcept nogil
    void linsgd_block_step_d(double *block, const double *S, const double *data,
                             const void *indptr, int wide, const long long *brows,
                             Py_ssize_t n_b, const int *cidx, double f,
                             Py_ssize_t n) noexcept nogil
    void linsgd_block_step_f(float *block, const float *S, const float *data,
                             const void *indptr, int wide, const long long *brows,
                             Py_ssize_t n_b, const int *cidx, double f,
                             Py_ssize_t n) noexcept nogil


cdef inline void _exp_neg(floating *a, Py_ssize_t n) noexcept nogil:
    """``a = exp(a)`` in place for ``a <= 0`` (see _fast_kernels.h)."""
    if floating is float:
        linsgd_exp_neg_inplace_f(a, n)
    else:
        linsgd_exp_neg_inplace_d(a, n)


def exp_neg(floating[::1] a):
    """``exp(a)`` in place, for ``a <= 0`` or nan: the softmax kernels' exp
    (exposed for the tests, which compare it with ``np.exp``)."""
    if a.shape[0] > 0:
        _exp_neg(&a[0], a.shape[0])


#: Features whose model rows (and, in the AdaGrad pass, books) a sweep over a
#: sparse batch's columns requests ahead of their use.
cdef Py_ssize_t PREFETCH = 16
cdef Py_ssize_t CHUNK = 8  # columns whose rates the sparse AdaGrad pass takes together
cdef Py_ssize_t PREFETCH_ROWS = 4  # rows of a batch read ahead (dense, or CSR)


cdef inline void _gemm(char transa, char transb, int m, int n, int k,
                       floating alpha, const floating *A, int lda,
                       const floating *B, int ldb, floating beta,
                       floating *C, int ldc) noexcept nogil:
    """Column-major ``C = alpha op(A) op(B) + beta C``."""
    if floating is float:
        sgemm(&transa, &transb, &m, &n, &k, &alpha, <float *> A, &lda,
              <float *> B, &ldb, &beta, C, &ldc)
    else:
        dgemm(&transa, &transb, &m, &n, &k, &alpha, <double *> A, &lda,
              <double *> B, &ldb, &beta, C, &ldc)


cdef inline double _row_loss_grad(floating *s, floating *g, Py_ssize_t label,
                                  Py_ssize_t n_rows, int loss, double margin,
                                  double weight, bint want_grad) noexcept nogil:
    """Loss of one sample from its scores ``s``; ``g = weight * dloss/ds``.

    ``g`` may be ``s`` (overwritten); without ``want_grad`` it receives
    scratch values (the softmax exponentials).

    As :func:`._losses.hinge_scores_grad` and :func:`._losses.log_scores_grad`.
    """
    cdef Py_ssize_t j
    cdef double value = 0.0, z, t, sy, m
    cdef int violated = 0
    if n_rows == 1:  # binary: one score column, t = +-1
        t = 2.0 * label - 1.0
        if loss == HINGE:
            z = margin - t * s[0]
            value = 0.0 if z <= 0 else z  # a nan propagates, as in numpy
            if want_grad:
                g[0] = <floating> (-t * weight if z >= 0 else 0.0)
        else:
            z = -t * s[0]
            # log(1 + exp(z)), stable for any z
            value = (z if z > 0 else 0.0) + log1p(exp(-fabs(z)))
            if want_grad:
                g[0] = <floating> (-t * exp(z - value) * weight)
        return value
    if loss == HINGE:  # Weston-Watkins: sum_{j != y} max(0, s_j - s_y + margin)
        sy = s[label]
        for j in range(n_rows):
            if j == label:
                continue
            m = s[j] - sy + margin
            if not m <= 0:  # violated (or nan, which must propagate)
                value += m
                violated += 1
                if want_grad:
                    g[j] = <floating> weight
            elif want_grad:
                g[j] = 0
        if want_grad:
            g[label] = <floating> (-violated * weight)
        return value
    sy = _softmax_shift(s, g, label, n_rows)
    _exp_neg(g, n_rows)  # in the data's precision, as numpy's exp
    return _softmax_finish(g, label, n_rows, sy, weight, want_grad)


cdef inline double _softmax_shift(const floating *s, floating *g, Py_ssize_t label,
                                  Py_ssize_t n_rows) noexcept nogil:
    """``g = s - max(s)`` (``g`` may be ``s``); returns ``s[label] - max(s)``."""
    cdef Py_ssize_t j
    cdef double mx = s[0], sy
    for j in range(1, n_rows):
        if s[j] > mx:
            mx = s[j]
    sy = s[label] - mx
    for j in range(n_rows):  # s[j] is read before g[j] is written
        g[j] = <floating> (s[j] - mx)
    return sy


cdef inline double _softmax_finish(floating *g, Py_ssize_t label, Py_ssize_t n_rows,
                                   double sy, double weight,
                                   bint want_grad) noexcept nogil:
    """From ``g = exp(s - max(s))`` and ``sy`` (:func:`_softmax_shift`): the
    loss ``log(sum(g)) - sy``, and ``g = weight * dloss/ds`` when
    ``want_grad``."""
    cdef Py_ssize_t j
    cdef double total = 0.0, value
    for j in range(n_rows):
        total += g[j]
    value = log(total) - sy
    if want_grad:
        for j in range(n_rows):
            g[j] = <floating> (g[j] / total * weight)
        g[label] = <floating> (g[label] - weight)
    return value


cdef double _softmax_block(floating *C, Py_ssize_t n_b, Py_ssize_t n_rows,
                           const long long *yb, const double *swb, double sw_sum,
                           double *T, bint want_grad) noexcept nogil:
    """Weighted mean softmax loss of a block of class-major scores
    ``C[k * n_b + i]``; ``C`` receives the weighted score derivatives when
    ``want_grad``. ``T``: ``3 * n_b`` scratch.

    The values of :func:`_softmax_shift`, :func:`_exp_neg` and
    :func:`_softmax_finish` row by row (the same operations in the same
    order, but for one division per row and a multiplication per score
    instead of a division per score: within an ulp), with each step a loop
    over the rows of one class, which the compiler vectorizes, instead of a
    short serial loop per row.
    """
    cdef Py_ssize_t i, k
    cdef double value = 0.0
    cdef double *mx = T
    cdef double *sy = &T[n_b]
    cdef double *total = &T[2 * n_b]
    cdef floating *Ck
    for i in range(n_b):
        mx[i] = C[i]
    for k in range(1, n_rows):
        Ck = &C[k * n_b]
        for i in range(n_b):
            mx[i] = Ck[i] if Ck[i] > mx[i] else mx[i]
    for i in range(n_b):
        sy[i] = C[yb[i] * n_b + i] - mx[i]
        total[i] = 0.0
    for k in range(n_rows):
        Ck = &C[k * n_b]
        for i in range(n_b):
            Ck[i] = <floating> (Ck[i] - mx[i])
    _exp_neg(C, n_b * n_rows)
    for k in range(n_rows):
        Ck = &C[k * n_b]
        for i in range(n_b):
            total[i] += Ck[i]
    for i in range(n_b):
        mx[i] = swb[i] / sw_sum  # the rows' weights, from here on
        value += mx[i] * (log(total[i]) - sy[i])
        total[i] = mx[i] / total[i]
    if want_grad:
        for k in range(n_rows):
            Ck = &C[k * n_b]
            for i in range(n_b):
                Ck[i] = <floating> (Ck[i] * total[i])
        for i in range(n_b):
            k = yb[i] * n_b + i
            C[k] = <floating> (C[k] - mx[i])
    return value


cdef void _to_class_major(floating *C, const floating *S, const floating *b,
                          Py_ssize_t n_b, Py_ssize_t n_rows) noexcept nogil:
    """``C[k * n_b + i] = S[i * n_rows + k] (+ b[k])``: a batch's scores or
    derivatives, row-major to class-major (with the intercept, unless ``b``
    is NULL)."""
    cdef Py_ssize_t i, k
    cdef floating *Ck
    for k in range(n_rows):
        Ck = &C[k * n_b]
        if b != NULL:
            for i in range(n_b):
                Ck[i] = S[i * n_rows + k] + b[k]
        else:
            for i in range(n_b):
                Ck[i] = S[i * n_rows + k]


cdef double _batch_loss(const floating *Xb, const floating **xr, Py_ssize_t n_b,
                        Py_ssize_t n_features, const floating *W, const floating *b,
                        Py_ssize_t n_rows, const long long *yb, const double *swb,
                        double sw_sum, int loss, double margin, floating *S,
                        floating *C, double *T, floating *Wp,
                        bint want_grad) noexcept nogil:
    """Weighted mean loss of a dense batch; when ``want_grad``, ``C`` receives
    the score derivatives (weighted), class-major: ``C[k * n_b + i]`` for row
    ``i`` and class ``k``. ``S``: ``n_b * n_rows`` scratch values, ``T``:
    ``3 * n_b``.

    The scores are one row-major gemm of the C-ordered rows ``Xb`` or, with
    ``xr`` not NULL (few classes), :func:`_small_scores` of the rows at
    ``xr[i]`` (``Wp``: its scratch). Class-major derivatives suit both
    gradient products: the gemm of two transposed operands ``C.T @ Xb``,
    which OpenBLAS runs faster (on the gradient of 256 rows of 256 features
    and 10 classes, 28 against 48 us in float64) than the product of the
    row-major derivatives, and :func:`_small_grad`.
    """
    cdef Py_ssize_t i, k
    cdef double value = 0.0, w
    if xr != NULL:
        _small_scores(S, xr, n_b, PREFETCH_ROWS, W, n_rows, n_features, Wp)
    else:
        _gemm(c'N', c'N', <int> n_rows, <int> n_b, <int> n_features, <floating> 1.0,
              W, <int> n_rows, Xb, <int> n_features, <floating> 0.0, S, <int> n_rows)
    if loss == LOG and n_rows > 1:
        _to_class_major(C, S, b, n_b, n_rows)
        return _softmax_block(C, n_b, n_rows, yb, swb, sw_sum, T, want_grad)
    for i in range(n_b):
        for k in range(n_rows):
            S[i * n_rows + k] += b[k]
    for i in range(n_b):
        w = swb[i] / sw_sum
        value += w * _row_loss_grad(&S[i * n_rows], &S[i * n_rows], yb[i], n_rows,
                                    loss, margin, w, want_grad)
    if want_grad:
        _to_class_major(C, S, NULL, n_b, n_rows)
    return value


# The dense pass's small products (C, in _fast_small.h).
cdef extern from "_fast_small.h":
    void linsgd_small_scores_d(double *S, const double **xr, Py_ssize_t n_b,
                               Py_ssize_t lead, const double *W, Py_ssize_t n_rows,
                               Py_ssize_t n_features, double *Wp) noexcept nogil
    void linsgd_small_scores_f(float *S, const float **xr, Py_ssize_t n_b,
                               Py_ssize_t lead, const float *W, Py_ssize_t n_rows,
                               Py_ssize_t n_features, float *Wp) noexcept nogil
    void linsgd_small_grad_d(double *G, const double **xr, Py_ssize_t n_b,
                             const double *C, Py_ssize_t n_rows, Py_ssize_t n_features,
                             double *Gp, const double **ahead,
                             Py_ssize_t n_ahead) noexcept nogil
    void linsgd_small_grad_f(float *G, const float **xr, Py_ssize_t n_b,
                             const float *C, Py_ssize_t n_rows, Py_ssize_t n_features,
                             float *Gp, const float **ahead,
                             Py_ssize_t n_ahead) noexcept nogil


#: The most classes the dense pass's own products take (4 vectors of them, see
#: _fast_small.h); with more, the products go through BLAS.
cdef Py_ssize_t SMALL_ROWS_D = 16, SMALL_ROWS_F = 32


cdef inline void _small_scores(floating *S, const floating **xr, Py_ssize_t n_b,
                               Py_ssize_t lead, const floating *W,
                               Py_ssize_t n_rows, Py_ssize_t n_features,
                               floating *Wp) noexcept nogil:
    """``S[i * n_rows + k] = xr[i] @ W[:, k]``, asking for the rows ``lead``
    ahead early (see _fast_small.h)."""
    if floating is float:
        linsgd_small_scores_f(S, xr, n_b, lead, W, n_rows, n_features, Wp)
    else:
        linsgd_small_scores_d(S, xr, n_b, lead, W, n_rows, n_features, Wp)


cdef inline void _small_grad(floating *G, const floating **xr, Py_ssize_t n_b,
                             const floating *C, Py_ssize_t n_rows,
                             Py_ssize_t n_features, floating *Gp,
                             const floating **ahead, Py_ssize_t n_ahead) noexcept nogil:
    """``G[d * n_rows + k] = sum_i xr[i][d] * C[k * n_b + i]`` (see the C code
    above)."""
    if floating is float:
        linsgd_small_grad_f(G, xr, n_b, C, n_rows, n_features, Gp, ahead, n_ahead)
    else:
        linsgd_small_grad_d(G, xr, n_b, C, n_rows, n_features, Gp, ahead, n_ahead)


cdef inline double _copy_sum_sq(floating *y, const floating *x,
                                Py_ssize_t n) noexcept nogil:
    """``y = x``, returning ``sum(x ** 2)`` in double (see _fast_kernels.h)."""
    if floating is float:
        return linsgd_copy_sum_sq_f(y, x, n)
    else:
        return linsgd_copy_sum_sq_d(y, x, n)


cdef inline double _prox_step(floating *w, floating dv, floating r,
                              const floating *g, floating d, Py_ssize_t n) noexcept nogil:
    """``w = (w * dv - r * g) * d`` in place, returning ``sum(w ** 2)`` in
    double (see _fast_kernels.h)."""
    if floating is float:
        return linsgd_prox_step_f(w, dv, r, g, d, n)
    else:
        return linsgd_prox_step_d(w, dv, r, g, d, n)


cdef inline void _scatter_col(floating *S, const int *offs, const floating *xs,
                              Py_ssize_t e0, Py_ssize_t e1, const floating *w,
                              floating d, Py_ssize_t n) noexcept nogil:
    """``S[offs[e] + k] += xs[e] * (w[k] * d)`` for ``e0 <= e < e1``, ``k < n``
    (see _fast_kernels.h)."""
    if floating is float:
        linsgd_scatter_col_f(S, offs, xs, e0, e1, w, d, n)
    else:
        linsgd_scatter_col_d(S, offs, xs, e0, e1, w, d, n)


cdef inline double _gather_col(floating *g, const floating *S, const int *offs,
                               const floating *xs, Py_ssize_t e0, Py_ssize_t e1,
                               Py_ssize_t n) noexcept nogil:
    """``g[k] = sum(xs[e] * S[offs[e] + k] for e0 <= e < e1)``, ``e0 < e1``,
    returning ``sum(g ** 2)`` in double (see _fast_kernels.h)."""
    if floating is float:
        return linsgd_gather_col_f(g, S, offs, xs, e0, e1, n)
    else:
        return linsgd_gather_col_d(g, S, offs, xs, e0, e1, n)


cdef inline double _sum_sq(const floating *a, Py_ssize_t n) noexcept nogil:
    """``sum(a ** 2)`` in double (see _fast_kernels.h)."""
    if floating is float:
        return linsgd_sum_sq_f(a, n)
    else:
        return linsgd_sum_sq_d(a, n)


cdef double _penalty(const floating *W, Py_ssize_t size, double alpha,
                     double l1_ratio) noexcept nogil:
    """``alpha * ((1 - l1_ratio) / 2 ||W||^2 + l1_ratio |W|_1)``."""
    cdef Py_ssize_t j
    cdef double value = 0.0, ab = 0.0
    if alpha == 0:
        return 0.0
    if l1_ratio < 1:  # (not 0 * an overflowed norm, nan, for the lasso)
        value = (1 - l1_ratio) * 0.5 * _sum_sq(W, size)
    if l1_ratio > 0:
        for j in range(size):
            ab += fabs(W[j])
        value += l1_ratio * ab
    return alpha * value


cdef inline floating _shrink(floating w, double threshold) noexcept nogil:
    """Soft threshold: ``sign(w) max(|w| - threshold, 0)``."""
    if w > threshold:
        return <floating> (w - threshold)
    if w < -threshold:
        return <floating> (w + threshold)
    return 0


cdef bint _all_finite(const floating *a, Py_ssize_t size) noexcept nogil:
    """Whether every entry of ``a`` is finite (one pass, no branch)."""
    cdef Py_ssize_t j
    cdef double acc = 0.0
    for j in range(size):
        acc += a[j] * 0.0  # nan for any inf or nan entry
    return acc == 0.0


cdef inline void _prefetch_row(const char *row, Py_ssize_t n_bytes) noexcept nogil:
    """Ask for the cache lines of ``n_bytes`` from ``row`` ahead of use."""
    cdef Py_ssize_t k
    for k in range(0, n_bytes, 64):
        __builtin_prefetch(row + k)


cdef inline void _prefetch_span(const char *start, Py_ssize_t n_bytes) noexcept nogil:
    """Ask for the cache lines that hold the ``n_bytes`` from ``start`` (any
    alignment) ahead of use."""
    cdef const char *line = start - (<size_t> start) % 64
    while line < start + n_bytes:
        __builtin_prefetch(line)
        line += 64


cdef inline void _gather_row(floating *out, const char *row, Py_ssize_t n_features,
                             Py_ssize_t col_stride) noexcept nogil:
    """Copy one row of a strided matrix (``col_stride`` bytes apart)."""
    cdef Py_ssize_t d
    if col_stride == sizeof(floating):
        memcpy(out, row, n_features * sizeof(floating))
    else:
        for d in range(n_features):
            out[d] = (<const floating *> (row + d * col_stride))[0]


cdef inline void _row_pointers(const floating **xr, const char *base,
                              const long long *rows, Py_ssize_t start, Py_ssize_t n_b,
                              bint gathered, Py_ssize_t row_stride) noexcept nogil:
    """``xr[i]``: the address of row ``rows[start + i]`` (``gathered``) or
    ``start + i`` of the matrix at ``base``, rows ``row_stride`` bytes apart."""
    cdef Py_ssize_t i
    if gathered:
        for i in range(n_b):
            xr[i] = <const floating *> (base + rows[start + i] * row_stride)
    else:
        for i in range(n_b):
            xr[i] = <const floating *> (base + (start + i) * row_stride)


cdef inline void _batch_labels(long long *yb, double *swb, const long long *y,
                               const double *sample_weight, const long long *rows,
                               Py_ssize_t start, Py_ssize_t n_b,
                               bint gathered) noexcept nogil:
    """The labels ``yb`` and weights ``swb`` of a batch: rows
    ``rows[start:start + n_b]`` (``gathered``) or ``start:start + n_b``."""
    cdef Py_ssize_t i, j
    for i in range(n_b):
        j = rows[start + i] if gathered else start + i
        yb[i] = y[j]
        swb[i] = sample_weight[j]


cdef inline void _copy_params(floating *W, floating *b, const floating *W_from,
                              const floating *b_from, Py_ssize_t size,
                              Py_ssize_t n_rows) noexcept nogil:
    """``W, b = W_from, b_from``: save or restore the dense pass's parameters."""
    memcpy(W, W_from, size * sizeof(floating))
    memcpy(b, b_from, n_rows * sizeof(floating))


cdef struct DenseBatches:
    # Where dense_pass's batches are and their per-row scratch, which its
    # pieces take whole. Batch ``bi`` is rows ``rows[starts[bi]:stops[bi]]``
    # of ``X`` (``gathered``) or its rows ``starts[bi]:stops[bi]``. The row
    # addresses are untyped (``const floating **`` to the pieces): a struct
    # cannot hold fused types.
    const char *X  # X's first byte (NULL without rows)
    Py_ssize_t n_features, row_stride, col_stride  # strides in bytes
    Py_ssize_t row_bytes  # prefetched of a row: all of it, 0 if strided
    const long long *rows  # NULL when empty
    const long long *starts
    const long long *stops
    Py_ssize_t n_batches, n_gathered, max_b  # max_b: the most rows of a batch
    bint gathered
    bint pointed  # the small products read the rows where they are in X
    const long long *y
    const double *sample_weight
    long long *yb  # the batch's labels
    double *swb  # and weights
    double *T  # 3 * max_b: _batch_loss's scratch
    # the small products' row addresses (NULL: the products go through BLAS):
    # the batch's, and those of batch ahead_bi (its n_ahead rows), made while
    # the previous batch runs and asked for early
    const void **xr
    const void **ahead
    Py_ssize_t n_ahead, ahead_bi


cdef void *_address(arr) except NULL:
    """The address of the first byte of the C-contiguous, non-empty array
    ``arr`` (the caller keeps ``arr`` alive)."""
    cdef unsigned char[::1] raw = arr.reshape(-1).view(np.uint8)
    return <void *> &raw[0]


cdef object _scratch(Py_ssize_t n, object dtype, void **at, object fill=None):
    """A new array of ``max(n, 1)`` entries of ``dtype`` (all ``fill``
    unless None), its first entry's address in ``at``: a pass's buffer,
    kept alive by the returned array."""
    a = np.empty(max(n, 1), dtype=dtype)
    if fill is not None:
        a.fill(fill)
    at[0] = _address(a)
    return a


cdef list _dense_batches(DenseBatches *B, const floating[:, :] X,
                         const long long[::1] y, const double[::1] sample_weight,
                         const long long[::1] rows, const long long[::1] starts,
                         const long long[::1] stops, bint gathered, bint small,
                         floating *buf):
    """Fill ``B`` for a dense pass over ``X``'s batches and allocate its
    per-row scratch (the arrays returned, to keep while the pass runs);
    ``small``: with the small products, which read the rows gathered into
    ``buf`` if ``X``'s are strided."""
    cdef Py_ssize_t bi
    B.X = <const char *> &X[0, 0] if X.shape[0] > 0 else NULL
    B.n_features, B.row_stride, B.col_stride = X.shape[1], X.strides[0], X.strides[1]
    # contiguous rows are prefetched whole; strided ones not at all
    B.row_bytes = B.n_features * B.col_stride if B.col_stride == sizeof(floating) else 0
    B.n_gathered, B.n_batches, B.gathered = rows.shape[0], starts.shape[0], gathered
    B.rows = &rows[0] if B.n_gathered > 0 else NULL
    B.starts, B.stops = &starts[0], &stops[0]
    B.y, B.sample_weight = &y[0], &sample_weight[0]
    B.max_b = 0
    for bi in range(B.n_batches):
        B.max_b = max(B.max_b, stops[bi] - starts[bi])
    B.pointed = small and (not gathered or B.col_stride == sizeof(floating))
    B.xr, B.ahead, B.n_ahead, B.ahead_bi = NULL, NULL, 0, -1
    keep = [_scratch(B.max_b, np.int64, <void **> &B.yb),
            _scratch(B.max_b, np.float64, <void **> &B.swb),
            _scratch(3 * B.max_b, np.float64, <void **> &B.T)]
    if small:  # the batch's row pointers and the next one's
        keep.append(_scratch(2 * max(B.max_b, 1), np.uintp, <void **> &B.xr, 0))
        B.ahead = &B.xr[max(B.max_b, 1)]
        if not B.pointed:
            _row_pointers(<const floating **> B.xr, <const char *> buf, NULL, 0,
                          B.max_b, False, B.n_features * sizeof(floating))
    return keep


cdef inline const floating *_dense_batch(DenseBatches *B, Py_ssize_t bi,
                                         floating *buf) noexcept nogil:
    """Batch ``bi``'s labels and weights (into ``B.yb`` and ``B.swb``) and
    rows: returns their address, C-ordered (in ``X``, or gathered into
    ``buf``), or NULL when the small products read them in place through
    ``B.xr`` (``B.ahead`` then holds the next batch's)."""
    cdef Py_ssize_t i, jq, start = B.starts[bi], n_b = B.stops[bi] - start
    cdef const void **swap
    _batch_labels(B.yb, B.swb, B.y, B.sample_weight, B.rows, start, n_b, B.gathered)
    if B.pointed:
        if B.ahead_bi == bi:  # made while the previous batch ran
            swap = B.xr
            B.xr = B.ahead
            B.ahead = swap
        else:
            _row_pointers(<const floating **> B.xr, B.X, B.rows, start, n_b,
                          B.gathered, B.row_stride)
        B.n_ahead, B.ahead_bi = 0, -1
        if bi + 1 < B.n_batches:  # the next batch's rows, to ask for early
            B.n_ahead, B.ahead_bi = B.stops[bi + 1] - B.starts[bi + 1], bi + 1
            _row_pointers(<const floating **> B.ahead, B.X, B.rows, B.starts[bi + 1],
                          B.n_ahead, B.gathered, B.row_stride)
        return NULL
    if not B.gathered:
        return <const floating *> (B.X + start * B.row_stride)
    for i in range(n_b):
        # random rows: ask for the one PREFETCH_ROWS ahead early (into the
        # next batch, whose rows follow in ``rows``)
        if start + i + PREFETCH_ROWS < B.n_gathered:
            _prefetch_row(B.X + B.rows[start + i + PREFETCH_ROWS] * B.row_stride,
                          B.row_bytes)
        # and the label and weight of the next batch's row i, read (at random
        # places) before its rows are gathered
        if start + n_b + i < B.n_gathered:
            jq = B.rows[start + n_b + i]
            __builtin_prefetch(&B.y[jq])
            __builtin_prefetch(&B.sample_weight[jq])
        _gather_row(&buf[i * B.n_features], B.X + B.rows[start + i] * B.row_stride,
                    B.n_features, B.col_stride)
    return buf


cdef inline double _dense_objective(const floating *Xb, const DenseBatches *B,
                                    Py_ssize_t n_b, const floating *W,
                                    const floating *b, Py_ssize_t n_rows, Rule rule,
                                    floating *S, floating *C, floating *pad,
                                    bint want_grad) noexcept nogil:
    """The objective of a batch (labels in ``B``, rows at ``Xb`` or ``B.xr``:
    :func:`_dense_batch`): its loss (:func:`_batch_loss`, ``C`` receiving
    the score derivatives when ``want_grad``) plus the penalty.

    The loss is the weighted sum over the batch's rows divided by their
    number (weights come normalised to mean 1 over the fitted rows): an
    unbiased estimate of the gradient of J at every batch size; a batch of
    zero weight takes the penalty's step alone.
    """
    cdef double value = _batch_loss(
        Xb, <const floating **> B.xr, n_b, B.n_features, W, b, n_rows, B.yb, B.swb,
        <double> n_b, rule.loss, rule.margin, S, C, B.T, pad, want_grad)
    return value + _penalty(W, n_rows * B.n_features, rule.alpha, rule.l1_ratio)


cdef inline void _dense_grad(floating *G, const floating *C, const floating *Xb,
                             const DenseBatches *B, Py_ssize_t n_b, Py_ssize_t n_rows,
                             floating *pad) noexcept nogil:
    """``G = C.T @ Xb``: the gradient in ``W``'s layout ``(n_features,
    n_rows)`` from a batch's class-major score derivatives ``C``, by the
    small products (rows at ``B.xr``) or BLAS."""
    if B.xr != NULL:
        _small_grad(G, <const floating **> B.xr, n_b, C, n_rows, B.n_features, pad,
                    <const floating **> B.ahead, B.n_ahead)
    else:
        _gemm(c'T', c'T', <int> n_rows, <int> B.n_features, <int> n_b,
              <floating> 1.0, C, <int> n_b, Xb, <int> B.n_features,
              <floating> 0.0, G, <int> n_rows)


cdef inline void _adagrad_step(floating *W, const floating *G, floating *Q,
                               Py_ssize_t n_features, Py_ssize_t n_rows,
                               double step, Rule rule) noexcept nogil:
    """AdaGrad's update of the weights ``W`` (``n_features`` rows of
    ``n_rows``) by their gradient ``G``: ``Q`` (one sum of squares per
    weight, or per feature) takes ``G``'s squares first; then the penalty's
    proximal steps, the L2 scaling and the L1 soft threshold."""
    cdef Py_ssize_t j, jq
    cdef double l2 = rule.alpha * (1 - rule.l1_ratio), rate = 0.0
    cdef floating gj, v
    for jq in range(n_features):  # feature jq's weights, by class
        # G += the mean over classes of g**2
        if rule.adagrad == ADAGRAD_FEATURE:
            Q[jq] = <floating> (Q[jq] + _sum_sq(&G[jq * n_rows], n_rows) / n_rows)
            rate = step / (sqrt(Q[jq]) + rule.adagrad_eps)
        for j in range(jq * n_rows, (jq + 1) * n_rows):
            gj = G[j]
            if rule.adagrad != ADAGRAD_FEATURE:
                Q[j] += gj * gj
                rate = step / (sqrt(Q[j]) + rule.adagrad_eps)
            v = <floating> (W[j] - rate * gj)
            if l2 != 0:
                v = <floating> (v / (1 + l2 * rate))
            if rule.alpha != 0 and rule.l1_ratio > 0:
                v = _shrink(v, rate * rule.alpha * rule.l1_ratio)
            W[j] = v


cdef inline void _sgd_step(floating *W, const floating *G, floating *V,
                           Py_ssize_t size, double step, Rule rule) noexcept nogil:
    """SGD's update of the ``size`` weights ``W`` by their gradient ``G`` plus
    the L2 penalty's, with momentum (velocity ``V``, Nesterov's or not) when
    ``rule.momentum``; then the L1 soft threshold."""
    cdef Py_ssize_t j
    cdef double l2 = rule.alpha * (1 - rule.l1_ratio)
    cdef floating gj
    if rule.momentum == 0 and not (rule.alpha != 0 and rule.l1_ratio > 0):
        for j in range(size):  # plain SGD (and L2): one vectorized loop
            W[j] = <floating> (W[j] - step * <floating> (G[j] + l2 * W[j]))
        return
    for j in range(size):
        gj = G[j]
        if l2 != 0:
            gj = <floating> (gj + l2 * W[j])
        if rule.momentum != 0:
            V[j] = <floating> (rule.momentum * V[j] - step * gj)
            if rule.nesterov:
                W[j] = <floating> (W[j] + (rule.momentum * V[j] - step * gj))
            else:
                W[j] = W[j] + V[j]
        else:
            W[j] = <floating> (W[j] - step * gj)
        if rule.alpha != 0 and rule.l1_ratio > 0:
            W[j] = _shrink(W[j], step * rule.alpha * rule.l1_ratio)


cdef inline void _intercept_step(floating *b, floating *gb, const floating *C,
                                 floating *Vb, floating *Qb, Py_ssize_t n_b,
                                 Py_ssize_t n_rows, double step,
                                 Rule rule) noexcept nogil:
    """The intercept's update: its gradient ``gb`` from a batch's class-major
    score derivatives ``C``, then a plain, momentum (velocity ``Vb``) or
    AdaGrad (sums ``Qb``) step, as the weights'. Without
    ``rule.fit_intercept`` only the velocity moves."""
    cdef Py_ssize_t i, k
    cdef floating gj
    # each class's derivatives summed over the rows of C, one running sum
    # per class, row by row (independent sums, not one chain per class)
    for k in range(n_rows):
        gb[k] = 0
    for i in range(n_b):
        for k in range(n_rows):
            gb[k] = gb[k] + C[k * n_b + i]
    for k in range(n_rows):
        gj = gb[k]
        if rule.adagrad:
            if rule.fit_intercept:
                Qb[k] += gj * gj
                b[k] = <floating> (b[k] - rule.intercept_scale * step * gj
                                   / (sqrt(Qb[k]) + ADAGRAD_EPS))
        elif rule.momentum != 0:
            Vb[k] = <floating> (rule.momentum * Vb[k] - step * gj)
            if rule.fit_intercept:
                if rule.nesterov:
                    b[k] = <floating> (b[k] + (rule.momentum * Vb[k] - step * gj))
                else:
                    b[k] = b[k] + Vb[k]
        elif rule.fit_intercept:
            b[k] = <floating> (b[k] - step * gj)


cdef inline bint _averages(Rule rule, long long samples_seen) noexcept nogil:
    """Whether the update that brings the rows seen to ``samples_seen``
    joins the running average."""
    return rule.average_start >= 0 and samples_seen >= rule.average_start


cdef inline void _average_step(floating *A, const floating *W, Py_ssize_t n,
                               double rate) noexcept nogil:
    """``A += rate * (W - A)``: an iterate joins the running average ``A``
    (``rate = 1 / n_avg``)."""
    cdef Py_ssize_t j
    for j in range(n):
        A[j] = <floating> (A[j] + rate * (W[j] - A[j]))


cdef inline int _dense_end_status(DenseBatches *B, Py_ssize_t last, floating *buf,
                                  const floating *W, const floating *b,
                                  Py_ssize_t n_rows, Rule rule, floating *S,
                                  floating *C, floating *pad) noexcept nogil:
    """2 if the parameters after a pass are non-finite, or the objective of
    its last batch ``last`` at them (the batch still in ``buf``; its labels
    and weights are read again), else 0. With the penalty, as each
    batch's: finite parameters whose squared norm overflows would fail the
    next pass's first batch."""
    cdef Py_ssize_t start = B.starts[last], n_b = B.stops[last] - start
    cdef const floating *Xb = buf
    if not (_all_finite(W, n_rows * B.n_features) and _all_finite(b, n_rows)):
        return 2
    _batch_labels(B.yb, B.swb, B.y, B.sample_weight, B.rows, start, n_b, B.gathered)
    if not B.gathered:
        Xb = <const floating *> (B.X + start * B.row_stride)
    if B.pointed:
        _row_pointers(<const floating **> B.xr, B.X, B.rows, start, n_b, B.gathered,
                      B.row_stride)
    if not isfinite(_dense_objective(Xb, B, n_b, W, b, n_rows, rule, S, C, pad, False)):
        return 2
    return 0


def dense_pass(
    const floating[:, :] X,
    const long long[::1] y,
    const double[::1] sample_weight,
    const long long[::1] rows,
    const long long[::1] starts,
    const long long[::1] stops,
    bint gathered,
    const double[::1] steps,
    floating[::1, :] coef,
    floating[::1] intercept,
    floating[::1, :] prev_coef,
    floating[::1] prev_intercept,
    floating[::1, :] velocity_coef,
    floating[::1] velocity_intercept,
    floating[::1, :] sq_coef,
    floating[::1] sq_intercept,
    floating[::1, :] avg_coef,
    floating[::1] avg_intercept,
    floating[:, ::1] buffer,
    Rule rule,
    long long samples_seen,
    long long n_avg,
):
    """One pass of mini-batch SGD over dense ``X``; updates the arrays in place.

    Batch ``b`` is rows ``rows[starts[b]:stops[b]]`` of ``X`` when
    ``gathered`` (copied into ``buffer``; ``X`` may have any strides, e.g.
    Fortran order), else rows ``starts[b]:stops[b]`` of ``X`` themselves
    (``X`` C-contiguous). ``steps[u]`` is the step size of the ``u``-th update
    (a batch of zero weight takes the penalty's step alone).
    ``velocity_*`` are used when ``rule.momentum``, ``sq_*`` when
    ``rule.adagrad`` (whose intercept steps are ``rule.intercept_scale``
    times the coefficients', and whose weights' rates add
    ``rule.adagrad_eps`` to the root of their sums; the intercept's add
    1e-8) (:data:`ADAGRAD_COORDINATE`: ``sq_coef`` has the shape of
    ``coef``; :data:`ADAGRAD_FEATURE`: it is ``(1, n_features)``, one sum
    per feature), ``avg_*`` when ``rule.average_start >= 0`` (averaging
    starts once ``samples_seen`` reaches it). ``prev_*`` hold the parameters
    before the last update (the restore point, carried across calls that
    make up one pass; equal to ``coef`` and ``intercept`` at the start of a
    pass).

    Parameters
    ----------
    rule : dict
        The update rule's options: the fields of the ``Rule`` struct
        (``loss``, ``margin``, ``alpha``, ``l1_ratio``, ``fit_intercept``,
        ``momentum``, ``nesterov``, ``adagrad``, ``intercept_scale``,
        ``adagrad_eps``, ``average_start``), as
        ``_compiled.kernel_rule`` makes them. This pass reads them all.
    samples_seen, n_avg : int
        The rows updates have used and the iterates averaged, before the
        call.

    Returns
    -------
    status : int
        0, 1 or 2 (see the module docstring).
    n_updates : int
    rows_done : int
    total : float
        Sum over updated batches of batch objective times batch rows.
    samples_seen, n_avg : int
    """
    cdef Py_ssize_t n_features = X.shape[1], n_rows = coef.shape[0]
    cdef Py_ssize_t size = n_rows * n_features, bi, n_b
    cdef Py_ssize_t u = 0, rows_done = 0, last = -1
    cdef int status = 0
    cdef double total = 0.0, objective, step, rate
    cdef DenseBatches B
    cdef const floating *Xb
    cdef floating *S
    cdef floating *C
    cdef floating *G
    cdef floating *gb
    cdef floating *pad
    if not gathered and not (X.strides[1] == sizeof(floating)
                             and X.strides[0] == n_features * sizeof(floating)):
        raise ValueError("contiguous batches need a C-contiguous X")
    cdef floating *buf = &buffer[0, 0] if gathered else NULL
    # few classes: the products of _small_scores and _small_grad, which read
    # the batch's rows where they are (X, or buffer if X's rows are strided)
    cdef bint small = n_rows <= SMALL_ROWS_D
    if floating is float:
        small = n_rows <= SMALL_ROWS_F
    keep = _dense_batches(&B, X, y, sample_weight, rows, starts, stops, gathered,
                          small, buf)
    dtype = np.float32 if floating is float else np.float64
    keep += [_scratch(B.max_b * n_rows, dtype, <void **> &S),
             _scratch(B.max_b * n_rows, dtype, <void **> &C),
             _scratch(size, dtype, <void **> &G),
             _scratch(n_rows, dtype, <void **> &gb),
             # the small products' W or G padded to whole vectors of classes
             # (at most 4 vectors of 8 floats, or 4 of 4 doubles, per feature)
             _scratch(n_features * 32 + 1 if small else 1, dtype, <void **> &pad)]
    cdef floating *W = &coef[0, 0]
    cdef floating *b = &intercept[0]
    cdef floating *prev = &prev_coef[0, 0]
    cdef floating *prev_b = &prev_intercept[0]
    cdef floating *V = &velocity_coef[0, 0] if rule.momentum != 0 else NULL
    cdef floating *Vb = &velocity_intercept[0] if rule.momentum != 0 else NULL
    cdef floating *Q = &sq_coef[0, 0] if rule.adagrad else NULL
    cdef floating *Qb = &sq_intercept[0] if rule.adagrad else NULL
    cdef floating *A = &avg_coef[0, 0] if rule.average_start >= 0 else NULL
    cdef floating *Ab = &avg_intercept[0] if rule.average_start >= 0 else NULL

    with nogil:
        for bi in range(B.n_batches):
            n_b = stops[bi] - starts[bi]
            Xb = _dense_batch(&B, bi, buf)
            objective = _dense_objective(Xb, &B, n_b, W, b, n_rows, rule, S, C, pad,
                                         True)
            if not isfinite(objective):
                _copy_params(W, b, prev, prev_b, size, n_rows)  # restore
                status = 1
                break
            step = steps[u]
            _copy_params(prev, prev_b, W, b, size, n_rows)  # the restore point
            _dense_grad(G, C, Xb, &B, n_b, n_rows, pad)
            if rule.adagrad:
                _adagrad_step(W, G, Q, n_features, n_rows, step, rule)
            else:
                _sgd_step(W, G, V, size, step, rule)
            _intercept_step(b, gb, C, Vb, Qb, n_b, n_rows, step, rule)
            u += 1
            samples_seen += n_b
            if _averages(rule, samples_seen):
                n_avg += 1
                rate = 1.0 / n_avg
                _average_step(A, W, size, rate)
                _average_step(Ab, b, n_rows, rate)
            total += objective * n_b
            rows_done += n_b
            last = bi
        if status == 0 and u > 0:
            # the last update checked on its own batch
            status = _dense_end_status(&B, last, buf, W, b, n_rows, rule, S, C, pad)
            if status == 2:
                _copy_params(W, b, prev, prev_b, size, n_rows)
    return status, u, rows_done, total, samples_seen, n_avg


ctypedef fused index_t:
    int
    long long


cdef extern from "stdlib.h" nogil:
    void qsort(void *base, size_t n, size_t size,
               int (*compar)(const void *, const void *))


cdef extern from *:
    int __builtin_ctzll(unsigned long long x) nogil


cdef int _cmp_ll(const void *a, const void *b) noexcept nogil:
    """``qsort``'s comparison of two ``long long``: -1, 0 or 1."""
    cdef long long x = (<const long long *> a)[0], y = (<const long long *> b)[0]
    return (x > y) - (x < y)


cdef Py_ssize_t _batch_columns(const index_t *indices, const index_t *indptr,
                               const long long *brows, Py_ssize_t n_b,
                               unsigned long long *bitmap, Py_ssize_t n_words,
                               long long *cols, int *counts) noexcept nogil:
    """The sorted distinct columns of a batch of CSR rows, into ``cols``.

    Sorting makes the gather and scatter of the model's rows sweep memory in
    one direction. Small batches of a wide matrix sort with ``qsort``; others
    set bits in ``bitmap`` (all zero on entry and on exit) and read them back
    in order, O(n_features / 64). Unless ``counts`` is NULL, each entry of
    column ``c`` also adds one to ``counts[c]`` (one per feature).
    """
    cdef Py_ssize_t i, p, n_nnz = 0, n_cols = 0, w
    cdef long long c
    cdef unsigned long long word
    for i in range(n_b):
        n_nnz += indptr[brows[i] + 1] - indptr[brows[i]]
    if n_nnz * 16 < n_words:
        for i in range(n_b):
            for p in range(indptr[brows[i]], indptr[brows[i] + 1]):
                cols[n_cols] = indices[p]
                n_cols += 1
        if counts != NULL:
            for p in range(n_cols):
                counts[cols[p]] += 1
        qsort(cols, n_cols, sizeof(long long), _cmp_ll)
        w = 0  # drop duplicates
        for p in range(n_cols):
            if p == 0 or cols[p] != cols[w - 1]:
                cols[w] = cols[p]
                w += 1
        return w
    for i in range(n_b):
        for p in range(indptr[brows[i]], indptr[brows[i] + 1]):
            c = indices[p]
            bitmap[c >> 6] |= (<unsigned long long> 1) << (c & 63)
            if counts != NULL:  # (the branch is the same for every entry)
                counts[c] += 1
    for w in range(n_words):
        word = bitmap[w]
        if word:
            bitmap[w] = 0
            while word:
                cols[n_cols] = (w << 6) + __builtin_ctzll(word)
                n_cols += 1
                word &= word - 1
    return n_cols


cdef struct Book:  # a feature's, in sparse_adagrad_pass
    double q
    long long t


cdef Py_ssize_t _entries_by_column(
        const floating *data, const index_t *indices, const index_t *indptr,
        const long long *brows, Py_ssize_t n_b, Py_ssize_t n_rows, int n_digits,
        int digit_bits, unsigned long long *keys, unsigned long long *tmp,
        Py_ssize_t *hist, int *row_off, floating *row_x, long long *cols,
        long long *start, int *ent_off, floating *ent_x) noexcept nogil:
    """The entries of a batch of CSR rows grouped by column, into ``ent_off``
    (the offset ``i * n_rows`` of the entry's row of scores) and ``ent_x``;
    the sorted distinct columns into ``cols`` (returns how many), those of
    ``cols[p]`` being ``start[p]:start[p + 1]``.

    A stable least-significant-digit radix sort of ``column << 32 | entry``
    keys (``n_digits`` digits of ``digit_bits`` bits cover the columns): a
    column's entries stay in the order of the rows, then of the row's
    entries. All its arrays are the size of the batch (``hist``: ``2 **
    digit_bits``), none the width of the data: a counting sort by column
    read and wrote a per-feature array at random three times per entry.
    """
    cdef Py_ssize_t i, p, e, n = 0, n_cols = 0, n_bins = (<Py_ssize_t> 1) << digit_bits
    cdef Py_ssize_t acc, h
    cdef int d, shift
    cdef unsigned long long key, mask = <unsigned long long> (n_bins - 1)
    cdef unsigned long long *src = keys
    cdef unsigned long long *dst = tmp
    cdef unsigned long long *sw
    cdef long long c, prev = -1
    for i in range(n_b):
        if i + PREFETCH_ROWS < n_b:  # rows at random places: ask early
            e = indptr[brows[i + PREFETCH_ROWS]]
            h = indptr[brows[i + PREFETCH_ROWS] + 1] - e
            _prefetch_span(<const char *> &indices[e], h * <Py_ssize_t> sizeof(index_t))
            _prefetch_span(<const char *> &data[e], h * <Py_ssize_t> sizeof(floating))
        for e in range(indptr[brows[i]], indptr[brows[i] + 1]):
            keys[n] = ((<unsigned long long> indices[e]) << 32) | <unsigned long long> n
            row_off[n] = <int> (i * n_rows)
            row_x[n] = data[e]
            n += 1
    for d in range(n_digits):
        shift = 32 + d * digit_bits
        memset(hist, 0, n_bins * sizeof(Py_ssize_t))
        for p in range(n):
            hist[(src[p] >> shift) & mask] += 1
        acc = 0
        for h in range(n_bins):
            acc += hist[h]
            hist[h] = acc - hist[h]
        for p in range(n):
            key = src[p]
            h = <Py_ssize_t> ((key >> shift) & mask)
            dst[hist[h]] = key
            hist[h] += 1
        sw = src
        src = dst
        dst = sw
    for p in range(n):
        key = src[p]
        c = <long long> (key >> 32)
        e = <Py_ssize_t> (key & 0xFFFFFFFFULL)
        if c != prev:
            cols[n_cols] = c
            start[n_cols] = p
            n_cols += 1
            prev = c
        ent_off[p] = row_off[e]
        ent_x[p] = row_x[e]
    start[n_cols] = n
    return n_cols


cdef void _settle_average(floating *A, const floating *V, Py_ssize_t size,
                          double c, double d) noexcept nogil:
    """``A <- c * A + d * V``: the lazy average written out (``c = 1, d = 0``
    after it)."""
    cdef Py_ssize_t j
    if c == 1.0 and d == 0.0:
        return
    for j in range(size):
        A[j] = <floating> (c * A[j] + d * V[j])


cdef void _csr_batch_sizes(const index_t *indptr, const long long *rows,
                           const long long *starts, const long long *stops,
                           Py_ssize_t n_batches, Py_ssize_t *max_b,
                           Py_ssize_t *max_nnz) noexcept nogil:
    """The most rows (``max_b``) and the most entries (``max_nnz``) of a batch
    of the CSR rows ``rows[starts[b]:stops[b]]``."""
    cdef Py_ssize_t bi, i, nnz
    max_b[0] = 0
    max_nnz[0] = 0
    for bi in range(n_batches):
        max_b[0] = max(max_b[0], stops[bi] - starts[bi])
        nnz = 0
        for i in range(starts[bi], stops[bi]):
            nnz += indptr[rows[i] + 1] - indptr[rows[i]]
        max_nnz[0] = max(max_nnz[0], nnz)


cdef inline double _row_objective(floating *s, const floating *b, Py_ssize_t n_rows,
                                  Py_ssize_t label, double w, int loss, double margin,
                                  bint want_grad) noexcept nogil:
    """``w`` times the loss of a row from its scores ``s`` without the
    intercept (``b`` is added to them in place); ``s`` receives ``w *
    dloss/ds`` when ``want_grad``."""
    cdef Py_ssize_t k
    for k in range(n_rows):
        s[k] = s[k] + b[k]
    return w * _row_loss_grad(s, s, label, n_rows, loss, margin, w, want_grad)


cdef inline void _column_sums(double *gb, const floating *S, Py_ssize_t n_b,
                              Py_ssize_t n_rows) noexcept nogil:
    """``gb[k] = sum(S[i * n_rows + k] for i < n_b)`` in double, row by row:
    the intercept's gradient from a batch's score derivatives."""
    cdef Py_ssize_t i, k
    for k in range(n_rows):
        gb[k] = 0
    for i in range(n_b):
        for k in range(n_rows):
            gb[k] += S[i * n_rows + k]


cdef inline void _put_rows(floating *W, const long long *cols, const floating *block,
                           Py_ssize_t n_cols, Py_ssize_t n_rows) noexcept nogil:
    """Row ``cols[p]`` of ``W`` (rows of ``n_rows``) = row ``p`` of ``block``:
    a compact block of the model's rows put back (a restore point)."""
    cdef Py_ssize_t p
    for p in range(n_cols):
        memcpy(&W[cols[p] * n_rows], &block[p * n_rows], n_rows * sizeof(floating))


cdef inline double _csr_batch_loss(
        const floating *data, const index_t *indices, const index_t *indptr,
        const long long *y, const double *sample_weight, const long long *brows,
        Py_ssize_t n_b, double sw_sum, const floating *V, const int *pos,
        int *cidx, double scale, const floating *b, floating *S,
        Py_ssize_t n_rows, int loss, double margin, bint want_grad) noexcept nogil:
    """Weighted mean loss of the CSR rows ``brows`` at ``W = scale * V``;
    ``S[i * n_rows + k]`` receives row ``i``'s scores, or with ``want_grad``
    its weighted derivatives. Column ``c``'s weights are ``V``'s row
    ``pos[c]`` (a batch's compact block; then ``cidx`` receives each entry's
    row of it, in order) or, with ``pos`` NULL, row ``c``."""
    cdef Py_ssize_t i, j, k, p, r, nz = 0
    cdef double value = 0.0
    cdef floating xf
    cdef floating *Srow
    cdef const floating *Vr
    for i in range(n_b):
        j = brows[i]
        Srow = &S[i * n_rows]
        for k in range(n_rows):
            Srow[k] = 0
        for p in range(indptr[j], indptr[j + 1]):
            if pos != NULL:
                r = pos[indices[p]]
                cidx[nz] = <int> r
                nz += 1
            else:
                r = indices[p]
            Vr = &V[r * n_rows]
            xf = <floating> (data[p] * scale)
            for k in range(n_rows):
                Srow[k] += xf * Vr[k]
        value += _row_objective(Srow, b, n_rows, y[j], sample_weight[j] / sw_sum,
                                loss, margin, want_grad)
    return value


cdef struct LazyPass:
    # sparse_pass's working state, which its pieces take whole: the sizes,
    # the scalars of the lazy updates, the restore point, and a batch's
    # index scratch (allocated once per pass by _lazy_pass)
    Py_ssize_t n_rows, size  # W: n_features rows of n_rows, size values
    double scale  # W = scale * V
    double sq_norm  # ||V||^2
    double avg_c, avg_d  # the average A = avg_c * U + avg_d * V, U in avg_coef
    # the restore point: the previous update's block of V (its n_prev
    # columns prev_cols) and intercept, at prev_scale; all of V (in
    # full_prev) after a wipe (full_restore)
    double prev_scale
    Py_ssize_t n_prev
    bint full_restore
    long long *cols  # the batch's distinct columns, sorted (room for qsort)
    long long *prev_cols
    int *pos  # column -> its row of the batch's block (-1: none)
    int *cidx  # entry -> its row of the block, in the rows' order
    unsigned long long *bitmap  # n_words, all zero between batches
    Py_ssize_t n_words
    double *gb  # the intercept's gradient


cdef list _lazy_pass(LazyPass *P, Py_ssize_t n_features, Py_ssize_t n_rows,
                     Py_ssize_t max_nnz, Py_ssize_t max_cols, double sq_norm):
    """Start ``P`` for a pass at ``W = V`` (of squared norm ``sq_norm``), and
    allocate its index scratch for batches of up to ``max_nnz`` entries in
    ``max_cols`` columns (the arrays returned, to keep while the pass
    runs)."""
    P.n_rows, P.size = n_rows, n_rows * n_features
    P.scale, P.sq_norm, P.avg_c, P.avg_d = 1.0, sq_norm, 1.0, 0.0
    P.prev_scale, P.n_prev, P.full_restore = 1.0, 0, False
    P.n_words = (n_features + 63) // 64
    return [_scratch(max_nnz, np.int64, <void **> &P.cols),  # qsort needs all nnz
            _scratch(max_cols, np.int64, <void **> &P.prev_cols),
            _scratch(n_features, np.int32, <void **> &P.pos, -1),
            _scratch(max_nnz, np.int32, <void **> &P.cidx),
            _scratch(P.n_words, np.uint64, <void **> &P.bitmap, 0),
            _scratch(n_rows, np.float64, <void **> &P.gb, 0)]


cdef inline double _gather_block(floating *block, floating *copy, const floating *W,
                                 const LazyPass *P, Py_ssize_t n_cols) noexcept nogil:
    """Rows ``P.cols`` of ``W`` into the compact ``block`` and its ``copy``,
    in one sweep, and their rows of it into ``P.pos``; returns their squared
    norm."""
    cdef Py_ssize_t p, k, n_rows = P.n_rows
    cdef double sq = 0.0
    cdef const long long *cols = P.cols
    cdef int *pos = P.pos
    cdef const floating *Wp
    cdef floating *Wq
    cdef floating *Wr
    for p in range(n_cols):
        if p + PREFETCH < n_cols:  # random rows of W: ask for them early
            _prefetch_row(<const char *> &W[cols[p + PREFETCH] * n_rows],
                          n_rows * <Py_ssize_t> sizeof(floating))
        pos[cols[p]] = <int> p
        Wp = &W[cols[p] * n_rows]
        Wq = &block[p * n_rows]
        Wr = &copy[p * n_rows]
        for k in range(n_rows):
            Wq[k] = Wp[k]
            Wr[k] = Wp[k]
        sq += _sum_sq(Wp, n_rows)
    return sq


cdef inline void _lazy_restore_point(LazyPass *P, floating **prev_block,
                                     floating **copy, Py_ssize_t n_cols,
                                     floating *prev_b,
                                     const floating *b) noexcept nogil:
    """The restore point of the batch's update: its block as gathered
    (``copy``, which swaps with ``prev_block``), its columns, the intercept
    and the scale (the previous update's is no longer needed once this
    batch is sound)."""
    cdef floating *swap = prev_block[0]
    prev_block[0] = copy[0]
    copy[0] = swap
    memcpy(P.prev_cols, P.cols, n_cols * sizeof(long long))
    P.n_prev = n_cols
    memcpy(prev_b, b, P.n_rows * sizeof(floating))
    P.prev_scale = P.scale
    P.full_restore = False


cdef inline void _lazy_wipe(LazyPass *P, floating *W, floating *A, floating *F,
                            floating *block, Py_ssize_t n_cols) noexcept nogil:
    """A decay of exactly 0 wipes ``W`` out: restart ``V`` (and the batch's
    ``block``) from zero at scale 1, after settling the average ``A`` and
    copying all of ``V`` into ``F``, the restore point (each unless
    NULL)."""
    cdef Py_ssize_t j, size = P.size
    if A != NULL:  # settle the average: A = c U + d V
        _settle_average(A, W, size, P.avg_c, P.avg_d)
        P.avg_c, P.avg_d = 1.0, 0.0
    if F != NULL:  # every column changes: restore point is all of V
        memcpy(F, W, size * sizeof(floating))
        P.full_restore = True
    for j in range(size):
        W[j] = 0
    for j in range(n_cols * P.n_rows):
        block[j] = 0
    P.scale, P.sq_norm = 1.0, 0.0


cdef inline void _block_step(floating *block, const floating *S,
                             const floating *data, const index_t *indptr,
                             const long long *brows, Py_ssize_t n_b,
                             const LazyPass *P, double f) noexcept nogil:
    """``V[c] -= f * (sum over the batch of x * dS)`` in the batch's
    ``block`` of ``V``: each entry ``x`` of row ``i`` (``brows[i]`` of the
    CSR ``data``, ``indptr``) moves its column's row ``P.cidx[e]`` of the
    block by ``f * x`` times the row's score derivatives ``S[i]`` (the C
    loop of _fast_kernels.h for this precision)."""
    cdef int wide = index_t is not int
    if floating is double:
        linsgd_block_step_d(block, S, data, indptr, wide, brows, n_b, P.cidx, f, P.n_rows)
    else:
        linsgd_block_step_f(block, S, data, indptr, wide, brows, n_b, P.cidx, f, P.n_rows)


cdef inline double _scatter_block(floating *W, const floating *block,
                                  const LazyPass *P, Py_ssize_t n_cols) noexcept nogil:
    """Row ``p`` of ``block`` back into row ``P.cols[p]`` of ``W``, in
    address order, clearing ``P.pos``; returns the block's squared norm."""
    cdef Py_ssize_t p, k, n_rows = P.n_rows
    cdef double sq = 0.0
    cdef const floating *Wq
    cdef floating *Wp
    for p in range(n_cols):
        Wq = &block[p * n_rows]
        Wp = &W[P.cols[p] * n_rows]
        for k in range(n_rows):
            Wp[k] = Wq[k]
        sq += _sum_sq(Wq, n_rows)
        P.pos[P.cols[p]] = -1
    return sq


cdef inline void _lazy_intercept_step(floating *b, const floating *S, Py_ssize_t n_b,
                                      const LazyPass *P, double step,
                                      Rule rule) noexcept nogil:
    """The intercept's gradient ``P.gb``, the batch's score derivatives ``S``
    summed over its rows in double, and its plain step (with
    ``rule.fit_intercept``)."""
    cdef Py_ssize_t k
    _column_sums(P.gb, S, n_b, P.n_rows)
    if rule.fit_intercept:
        for k in range(P.n_rows):
            b[k] = <floating> (b[k] - step * <floating> P.gb[k])


cdef inline void _lazy_average(LazyPass *P, floating *A, floating *Ab,
                               const floating *W, const floating *b,
                               const floating *block, const floating *before,
                               Py_ssize_t n_cols, long long n_avg) noexcept nogil:
    """The update joins the running average as its iterate ``n_avg``,
    lazily (``_sgd._LazyAverage``): ``U`` (in ``A``) changes in the batch's
    columns only, by their rows of ``V`` after (``block``) and before the
    update, and ``c``, ``d`` follow the scale; settled when ``d`` outgrows
    it. The intercept's average ``Ab`` as the dense pass's."""
    cdef Py_ssize_t p, k, n_rows = P.n_rows
    cdef double rate = 1.0 / n_avg, ratio
    cdef const long long *cols = P.cols
    cdef floating *Wp
    cdef const floating *Wq
    cdef const floating *Wr
    if n_avg == 1:  # A = W: U = 0, d = scale
        memset(A, 0, P.size * sizeof(floating))
        P.avg_c, P.avg_d = 1.0, P.scale
    else:
        if P.avg_d != 0.0:  # U[cols] -= (d / c) * (new V - old V)
            ratio = P.avg_d / P.avg_c
            for p in range(n_cols):
                Wp = &A[cols[p] * n_rows]
                Wq = &block[p * n_rows]
                Wr = &before[p * n_rows]
                for k in range(n_rows):
                    Wp[k] = <floating> (Wp[k] - ratio * (Wq[k] - Wr[k]))
        P.avg_c *= 1.0 - rate
        P.avg_d = (1.0 - rate) * P.avg_d + rate * P.scale
    _average_step(Ab, b, n_rows, rate)
    if fabs(P.avg_d) > RESETTLE * fabs(P.scale):  # as _sgd.RESETTLE
        _settle_average(A, W, P.size, P.avg_c, P.avg_d)
        P.avg_c, P.avg_d = 1.0, 0.0


cdef inline void _scale_values(floating *a, Py_ssize_t n, double c) noexcept nogil:
    """``a *= c`` (``n`` values)."""
    cdef Py_ssize_t j
    for j in range(n):
        a[j] = <floating> (a[j] * c)


cdef inline void _fold_scale(LazyPass *P, floating *W, floating *A, floating *F,
                             floating *prev_block) noexcept nogil:
    """``W = scale * V`` written out, at scale 1, before the scale underflows:
    the average ``A`` (unless NULL) settled first, the restore point
    (``prev_block``, and ``F`` if it holds) brought into the units of the
    folded ``V``."""
    if A != NULL:
        _settle_average(A, W, P.size, P.avg_c, P.avg_d)
        P.avg_c, P.avg_d = 1.0, 0.0
    _scale_values(W, P.size, P.scale)
    P.sq_norm = _sum_sq(W, P.size)
    _scale_values(prev_block, P.n_prev * P.n_rows, P.scale)
    if P.full_restore:
        _scale_values(F, P.size, P.scale)
    P.prev_scale /= P.scale
    P.scale = 1.0


cdef inline int _lazy_end_status(
        const floating *data, const index_t *indices, const index_t *indptr,
        const long long *y, const double *sample_weight, const long long *brows,
        Py_ssize_t n_b, const floating *W, const floating *b, floating *S,
        const LazyPass *P, Rule rule) noexcept nogil:
    """2 if the loss of the last batch (``brows``, ``n_b`` rows; none if
    NULL) at the parameters after a pass is non-finite, as dense_pass
    checks, or ``||W||^2``, else 0: parameters at which either is would
    fail the next pass's first batch whatever the step."""
    cdef double value
    if brows != NULL:  # the scores as the batch's were: W = scale V
        value = _csr_batch_loss(data, indices, indptr, y, sample_weight, brows, n_b,
                                <double> n_b, W, NULL, NULL, P.scale, b, S, P.n_rows,
                                rule.loss, rule.margin, False)
        if not isfinite(value):
            return 2
    # ||W||^2 = scale^2 ||V||^2 (the penalty's), finite only when every
    # entry of W is and their squares do not overflow together
    if not (isfinite(P.scale * P.scale * P.sq_norm) and _all_finite(b, P.n_rows)):
        return 2
    return 0


cdef inline void _lazy_restore(LazyPass *P, floating *W, floating *b,
                               const floating *F, const floating *prev_block,
                               const floating *prev_b) noexcept nogil:
    """Back to the restore point: ``V`` from ``F`` (after a wipe) and its
    previous update's columns from ``prev_block``, the intercept from
    ``prev_b``, and the scale."""
    if P.full_restore:
        memcpy(W, F, P.size * sizeof(floating))
    _put_rows(W, P.prev_cols, prev_block, P.n_prev, P.n_rows)
    memcpy(b, prev_b, P.n_rows * sizeof(floating))
    P.scale = P.prev_scale


cdef inline void _lazy_finish(LazyPass *P, floating *W, floating *A,
                              long long n_avg) noexcept nogil:
    """The end of a pass: the average ``A = c U + d V`` settled (unless
    ``A`` is NULL or ``n_avg`` 0; after a restore the caller restarts the
    average) and ``W = scale V`` written out."""
    if A != NULL and n_avg > 0:
        _settle_average(A, W, P.size, P.avg_c, P.avg_d)
    _scale_values(W, P.size, P.scale)


def sparse_pass(
    const floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const long long[::1] y,
    const double[::1] sample_weight,
    const long long[::1] rows,
    const long long[::1] starts,
    const long long[::1] stops,
    const double[::1] steps,
    floating[::1, :] coef,
    floating[::1] intercept,
    Rule rule,
    floating[::1, :] avg_coef,
    floating[::1] avg_intercept,
    long long samples_seen,
    long long n_avg,
    floating[::1, :] full_prev,
):
    """One lazy pass of plain SGD with an L2 penalty over CSR data.

    As ``_sgd._sgd_pass_lazy_sparse``: ``W = scale * V``, the decay is a
    scalar update of ``scale`` and a batch changes only the columns of ``V``
    whose features occur in it, so it costs O(nnz x n_rows) (plus
    O(n_features / 64) to list the columns in order). The batch's columns are
    gathered into a compact block, updated there and scattered back. Batch
    ``b`` is rows ``rows[starts[b]:stops[b]]``; ``steps`` as in
    :func:`dense_pass`.

    The running average (``rule.average_start >= 0``, as in
    :func:`dense_pass`) is kept lazily as ``A = c * U + d * V`` with ``U`` in
    ``avg_coef`` (``_sgd._LazyAverage``): an averaged update changes ``U`` in
    the batch's columns only. ``full_prev`` (shape of ``coef``, or empty) is
    the restore point of an update whose decay ``1 - step * rule.alpha`` is
    exactly 0, which changes every column; the caller passes it when a step
    makes that so.

    Parameters
    ----------
    rule : dict
        The update rule's options, as in :func:`dense_pass`. This pass reads
        ``loss``, ``margin``, ``alpha``, ``fit_intercept`` and
        ``average_start``: its configurations have no L1 share, momentum or
        AdaGrad (``_compiled`` runs them elsewhere).
    samples_seen, n_avg : int
        As in :func:`dense_pass`.

    Returns
    -------
    status, n_updates, rows_done, total, samples_seen, n_avg
        As :func:`dense_pass` (status 2: non-finite parameters at the end, or
        a non-finite loss of the last batch at them).
    """
    cdef Py_ssize_t n_features = coef.shape[1], n_rows = coef.shape[0]
    cdef Py_ssize_t size = n_rows * n_features, n_batches = starts.shape[0]
    cdef Py_ssize_t bi, n_b, n_cols, max_b, max_nnz, max_cols
    cdef Py_ssize_t u = 0, rows_done = 0, last = -1
    cdef int status = 0
    cdef double total = 0.0, objective, step, decay, old_sq, new_sq
    cdef LazyPass P
    cdef floating *W = &coef[0, 0]
    cdef floating *b = &intercept[0]
    cdef floating *A = &avg_coef[0, 0] if rule.average_start >= 0 else NULL
    cdef floating *Ab = &avg_intercept[0] if rule.average_start >= 0 else NULL
    cdef floating *F = &full_prev[0, 0] if full_prev.shape[1] > 0 else NULL
    cdef floating *S
    cdef floating *block
    cdef floating *prev_b
    cdef const long long *brows
    _csr_batch_sizes(&indptr[0], &rows[0], &starts[0], &stops[0], n_batches, &max_b,
                     &max_nnz)
    # distinct columns of a batch: at most min(nnz, n_features)
    max_cols = max(min(max_nnz, n_features), 1)
    keep = _lazy_pass(&P, n_features, n_rows, max_nnz, max_cols, _sum_sq(W, size))
    dtype = np.float32 if floating is float else np.float64
    # three blocks of V's rows: the working block of this batch, its copy as
    # gathered (the next restore point), and the previous update's block as
    # it was before it (the restore point until this batch proves sound)
    keep += [_scratch(max_b * n_rows, dtype, <void **> &S),
             _scratch(3 * max_cols * n_rows, dtype, <void **> &block),
             _scratch(n_rows, dtype, <void **> &prev_b)]
    cdef floating *prev_vals = &block[max_cols * n_rows]
    cdef floating *gathered = &block[2 * max_cols * n_rows]

    with nogil:
        for bi in range(n_batches):
            n_b = stops[bi] - starts[bi]
            brows = &rows[starts[bi]]
            # the batch's columns, in order, and their block of V
            n_cols = _batch_columns(&indices[0], &indptr[0], brows, n_b, P.bitmap,
                                    P.n_words, P.cols, NULL)
            old_sq = _gather_block(block, gathered, W, &P, n_cols)
            # scores at W = scale * V and their weighted derivatives (the
            # weights' sum n_b, unbiased: see _dense_objective)
            objective = _csr_batch_loss(&data[0], &indices[0], &indptr[0], &y[0],
                                        &sample_weight[0], brows, n_b, <double> n_b,
                                        block, P.pos, P.cidx, P.scale, b, S, n_rows,
                                        rule.loss, rule.margin, True)
            objective += 0.5 * rule.alpha * P.scale * P.scale * P.sq_norm
            if not isfinite(objective):
                status = 1
                break
            step = steps[u]
            _lazy_restore_point(&P, &prev_vals, &gathered, n_cols, prev_b, b)
            decay = 1.0 - step * rule.alpha
            if decay == 0.0:  # the decay wipes W out: restart V from zero
                _lazy_wipe(&P, W, A, F, block, n_cols)
                old_sq = 0.0
            else:
                P.scale *= decay
            _block_step(block, S, &data[0], &indptr[0], brows, n_b, &P, step / P.scale)
            new_sq = _scatter_block(W, block, &P, n_cols)  # back into W
            P.sq_norm += new_sq - old_sq
            _lazy_intercept_step(b, S, n_b, &P, step, rule)
            u += 1
            last = bi
            samples_seen += n_b
            if _averages(rule, samples_seen):
                n_avg += 1
                _lazy_average(&P, A, Ab, W, b, block, prev_vals, n_cols, n_avg)
            if fabs(P.scale) < 1e-9:  # fold the scale back before it underflows
                _fold_scale(&P, W, A, F, prev_vals)
            total += objective * n_b
            rows_done += n_b
        if status == 0:  # the last update on its own batch, as dense_pass
            n_b = stops[last] - starts[last] if last >= 0 else 0
            brows = &rows[starts[last]] if last >= 0 else NULL
            status = _lazy_end_status(&data[0], &indices[0], &indptr[0], &y[0],
                                      &sample_weight[0], brows, n_b, W, b, S, &P, rule)
        if status != 0 and u > 0:
            _lazy_restore(&P, W, b, F, prev_vals, prev_b)
        _lazy_finish(&P, W, A, n_avg)
    return status, u, rows_done, total, samples_seen, n_avg



cdef inline double _owed_decay(double sq, double alpha, long long n_skipped,
                               double step_sum, double eps) noexcept nogil:
    """L2 proximal decay owed by an AdaGrad weight that sat out ``n_skipped``
    updates whose steps sum to ``step_sum`` (``_sgd._pending_decay``):
    ``(1 + z) ** -n`` with ``z = alpha * (step_sum / n) / (sqrt(sq) + eps)``.

    The usual case, ``z < 1e-4`` and ``n * z < 1e-2``, takes truncated series
    of ``log1p`` and ``exp`` (relative error below 1e-16) instead of the two
    library calls, which dominated the cost of a batch.
    """
    cdef double z, y
    if n_skipped == 0:
        return 1.0
    z = alpha * (step_sum / n_skipped) / (sqrt(sq) + eps)
    if z < 1e-4 and n_skipped * z < 1e-2:
        # log1p(z) to z**4 (next term z**5 / 5: relative 2e-17), exp(y) to
        # y**6 (next term |y|**7 / 5040 < 2e-18)
        y = -n_skipped * (z * (1.0 - z * (0.5 - z * (1.0 / 3.0 - z * 0.25))))
        return 1.0 + y * (1.0 + y * (0.5 + y * (1.0 / 6.0 + y * (
            1.0 / 24.0 + y * (1.0 / 120.0 + y * (1.0 / 720.0))))))
    return exp(-n_skipped * log1p(z))


cdef inline Py_ssize_t _draw_below(unsigned long long *state,
                                   Py_ssize_t m) noexcept nogil:
    """A uniform integer in ``[0, m)`` from the splitmix64 stream ``state``
    (advanced): ``floor(u * m)`` for ``u`` the top 53 bits over 2**53."""
    cdef unsigned long long z
    cdef Py_ssize_t j
    state[0] += 0x9E3779B97F4A7C15ULL
    z = state[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    z = z ^ (z >> 31)
    j = <Py_ssize_t> (<double> (z >> 11) * (1.0 / 9007199254740992.0) * m)
    return j if j < m else m - 1


def shuffled(const long long[::1] rows, unsigned long long seed):
    """``rows`` in a random order: the inside-out Fisher-Yates shuffle (row
    ``i`` goes to a uniform place ``j <= i``, whose row moves to ``i``), with
    the places drawn from a splitmix64 stream started at ``seed``.

    Writes a new array in one pass: no copy of ``rows`` and no array of
    random draws first (``Generator.random`` then an in-place shuffle cost
    twice as much on 750k rows). Each place is drawn 32 rows early and its
    cache line asked for.
    """
    cdef Py_ssize_t ring[32]  # the places of the next ``ahead`` rows
    cdef Py_ssize_t n = rows.shape[0], i, j, k, ahead = 32  # (ring's length)
    cdef unsigned long long state = seed
    out = np.empty(n, dtype=np.int64)
    cdef long long[::1] o = out
    with nogil:
        for i in range(min(n, ahead)):
            ring[i] = _draw_below(&state, i + 1)
        for i in range(n):
            j = ring[i % ahead]
            k = i + ahead
            if k < n:
                ring[i % ahead] = _draw_below(&state, k + 1)
                __builtin_prefetch(&o[ring[i % ahead]])
            if j != i:
                o[i] = o[j]
            o[j] = rows[i]
    return out


def owed_decay(const double[::1] sq, double alpha, const long long[::1] n_skipped,
               const double[::1] step_sum, double eps=ADAGRAD_EPS):
    """:func:`_owed_decay` elementwise, for the tests (``_sgd._pending_decay``)."""
    out = np.empty(sq.shape[0])
    cdef double[::1] o = out
    cdef Py_ssize_t i
    for i in range(sq.shape[0]):
        o[i] = _owed_decay(sq[i], alpha, n_skipped[i], step_sum[i], eps)
    return out


cdef struct AdaPass:
    # The working state of one sparse_adagrad_pass, which its per-batch
    # pieces (the ``_ada_*`` functions below) share: sizes, counters, and
    # buffers allocated once per pass (by _ada_buffers). A struct cannot hold
    # a fused type: a ``void *`` field is a ``floating *`` of the data's
    # precision. The model (coef, intercept and their AdaGrad sums) is passed
    # to each piece instead.
    Py_ssize_t n_rows, n_features
    Py_ssize_t qs  # AdaGrad sums per feature: 1 (ADAGRAD_FEATURE) or n_rows
    Py_ssize_t row_bytes  # a feature's weights' (contiguous in coef)
    bint per_feature
    # A feature's book (16 bytes, four to a cache line) holds the number of
    # the update of this pass that last used it (0: none) and, with one sum
    # per feature, its sum of squared gradients (copied in from sq_coef, out
    # at the end): one random line per feature and sweep, not two. The sum
    # of the steps up to update t is ``step_sums[t]``.
    Book *bk
    int t_pass
    double step_sum
    double *step_sums
    # the batch: its rows, its sorted distinct columns, its entries grouped
    # by column (_entries_by_column: column p's are ent_off /
    # ent_x[start[p]:start[p + 1]], ent_off the offset of the entry's row
    # of scores in S) and its scores S (max_b, n_rows)
    Py_ssize_t n_b, n_cols
    const long long *brows
    long long *cols
    long long *start
    int *ent_off
    void *ent_x
    void *S
    # _entries_by_column's scratch: digits of at most 11 bits, as few as
    # cover the columns
    int n_digits, digit_bits
    unsigned long long *keys
    unsigned long long *keys_tmp
    Py_ssize_t *hist
    int *row_off
    void *row_x
    # Compact blocks of the batch's columns (max_cols, n_rows): V0 and Q0,
    # the weights and sums as gathered (the restore point of its update),
    # next to Vp and Qp, the previous update's (the restore point until this
    # batch proves sound), and, per weight (adagrad "coordinate"), Wd, the
    # decayed weights the batch sees; with one sum per feature those are V
    # times the feature's owed decay, kept in ``dfs`` instead: a block less
    # to write and read back. Q0 and Qp are (max_cols, qs).
    void *V0
    void *Q0
    void *Vp
    void *Qp
    void *Wd
    void *dfs
    # a chunk (CHUNK columns)'s gradients, sums of their squares, rates and
    # prox factors; the intercept's gradient
    void *gch
    double *gq
    void *rfs
    void *dps
    double *gb
    # the restore point's columns, their books' update numbers before the
    # update, the intercept and its sums
    Py_ssize_t n_prev
    long long *prev_cols
    int *prev_t
    void *prev_b
    void *prev_qb


cdef void *_held(list held, arr) except NULL:
    """The address of the C-contiguous, non-empty array ``arr``, which
    ``held`` keeps alive."""
    held.append(arr)
    return _address(arr)


cdef AdaPass _ada_buffers(
        list held, const floating[::1, :] coef, const floating[::1] intercept,
        const floating[::1, :] sq_coef, const floating[::1] sq_intercept,
        const index_t[::1] indptr, const long long[::1] rows,
        const long long[::1] starts, const long long[::1] stops,
        bint per_feature) except *:
    """The working state of a sparse AdaGrad pass over these batches: its
    buffers allocated (kept alive in ``held``), its books started."""
    cdef AdaPass a
    cdef Py_ssize_t n_rows = coef.shape[0], n_features = coef.shape[1]
    cdef Py_ssize_t max_b = 0, max_nnz = 0, max_cols, nnz, c
    cdef int col_bits = 0
    cdef floating *blocks
    _csr_batch_sizes(&indptr[0], &rows[0], &starts[0], &stops[0], starts.shape[0],
                     &max_b, &max_nnz)
    if max_b * n_rows >= 2**31 or max_nnz >= 2**31:  # int32 offsets below
        raise ValueError(
            f"A batch of {max_b} rows with {max_nnz} non-zeros and {n_rows} "
            "classes is too large for the sparse AdaGrad pass (its scores and "
            "entries are indexed by 32-bit offsets); use a smaller batch_size."
        )
    max_cols = max(min(max_nnz, n_features), 1)
    nnz = max(max_nnz, 1)
    dtype = np.float32 if floating is float else np.float64
    a.n_rows, a.n_features, a.per_feature = n_rows, n_features, per_feature
    a.qs = 1 if per_feature else n_rows
    a.row_bytes = n_rows * <Py_ssize_t> sizeof(floating)
    a.bk = <Book *> _held(held, np.empty(2 * n_features, dtype=np.float64))
    for c in range(n_features):
        a.bk[c].q = sq_coef[0, c] if per_feature else 0
        a.bk[c].t = 0
    a.t_pass, a.step_sum, a.n_prev = 0, 0.0, 0
    a.step_sums = <double *> _held(held, np.zeros(starts.shape[0] + 1))
    a.cols = <long long *> _held(held, np.empty(max_cols, dtype=np.int64))
    a.start = <long long *> _held(held, np.empty(max_cols + 1, dtype=np.int64))
    a.ent_off = <int *> _held(held, np.empty(nnz, dtype=np.int32))
    a.ent_x = _held(held, np.empty(nnz, dtype=dtype))
    a.S = _held(held, np.empty((max(max_b, 1), n_rows), dtype=dtype))
    while (<Py_ssize_t> 1) << col_bits < n_features:
        col_bits += 1
    a.n_digits = (col_bits + 10) // 11
    a.digit_bits = (col_bits + a.n_digits - 1) // a.n_digits if a.n_digits else 1
    a.keys = <unsigned long long *> _held(held, np.empty((2, nnz), dtype=np.uint64))
    a.keys_tmp = a.keys + nnz
    a.hist = <Py_ssize_t *> _held(held, np.empty(1 << a.digit_bits, dtype=np.intp))
    a.row_off = <int *> _held(held, np.empty(nnz, dtype=np.int32))
    a.row_x = _held(held, np.empty(nnz, dtype=dtype))
    blocks = <floating *> _held(
        held, np.empty((2 if per_feature else 3, max_cols, n_rows), dtype=dtype))
    a.V0 = blocks
    a.Vp = blocks + max_cols * n_rows
    a.Wd = NULL if per_feature else blocks + 2 * max_cols * n_rows
    a.Q0 = _held(held, np.empty((2, max_cols, a.qs), dtype=dtype))
    a.Qp = <floating *> a.Q0 + max_cols * a.qs
    a.dfs = _held(held, np.empty(max_cols, dtype=dtype))
    a.gch = _held(held, np.empty(CHUNK * n_rows, dtype=dtype))
    a.gq = <double *> _held(held, np.empty(CHUNK, dtype=np.float64))
    a.rfs = _held(held, np.empty(CHUNK, dtype=dtype))
    a.dps = _held(held, np.empty(CHUNK, dtype=dtype))
    a.gb = <double *> _held(held, np.zeros(n_rows, dtype=np.float64))
    a.prev_cols = <long long *> _held(held, np.empty(max_cols, dtype=np.int64))
    a.prev_t = <int *> _held(held, np.empty(max_cols, dtype=np.int32))
    a.prev_b = _held(held, np.array(intercept, copy=True))
    a.prev_qb = _held(held, np.array(sq_intercept, copy=True))
    return a


cdef inline void _decayed_weights(floating *wd, floating *q_out, const floating *w,
                                  const floating *q, Py_ssize_t n, long long n_skipped,
                                  double step_sum, Rule rule) noexcept nogil:
    """A feature's weights ``w`` times each one's owed decay into ``wd``
    (one AdaGrad sum per weight), and its sums ``q`` copied to ``q_out``."""
    cdef Py_ssize_t k
    cdef double decay
    for k in range(n):
        q_out[k] = q[k]
        if rule.alpha != 0:
            decay = _owed_decay(q[k], rule.alpha, n_skipped, step_sum, rule.adagrad_eps)
            wd[k] = <floating> (w[k] * decay)
        else:
            wd[k] = w[k]


cdef inline double _ada_gather(AdaPass *a, Rule rule, const floating *W,
                               const floating *Q) noexcept nogil:
    """The batch's first sweep over its columns, in address order: their
    weights and sums gathered into ``V0`` and ``Q0`` (the restore point),
    the decayed weights the batch sees, and their products with the entries
    into the scores ``S`` (zeroed first; rows of a few KiB). Returns the
    gathered weights' ``sum(V0 ** 2)``."""
    cdef Py_ssize_t p, n_rows = a.n_rows, n_cols = a.n_cols, qs = a.qs
    cdef Py_ssize_t row_bytes = a.row_bytes
    cdef long long c
    cdef int lt, t_pass = a.t_pass
    cdef bint per_feature = a.per_feature
    cdef double old_sq = 0.0, step_sum = a.step_sum
    cdef const double *step_sums = a.step_sums
    cdef const long long *cols = a.cols
    cdef const long long *start = a.start
    cdef const int *ent_off = a.ent_off
    cdef const floating *ent_x = <const floating *> a.ent_x
    cdef const Book *bk = a.bk
    cdef floating *S = <floating *> a.S
    cdef floating *V0 = <floating *> a.V0
    cdef floating *Q0 = <floating *> a.Q0
    cdef floating *Wd = <floating *> a.Wd
    cdef floating *dfs = <floating *> a.dfs
    cdef const floating *Wc
    cdef floating df
    for p in range(a.n_b * n_rows):
        S[p] = 0
    for p in range(n_cols):
        if p + PREFETCH < n_cols:  # random rows and sums: ask early
            c = cols[p + PREFETCH]
            _prefetch_span(<char *> &W[c * n_rows], row_bytes)
            __builtin_prefetch(&bk[c])
            if not per_feature:
                _prefetch_span(<char *> &Q[c * qs], row_bytes)
        c = cols[p]
        Wc = &W[c * n_rows]
        lt = <int> bk[c].t
        old_sq += _copy_sum_sq(&V0[p * n_rows], Wc, n_rows)
        if per_feature:  # one owed decay for the feature's weights
            Q0[p] = <floating> bk[c].q
            df = 1
            if rule.alpha != 0:
                df = <floating> _owed_decay(
                    bk[c].q, rule.alpha, t_pass - lt, step_sum - step_sums[lt],
                    rule.adagrad_eps)
            dfs[p] = df
            # products in the data's precision
            _scatter_col(S, ent_off, ent_x, start[p], start[p + 1], Wc, df, n_rows)
            continue
        _decayed_weights(&Wd[p * n_rows], &Q0[p * n_rows], Wc, &Q[c * n_rows],
                         n_rows, t_pass - lt, step_sum - step_sums[lt], rule)
        _scatter_col(S, ent_off, ent_x, start[p], start[p + 1], &Wd[p * n_rows], 1,
                     n_rows)  # (* 1: exact)
    return old_sq


cdef inline double _ada_loss(const AdaPass *a, Rule rule, const floating *b,
                             const long long *y,
                             const double *sample_weight) noexcept nogil:
    """The batch's weighted mean loss from its scores ``S`` (the intercept is
    added to them in place), whose rows receive the weighted loss
    derivatives."""
    cdef Py_ssize_t i, j
    cdef double value = 0.0, sw_sum = <double> a.n_b  # unbiased: see dense_pass
    cdef floating *S = <floating *> a.S
    for i in range(a.n_b):
        j = a.brows[i]
        value += _row_objective(&S[i * a.n_rows], b, a.n_rows, y[j],
                                sample_weight[j] / sw_sum, rule.loss, rule.margin,
                                True)
    return value


cdef inline void _ada_checkpoint(AdaPass *a, const floating *b, const floating *Qb,
                                 double step) noexcept nogil:
    """Make the batch's gathered block the restore point of its update (V0
    and Q0 are not written after the gather: swapped with Vp and Qp, not
    copied), with its columns, the intercept and its sums; then count the
    update and its step."""
    cdef Py_ssize_t k
    cdef void *was = a.Vp
    cdef floating *prev_b = <floating *> a.prev_b
    cdef floating *prev_qb = <floating *> a.prev_qb
    a.Vp, a.V0 = a.V0, was
    was = a.Qp
    a.Qp, a.Q0 = a.Q0, was
    a.n_prev = a.n_cols  # (prev_t is saved in the update's sweep)
    memcpy(a.prev_cols, a.cols, a.n_cols * sizeof(long long))
    for k in range(a.n_rows):
        prev_b[k] = b[k]
        prev_qb[k] = Qb[k]
    a.t_pass += 1
    a.step_sum += step
    a.step_sums[a.t_pass] = a.step_sum


cdef inline void _feature_rates(Book *bk, floating *rates, floating *shrinks,
                                const long long *cols, const floating *q,
                                const double *g_sq, Py_ssize_t n, Py_ssize_t n_rows,
                                double step, Rule rule) noexcept nogil:
    """The AdaGrad sums of ``n`` features (one per feature: ``q`` plus the
    mean over the classes of their squared gradients ``g_sq / n_rows``), into
    their books, their rates and L2 prox factors: taken apart from the steps,
    so that their square roots and divisions, a chain per column, overlap."""
    cdef Py_ssize_t p
    cdef floating qf
    cdef double rate
    for p in range(n):
        qf = <floating> (q[p] + g_sq[p] / n_rows)
        bk[cols[p]].q = qf
        rate = step / (sqrt(qf) + rule.adagrad_eps)
        rates[p] = <floating> rate
        shrinks[p] = <floating> (1.0 / (1 + rule.alpha * rate))


cdef inline double _coordinate_step(floating *w, floating *q, const floating *q_prev,
                                    const floating *wd, const floating *g,
                                    Py_ssize_t n, double step, Rule rule,
                                    double acc) noexcept nogil:
    """A feature's AdaGrad step with one sum per weight: ``q = q_prev + g **
    2``, ``w`` the decayed weights ``wd`` stepped at ``step / (sqrt(q) +
    eps)``, then shrunk by the L2 prox. Returns ``acc`` plus the new
    weights' squares, added one by one."""
    cdef Py_ssize_t k
    cdef double qk, rate, nv
    for k in range(n):
        qk = q_prev[k] + <double> g[k] * g[k]
        q[k] = <floating> qk
        rate = step / (sqrt(<floating> qk) + rule.adagrad_eps)
        nv = wd[k] - rate * g[k]
        if rule.alpha != 0:
            nv = nv / (1 + rule.alpha * rate)
        w[k] = <floating> nv
        acc += <double> w[k] * w[k]
    return acc


cdef inline double _ada_update(AdaPass *a, Rule rule, floating *W, floating *Q,
                               double step) noexcept nogil:
    """The batch's second sweep over its columns, ``CHUNK`` at a time: each
    column's gradient (its entries times the score derivatives), its sums,
    its new weights into ``W``, its book's update number. Returns the new
    weights' ``sum(W ** 2)`` over the columns."""
    cdef Py_ssize_t p, p0 = 0, p1, n_rows = a.n_rows, n_cols = a.n_cols
    cdef Py_ssize_t row_bytes = a.row_bytes
    cdef long long c
    cdef int t_pass = a.t_pass
    cdef bint per_feature = a.per_feature
    cdef double new_sq = 0.0
    cdef const long long *cols = a.cols
    cdef const long long *start = a.start
    cdef const int *ent_off = a.ent_off
    cdef int *prev_t = a.prev_t
    cdef double *gq = a.gq
    cdef Book *bk = a.bk
    cdef const floating *ent_x = <const floating *> a.ent_x
    cdef const floating *S = <const floating *> a.S
    cdef const floating *Qp = <const floating *> a.Qp
    cdef const floating *Wd = <const floating *> a.Wd
    cdef const floating *dfs = <const floating *> a.dfs
    cdef floating *gch = <floating *> a.gch
    cdef floating *rfs = <floating *> a.rfs
    cdef floating *dps = <floating *> a.dps
    cdef floating *Wc
    cdef floating *gc
    while p0 < n_cols:
        p1 = min(p0 + CHUNK, n_cols)
        for p in range(p0, p1):  # the chunk's gradients
            if p + PREFETCH < n_cols:  # the rows to write, out of cache by now
                c = cols[p + PREFETCH]
                _prefetch_span(<char *> &W[c * n_rows], row_bytes)
                __builtin_prefetch(&bk[c])
            gq[p - p0] = _gather_col(&gch[(p - p0) * n_rows], S, ent_off, ent_x,
                                     start[p], start[p + 1], n_rows)
        if per_feature:
            _feature_rates(bk, rfs, dps, &cols[p0], &Qp[p0], gq, p1 - p0, n_rows, step,
                           rule)
        for p in range(p0, p1):
            c = cols[p]
            Wc = &W[c * n_rows]
            gc = &gch[(p - p0) * n_rows]
            if per_feature:
                # V as gathered, decayed, stepped (the row in coef is still
                # the V gathered: no read of the restore point)
                new_sq += _prox_step(Wc, dfs[p], rfs[p - p0], gc, dps[p - p0], n_rows)
            else:
                new_sq = _coordinate_step(Wc, &Q[c * n_rows], &Qp[p * n_rows],
                                          &Wd[p * n_rows], gc, n_rows, step, rule,
                                          new_sq)
            prev_t[p] = <int> bk[c].t
            bk[c].t = t_pass
        p0 = p1
    return new_sq


cdef inline void _ada_intercept_step(const AdaPass *a, Rule rule, floating *b,
                                     floating *Qb, double step) noexcept nogil:
    """The intercept's AdaGrad step, its gradient the column sums of the
    batch's score derivatives."""
    cdef Py_ssize_t k
    cdef double *gb = a.gb
    _column_sums(gb, <const floating *> a.S, a.n_b, a.n_rows)
    for k in range(a.n_rows):
        Qb[k] = <floating> (Qb[k] + <floating> gb[k] * <floating> gb[k])
        b[k] = <floating> (b[k] - rule.intercept_scale * step * <floating> gb[k]
                           / (sqrt(Qb[k]) + ADAGRAD_EPS))


cdef inline void _ada_restore(AdaPass *a, floating *W, floating *Q, floating *b,
                              floating *Qb) noexcept nogil:
    """Put the restore point back: the previous update's columns of ``W``,
    their sums and books, the intercept and its sums."""
    cdef Py_ssize_t p, k, qs = a.qs
    cdef long long c
    cdef const floating *Qp = <const floating *> a.Qp
    cdef const floating *prev_b = <const floating *> a.prev_b
    cdef const floating *prev_qb = <const floating *> a.prev_qb
    _put_rows(W, a.prev_cols, <const floating *> a.Vp, a.n_prev, a.n_rows)
    for p in range(a.n_prev):
        c = a.prev_cols[p]
        if a.per_feature:
            a.bk[c].q = Qp[p]
        else:
            memcpy(&Q[c * qs], &Qp[p * qs], a.row_bytes)
        a.bk[c].t = a.prev_t[p]
    for k in range(a.n_rows):
        b[k] = prev_b[k]
        Qb[k] = prev_qb[k]


cdef inline bint _all_zero(const floating *w, Py_ssize_t n) noexcept nogil:
    """Whether ``w[:n]`` is all zeros."""
    cdef Py_ssize_t k
    for k in range(n):
        if w[k] != 0:
            return False
    return True


cdef inline void _ada_settle(const AdaPass *a, Rule rule, floating *W,
                             floating *Q) noexcept nogil:
    """The end of the pass: the sums back into ``sq_coef`` (one per
    feature), every row's owed decay settled. A weight of zero whose decay
    is a number in [0, 1] (all its inputs finite, none negative) stays what
    it is: no decay computed (on wide hashed data most rows are zeros)."""
    cdef Py_ssize_t k, n_rows = a.n_rows
    cdef long long c, n_skip
    cdef int lt
    cdef double decay, gap
    cdef bint bounded = rule.alpha > 0 and isfinite(rule.alpha), bounded_gap
    cdef const Book *bk = a.bk
    cdef floating *Wc
    for c in range(a.n_features):
        if a.per_feature:
            Q[c] = <floating> bk[c].q
        lt = <int> bk[c].t
        if rule.alpha == 0 or a.t_pass == 0 or lt == a.t_pass:  # owes nothing
            continue
        Wc = &W[c * n_rows]
        n_skip = a.t_pass - lt
        gap = a.step_sum - a.step_sums[lt]
        bounded_gap = bounded and 0 <= gap < INFINITY
        if a.per_feature:
            if bounded_gap and 0 <= bk[c].q < INFINITY and _all_zero(Wc, n_rows):
                continue
            decay = _owed_decay(bk[c].q, rule.alpha, n_skip, gap, rule.adagrad_eps)
            for k in range(n_rows):
                Wc[k] = <floating> (Wc[k] * decay)
            continue
        for k in range(n_rows):
            if (Wc[k] == 0 and bounded_gap
                    and 0 <= Q[c * n_rows + k] < INFINITY):
                continue
            decay = _owed_decay(Q[c * n_rows + k], rule.alpha, n_skip, gap,
                                rule.adagrad_eps)
            Wc[k] = <floating> (Wc[k] * decay)


def sparse_adagrad_pass(
    const floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const long long[::1] y,
    const double[::1] sample_weight,
    const long long[::1] rows,
    const long long[::1] starts,
    const long long[::1] stops,
    const double[::1] steps,
    floating[::1, :] coef,
    floating[::1] intercept,
    floating[::1, :] sq_coef,
    floating[::1] sq_intercept,
    Rule rule,
):
    """One lazy pass of AdaGrad with a proximal L2 penalty over CSR data.

    As ``_sgd._sgd_pass_lazy_adagrad``: a batch reads and writes only the
    model rows of its features; the L2 decay a row owes for the updates it
    sat out is applied when a batch next uses it, and to every row at the end
    of the pass. Arguments as in :func:`sparse_pass`, plus the sums of squared
    gradients ``sq_coef`` and ``sq_intercept`` (updated in place): the shape
    of ``coef`` for ``rule.adagrad`` :data:`ADAGRAD_COORDINATE`, ``(1,
    n_features)`` for :data:`ADAGRAD_FEATURE` (then a feature's owed decay and
    rate are one number for all its weights); the intercept's steps are
    ``rule.intercept_scale`` times the coefficients', and ``rule.adagrad_eps``
    is added to the root of a weight's sum (1e-8 to the intercept's).

    Parameters
    ----------
    rule : dict
        The update rule's options, as in :func:`dense_pass`. This pass reads
        ``loss``, ``margin``, ``alpha``, ``fit_intercept``, ``adagrad``,
        ``intercept_scale`` and ``adagrad_eps``.

    Returns
    -------
    status, n_updates, rows_done, total, samples_seen
        As :func:`sparse_pass`.
    """
    cdef Py_ssize_t bi, u = 0, rows_done = 0, samples = 0
    cdef int status = 0
    cdef double total = 0.0, objective, step, old_sq, new_sq, sq_norm
    cdef floating *W = &coef[0, 0]
    cdef floating *Q = &sq_coef[0, 0]
    cdef floating *b = &intercept[0]
    cdef floating *Qb = &sq_intercept[0]
    held = []  # the arrays of the pass's buffers
    cdef AdaPass a = _ada_buffers(held, coef, intercept, sq_coef, sq_intercept,
                                  indptr, rows, starts, stops,
                                  rule.adagrad == ADAGRAD_FEATURE)
    sq_norm = _sum_sq(W, a.n_rows * a.n_features)
    with nogil:
        for bi in range(starts.shape[0]):
            a.n_b = stops[bi] - starts[bi]
            a.brows = &rows[starts[bi]]
            a.n_cols = _entries_by_column(
                &data[0], &indices[0], &indptr[0], a.brows, a.n_b, a.n_rows,
                a.n_digits, a.digit_bits, a.keys, a.keys_tmp, a.hist, a.row_off,
                <floating *> a.row_x, a.cols, a.start, a.ent_off, <floating *> a.ent_x)
            old_sq = _ada_gather(&a, rule, W, Q)
            objective = (_ada_loss(&a, rule, b, &y[0], &sample_weight[0])
                         + 0.5 * rule.alpha * sq_norm)
            if not isfinite(objective):
                status = 1
                break
            step = steps[u]
            _ada_checkpoint(&a, b, Qb, step)
            new_sq = _ada_update(&a, rule, W, Q, step)
            sq_norm += new_sq - old_sq
            if rule.fit_intercept:
                _ada_intercept_step(&a, rule, b, Qb, step)
            u += 1
            samples += a.n_b
            total += objective * a.n_b
            rows_done += a.n_b
        if status == 0 and not (isfinite(sq_norm) and _all_finite(b, a.n_rows)):
            status = 2
        if status != 0 and u > 0:
            _ada_restore(&a, W, Q, b, Qb)
        _ada_settle(&a, rule, W, Q)
    return status, u, rows_done, total, samples
