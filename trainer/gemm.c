/* Matrix products through OpenBLAS, always single-threaded inside OpenBLAS.
 *
 * Why never OpenBLAS's own threading: how its threaded GEMM splits a product depends on the thread count, and
 * with some kernels the split changes the rounding. Under OPENBLAS_CORETYPE=Haswell, Zen or Prescott a
 * 64 x 512 x 288 product differed in 5,600 of 32,768 outputs between 1 and 2 threads (SkylakeX and Cooperlake
 * kernels happened to agree), so a trial's results depended on its thread count. OpenBLAS's OpenMP build
 * threads a GEMM unless it is called inside an active parallel region or the calling thread's OpenMP thread
 * count is 1 (it re-reads that count on every call, so openblas_set_num_threads(1) alone does not hold), hence
 * gemm() lowers the count to 1 for the duration of the call. The engine's parallelism comes from its own
 * fixed tiles instead (gemm_tiled below, the linear layer's row chunks, the convolution's chunks and panels):
 * which tile computes which outputs depends on the shape alone, so the result is the same on any thread
 * count whatever kernel OpenBLAS runs. */
#include "real.h"

#include <cblas.h>
#include <omp.h>

void gemm(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
          const real *B, int ldb, real beta, real *C, int ldc) {
    enum CBLAS_TRANSPOSE ta = transpose_a ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = transpose_b ? CblasTrans : CblasNoTrans;
    /* the calling thread's count only (an OpenMP ICV of this task); restored right after */
    const int threads = omp_get_max_threads();
    if (threads > 1) omp_set_num_threads(1);
#ifdef COHORT_REAL_DOUBLE
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
    if (threads > 1) omp_set_num_threads(threads);
}

/* Tiles of gemm_tiled: row blocks of up to GEMM_TILE_ROWS and column blocks of up to GEMM_TILE_COLUMNS
 * (single-threaded OpenBLAS ran 256 x 1024 tiles of VGG's and ResNet-50's large products within a few per cent
 * of its own threaded GEMM on 2 threads; 64 x 256 tiles lost 10-35 % to packing). A product with fewer than
 * GEMM_TILES_MIN such tiles is cut finer, columns first, down to GEMM_TILE_MIN_COLUMNS x GEMM_TILE_MIN_ROWS,
 * so that a small one still gives several threads work. */
#define GEMM_TILE_ROWS 256
#define GEMM_TILE_COLUMNS 1024
#define GEMM_TILE_MIN_ROWS 32
#define GEMM_TILE_MIN_COLUMNS 64
#define GEMM_TILES_MIN 8

static int blocks_of(int n, int size) { return n <= 0 ? 0 : (n + size - 1) / size; }

GemmTiles gemm_tiles(int M, int N) {
    GemmTiles t = {GEMM_TILE_ROWS, GEMM_TILE_COLUMNS, 0, 0};
    /* no wider than the product (to a power of two) */
    while (t.rows / 2 >= M && t.rows > GEMM_TILE_MIN_ROWS) t.rows /= 2;
    while (t.columns / 2 >= N && t.columns > GEMM_TILE_MIN_COLUMNS) t.columns /= 2;
    for (;;) {
        t.row_blocks = blocks_of(M, t.rows);
        t.column_blocks = blocks_of(N, t.columns);
        if (t.row_blocks * t.column_blocks >= GEMM_TILES_MIN) break;
        /* halve the dimension that is cut least relative to its size, while it stays above its minimum */
        const bool columns_can = t.columns > GEMM_TILE_MIN_COLUMNS && N > t.columns / 2;
        const bool rows_can = t.rows > GEMM_TILE_MIN_ROWS && M > t.rows / 2;
        if (columns_can && (!rows_can || t.column_blocks <= t.row_blocks))
            t.columns /= 2;
        else if (rows_can)
            t.rows /= 2;
        else
            break;
    }
    return t;
}

void gemm_tiled(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
                const real *B, int ldb, real beta, real *C, int ldc) {
    const GemmTiles t = gemm_tiles(M, N);
    const int tiles = t.row_blocks * t.column_blocks;
    /* Inside an active parallel region the same tiles run one after the other on the calling thread. */
#pragma omp parallel for schedule(dynamic, 1) if (tiles > 1 && !omp_in_parallel())
    for (int tile = 0; tile < tiles; tile++) {
        const int r0 = tile / t.column_blocks * t.rows, c0 = tile % t.column_blocks * t.columns;
        const int rows = M - r0 < t.rows ? M - r0 : t.rows, columns = N - c0 < t.columns ? N - c0 : t.columns;
        /* op(A) rows r0.. : A's rows, or A's columns when transposed; op(B) columns c0.. likewise */
        const real *a = transpose_a ? A + r0 : A + (size_t)r0 * lda;
        const real *b = transpose_b ? B + (size_t)c0 * ldb : B + c0;
        gemm(transpose_a, transpose_b, rows, columns, K, alpha, a, lda, b, ldb, beta, C + (size_t)r0 * ldc + c0, ldc);
    }
}
