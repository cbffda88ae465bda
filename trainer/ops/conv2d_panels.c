/* Panel path of conv2d (see conv2d_panels.h). Shapes, with N = B*OH*OW output pixels of the whole batch:
 *   filters packed  Ap [ceil(M/8)][K][8]      (K = C*KH*KW; rows past M are zero)
 *   panel           Bp [K][48]                 im2col of output pixels n0 .. n0+47, zero where padding
 *   out             [M][N], row stride N       tile [8][48] per kernel call
 * The micro-kernel keeps the 8x48 tile in 24 zmm registers: per k, three 16-float loads of the panel and
 * eight broadcasts of filter values feed 24 fused multiply-adds, so it is bound by the FMA units, not by
 * loads; on the CIFAR-ResNet shapes (few rows M, short K) it runs well above OpenBLAS's sgemm on one
 * thread (docs/benchmarks.md has the figures). */
#include "conv2d_panels.h"

#include <string.h>

#include <omp.h>

#define PANEL_COLS 48
#define TILE_ROWS 8
/* kernel taps (KH*KW) up to which the panel path runs: 7x7 */
#define MAX_PANEL_TAPS 49
/* fixed groups of panels whose weight gradients are summed separately, then in order */
#define PANEL_WEIGHT_GROUPS 8

static size_t patch_of(const ConvShape *s) { return (size_t)s->C * s->KH * s->KW; }
static size_t row_blocks(int M) { return ((size_t)M + TILE_ROWS - 1) / TILE_ROWS; }
static int slot_count(const ConvShape *s) { return s->slots > 1 ? s->slots : 1; }

/* masks of valid lanes: one 16-bit mask per kernel tap per 16 pixels of a plane, packed into reals */
static size_t mask_count(const ConvShape *s) { return (size_t)s->KH * s->KW * (size_t)(s->OH * s->OW / 16); }
static size_t mask_reals(const ConvShape *s) {
    return (mask_count(s) * sizeof(uint16_t) + sizeof(real) - 1) / sizeof(real);
}

/* panel rows rounded up to a multiple of every weight-gradient tile height (24, 12, 8, 6) */
static size_t padded_patch(const ConvShape *s) { return (patch_of(s) + 23) / 24 * 24; }

size_t conv_panels_workspace(const ConvShape *s, int out_channels) {
    const size_t packed_filters = row_blocks(out_channels) * TILE_ROWS * patch_of(s);
    return packed_filters + mask_reals(s) + (size_t)slot_count(s) * patch_of(s) * PANEL_COLS;
}

/* the weight gradient's dot form (below): chunks of DOT_CHUNK_VECTORS vectors of pixels, tiles of DOT_ROWS
 * filters, and per thread a dout block of one chunk of one tile's filters */
#define DOT_CHUNK_VECTORS 32
#define DOT_ROWS 8
#define DOT_BLOCK_REALS (DOT_CHUNK_VECTORS * DOT_ROWS * 16)

/* one thread's scratch in the weight gradient: a panel and dout transposed, or a dout block */
static size_t weight_grad_slot_reals(const ConvShape *s) {
    const size_t panel_and_dout = (padded_patch(s) + (size_t)s->OC) * PANEL_COLS;
    return panel_and_dout > DOT_BLOCK_REALS ? panel_and_dout : DOT_BLOCK_REALS;
}

size_t conv_panels_weight_grad_workspace(const ConvShape *s) {
    /* group sums [groups][padded K][OC], masks, a slot per thread */
    return (size_t)PANEL_WEIGHT_GROUPS * padded_patch(s) * (size_t)s->OC + mask_reals(s) +
           (size_t)slot_count(s) * weight_grad_slot_reals(s);
}

#ifdef COHORT_REAL_DOUBLE

bool conv_panels_apply(const ConvShape *s) {
    (void)s;
    return false;
}

void conv_panels_convolve(real *out, const real *in, const real *filters, int M, const ConvShape *s,
                          bool accumulate, real *workspace) {
    (void)out, (void)in, (void)filters, (void)M, (void)s, (void)accumulate, (void)workspace;
}

bool conv_panels_weight_grad_apply(const ConvShape *s) {
    (void)s;
    return false;
}

void conv_panels_weight_grad(real *dweight, const real *dout, const real *in, const ConvShape *s, real *workspace) {
    (void)dweight, (void)dout, (void)in, (void)s, (void)workspace;
}

#else

#include <immintrin.h>

#include "../gemm_microkernel.h"

_Static_assert(PANEL_COLS == MICRO_COLS && TILE_ROWS == MICRO_ROWS, "panels are the micro-kernel's tiles");

static bool is_same_stride_one(const ConvShape *s) {
    return s->stride == 1 && 2 * s->pad_h == s->KH - 1 && 2 * s->pad_w == s->KW - 1 && s->OH == s->H &&
           s->OW == s->W;
}

