/* The float build's gemm() against a direct double-precision sum, over the shapes where a packed product goes
 * wrong: every pair of transpositions; M, N, K just below, at and above the register tile (8 x 48), the 16x16
 * packing transposes and the engine's blocks (256); leading dimensions wider than the matrix; alpha other than
 * 1; beta 0 (C holds NaN and must not be read), 1 and another value; K = 0. The elements of C's rows past N
 * must be left untouched. On a CPU with AVX-512F this is the engine's own GEMM, else OpenBLAS's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "gemm_engine.h"
#include "real.h"

#define SENTINEL 12345.0f

static unsigned lcg = 12345u;
static float uniform(void) {
    lcg = lcg * 1664525u + 1013904223u;
    return (float)((double)(lcg >> 8) / 16777216.0 - 0.5);
}

static int shapes_checked = 0;

static void check_product(bool ta, bool tb, int M, int N, int K, float alpha, float beta) {
    /* stored sizes with 3 extra columns in every leading dimension */
    const int a_rows = ta ? K : M, a_cols = ta ? M : K, b_rows = tb ? N : K, b_cols = tb ? K : N;
    const int lda = a_cols + 3, ldb = b_cols + 3, ldc = N + 3;
    float *A = malloc(sizeof(float) * (size_t)(a_rows > 0 ? a_rows : 1) * lda);
    float *B = malloc(sizeof(float) * (size_t)(b_rows > 0 ? b_rows : 1) * ldb);
    float *C = malloc(sizeof(float) * (size_t)M * ldc), *C0 = malloc(sizeof(float) * (size_t)M * ldc);
    for (size_t i = 0; i < (size_t)(a_rows > 0 ? a_rows : 1) * lda; i++) A[i] = uniform();
    for (size_t i = 0; i < (size_t)(b_rows > 0 ? b_rows : 1) * ldb; i++) B[i] = uniform();
    for (int m = 0; m < M; m++)
        for (int n = 0; n < ldc; n++) C0[(size_t)m * ldc + n] = n >= N ? SENTINEL : beta == 0 ? NAN : uniform();
    for (size_t i = 0; i < (size_t)M * ldc; i++) C[i] = C0[i];
    gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    double worst = 0;
    int untouched = 1;
    for (int m = 0; m < M; m++) {
        for (int n = 0; n < N; n++) {
            double sum = 0, scale = 0;
            for (int k = 0; k < K; k++) {
                const double a = ta ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k];
                const double b = tb ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n];
                sum += a * b, scale += fabs(a * b);
            }
            const double c0 = beta == 0 ? 0 : C0[(size_t)m * ldc + n];
            const double expected = alpha * sum + beta * c0;
            const double err = fabs(C[(size_t)m * ldc + n] - expected) / (fabs(alpha) * scale + fabs(beta * c0) + 1e-30);
            if (!(err <= worst)) worst = isnan(err) ? INFINITY : err;
        }
        for (int n = N; n < ldc; n++) untouched &= C[(size_t)m * ldc + n] == SENTINEL;
    }
    /* float sums of K terms: a few units of 2^-24 per term in the worst case, far less in practice */
    CHECK_MSG(worst < 1e-5, "ta %d tb %d M %d N %d K %d alpha %g beta %g: relative error %.3g", ta, tb, M, N, K,
              alpha, beta, worst);
    CHECK_MSG(untouched, "ta %d tb %d M %d N %d K %d: wrote past N in a row of C", ta, tb, M, N, K);
    shapes_checked++;
    free(A), free(B), free(C), free(C0);
}

int main(void) {
    printf("gemm() runs %s\n", gemm_engine_available() ? "the engine's AVX-512 GEMM" : "OpenBLAS");
    static const int sizes[] = {1, 7, 8, 9, 16, 17, 47, 48, 49, 97};
    static const int depths[] = {0, 1, 15, 16, 17, 255, 256, 257, 600};
    for (int t = 0; t < 4; t++) {
        const bool ta = t & 1, tb = t & 2;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j += 2)
                for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++)
                    check_product(ta, tb, sizes[i], sizes[(j + i) % 10], depths[d], 1, 0);
        /* more rows than one row block, alpha and beta */
        check_product(ta, tb, 300, 100, 70, 1, 1);
        check_product(ta, tb, 513, 50, 300, 0.125f, -0.5f);
        check_product(ta, tb, 40, 200, 33, -2, 1);
        check_product(ta, tb, 9, 9, 0, 1, 0.5f);
    }
    CHECK(shapes_checked == 4 * (10 * 5 * 9 + 4));
    return check_report("test_gemm");
}
