/* Max and average pooling over independent planes (the [C][B] planes of a [C][B][H][W] activation). */
#include <math.h>

#include "ops.h"
#include "layer.h"

/* PyTorch's pooling_output_shape: floor((size + 2 pad - K) / stride) + 1, or with ceil_mode the ceiling, less
 * one when that last window would start at or past size + pad (in the right padding or beyond it), so that
 * every window starts inside the input or its left padding. Needs size + 2 pad >= K. */
int pool_output_size(int size, int K, int stride, int pad, bool ceil_mode) {
    const int span = size + 2 * pad - K;
    int out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
    if (ceil_mode && (out - 1) * stride >= size + pad) out--;
    return out;
}

void pool_shape_init_mode(PoolShape *s, int planes, int H, int W, int K, int stride, int pad, bool ceil_mode) {
    s->planes = planes;
    s->H = H;
    s->W = W;
    s->K = K;
    s->stride = stride;
    s->pad = pad;
    s->ceil_mode = ceil_mode;
    s->OH = pool_output_size(H, K, stride, pad, ceil_mode);
    s->OW = pool_output_size(W, K, stride, pad, ceil_mode);
}

void pool_shape_init(PoolShape *s, int planes, int H, int W, int K, int stride, int pad) {
    pool_shape_init_mode(s, planes, H, W, K, stride, pad, false);
}

/* The window of output position o along one axis, clipped to the input: [*lo, *hi). With ceil_mode the last
 * window may run past the right padding; it is clipped the same way (max pooling takes the maximum of the
 * elements inside the input). */
static void window(int o, int stride, int pad, int K, int size, int *lo, int *hi) {
    int start = o * stride - pad;
    int end = start + K;
    *lo = start < 0 ? 0 : start;
    *hi = end > size ? size : end;
}

/* The count of average pooling's divisor along one axis (PyTorch's count_include_pad=True): the window's
 * length up to the end of the right padding, size + pad, padding included. K for every window of a floor-mode
 * pooling; shorter only for a ceil-mode window that runs past the padded input. */
static int window_extent(int o, int stride, int pad, int K, int size) {
    const int start = o * stride - pad;
    const int end = start + K < size + pad ? start + K : size + pad;
    return end - start;
}

/* The window's running maximum takes v (at input index i) if v is greater, or if v is NaN and the maximum is
 * not: the first maximum wins, and a NaN propagates (PyTorch's rule, shared by every max-pool path). */
static inline __attribute__((always_inline)) void take_if_greater(real v, int32_t i, real *best, int32_t *best_index) {
    const bool wins = v > *best || (v != v && *best == *best);
    *best = wins ? v : *best;
    *best_index = wins ? i : *best_index;
}

/* One plane of the 2x2, stride-2, unpadded pooling (VGG's): the general loop's comparisons in the same
 * order, without its per-window bounds and branches (the general loop was 7.7 % of a VGG-11 training step). */
static inline __attribute__((always_inline)) void maxpool_2x2_plane(real *y, uint8_t *arg, const real *x,
                                                                    const PoolShape *s) {
    for (int oh = 0; oh < s->OH; oh++) {
        const real *top = x + (size_t)2 * oh * s->W, *bottom = top + s->W;
        for (int ow = 0; ow < s->OW; ow++) {
            real best = top[2 * ow];
            int32_t best_position = 0; /* kh * 2 + kw */
            take_if_greater(top[2 * ow + 1], 1, &best, &best_position);
            take_if_greater(bottom[2 * ow], 2, &best, &best_position);
            take_if_greater(bottom[2 * ow + 1], 3, &best, &best_position);
            y[oh * s->OW + ow] = best;
            arg[oh * s->OW + ow] = (uint8_t)best_position;
        }
    }
}

#ifndef COHORT_REAL_DOUBLE
#include <immintrin.h>

/* maxpool_2x2_plane with AVX-512, 16 outputs of a row at a time: the row pair's 32 values are split into
 * even and odd columns by two permutes, then the same take_if_greater comparisons run on whole vectors.
 * Loads and stores are masked to the row's OW outputs (rows of 8, 4, 2 or 1 outputs in VGG's deep layers). */