bool conv_panels_apply(const ConvShape *s) {
    /* stride 2: a vector of 16 output pixels is one output row (OW a multiple of 16) or two (OW = 8) */
    const bool stride_two = s->stride == 2 && (s->OW % 16 == 0 || s->OW == 8);
    return ops_cpu_has_avx512() && (is_same_stride_one(s) || stride_two) && s->B > 1 && (s->OH * s->OW) % 16 == 0 &&
           s->C > 0 && s->KH * s->KW <= MAX_PANEL_TAPS;
}

/* Ap[rb][k][r] = filters[rb*8 + r][k], zero past M */
static void pack_filters(real *packed, const real *filters, int M, size_t K) {
    memset(packed, 0, row_blocks(M) * TILE_ROWS * K * sizeof(real));
    for (int row = 0; row < M; row++) {
        real *dst = packed + (size_t)(row / TILE_ROWS) * K * TILE_ROWS + row % TILE_ROWS;
        const real *src = filters + (size_t)row * K;
        for (size_t k = 0; k < K; k++) dst[k * TILE_ROWS] = src[k];
    }
}

/* masks[tap][q] has bit i set when output pixel 16q+i of a plane reads a real input pixel at that tap */
static void build_masks(uint16_t *masks, const ConvShape *s) {
    const int plane = s->OH * s->OW, vectors = plane / 16;
    for (int kh = 0; kh < s->KH; kh++)
        for (int kw = 0; kw < s->KW; kw++) {
            uint16_t *tap_masks = masks + (size_t)(kh * s->KW + kw) * vectors;
            for (int q = 0; q < vectors; q++) {
                uint16_t bits = 0;
                for (int i = 0; i < 16; i++) {
                    const int p = 16 * q + i;
                    const int ih = p / s->OW * s->stride + kh - s->pad_h;
                    const int iw = p % s->OW * s->stride + kw - s->pad_w;
                    if (ih >= 0 && ih < s->H && iw >= 0 && iw < s->W) bits |= (uint16_t)(1u << i);
                }
                tap_masks[q] = bits;
            }
        }
}

/* Panels read their input from C channel planes far apart, a few cache lines from each, which may be more
 * streams than the hardware prefetcher follows. Each stride-1 panel therefore asks for the input lines the
 * panel PREFETCH_PANELS ahead will read first: per channel and kernel row, the 48 pixels (plus the line
 * they straddle) at that row's shift. Measured on the development VM, its gain was within the noise (the
 * packing's share of the kernel's time 0.61 with it, 0.63-0.69 without in one perf comparison). */
#define PREFETCH_PANELS 2
static void prefetch_ahead(const real *planes, const ConvShape *s, size_t N, size_t n0) {
    const size_t ahead = n0 + (size_t)PREFETCH_PANELS * PANEL_COLS;
    if (ahead >= N) return;
    for (int c = 0; c < s->C; c++)
        for (int kh = 0; kh < s->KH; kh++) {
            const ptrdiff_t start = (ptrdiff_t)ahead + (ptrdiff_t)(kh - s->pad_h) * s->W - s->pad_w;
            for (int line = 0; line < 4; line++) {
                const ptrdiff_t at = start + 16 * line;
                if (at >= 0 && (size_t)at < N) __builtin_prefetch(planes + (size_t)c * N + (size_t)at, 0, 3);
            }
        }
}

/* the 48 columns from n0 of each of `rows` rows of a [rows][N] matrix */
static void prefetch_rows(const real *matrix, int rows, size_t N, size_t n0) {
    if (n0 >= N) return;
    for (int r = 0; r < rows; r++)
        for (int line = 0; line < PANEL_COLS / 16; line++)
            __builtin_prefetch(matrix + (size_t)r * N + n0 + 16 * line, 1, 3);
}

/* 8 mask bits spread to the even bits of 16: lane i of a stride-2 vector reads lane 2i of a pair of loads */
static __mmask16 even_bits(unsigned bits) {
    bits &= 0xFF;
    bits = (bits | bits << 4) & 0x0F0F;
    bits = (bits | bits << 2) & 0x3333;
    bits = (bits | bits << 1) & 0x5555;
    return (__mmask16)bits;
}

/* The panel of a stride-2 convolution. Output pixels ow0 .. ow0+15 of a row read every other input column:
 * the even lanes of two 16-float loads, joined by one permute. The second load continues the first (OW a
 * multiple of 16) or starts on the input row two below (OW = 8: the vector spans two output rows). Loads
 * are masked to the lanes that are used and valid, so nothing outside the input is read. */
