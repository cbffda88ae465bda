/* Panel path of conv2d (see conv2d_panels.h). Shapes, with N = B*H*W output pixels of the whole batch:
 *   filters packed  Ap [ceil(M/8)][K][8]      (K = C*KH*KW; rows past M are zero)
 *   panel           Bp [K][48]                 im2col of output pixels n0 .. n0+47, zero where padding
 *   out             [M][N], row stride N       tile [8][48] per kernel call
 * The micro-kernel keeps the 8x48 tile in 24 zmm registers: per k, three 16-float loads of the panel and
 * eight broadcasts of filter values feed 24 fused multiply-adds, so it is bound by the FMA units, not by
 * loads. Measured against OpenBLAS 0.3.21 sgemm on one thread for the CIFAR-ResNet shapes (bench note,
 * issue 5): M=16 K=144 74 vs 38 GFLOP/s, M=32 K=288 79 vs 46, M=64 K=576 85 vs 52. */
#include "conv2d_panels.h"

#include <string.h>

#include <omp.h>

#define PANEL_COLS 48
#define TILE_ROWS 8

static size_t patch_of(const ConvShape *s) { return (size_t)s->C * s->KH * s->KW; }
static size_t row_blocks(int M) { return ((size_t)M + TILE_ROWS - 1) / TILE_ROWS; }
static int slot_count(const ConvShape *s) { return s->slots > 1 ? s->slots : 1; }

/* masks of valid lanes: one 16-bit mask per kernel tap per 16 pixels of a plane, packed into reals */
static size_t mask_count(const ConvShape *s) { return (size_t)s->KH * s->KW * (size_t)(s->H * s->W / 16); }
static size_t mask_reals(const ConvShape *s) { return (mask_count(s) * sizeof(uint16_t) + sizeof(real) - 1) / sizeof(real); }

size_t conv_panels_workspace(const ConvShape *s, int out_channels) {
    const size_t packed_filters = row_blocks(out_channels) * TILE_ROWS * patch_of(s);
    return packed_filters + mask_reals(s) + (size_t)slot_count(s) * patch_of(s) * PANEL_COLS;
}

#ifdef COHORT_REAL_DOUBLE

bool conv_panels_apply(const ConvShape *s) {
    (void)s;
    return false;
}

void conv_panels_convolve(real *out, const real *in, const real *filters, PanelFilters layout, int M,
                          const ConvShape *s, bool accumulate, real *workspace) {
    (void)out, (void)in, (void)filters, (void)layout, (void)M, (void)s, (void)accumulate, (void)workspace;
}

#else

#include <immintrin.h>

static bool is_same_stride_one(const ConvShape *s) {
    return s->stride == 1 && 2 * s->pad == s->KH - 1 && 2 * s->pad == s->KW - 1 && s->OH == s->H &&
           s->OW == s->W;
}

bool conv_panels_apply(const ConvShape *s) {
    static int cpu_has_avx512 = -1;
    if (cpu_has_avx512 < 0) cpu_has_avx512 = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return cpu_has_avx512 && is_same_stride_one(s) && s->B > 1 && (s->H * s->W) % 16 == 0 && s->C > 0;
}

/* Ap[rb][k][r] = filter row rb*8 + r at k, zero past M */
static void pack_filters(real *packed, const real *filters, PanelFilters layout, int M, const ConvShape *s) {
    const size_t K = patch_of(s), taps = (size_t)s->KH * s->KW;
    memset(packed, 0, row_blocks(M) * TILE_ROWS * K * sizeof(real));
    for (int row = 0; row < M; row++) {
        real *dst = packed + (size_t)(row / TILE_ROWS) * K * TILE_ROWS + row % TILE_ROWS;
        if (layout == PANEL_FILTERS_FORWARD) {
            const real *src = filters + (size_t)row * K;
            for (size_t k = 0; k < K; k++) dst[k * TILE_ROWS] = src[k];
        } else {
            /* k = (input channel ci of this convolution, tap t) reads filters[ci][row][taps-1-t] */
            for (int ci = 0; ci < s->C; ci++) {
                const real *src = filters + ((size_t)ci * M + row) * taps;
                for (size_t t = 0; t < taps; t++) dst[((size_t)ci * taps + t) * TILE_ROWS] = src[taps - 1 - t];
            }
        }
    }
}

/* masks[tap][q] has bit i set when output pixel 16q+i of a plane reads a real input pixel at that tap */
static void build_masks(uint16_t *masks, const ConvShape *s) {
    const int plane = s->H * s->W, vectors = plane / 16;
    for (int kh = 0; kh < s->KH; kh++)
        for (int kw = 0; kw < s->KW; kw++) {
            uint16_t *tap_masks = masks + (size_t)(kh * s->KW + kw) * vectors;
            for (int q = 0; q < vectors; q++) {
                uint16_t bits = 0;
                for (int i = 0; i < 16; i++) {
                    const int p = 16 * q + i, ih = p / s->W + kh - s->pad, iw = p % s->W + kw - s->pad;
                    if (ih >= 0 && ih < s->H && iw >= 0 && iw < s->W) bits |= (uint16_t)(1u << i);
                }
                tap_masks[q] = bits;
            }
        }
}