__attribute__((target("avx512f"))) static void maxpool_2x2_plane_avx512(float *y, uint8_t *arg, const float *x,
                                                                        const PoolShape *s) {
    const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odds = _mm512_add_epi32(evens, _mm512_set1_epi32(1));
    for (int oh = 0; oh < s->OH; oh++) {
        const float *top = x + (size_t)2 * oh * s->W, *bottom = top + s->W;
        for (int ow = 0; ow < s->OW; ow += 16) {
            const int n = s->OW - ow < 16 ? s->OW - ow : 16;
            const __mmask16 outputs = (__mmask16)((1u << n) - 1);
            /* input columns 2*ow .. 2*ow + 2n - 1: the first 16 in the low load, the rest in the high one */
            const __mmask16 low = n >= 8 ? (__mmask16)0xFFFF : (__mmask16)((1u << 2 * n) - 1);
            const __mmask16 high = n > 8 ? (__mmask16)((1u << (2 * n - 16)) - 1) : 0;
            const __m512 t0 = _mm512_maskz_loadu_ps(low, top + 2 * ow),
                         t1 = _mm512_maskz_loadu_ps(high, top + 2 * ow + 16);
            const __m512 b0 = _mm512_maskz_loadu_ps(low, bottom + 2 * ow),
                         b1 = _mm512_maskz_loadu_ps(high, bottom + 2 * ow + 16);
            /* the window's top-left value (position 0), then its other three in row-major order (1, 2, 3) */
            __m512 best = _mm512_permutex2var_ps(t0, evens, t1);
            __m512i best_position = _mm512_setzero_si512();
            const __m512 others[3] = {_mm512_permutex2var_ps(t0, odds, t1), _mm512_permutex2var_ps(b0, evens, b1),
                                      _mm512_permutex2var_ps(b0, odds, b1)};
            for (int c = 0; c < 3; c++) {
                const __m512 v = others[c];
                const __mmask16 wins =
                    _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) |
                    (_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(best, best, _CMP_ORD_Q));
                best = _mm512_mask_mov_ps(best, wins, v);
                best_position = _mm512_mask_mov_epi32(best_position, wins, _mm512_set1_epi32(c + 1));
            }
            _mm512_mask_storeu_ps(y + (size_t)oh * s->OW + ow, outputs, best);
            _mm512_mask_cvtepi32_storeu_epi8(arg + (size_t)oh * s->OW + ow, outputs, best_position);
        }
    }
}
#endif

/* in [P][H][W] -> out [P][OH][OW], argmax [P][OH][OW] (position kh*K + kw within the window, ops.h).
 * Padding is -inf, so it never wins; scanning the window in row-major order and replacing the best only on
 * a strictly greater value makes the first maximum win, as PyTorch does. A NaN wins over any number so that
 * it propagates. */
void maxpool_forward(real *out, uint8_t *argmax, const real *in, const PoolShape *s) {
    const size_t in_plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    /* every window inside the input: not so for a ceil-mode pooling of an odd size, whose last window is
     * one element (the general loop) */
    const bool two_by_two =
        s->K == 2 && s->stride == 2 && s->pad == 0 && 2 * s->OH <= s->H && 2 * s->OW <= s->W;
#ifndef COHORT_REAL_DOUBLE
    const bool avx512 = two_by_two && ops_cpu_has_avx512();
#endif
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)s->planes * in_plane >= OPS_PARALLEL_MIN)
    for (int p = 0; p < s->planes; p++) {
        const real *x = in + (size_t)p * in_plane;
        real *y = out + (size_t)p * out_plane;
        uint8_t *arg = argmax + (size_t)p * out_plane;
        if (two_by_two) {
#ifndef COHORT_REAL_DOUBLE
            if (avx512) {
                maxpool_2x2_plane_avx512(y, arg, x, s);
                continue;
            }
#endif
            maxpool_2x2_plane(y, arg, x, s);
            continue;
        }
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(oh, s->stride, s->pad, s->K, s->H, &h0, &h1);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(ow, s->stride, s->pad, s->K, s->W, &w0, &w1);
                const int top = oh * s->stride - s->pad, left = ow * s->stride - s->pad; /* unclipped corner */
                real best = -INFINITY;
                int32_t best_position = -1; /* stays -1 only if the window is all padding */
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) {
                        const int32_t position = (ih - top) * s->K + (iw - left);
                        if (best_position < 0) { /* the window's first value */
                            best = x[ih * s->W + iw];
                            best_position = position;
                        } else {
                            take_if_greater(x[ih * s->W + iw], position, &best, &best_position);
                        }
                    }
                y[oh * s->OW + ow] = best;
                arg[oh * s->OW + ow] = best_position < 0 ? MAXPOOL_NO_ELEMENT : (uint8_t)best_position;
            }
        }
    }
}