__attribute__((target("avx512f"))) static void pack_panel_stride_two(real *panel, const real *in,
                                                                     const uint16_t *masks, const ConvShape *s,
                                                                     size_t n0) {
    const size_t plane = (size_t)s->OH * s->OW, N = (size_t)s->B * plane, vectors = plane / 16;
    const size_t in_plane = (size_t)s->H * s->W, N_in = (size_t)s->B * in_plane;
    const int taps = s->KH * s->KW;
    const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const ptrdiff_t second = s->OW == 8 ? 2 * (ptrdiff_t)s->W : 16; /* from the first load's start */
    ptrdiff_t first_load[MAX_PANEL_TAPS][PANEL_COLS / 16]; /* index in a channel's run of N_in values */
    __mmask16 lane_mask[MAX_PANEL_TAPS][PANEL_COLS / 16], load_mask[MAX_PANEL_TAPS][PANEL_COLS / 16][2];
    for (int t = 0; t < taps; t++)
        for (int v = 0; v < PANEL_COLS / 16; v++) {
            const size_t n = n0 + 16 * (size_t)v;
            const size_t p = n < N ? n % plane : 0, image = n < N ? n / plane : 0;
            const __mmask16 lanes = n < N ? masks[(size_t)t * vectors + p / 16] : 0;
            const ptrdiff_t ih = (ptrdiff_t)(p / s->OW) * 2 + t / s->KW - s->pad_h;
            const ptrdiff_t iw = (ptrdiff_t)(p % s->OW) * 2 + t % s->KW - s->pad_w;
            first_load[t][v] = (ptrdiff_t)(image * in_plane) + ih * s->W + iw;
            lane_mask[t][v] = lanes;
            load_mask[t][v][0] = even_bits(lanes);
            load_mask[t][v][1] = even_bits((unsigned)lanes >> 8);
        }
    real *dst = panel;
    for (int c = 0; c < s->C; c++) {
        const uintptr_t channel = (uintptr_t)(in + (size_t)c * N_in);
        for (int t = 0; t < taps; t++, dst += PANEL_COLS)
            for (int v = 0; v < PANEL_COLS / 16; v++) {
                /* address arithmetic in integers: masked-off lanes may lie outside the input */
                const uintptr_t a = channel + (uintptr_t)first_load[t][v] * sizeof(real);
                const __m512 lo = _mm512_maskz_loadu_ps(load_mask[t][v][0], (const void *)a);
                const __m512 hi = _mm512_maskz_loadu_ps(load_mask[t][v][1],
                                                        (const void *)(a + (uintptr_t)second * sizeof(real)));
                _mm512_storeu_ps(dst + 16 * v, _mm512_maskz_permutex2var_ps(lane_mask[t][v], lo, evens, hi));
            }
    }
}

/* Where the taps of a stride-1 panel read: per tap, its shift in the flattened plane and the valid lanes of the
 * panel's three vectors (none past the batch or where the tap reads padding). */
typedef struct {
    ptrdiff_t shift[MAX_PANEL_TAPS];
    __mmask16 lanes[MAX_PANEL_TAPS][PANEL_COLS / 16];
} TapReads;

static void tap_reads(TapReads *r, const uint16_t *masks, const ConvShape *s, size_t n0) {
    const size_t N = (size_t)s->B * s->H * s->W, plane = (size_t)s->H * s->W, vectors = plane / 16;
    for (int t = 0; t < s->KH * s->KW; t++) {
        r->shift[t] = (ptrdiff_t)(t / s->KW - s->pad_h) * s->W + (t % s->KW - s->pad_w);
        for (int v = 0; v < PANEL_COLS / 16; v++) {
            const size_t n = n0 + 16 * (size_t)v;
            r->lanes[t][v] = n < N ? masks[(size_t)t * vectors + (n % plane) / 16] : 0;
        }
    }
}

/* Bp[k][48] for output pixels n0..n0+47 of the batch: input value at the tap's shift, or 0 where the tap
 * reads padding or the pixel is past the batch. Lanes masked off are not read (no fault past the array). */
__attribute__((target("avx512f"))) static void pack_panel(real *panel, const real *in, const uint16_t *masks,
                                                           const ConvShape *s, size_t n0) {
    if (s->stride == 2) {
        pack_panel_stride_two(panel, in, masks, s, n0);
        return;
    }
    const size_t N = (size_t)s->B * s->H * s->W;
    const int taps = s->KH * s->KW;
    prefetch_ahead(in, s, N, n0);
    TapReads reads;
    tap_reads(&reads, masks, s, n0);
    /* channel by channel, so that the panel is written in order and a channel's input lines are read
     * by all its taps while they are in L1 */
    real *dst = panel;
    for (int c = 0; c < s->C; c++) {
        const uintptr_t channel = (uintptr_t)(in + (size_t)c * N) + (uintptr_t)n0 * sizeof(real);
        for (int t = 0; t < taps; t++, dst += PANEL_COLS) {
            /* address arithmetic in integers: masked-off lanes may point outside the input */
            const uintptr_t src = channel + (uintptr_t)reads.shift[t] * sizeof(real);
            for (int v = 0; v < PANEL_COLS / 16; v++)
                _mm512_storeu_ps(dst + 16 * v, _mm512_maskz_loadu_ps(reads.lanes[t][v],
                                                                     (const void *)(src + 64 * (uintptr_t)v)));
        }
    }
}

