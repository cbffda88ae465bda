/* The engine's own matrix product for AVX-512 CPUs (float build), which gemm() runs instead of OpenBLAS's
 * sgemm wherever the CPU has AVX-512F. See gemm_engine.c for why. */
#ifndef COHORT_GEMM_ENGINE_H
#define COHORT_GEMM_ENGINE_H

#include <stdbool.h>

#include "real.h"

/* Whether gemm_engine runs here: the float build on a CPU with AVX-512F. */
bool gemm_engine_available(void);

/* Row-major C = alpha * op(A) * op(B) + beta * C, op(A) M x K, op(B) K x N, on the calling thread; the same
 * contract as gemm() (C is not read when beta is 0). Each element of C is summed over k in a fixed order that
 * depends on K alone. Only where gemm_engine_available(). */
void gemm_engine(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
                 const real *B, int ldb, real beta, real *C, int ldc);

#endif
