/* The engine's matrix product on AVX-512 CPUs.
 *
 * Why not OpenBLAS's sgemm everywhere: OpenBLAS runs the kernel it is told to (OPENBLAS_CORETYPE, which some
 * machines must set, e.g. to Haswell), and its AVX2 kernels reach about 40 % of an AVX-512 core's multiply-add
 * rate; the engine's 8x48 register tile (gemm_microkernel.h) runs every product at the widest vectors the CPU
 * has, whatever OpenBLAS was told. The results then no longer depend on OpenBLAS's kernel choice either.
 *
 * Blocking (one thread; the callers cut their products into fixed tiles for the threads):
 *   for each slice of K of GEMM_K_BLOCK values          (C's tile is summed slice after slice, in order)
 *     for each block of GEMM_ROW_BLOCK rows of op(A)     packed Ap [rows/8][kc][8]  (scaled by alpha; L2)
 *       for each panel of 48 columns of op(B)            packed Bp [kc][48]          (L1)
 *         for each 8 rows of the block: kernel_8x48      C[8][48] (= or +=) Ap x Bp
 * Packing reads A and B in whichever layout they are stored (transposed or not), 16x16 blocks at a time where
 * a transposition is needed, and writes zeros past the last row or column, so the kernel never branches.
 *
 * The packed blocks live in per-thread buffers of fixed size (thread-local storage, reserved when the thread
 * starts): no allocation in the training step. */
#include "gemm_engine.h"

#include "ops.h"

#ifdef COHORT_REAL_DOUBLE

bool gemm_engine_available(void) { return false; }

void gemm_engine(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
                 const real *B, int ldb, real beta, real *C, int ldc) {
    (void)transpose_a, (void)transpose_b, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B,
        (void)ldb, (void)beta, (void)C, (void)ldc;
}

#else

#include <string.h>

#include "gemm_microkernel.h"

/* Ap of a whole row block (GEMM_ROW_BLOCK x GEMM_K_BLOCK floats, 256 KiB) stays in L2 while the panels of B
 * pass through it, each panel (GEMM_K_BLOCK x 48 floats, 48 KiB) read by every 8 rows of the block. K blocks
 * of 128, 256 and 384 ran within 5 % of each other on the models' products (bench/gemm_bench.c). */
#define GEMM_K_BLOCK 256
#define GEMM_ROW_BLOCK 256
_Static_assert(GEMM_ROW_BLOCK % 16 == 0 && GEMM_K_BLOCK % 16 == 0, "blocks of whole 16x16 transposes");

static _Thread_local real packed_a[GEMM_ROW_BLOCK * GEMM_K_BLOCK] __attribute__((aligned(64)));
static _Thread_local real packed_b[GEMM_K_BLOCK * MICRO_COLS] __attribute__((aligned(64)));

bool gemm_engine_available(void) { return ops_cpu_has_avx512(); }

/* the upper eight floats of v */
__attribute__((target("avx512f"))) static inline __m256 upper_half(__m512 v) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

/* k-row k of two packed 8-row blocks from the 16 values of v: the lower eight to `lower`, the upper eight to
 * `upper` (NULL when the block holds no rows past the first eight) */
__attribute__((target("avx512f"))) static inline void store_row_pair(real *lower, real *upper, size_t k, __m512 v) {
    _mm256_storeu_ps(lower + k * MICRO_ROWS, _mm512_castps512_ps256(v));
    if (upper) _mm256_storeu_ps(upper + k * MICRO_ROWS, upper_half(v));
}

/* Ap[rb][k][r] = alpha * op(A)[m0 + 8 rb + r][k0 + k] for r < 8, k < kc; zero past the block's `rows` rows.
 * A stored [M][K] (not transposed): 16 rows x 16 k at a time, transposed in registers. */
__attribute__((target("avx512f"))) static void pack_a_rows(real *Ap, const real *A, int lda, int m0, int rows,
                                                            int k0, int kc, real alpha) {
    const __m512 scale = _mm512_set1_ps(alpha);
    const int row_pairs = (rows + 15) / 16;
    for (int pair = 0; pair < row_pairs; pair++) {
        real *lower = Ap + (size_t)(2 * pair) * MICRO_ROWS * kc, *upper = lower + (size_t)MICRO_ROWS * kc;
        const bool has_upper = 16 * pair + 8 < rows;
        for (int kk = 0; kk < kc; kk += 16) {
            const __mmask16 k_lanes = lanes_below(kc - kk);
            __m512 block[16];
            for (int i = 0; i < 16; i++) {
                const int row = 16 * pair + i;
                block[i] = row < rows ? _mm512_maskz_loadu_ps(k_lanes, A + (size_t)(m0 + row) * lda + k0 + kk)
                                      : _mm512_setzero_ps();
            }
            transpose_16x16(block);
            const int ks = kc - kk < 16 ? kc - kk : 16;
            for (int t = 0; t < ks; t++)
                store_row_pair(lower, has_upper ? upper : NULL, (size_t)(kk + t),
                               alpha == 1 ? block[t] : _mm512_mul_ps(block[t], scale));
        }
    }
}