/* The 8x48 tile of a stride-1 convolution straight from its input, without a panel: for k = c * taps + t (the
 * panel's order), the three vectors kernel_8x48 would load from Bp[k] are loaded from channel c at tap t's
 * shift, masked as pack_panel masks them. The same sums in the same order as pack_panel + kernel_8x48, so the
 * same results; it saves writing and re-reading the panel, which cost as much as the multiply-adds on the
 * CIFAR ResNets' layers (few filters, short K). */
/* the tile's accumulators as 24 named variables: with masked loads in the loop, GCC kept an array of them in
 * memory and wrote all 24 to the stack on every k */
#define DIRECT_ROW_DECLARE(r) __m512 acc##r##0 = _mm512_setzero_ps(), acc##r##1 = acc##r##0, acc##r##2 = acc##r##0;
#define DIRECT_ROW_FMA(r)                                                                                     \
    {                                                                                                         \
        const __m512 a = _mm512_set1_ps(Ap[r]);                                                               \
        acc##r##0 = _mm512_fmadd_ps(a, b0, acc##r##0);                                                        \
        acc##r##1 = _mm512_fmadd_ps(a, b1, acc##r##1);                                                        \
        acc##r##2 = _mm512_fmadd_ps(a, b2, acc##r##2);                                                        \
    }
#define DIRECT_ROW_STORE(r) \
    if (r < rows) store_tile_row(C + (size_t)(r) * ldc, acc##r##0, acc##r##1, acc##r##2, col_mask, accumulate);

__attribute__((target("avx512f"))) static void kernel_8x48_direct(const real *in, size_t N, const ConvShape *s,
                                                                   const TapReads *reads, size_t n0,
                                                                   const real *Ap, real *C, size_t ldc, int rows,
                                                                   int cols, bool accumulate) {
    DIRECT_ROW_DECLARE(0) DIRECT_ROW_DECLARE(1) DIRECT_ROW_DECLARE(2) DIRECT_ROW_DECLARE(3)
    DIRECT_ROW_DECLARE(4) DIRECT_ROW_DECLARE(5) DIRECT_ROW_DECLARE(6) DIRECT_ROW_DECLARE(7)
    const int taps = s->KH * s->KW;
    for (int c = 0; c < s->C; c++) {
        const uintptr_t channel = (uintptr_t)(in + (size_t)c * N) + (uintptr_t)n0 * sizeof(real);
        for (int t = 0; t < taps; t++, Ap += TILE_ROWS) {
            /* address arithmetic in integers: masked-off lanes may point outside the input */
            const uintptr_t src = channel + (uintptr_t)reads->shift[t] * sizeof(real);
            const __m512 b0 = _mm512_maskz_loadu_ps(reads->lanes[t][0], (const void *)src),
                         b1 = _mm512_maskz_loadu_ps(reads->lanes[t][1], (const void *)(src + 64)),
                         b2 = _mm512_maskz_loadu_ps(reads->lanes[t][2], (const void *)(src + 128));
            DIRECT_ROW_FMA(0) DIRECT_ROW_FMA(1) DIRECT_ROW_FMA(2) DIRECT_ROW_FMA(3)
            DIRECT_ROW_FMA(4) DIRECT_ROW_FMA(5) DIRECT_ROW_FMA(6) DIRECT_ROW_FMA(7)
        }
    }
    __mmask16 col_mask[3];
    tile_column_masks(col_mask, cols);
    DIRECT_ROW_STORE(0) DIRECT_ROW_STORE(1) DIRECT_ROW_STORE(2) DIRECT_ROW_STORE(3)
    DIRECT_ROW_STORE(4) DIRECT_ROW_STORE(5) DIRECT_ROW_STORE(6) DIRECT_ROW_STORE(7)
}

static int threads_for(const ConvShape *s) {
    int threads = omp_get_max_threads();
    if (threads > slot_count(s)) threads = slot_count(s);
    return threads < 1 ? 1 : threads;
}

void conv_panels_convolve(real *out, const real *in, const real *filters, int M, const ConvShape *s,
                          bool accumulate, real *workspace) {
    const size_t K = patch_of(s), N = (size_t)s->B * s->OH * s->OW;
    const size_t panels = (N + PANEL_COLS - 1) / PANEL_COLS, blocks = row_blocks(M);
    real *packed = workspace;
    uint16_t *masks = (uint16_t *)(packed + blocks * TILE_ROWS * K);
    real *panel_slots = packed + blocks * TILE_ROWS * K + mask_reals(s);
    pack_filters(packed, filters, M, K);
    build_masks(masks, s);
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads_for(s))
    for (size_t p = 0; p < panels; p++) {
        real *panel = panel_slots + (size_t)omp_get_thread_num() * K * PANEL_COLS;
        const size_t n0 = p * PANEL_COLS;
        const int cols = N - n0 < PANEL_COLS ? (int)(N - n0) : PANEL_COLS;
        /* the output rows of the next panel, which the kernels will write (or read and write) */
        prefetch_rows(out, M, N, n0 + PANEL_COLS);
        if (s->stride == 1) {
            TapReads reads;
            tap_reads(&reads, masks, s, n0);
            prefetch_ahead(in, s, N, n0);
            for (size_t rb = 0; rb < blocks; rb++) {
                const int rows = M - (int)rb * TILE_ROWS < TILE_ROWS ? M - (int)rb * TILE_ROWS : TILE_ROWS;
                kernel_8x48_direct(in, N, s, &reads, n0, packed + rb * TILE_ROWS * K, out + rb * TILE_ROWS * N + n0,
                                   N, rows, cols, accumulate);
            }
            continue;
        }
        pack_panel(panel, in, masks, s, n0);
        for (size_t rb = 0; rb < blocks; rb++) {
            const int rows = M - (int)rb * TILE_ROWS < TILE_ROWS ? M - (int)rb * TILE_ROWS : TILE_ROWS;
            kernel_8x48(K, packed + rb * TILE_ROWS * K, panel, out + rb * TILE_ROWS * N + n0, N, rows, cols,
                        accumulate);
        }
    }
}