int32_t maxpool_input_index(const PoolShape *s, size_t o, uint8_t position) {
    if (position == MAXPOOL_NO_ELEMENT) return -1;
    const int oh = (int)(o / (size_t)s->OW), ow = (int)(o % (size_t)s->OW);
    const int ih = oh * s->stride - s->pad + position / s->K, iw = ow * s->stride - s->pad + position % s->K;
    return ih * s->W + iw;
}

/* dout, argmax [P][OH][OW]; adds each output gradient into the input element that won its window. */
void maxpool_backward(real *din, const real *dout, const uint8_t *argmax, const PoolShape *s) {
    if (!din) return;
    const size_t in_plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)s->planes * in_plane >= OPS_PARALLEL_MIN)
    for (int p = 0; p < s->planes; p++) {
        real *dx = din + (size_t)p * in_plane;
        const real *dy = dout + (size_t)p * out_plane;
        const uint8_t *arg = argmax + (size_t)p * out_plane;
        for (size_t i = 0; i < out_plane; i++) {
            const int32_t index = maxpool_input_index(s, i, arg[i]);
            if (index >= 0) dx[index] += dy[i];
        }
    }
}

/* in [P][H][W] -> out [P][OH][OW]. Padding counts as zeros in the mean (PyTorch's count_include_pad=True):
 * with floor output sizes every window lies inside the padded input, so the divisor is always K*K; a
 * ceil-mode window that runs past the padded input divides by its part inside it (window_extent), as
 * PyTorch's avg_pool2d does. */
void avgpool_forward(real *out, const real *in, const PoolShape *s) {
    const size_t in_plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)s->planes * in_plane >= OPS_PARALLEL_MIN)
    for (int p = 0; p < s->planes; p++) {
        const real *x = in + (size_t)p * in_plane;
        real *y = out + (size_t)p * out_plane;
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(oh, s->stride, s->pad, s->K, s->H, &h0, &h1);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(ow, s->stride, s->pad, s->K, s->W, &w0, &w1);
                const double inv_area = 1.0 / ((double)window_extent(oh, s->stride, s->pad, s->K, s->H) *
                                               window_extent(ow, s->stride, s->pad, s->K, s->W));
                double sum = 0;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) sum += x[ih * s->W + iw];
                y[oh * s->OW + ow] = (real)(sum * inv_area);
            }
        }
    }
}

/* dout [P][OH][OW]; adds dout / (the window's divisor, K*K but for a ceil-mode window past the padded input)
 * into every input element of each window of din [P][H][W]. */
void avgpool_backward(real *din, const real *dout, const PoolShape *s) {
    if (!din) return;
    const size_t in_plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)s->planes * in_plane >= OPS_PARALLEL_MIN)
    for (int p = 0; p < s->planes; p++) {
        real *dx = din + (size_t)p * in_plane;
        const real *dy = dout + (size_t)p * out_plane;
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(oh, s->stride, s->pad, s->K, s->H, &h0, &h1);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(ow, s->stride, s->pad, s->K, s->W, &w0, &w1);
                const double inv_area = 1.0 / ((double)window_extent(oh, s->stride, s->pad, s->K, s->H) *
                                               window_extent(ow, s->stride, s->pad, s->K, s->W));
                const real g = (real)(dy[oh * s->OW + ow] * inv_area);
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) dx[ih * s->W + iw] += g;
            }
        }
    }
}

/* ---- as layers: every plane of [C][B][H][W] pooled; max pooling saves its argmax (int32 per output) ---- */

static PoolShape layer_pool_shape(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = layer_in_slot(m, l);
    PoolShape s;
    pool_shape_init_mode(&s, in->C * B, in->H, in->W, l->kernel, l->stride, l->pad, l->ceil_mode);
    return s;
}

static void maxpool_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const PoolShape s = layer_pool_shape(m, l, B);
    maxpool_forward(slot_values(m, l->out), (uint8_t *)layer_saved(m, l), slot_values(m, l->in), &s);
}

static void maxpool_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const PoolShape s = layer_pool_shape(m, l, B);
    real *din = slot_grad(m, l->in);
    if (din) maxpool_backward(din, slot_grad(m, l->out), (const uint8_t *)layer_saved(m, l), &s);
}

static size_t maxpool_layer_saved(const Model *m, const Layer *l, int batch) {
    return (slot_count_for(m, l->out, batch) + sizeof(real) - 1) / sizeof(real); /* a byte per output */
}

static void avgpool_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const PoolShape s = layer_pool_shape(m, l, B);
    avgpool_forward(slot_values(m, l->out), slot_values(m, l->in), &s);
}