/* the same from A stored [K][M] (transposed): each k gives 16 contiguous rows, two row blocks */
__attribute__((target("avx512f"))) static void pack_a_columns(real *Ap, const real *A, int lda, int m0, int rows,
                                                               int k0, int kc, real alpha) {
    const __m512 scale = _mm512_set1_ps(alpha);
    const int row_pairs = (rows + 15) / 16;
    for (int pair = 0; pair < row_pairs; pair++) {
        real *lower = Ap + (size_t)(2 * pair) * MICRO_ROWS * kc, *upper = lower + (size_t)MICRO_ROWS * kc;
        const bool has_upper = 16 * pair + 8 < rows;
        const __mmask16 row_lanes = lanes_below(rows - 16 * pair);
        const real *src = A + (size_t)k0 * lda + m0 + 16 * pair;
        for (int k = 0; k < kc; k++) {
            const __m512 v = _mm512_maskz_loadu_ps(row_lanes, src + (size_t)k * lda);
            store_row_pair(lower, has_upper ? upper : NULL, (size_t)k, alpha == 1 ? v : _mm512_mul_ps(v, scale));
        }
    }
}

/* Bp[k][j] = op(B)[k0 + k][n0 + j] for k < kc, j < 48; zero past `cols` columns. B stored [K][N]. */
__attribute__((target("avx512f"))) static void pack_b_rows(real *Bp, const real *B, int ldb, int k0, int kc, int n0,
                                                            int cols) {
    __mmask16 lanes[3];
    for (int v = 0; v < 3; v++) lanes[v] = lanes_below(cols - 16 * v);
    for (int k = 0; k < kc; k++) {
        const real *src = B + (size_t)(k0 + k) * ldb + n0;
        for (int v = 0; v < 3; v++)
            _mm512_storeu_ps(Bp + (size_t)k * MICRO_COLS + 16 * v,
                             lanes[v] ? _mm512_maskz_loadu_ps(lanes[v], src + 16 * v) : _mm512_setzero_ps());
    }
}

/* the same from B stored [N][K] (transposed, e.g. a weight matrix W for x W^T): 16 columns x 16 k at a time */
__attribute__((target("avx512f"))) static void pack_b_columns(real *Bp, const real *B, int ldb, int k0, int kc,
                                                               int n0, int cols) {
    for (int v = 0; v < 3; v++)
        for (int kk = 0; kk < kc; kk += 16) {
            const __mmask16 k_lanes = lanes_below(kc - kk);
            __m512 block[16];
            for (int i = 0; i < 16; i++) {
                const int column = 16 * v + i;
                block[i] = column < cols
                               ? _mm512_maskz_loadu_ps(k_lanes, B + (size_t)(n0 + column) * ldb + k0 + kk)
                               : _mm512_setzero_ps();
            }
            transpose_16x16(block);
            const int ks = kc - kk < 16 ? kc - kk : 16;
            for (int t = 0; t < ks; t++) _mm512_storeu_ps(Bp + (size_t)(kk + t) * MICRO_COLS + 16 * v, block[t]);
        }
}

/* C[M][N] = beta C, for a beta other than 0 and 1 (0 is never read; 1 is left as it is) */
static void scale_c(real *C, int ldc, int M, int N, real beta) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) C[(size_t)m * ldc + n] *= beta;
}

void gemm_engine(bool transpose_a, bool transpose_b, int M, int N, int K, real alpha, const real *A, int lda,
                 const real *B, int ldb, real beta, real *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0) {
        for (int m = 0; m < M; m++)
            if (beta == 0)
                memset(C + (size_t)m * ldc, 0, (size_t)N * sizeof(real));
            else if (beta != 1)
                scale_c(C + (size_t)m * ldc, ldc, 1, N, beta);
        return;
    }
    if (beta != 0 && beta != 1) scale_c(C, ldc, M, N, beta);
    for (int k0 = 0; k0 < K; k0 += GEMM_K_BLOCK) {
        const int kc = K - k0 < GEMM_K_BLOCK ? K - k0 : GEMM_K_BLOCK;
        const bool accumulate = k0 > 0 || beta != 0;
        for (int m0 = 0; m0 < M; m0 += GEMM_ROW_BLOCK) {
            const int rows = M - m0 < GEMM_ROW_BLOCK ? M - m0 : GEMM_ROW_BLOCK;
            if (transpose_a)
                pack_a_columns(packed_a, A, lda, m0, rows, k0, kc, alpha);
            else
                pack_a_rows(packed_a, A, lda, m0, rows, k0, kc, alpha);
            for (int n0 = 0; n0 < N; n0 += MICRO_COLS) {
                const int cols = N - n0 < MICRO_COLS ? N - n0 : MICRO_COLS;
                if (transpose_b)
                    pack_b_columns(packed_b, B, ldb, k0, kc, n0, cols);
                else
                    pack_b_rows(packed_b, B, ldb, k0, kc, n0, cols);
                for (int r0 = 0; r0 < rows; r0 += MICRO_ROWS) {
                    const int tile_rows = rows - r0 < MICRO_ROWS ? rows - r0 : MICRO_ROWS;
                    kernel_8x48((size_t)kc, packed_a + (size_t)r0 * kc, packed_b, C + (size_t)(m0 + r0) * ldc + n0,
                                (size_t)ldc, tile_rows, cols, accumulate);
                }
            }
        }
    }
}

#endif