/* ---- weight gradient ----
 * dweight[oc][k] = sum over the batch's pixels n of dout[oc][n] * col[k][n], panel by panel:
 *   panel       Bp [padded K][48]   the forward im2col of the layer input (pack_panel)
 *   dout_t      [48][OC]            dout of the panel's pixels, transposed
 *   group sum   [padded K][OC]      += Bp x dout_t, a tile of ROWS k-rows x VECS*16 channels at a time
 * The tile broadcasts Bp[k][n] for ROWS values of k and loads VECS vectors of dout_t[n]: ROWS*VECS = 24
 * accumulators, and ROWS + VECS loads per 24 multiply-adds. */

/* dout_t[n][oc] = dout[oc][n0 + n] for the panel's pixels (zero past the batch), 16x16 blocks at a time */
__attribute__((target("avx512f"))) static void transpose_dout(real *dout_t, const real *dout, size_t N, int OC,
                                                               size_t n0) {
    for (int v = 0; v < PANEL_COLS / 16; v++) {
        const size_t n = n0 + 16 * (size_t)v;
        const __mmask16 lanes = n < N ? (__mmask16)0xFFFF : 0;
        for (int oc0 = 0; oc0 < OC; oc0 += 16) {
            __m512 rows[16];
            for (int i = 0; i < 16; i++)
                rows[i] = _mm512_maskz_loadu_ps(lanes, dout + (size_t)(oc0 + i) * N + (lanes ? n : 0));
            transpose_16x16(rows);
            /* rows[j] now holds pixel n + j: dout[oc0 .. oc0+15][n + j] */
            for (int j = 0; j < 16; j++) _mm512_storeu_ps(dout_t + (size_t)(16 * v + j) * OC + oc0, rows[j]);
        }
    }
}

#define DEFINE_WEIGHT_GRAD_TILE(NAME, ROWS, VECS)                                                                 \
    __attribute__((target("avx512f"))) static void NAME(const real *panel, const real *dout_t, int OC, real *sum) { \
        __m512 acc[ROWS][VECS];                                                                                   \
        for (int r = 0; r < ROWS; r++)                                                                            \
            for (int v = 0; v < VECS; v++) acc[r][v] = _mm512_setzero_ps();                                       \
        for (int n = 0; n < PANEL_COLS; n++) {                                                                    \
            __m512 d[VECS];                                                                                       \
            for (int v = 0; v < VECS; v++) d[v] = _mm512_loadu_ps(dout_t + (size_t)n * OC + 16 * v);              \
            /* unrolled so that the accumulators stay in registers (GCC kept the 24x1 tile's on the stack) */   \
            _Pragma("GCC unroll 24") for (int r = 0; r < ROWS; r++) {                                             \
                const __m512 a = _mm512_set1_ps(panel[r * PANEL_COLS + n]);                                       \
                for (int v = 0; v < VECS; v++) acc[r][v] = _mm512_fmadd_ps(a, d[v], acc[r][v]);                   \
            }                                                                                                     \
        }                                                                                                         \
        for (int r = 0; r < ROWS; r++)                                                                            \
            for (int v = 0; v < VECS; v++) {                                                                      \
                real *dst = sum + (size_t)r * OC + 16 * v;                                                        \
                _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_loadu_ps(dst), acc[r][v]));                            \
            }                                                                                                     \
    }

