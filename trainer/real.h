/* The engine's scalar type. The trainer is compiled twice from the same sources:
 * `real` is float for training, and double (COHORT_REAL_DOUBLE) for the finite-difference
 * gradient checks, so that every op is checked in double precision exactly as it is written. */
#ifndef COHORT_REAL_H
#define COHORT_REAL_H

#include <stdbool.h>

#ifdef COHORT_REAL_DOUBLE
typedef double real;
#else
typedef float real;
#endif

/* Row-major C = alpha * op(A) * op(B) + beta * C through OpenBLAS (sgemm or dgemm by `real`).
 * op(A) is M x K, op(B) is K x N, C is M x N; lda/ldb/ldc are row strides of the stored arrays. */
void gemm(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
          const real *B, int ldb, real beta, real *C, int ldc);

#endif
