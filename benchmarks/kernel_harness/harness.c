/* Times the dense pass's two small products (linsgd_small_scores_d and
   linsgd_small_grad_d, float64) over batches of 256 random rows of 256
   features, as the pass calls them: the next batch's rows are asked for
   during the gradient. Usage: harness N_ROWS N_CLASSES [MIN_ROWS]. Prints
   ns per row, the best of five repeats of as many epochs as make MIN_ROWS
   rows (200k unless given), for the scores alone,
   the gradient alone and the two in turn. With N_ROWS of a few hundred the
   rows stay in cache: the products' arithmetic alone. X is on hugepages
   (madvise), as numpy's large arrays are. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include "kernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
    const Py_ssize_t n = argc > 1 ? atol(argv[1]) : 200000;
    const Py_ssize_t nr = argc > 2 ? atol(argv[2]) : 10, nf = 256, nb = 256;
    const size_t huge = 2 << 20, bytes = (n * nf * sizeof(double) + huge - 1) / huge * huge;
    double *X = aligned_alloc(huge, bytes);
    madvise(X, bytes, MADV_HUGEPAGE);
    double *W = malloc(nf * nr * sizeof(double)), *G = malloc(nf * nr * sizeof(double));
    double *S = malloc(nb * nr * sizeof(double)), *C = malloc(nb * nr * sizeof(double));
    double *pad = aligned_alloc(64, nf * 32 * sizeof(double));
    Py_ssize_t *perm = malloc(n * sizeof(Py_ssize_t));
    const double **xr = malloc(n * sizeof(double *));
    Py_ssize_t i, b, t;
    const Py_ssize_t min_rows = argc > 3 ? atol(argv[3]) : 200000;
    int e, k, rep, ne = n < min_rows ? (int) ((min_rows + n - 1) / n) : 1;
    double best[3] = {1e9, 1e9, 1e9}, t0, dt, err = 0.0;
    if (n < nb || nr < 1 || nr > 16) {
        fprintf(stderr, "usage: harness N_ROWS>=256 N_CLASSES<=16 [MIN_ROWS]\n");
        return 2;
    }
    for (i = 0; i < n * nf; i++) X[i] = (double) ((i * 2654435761u) % 1000) / 1000.0;
    for (i = 0; i < nf * nr; i++) W[i] = 0.01 * (i % 7);
    for (i = 0; i < nb * nr; i++) C[i] = 0.001 * (i % 5);
    for (i = 0; i < n; i++) perm[i] = i;
    srand(1);
    for (i = n - 1; i > 0; i--) {
        Py_ssize_t j = rand() % (i + 1);
        t = perm[i], perm[i] = perm[j], perm[j] = t;
    }
    for (i = 0; i < n; i++) xr[i] = X + perm[i] * nf;
#define NEXT(b) (b + 2 * nb <= n ? xr + b + nb : xr), (b + 2 * nb <= n ? nb : 0)
#define EPOCHS(body)                                                          \
    for (e = 0; e < ne; e++)                                                  \
        for (b = 0; b + nb <= n; b += nb) { body; }
    for (rep = 0; rep < 5; rep++)
        for (k = 0; k < 3; k++) {
            t0 = now();
            if (k == 0)
                EPOCHS(linsgd_small_scores_d(S, xr + b, nb, 4, W, nr, nf, pad))
            else if (k == 1)
                EPOCHS(linsgd_small_grad_d(G, xr + b, nb, C, nr, nf, pad, NEXT(b)))
            else
                EPOCHS(linsgd_small_scores_d(S, xr + b, nb, 4, W, nr, nf, pad);
                       linsgd_small_grad_d(G, xr + b, nb, C, nr, nf, pad, NEXT(b)))
            dt = now() - t0;
            if (dt < best[k]) best[k] = dt;
        }
    /* the last batch's products against plain loops */
    b = (n / nb - 1) * nb;
    for (i = 0; i < nb * nr; i++) {
        double s = 0.0;
        for (t = 0; t < nf; t++) s += xr[b + i / nr][t] * W[t * nr + i % nr];
        err = fmax(err, fabs(s - S[i]));
    }
    for (i = 0; i < nf * nr; i++) {
        double g = 0.0;
        for (t = 0; t < nb; t++) g += xr[b + t][i / nr] * C[(i % nr) * nb + t];
        err = fmax(err, fabs(g - G[i]));
    }
    t = (Py_ssize_t) ne * (n / nb * nb);
    printf("rows %ld, classes %ld: ns a row: scores %.1f, gradient %.1f, both %.1f; "
           "max |error| %.3g\n", (long) n, (long) nr, 1e9 * best[0] / t,
           1e9 * best[1] / t, 1e9 * best[2] / t, err);
    return 0;
}
