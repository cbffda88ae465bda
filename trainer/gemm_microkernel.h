/* The engine's AVX-512 register tiles, shared by the convolution panels (ops/conv2d_panels.c) and the general
 * GEMM (gemm_engine.c). Float build only; every function is compiled for AVX-512F whatever the build flags, and
 * callers reach them only where ops_cpu_has_avx512() says the CPU runs them.
 *
 *   Ap  [K][8]    eight rows of the left operand, k-major (a packed block of 8 rows)
 *   Bp  [K][48]   48 columns of the right operand, k-major (a packed panel)
 *   C   [8][48]   the tile, row stride ldc
 * The 8x48 tile lives in 24 zmm registers: per k, three 16-float loads of the panel and eight broadcasts of
 * Ap's values feed 24 fused multiply-adds, so it is bound by the FMA units, not by loads. Every element of C is
 * one sum over k in order, whatever called the kernel. */
#ifndef COHORT_GEMM_MICROKERNEL_H
#define COHORT_GEMM_MICROKERNEL_H

#ifndef COHORT_REAL_DOUBLE

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>

#include "real.h"

#define MICRO_ROWS 8
#define MICRO_COLS 48

/* mask of the first `valid` lanes of a 16-float vector (none when valid <= 0, all when >= 16) */
static inline __mmask16 lanes_below(int valid) {
    return valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? (__mmask16)0 : (__mmask16)((1u << valid) - 1);
}

/* dst[0..47] (= or +=) the three vectors of one tile row, masked to the tile's columns. The vectors are passed
 * by value: a tile whose accumulator array had its address taken was kept in memory by GCC around masked loads,
 * written to the stack on every k. */
__attribute__((target("avx512f"))) static inline void store_tile_row(real *dst, __m512 v0, __m512 v1, __m512 v2,
                                                                      const __mmask16 col_mask[3], bool accumulate) {
    if (accumulate) {
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(col_mask[0], dst));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(col_mask[1], dst + 16));
        v2 = _mm512_add_ps(v2, _mm512_maskz_loadu_ps(col_mask[2], dst + 32));
    }
    _mm512_mask_storeu_ps(dst, col_mask[0], v0);
    _mm512_mask_storeu_ps(dst + 16, col_mask[1], v1);
    _mm512_mask_storeu_ps(dst + 32, col_mask[2], v2);
}

/* masks of a tile's three column vectors for `cols` valid columns */
static inline void tile_column_masks(__mmask16 col_mask[3], int cols) {
    for (int j = 0; j < 3; j++) col_mask[j] = lanes_below(cols - 16 * j);
}

/* C[rows][cols] (= or +=) sum over k of Ap[k][0..7] * Bp[k][0..47]; rows <= 8, cols <= 48, ldc in reals.
 * Rows and columns past rows/cols are computed (from the packing's zeros) but not stored. */
__attribute__((target("avx512f"))) static inline void kernel_8x48(size_t K, const real *Ap, const real *Bp,
                                                                   real *C, size_t ldc, int rows, int cols,
                                                                   bool accumulate) {
    __m512 acc[MICRO_ROWS][3];
    for (int r = 0; r < MICRO_ROWS; r++)
        for (int j = 0; j < 3; j++) acc[r][j] = _mm512_setzero_ps();
    for (size_t k = 0; k < K; k++) {
        const __m512 b0 = _mm512_loadu_ps(Bp + MICRO_COLS * k), b1 = _mm512_loadu_ps(Bp + MICRO_COLS * k + 16),
                     b2 = _mm512_loadu_ps(Bp + MICRO_COLS * k + 32);
        for (int r = 0; r < MICRO_ROWS; r++) {
            const __m512 a = _mm512_set1_ps(Ap[MICRO_ROWS * k + r]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
        }
    }
    __mmask16 col_mask[3];
    tile_column_masks(col_mask, cols);
    /* a constant trip count, so that acc is indexed by constants only and stays in registers */
    for (int r = 0; r < MICRO_ROWS; r++)
        if (r < rows) store_tile_row(C + (size_t)r * ldc, acc[r][0], acc[r][1], acc[r][2], col_mask, accumulate);
}

/* rows[j] <- column j of the 16x16 block rows[0..15] (rows[i] lane j moves to rows[j] lane i): pairs, then
 * quads, then 128-bit lanes, then 256-bit halves */
__attribute__((target("avx512f"))) static inline void transpose_16x16(__m512 rows[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        rows[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        rows[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        rows[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        rows[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(rows[i], rows[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(rows[i], rows[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(rows[i + 8], rows[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(rows[i + 8], rows[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        rows[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        rows[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
        rows[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        rows[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
    }
}

#endif
#endif