DEFINE_WEIGHT_GRAD_TILE(weight_grad_tile_24x1, 24, 1)
DEFINE_WEIGHT_GRAD_TILE(weight_grad_tile_12x2, 12, 2)
DEFINE_WEIGHT_GRAD_TILE(weight_grad_tile_8x3, 8, 3)
DEFINE_WEIGHT_GRAD_TILE(weight_grad_tile_6x4, 6, 4)

/* channel vectors per tile: the largest of 4, 3, 2, 1 that divides OC/16 */
static int tile_vectors(int OC) {
    const int q = OC / 16;
    return q % 4 == 0 ? 4 : q % 3 == 0 ? 3 : q % 2 == 0 ? 2 : 1;
}

/* ---- weight gradient of a stride-1 'same' 3-column convolution, in dot form ----
 * dweight[oc][k] = sum over pixels n of dout[oc][n] * in[c][n + shift(t)] (k = c * taps + t, masked where the tap
 * reads padding), with the pixels in the vector lanes. A tile is 8 filters x one kernel row (3 taps, whose input
 * vectors start one value apart): per 16 pixels, 8 dout vectors and 3 input vectors read straight from the input
 * feed 24 multiply-adds. No panel is packed and dout is not transposed: per chunk of DOT_CHUNK_VECTORS vectors
 * the 8 filters' dout is interleaved into one block (16 KiB, in L1 while the tile walks every k), and each
 * accumulator's lanes are added once per chunk (sum_lanes_8). Each group's chunks are summed in order, as are the
 * groups afterwards, so the result does not depend on the thread count. */

/* the 8 lane sums of a0..a7, in order, as one 8-float vector: halves, then quarters, then pairs, a fixed tree */
__attribute__((target("avx512f"))) static inline __m256 sum_lanes_8(__m512 a0, __m512 a1, __m512 a2, __m512 a3,
                                                                     __m512 a4, __m512 a5, __m512 a6, __m512 a7) {
/* 128-bit lanes 0, 1 of the result: x's lanes 0+2 and 1+3; lanes 2, 3: y's */
#define HALVES(x, y)                                                        \
    _mm512_add_ps(_mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(1, 0, 1, 0)), \
                  _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(3, 2, 3, 2)))
/* from two HALVES: 128-bit lane j holds four partial sums of the j-th of the four vectors they came from */
#define QUARTERS(x, y)                                                      \
    _mm512_add_ps(_mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(2, 0, 2, 0)), \
                  _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(3, 1, 3, 1)))
    /* first: lane j four partial sums of a, b, c, d (j = 0..3); second: of e, f, g, h */
    const __m512 first = QUARTERS(HALVES(a0, a1), HALVES(a2, a3)), second = QUARTERS(HALVES(a4, a5), HALVES(a6, a7));
