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

/* Row-major C = alpha * op(A) * op(B) + beta * C, on the calling thread alone: the engine's AVX-512 GEMM where
 * the CPU has AVX-512F (float build), else OpenBLAS (sgemm or dgemm by `real`; see gemm.c for why OpenBLAS never
 * threads a product itself).
 * op(A) is M x K, op(B) is K x N, C is M x N; lda/ldb/ldc are row strides of the stored arrays. */
void gemm(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
          const real *B, int ldb, real beta, real *C, int ldc);

/* The same product cut into a fixed grid of tiles of C, each a gemm() over the whole K, handed out to the
 * engine's threads (or run in turn on the calling thread inside an active parallel region). The grid depends on
 * M and N only, so the result does not depend on the thread count. */
void gemm_tiled(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
                const real *B, int ldb, real beta, real *C, int ldc);

/* gemm_tiled's grid for an M x N product: tiles of rows x columns, row_blocks x column_blocks of them. */
typedef struct {
    int rows, columns;
    int row_blocks, column_blocks;
} GemmTiles;
GemmTiles gemm_tiles(int M, int N);

#endif
