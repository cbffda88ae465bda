#include "sgemm_rate.h"
#include "monotonic_clock.h"

#include <stdlib.h>
#include <time.h>

#include "gemm_engine.h"
#include "real.h"

#define SGEMM_SIZE 1536

SgemmRate sgemm_rate_measure(double seconds) {
    SgemmRate rate = {0, SGEMM_SIZE, gemm_engine_available() ? "AVX-512 GEMM" : "OpenBLAS"};
    const size_t n = (size_t)SGEMM_SIZE * SGEMM_SIZE;
    real *a = malloc(n * sizeof(real)), *b = malloc(n * sizeof(real)), *c = malloc(n * sizeof(real));
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return rate;
    }
    /* values of order 1 whose products neither overflow nor go denormal */
    for (size_t i = 0; i < n; i++) {
        a[i] = (real)((double)(i % 17) / 16.0 - 0.5);
        b[i] = (real)((double)(i % 13) / 12.0 - 0.5);
    }
    const double flops = 2.0 * SGEMM_SIZE * (double)SGEMM_SIZE * SGEMM_SIZE;
    const double start = monotonic_seconds();
    for (int round = 0; round < 2 || monotonic_seconds() - start < seconds; round++) {
        const double t0 = monotonic_seconds();
        gemm_tiled(false, false, SGEMM_SIZE, SGEMM_SIZE, SGEMM_SIZE, 1, a, SGEMM_SIZE, b, SGEMM_SIZE, 0, c,
                   SGEMM_SIZE);
        const double gflops = flops / (monotonic_seconds() - t0) * 1e-9;
        if (gflops > rate.gflops) rate.gflops = gflops;
        if (round > 50) break;
    }
    free(a), free(b), free(c);
    return rate;
}