/* Bp[k][48] for output pixels n0..n0+47 of the batch: input value at the tap's shift, or 0 where the tap
 * reads padding or the pixel is past the batch. Lanes masked off are not read (no fault past the array). */
__attribute__((target("avx512f"))) static void pack_panel(real *panel, const real *in, const uint16_t *masks,
                                                           const ConvShape *s, size_t n0) {
    const size_t N = (size_t)s->B * s->H * s->W, plane = (size_t)s->H * s->W, vectors = plane / 16;
    const int taps = s->KH * s->KW;
    for (int t = 0; t < taps; t++) {
        const ptrdiff_t shift = (ptrdiff_t)(t / s->KW - s->pad) * s->W + (t % s->KW - s->pad);
        __mmask16 lane_mask[PANEL_COLS / 16];
        for (int v = 0; v < PANEL_COLS / 16; v++) {
            const size_t n = n0 + 16 * (size_t)v;
            lane_mask[v] = n < N ? masks[(size_t)t * vectors + (n % plane) / 16] : 0;
        }
        for (int c = 0; c < s->C; c++) {
            /* address arithmetic in integers: masked-off lanes may point outside the input */
            const uintptr_t src = (uintptr_t)(in + (size_t)c * N) + (uintptr_t)((ptrdiff_t)n0 + shift) * sizeof(real);
            real *dst = panel + ((size_t)c * taps + t) * PANEL_COLS;
            for (int v = 0; v < PANEL_COLS / 16; v++)
                _mm512_storeu_ps(dst + 16 * v,
                                 _mm512_maskz_loadu_ps(lane_mask[v], (const void *)(src + 64 * (uintptr_t)v)));
        }
    }
}

/* C[rows][cols] (= or +=) sum over k of Ap[k][0..7] * Bp[k][0..47]; rows <= 8, cols <= 48, ldc in reals */
__attribute__((target("avx512f"))) static void kernel_8x48(size_t K, const real *Ap, const real *Bp, real *C,
                                                            size_t ldc, int rows, int cols, bool accumulate) {
    __m512 acc[TILE_ROWS][3];
    for (int r = 0; r < TILE_ROWS; r++)
        for (int j = 0; j < 3; j++) acc[r][j] = _mm512_setzero_ps();
    for (size_t k = 0; k < K; k++) {
        const __m512 b0 = _mm512_loadu_ps(Bp + PANEL_COLS * k), b1 = _mm512_loadu_ps(Bp + PANEL_COLS * k + 16),
                     b2 = _mm512_loadu_ps(Bp + PANEL_COLS * k + 32);
        for (int r = 0; r < TILE_ROWS; r++) {
            const __m512 a = _mm512_set1_ps(Ap[TILE_ROWS * k + r]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
        }
    }
    __mmask16 col_mask[3];
    for (int j = 0; j < 3; j++) {
        const int valid = cols - 16 * j;
        col_mask[j] = valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? 0 : (__mmask16)((1u << valid) - 1);
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 3; j++) {
            real *dst = C + (size_t)r * ldc + 16 * j;
            __m512 value = acc[r][j];
            if (accumulate) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(col_mask[j], dst));
            _mm512_mask_storeu_ps(dst, col_mask[j], value);
        }
}

void conv_panels_convolve(real *out, const real *in, const real *filters, PanelFilters layout, int M,
                          const ConvShape *s, bool accumulate, real *workspace) {
    const size_t K = patch_of(s), N = (size_t)s->B * s->H * s->W;
    const size_t panels = (N + PANEL_COLS - 1) / PANEL_COLS, blocks = row_blocks(M);
    real *packed = workspace;
    uint16_t *masks = (uint16_t *)(packed + blocks * TILE_ROWS * K);
    real *panel_slots = packed + blocks * TILE_ROWS * K + mask_reals(s);
    pack_filters(packed, filters, layout, M, s);
    build_masks(masks, s);
    int threads = omp_get_max_threads();
    if (threads > slot_count(s)) threads = slot_count(s);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t p = 0; p < panels; p++) {
        real *panel = panel_slots + (size_t)omp_get_thread_num() * K * PANEL_COLS;
        const size_t n0 = p * PANEL_COLS;
        const int cols = N - n0 < PANEL_COLS ? (int)(N - n0) : PANEL_COLS;
        pack_panel(panel, in, masks, s, n0);
        for (size_t rb = 0; rb < blocks; rb++) {
            const int rows = M - (int)rb * TILE_ROWS < TILE_ROWS ? M - (int)rb * TILE_ROWS : TILE_ROWS;
            kernel_8x48(K, packed + rb * TILE_ROWS * K, panel, out + rb * TILE_ROWS * N + n0, N, rows, cols,
                        accumulate);
        }
    }
}

#endif