static void avgpool_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const PoolShape s = layer_pool_shape(m, l, B);
    real *din = slot_grad(m, l->in);
    if (din) avgpool_backward(din, slot_grad(m, l->out), &s);
}

static int maxpool_case_0(ModelBuilder *mb, int x) {
    return builder_maxpool(mb, x, 2, 2, 0);
}

static int maxpool_case_1(ModelBuilder *mb, int x) {
    return builder_maxpool(mb, x, 3, 2, 1);
}

/* ceil mode: 6x6 -> 3x3 (the last window's third row and column lie past the input), 7x7 -> 4x4 (the last
 * 2x2 window holds one row or column), 8x8 pad 1 -> 5x5 (the last window's only input row is 7), and 7x7
 * 2x2 pad 1 -> 4x4 (the rounded-up fifth window would start in the right padding and is dropped) */
static int maxpool_case_2(ModelBuilder *mb, int x) {
    return builder_maxpool_ceil(mb, x, 3, 2, 0);
}

static int maxpool_case_3(ModelBuilder *mb, int x) {
    return builder_maxpool_ceil(mb, x, 2, 2, 0);
}

static int maxpool_case_4(ModelBuilder *mb, int x) {
    return builder_maxpool_ceil(mb, x, 3, 2, 1);
}

static int maxpool_case_5(ModelBuilder *mb, int x) {
    return builder_maxpool_ceil(mb, x, 2, 2, 1);
}

static const OpCheckCase MAXPOOL_CASES[] = {
    {"max pool 2x2", 3, 6, 6, maxpool_case_0},
    {"max pool 3x3 stride 2 pad 1", 2, 7, 7, maxpool_case_1},
    {"max pool 3x3 stride 2 ceil, 6x6 -> 3x3", 2, 6, 6, maxpool_case_2},
    {"max pool 2x2 stride 2 ceil, 7x7 -> 4x4", 2, 7, 7, maxpool_case_3},
    {"max pool 3x3 stride 2 pad 1 ceil, 8x8 -> 5x5", 2, 8, 8, maxpool_case_4},
    {"max pool 2x2 stride 2 pad 1 ceil, 7x5 -> 4x3", 2, 7, 5, maxpool_case_5},
};

const OpDescriptor OP_MAXPOOL = {.name = "maxpool", .forward = maxpool_layer_forward,
                                 .backward = maxpool_layer_backward, .saved_reals = maxpool_layer_saved,
                                 .backward_skips_inputs = true, .backward_skips_output = true,
                                 OP_CHECK_CASES(MAXPOOL_CASES)};
static int avgpool_case_0(ModelBuilder *mb, int x) {
    return builder_avgpool(mb, x, 2, 2, 0);
}

static int avgpool_case_1(ModelBuilder *mb, int x) {
    return builder_avgpool(mb, x, 3, 2, 1);
}

/* ceil mode: divisors shorter than K*K in the last row and column of windows (6x6 -> 3x3: 3x2, 2x2; 6x6
 * pad 1 -> 4x4: 3x2, 2x2 with padding counted; 7x7 2x2 pad 1 -> 4x4: every window inside the padded input) */
static int avgpool_case_2(ModelBuilder *mb, int x) {
    return builder_avgpool_ceil(mb, x, 3, 2, 0);
}

static int avgpool_case_3(ModelBuilder *mb, int x) {
    return builder_avgpool_ceil(mb, x, 3, 2, 1);
}

static int avgpool_case_4(ModelBuilder *mb, int x) {
    return builder_avgpool_ceil(mb, x, 2, 2, 1);
}

static const OpCheckCase AVGPOOL_CASES[] = {
    {"average pool 2x2", 3, 6, 6, avgpool_case_0},
    {"average pool 3x3 stride 2 pad 1", 2, 7, 7, avgpool_case_1},
    {"average pool 3x3 stride 2 ceil, 6x6 -> 3x3", 2, 6, 6, avgpool_case_2},
    {"average pool 3x3 stride 2 pad 1 ceil, 6x7 -> 4x4", 2, 6, 7, avgpool_case_3},
    {"average pool 2x2 stride 2 pad 1 ceil, 7x7 -> 4x4", 2, 7, 7, avgpool_case_4},
};

const OpDescriptor OP_AVGPOOL = {.name = "avgpool", .forward = avgpool_layer_forward,
                                 .backward_skips_inputs = true, .backward_skips_output = true,
                                 .backward = avgpool_layer_backward,
                                 OP_CHECK_CASES(AVGPOOL_CASES)};