#undef HALVES
#undef QUARTERS
    const __m512 pairs = _mm512_add_ps(_mm512_shuffle_ps(first, second, _MM_SHUFFLE(2, 0, 2, 0)),
                                       _mm512_shuffle_ps(first, second, _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512 totals = _mm512_add_ps(pairs, _mm512_shuffle_ps(pairs, pairs, _MM_SHUFFLE(2, 3, 0, 1)));
    /* totals: a at 0, e at 2, b at 4, f at 6, c at 8, g at 10, d at 12, h at 14 */
    const __m512i order = _mm512_set_epi32(15, 13, 11, 9, 7, 5, 3, 1, 14, 10, 6, 2, 12, 8, 4, 0);
    return _mm512_castps512_ps256(_mm512_permutexvar_ps(order, totals));
}

#define DOT_ROW_DECLARE(r) __m512 dot##r##0 = _mm512_setzero_ps(), dot##r##1 = dot##r##0, dot##r##2 = dot##r##0;
/* the empty asm keeps d in a register: GCC otherwise folds its load into each of the three multiply-adds */
#define DOT_ROW_FMA(r)                                                                                        \
    {                                                                                                         \
        __m512 d = _mm512_loadu_ps(block + 16 * (r));                                                         \
        __asm__("" : "+v"(d));                                                                                \
        dot##r##0 = _mm512_fmadd_ps(d, x0, dot##r##0);                                                        \
        dot##r##1 = _mm512_fmadd_ps(d, x1, dot##r##1);                                                        \
        dot##r##2 = _mm512_fmadd_ps(d, x2, dot##r##2);                                                        \
    }
#define DOT_TAP_STORE(j)                                                                                      \
    _mm256_storeu_ps(sum + (j) * OC, _mm256_add_ps(_mm256_loadu_ps(sum + (j) * OC),                           \
                                                   sum_lanes_8(dot0##j, dot1##j, dot2##j, dot3##j, dot4##j,   \
                                                               dot5##j, dot6##j, dot7##j)));

/* sum[j * OC + r] += over the chunk's `count` vectors from v0: dout block [count][8][16] x the kernel row's taps,
 * row = the address of in[c] at the row's first tap's shift, masks = that tap's lane masks [3][plane_vectors] */
__attribute__((target("avx512f"))) static void weight_grad_dot_tile(real *sum, int OC, const real *block,
                                                                     uintptr_t row, const uint16_t *masks,
                                                                     size_t plane_vectors, size_t v0, size_t count) {
    DOT_ROW_DECLARE(0) DOT_ROW_DECLARE(1) DOT_ROW_DECLARE(2) DOT_ROW_DECLARE(3)
    DOT_ROW_DECLARE(4) DOT_ROW_DECLARE(5) DOT_ROW_DECLARE(6) DOT_ROW_DECLARE(7)
    const uint16_t *m0 = masks, *m1 = masks + plane_vectors, *m2 = masks + 2 * plane_vectors;
    size_t q = v0 % plane_vectors;
    /* address arithmetic in integers: masked-off lanes may lie outside the input */
    uintptr_t at = row + 64 * (uintptr_t)v0;
    for (size_t v = 0; v < count; v++, at += 64, block += 16 * DOT_ROWS) {
        const __m512 x0 = _mm512_maskz_loadu_ps(m0[q], (const void *)at);
        const __m512 x1 = _mm512_maskz_loadu_ps(m1[q], (const void *)(at + sizeof(real)));
        const __m512 x2 = _mm512_maskz_loadu_ps(m2[q], (const void *)(at + 2 * sizeof(real)));
        DOT_ROW_FMA(0) DOT_ROW_FMA(1) DOT_ROW_FMA(2) DOT_ROW_FMA(3)
        DOT_ROW_FMA(4) DOT_ROW_FMA(5) DOT_ROW_FMA(6) DOT_ROW_FMA(7)
        if (++q == plane_vectors) q = 0;
    }
    DOT_TAP_STORE(0) DOT_TAP_STORE(1) DOT_TAP_STORE(2)
}

/* block[v][r][16] = dout[oc0 + r][16 (v0 + v) ..] for the chunk's vectors */
__attribute__((target("avx512f"))) static void interleave_dout(real *block, const real *dout, size_t N, int oc0,
                                                                size_t v0, size_t count) {
    for (size_t v = 0; v < count; v++)
        for (int r = 0; r < DOT_ROWS; r++)
            _mm512_storeu_ps(block + (v * DOT_ROWS + r) * 16,
                             _mm512_loadu_ps(dout + (size_t)(oc0 + r) * N + 16 * (v0 + v)));
}

/* Where the dot form is faster than the panel tiles (docs/benchmarks.md): up to 32 filters. With 64 the tiles'
 * reuse of each loaded vector (6 k x 4 filter vectors) wins. */
static bool weight_grad_in_dot_form(const ConvShape *s) { return is_same_stride_one(s) && s->KW == 3 && s->OC <= 32; }

/* group_sums[g][k][oc] of the pixels of group g, for every group; blocks: per thread slot a dout block */
static void weight_grad_dot(real *group_sums, int groups, size_t Kp, const real *dout, const real *in,
                            const uint16_t *masks, real *blocks, const ConvShape *s) {
    const size_t N = (size_t)s->B * s->H * s->W, plane_vectors = (size_t)s->H * s->W / 16, vectors = N / 16;
    const int OC = s->OC, taps = s->KH * s->KW;
    int threads = threads_for(s);
    if (threads > groups) threads = groups;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int g = 0; g < groups; g++) {
        real *sum = group_sums + (size_t)g * Kp * OC;
        real *block = blocks + (size_t)omp_get_thread_num() * weight_grad_slot_reals(s);
        const size_t first = (size_t)g * vectors / groups, last = (size_t)(g + 1) * vectors / groups;
        for (size_t v0 = first; v0 < last; v0 += DOT_CHUNK_VECTORS) {
            const size_t count = last - v0 < DOT_CHUNK_VECTORS ? last - v0 : DOT_CHUNK_VECTORS;
            for (int oc0 = 0; oc0 < OC; oc0 += DOT_ROWS) {
                interleave_dout(block, dout, N, oc0, v0, count);
                for (int c = 0; c < s->C; c++)
                    for (int kh = 0; kh < s->KH; kh++) {
                        const ptrdiff_t shift = (ptrdiff_t)(kh - s->pad_h) * s->W - s->pad_w;
                        /* an address, not a pointer: it may lie before the input (masked off there) */
                        const uintptr_t row = (uintptr_t)(in + (size_t)c * N) + (uintptr_t)shift * sizeof(real);
                        const size_t k0 = (size_t)c * taps + (size_t)kh * 3;
                        weight_grad_dot_tile(sum + k0 * OC + oc0, OC, block, row,
                                             masks + (size_t)kh * 3 * plane_vectors, plane_vectors, v0, count);
                    }
            }
        }
    }
}

bool conv_panels_weight_grad_apply(const ConvShape *s) { return conv_panels_apply(s) && s->OC % 16 == 0; }

/* group_sums[g][k][oc] of the pixels of group g, for every group, from packed panels and transposed dout */
static void weight_grad_tiles(real *group_sums, int groups, size_t Kp, const real *dout, const real *in,
                              const uint16_t *masks, real *slots, const ConvShape *s) {
    const size_t K = patch_of(s), N = (size_t)s->B * s->OH * s->OW;
    const int OC = s->OC, vecs = tile_vectors(OC), rows = 24 / vecs;
    const size_t panels = (N + PANEL_COLS - 1) / PANEL_COLS;
    int threads = threads_for(s);
    if (threads > groups) threads = groups;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int g = 0; g < groups; g++) {
        real *panel = slots + (size_t)omp_get_thread_num() * weight_grad_slot_reals(s);
        real *dout_t = panel + Kp * PANEL_COLS;
        real *sum = group_sums + (size_t)g * Kp * OC;
        /* rows K..Kp of the panel are read by the last tile and land in rows of sum that are never used */
        memset(panel + K * PANEL_COLS, 0, (Kp - K) * PANEL_COLS * sizeof(real));
        const size_t first = (size_t)g * panels / groups, last = (size_t)(g + 1) * panels / groups;
        for (size_t p = first; p < last; p++) {
            pack_panel(panel, in, masks, s, p * PANEL_COLS);
            transpose_dout(dout_t, dout, N, OC, p * PANEL_COLS);
            prefetch_rows(dout, OC, N, (p + PREFETCH_PANELS) * PANEL_COLS);
            for (size_t k0 = 0; k0 < K; k0 += (size_t)rows)
                for (int oc0 = 0; oc0 < OC; oc0 += 16 * vecs) {
                    const real *tile_panel = panel + k0 * PANEL_COLS;
                    real *tile_sum = sum + k0 * OC + oc0;
                    switch (vecs) {
                    case 4: weight_grad_tile_6x4(tile_panel, dout_t + oc0, OC, tile_sum); break;
                    case 3: weight_grad_tile_8x3(tile_panel, dout_t + oc0, OC, tile_sum); break;
                    case 2: weight_grad_tile_12x2(tile_panel, dout_t + oc0, OC, tile_sum); break;
                    default: weight_grad_tile_24x1(tile_panel, dout_t + oc0, OC, tile_sum); break;
                    }
                }
        }
    }
}

void conv_panels_weight_grad(real *dweight, const real *dout, const real *in, const ConvShape *s, real *workspace) {
    const size_t K = patch_of(s), Kp = padded_patch(s), N = (size_t)s->B * s->OH * s->OW;
    const int OC = s->OC;
    const size_t panels = (N + PANEL_COLS - 1) / PANEL_COLS;
    const int groups = panels < PANEL_WEIGHT_GROUPS ? (int)panels : PANEL_WEIGHT_GROUPS;
    real *group_sums = workspace; /* [groups][Kp][OC] */
    uint16_t *masks = (uint16_t *)(group_sums + (size_t)PANEL_WEIGHT_GROUPS * Kp * OC);
    real *slots = group_sums + (size_t)PANEL_WEIGHT_GROUPS * Kp * OC + mask_reals(s);
    build_masks(masks, s);
    memset(group_sums, 0, (size_t)groups * Kp * OC * sizeof(real));
    if (weight_grad_in_dot_form(s))
        weight_grad_dot(group_sums, groups, Kp, dout, in, masks, slots, s);
    else
        weight_grad_tiles(group_sums, groups, Kp, dout, in, masks, slots, s);
    /* dweight[oc][k] += sum over groups, in order, of group_sums[g][k][oc] */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_for(s)) if (K * OC >= 8192)
    for (int oc = 0; oc < OC; oc++)
        for (size_t k = 0; k < K; k++) {
            real total = 0;
            for (int g = 0; g < groups; g++) total += group_sums[((size_t)g * Kp + k) * OC + oc];
            dweight[(size_t)oc * K + k] += total;
        }
}

#endif
