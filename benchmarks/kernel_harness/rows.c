/* How fast rows of X can be read at all, without the products: the sum of
   float64 X (N_ROWS x N_FEATURES, C order, on hugepages as numpy's large
   arrays are) read row after row in order, in a random order (as gathered
   batches read them), and in the random order asking for the row LEAD ahead
   early, one cache line of it per line read (as the dense pass does). Usage:
   rows N_ROWS N_FEATURES [LEAD]. Prints ns per row, the best of seven
   repeats, the random orders' times over the in-order one, and the largest
   relative difference between the three sums, which add the same values in
   other orders. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

typedef double v4d __attribute__((vector_size(32), aligned(8)));

/* AVX2 where the machine has it, as the extension's kernels */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* the sum of the rows xr[0 .. n) of nf values (nf a multiple of 8), asking
   for pf[i] while row i is read (if pf) */
CLONES static double sum_rows(const double *const *xr, const double *const *pf, long n,
                       long nf) {
    v4d a = {0}, b = {0};
    long i, d;
    for (i = 0; i < n; i++) {
        const double *x = xr[i];
        for (d = 0; d < nf; d += 8) {
            if (pf) __builtin_prefetch(pf[i] + d);
            a += *(const v4d *) (x + d);
            b += *(const v4d *) (x + d + 4);
        }
    }
    a += b;
    return a[0] + a[1] + a[2] + a[3];
}

int main(int argc, char **argv) {
    const long n = argc > 2 ? atol(argv[1]) : 0, nf = argc > 2 ? atol(argv[2]) : 0;
    const long lead = argc > 3 ? atol(argv[3]) : 4;
    const size_t huge = 2 << 20;
    double best[3] = {1e30, 1e30, 1e30}, sums[3] = {0}, t0, dt, diff = 0.0;
    const double **order, **shuffled, **ahead;
    double *X;
    size_t bytes;
    long i, j, k;
    int rep;
    if (n < 1 || nf < 8 || nf % 8 || lead < 0 || lead >= n) {
        fprintf(stderr, "usage: rows N_ROWS N_FEATURES(a multiple of 8) [LEAD]\n");
        return 2;
    }
    bytes = (n * nf * sizeof(double) + huge - 1) / huge * huge;
    X = aligned_alloc(huge, bytes);
    madvise(X, bytes, MADV_HUGEPAGE);
    order = malloc(n * sizeof(double *));
    shuffled = malloc(n * sizeof(double *));
    ahead = malloc(n * sizeof(double *));
    for (i = 0; i < n * nf; i++) X[i] = (double) ((i * 2654435761u) % 1000) / 1000.0;
    for (i = 0; i < n; i++) order[i] = shuffled[i] = X + i * nf;
    srand(1);
    for (i = n - 1; i > 0; i--) {
        const double *t = shuffled[i];
        j = rand() % (i + 1);
        shuffled[i] = shuffled[j];
        shuffled[j] = t;
    }
    for (i = 0; i < n; i++) ahead[i] = shuffled[i + lead < n ? i + lead : i];
    for (rep = 0; rep < 7; rep++)
        for (k = 0; k < 3; k++) {
            t0 = now();
            sums[k] = sum_rows(k ? shuffled : order, k == 2 ? ahead : NULL, n, nf);
            dt = now() - t0;
            if (dt < best[k]) best[k] = dt;
        }
    for (k = 1; k < 3; k++) diff = fmax(diff, fabs(sums[k] - sums[0]) / fabs(sums[0]));
    printf("rows %ld x %ld: ns a row: in order %.1f, random %.1f (%.2fx), "
           "random asking %ld ahead %.1f (%.2fx); sums differ by %.3g\n",
           n, nf, 1e9 * best[0] / n, 1e9 * best[1] / n, best[1] / best[0], lead,
           1e9 * best[2] / n, best[2] / best[0], diff);
    return 0;
}
