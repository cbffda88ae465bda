/* Matrix products: the engine's AVX-512 GEMM (gemm_engine.c) on CPUs that have AVX-512F in the float build,
 * else OpenBLAS, always single-threaded inside OpenBLAS.
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
#include "gemm_engine.h"

#include <cblas.h>
#include <omp.h>

void gemm(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
          const real *B, int ldb, real beta, real *C, int ldc) {
    if (gemm_engine_available()) {
        gemm_engine(transpose_a, transpose_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
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

/* Tiles of gemm_tiled. Each tile packs its own rows of op(A) and columns of op(B) (OpenBLAS's threaded GEMM
 * shares one packed B among its threads), so a product cut into rb x cb tiles packs A cb times and B rb times:
 * K (cb M + rb N) values for M N K multiply-adds. For a given tile count that is least when the tiles are about
 * square, so the grid starts from blocks of GEMM_TILE_SIZE and, while it has fewer than GEMM_TILES_MIN tiles
 * (enough for several threads whatever their number), cuts whichever dimension has the longer blocks into one
 * more equal part, down to GEMM_TILE_MIN_ROWS x GEMM_TILE_MIN_COLUMNS. Block lengths are rounded up to a
 * multiple of 16 (whole vectors). Measured on VGG's backward products (2 threads, medians of 11 alternating
 * rounds): 1.01x (Haswell kernels) and 1.03x (SkylakeX) the time of OpenBLAS's own threaded GEMM, where
 * blocks of 256 x 1024 took 1.06x under SkylakeX, 1.29x for the widest weight gradient. */
#define GEMM_TILE_SIZE 768
#define GEMM_TILE_MIN_ROWS 32
#define GEMM_TILE_MIN_COLUMNS 64
#define GEMM_TILES_MIN 8

static int ceil_div(int n, int d) { return (n + d - 1) / d; }

GemmTiles gemm_tiles(int M, int N) {
    GemmTiles t = {0, 0, 0, 0};
    if (M <= 0 || N <= 0) return t;
    int row_blocks = ceil_div(M, GEMM_TILE_SIZE), column_blocks = ceil_div(N, GEMM_TILE_SIZE);
    while (row_blocks * column_blocks < GEMM_TILES_MIN) {
        const bool more_columns = N / (column_blocks + 1) >= GEMM_TILE_MIN_COLUMNS;
        const bool more_rows = M / (row_blocks + 1) >= GEMM_TILE_MIN_ROWS;
        if (more_columns && (!more_rows || (long)N * row_blocks >= (long)M * column_blocks))
            column_blocks++;
        else if (more_rows)
            row_blocks++;
        else
            break;
    }
    t.rows = ceil_div(ceil_div(M, row_blocks), 16) * 16;
    t.columns = ceil_div(ceil_div(N, column_blocks), 16) * 16;
    t.row_blocks = ceil_div(M, t.rows);
    t.column_blocks = ceil_div(N, t.columns);
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
